package app

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/imds"
	"github.com/latchkey/latchkey/internal/imds/imdshttp"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// IMDSRing is the key ring of metadata tokens: in the store, so every node accepts a token
// any node issued.
func IMDSRing(st keys.RingStore, mk *keys.MasterKey, now func() time.Time) *keys.Ring {
	return keys.NewRing(imds.PurposeTokens, st, mk, keys.RingOptions{Now: now})
}

// newIMDS builds the EC2 instance metadata listener's handler: the instance profile
// LATCHKEY_IMDS_INSTANCE_PROFILE of the deployment's account, in its region.
func newIMDS(cfg config.Config, st store.Store, mk *keys.MasterKey, sessions *session.Service, auditor *audit.Logger, decisions *audit.DecisionRecorder, logger *slog.Logger, now func() time.Time,
	creds imdshttp.CredentialRecorder) (http.Handler, error) {
	svc, err := imds.New(imds.Deps{Store: st, Sessions: sessions, AccountID: cfg.AccountID, InstanceProfile: cfg.IMDSInstanceProfile,
		Region: cfg.Region, Keys: IMDSRing(st, mk, now), Now: now})
	if err != nil {
		return nil, err
	}
	return imdshttp.New(svc, imdshttp.Options{AllowV1: cfg.IMDSAllowV1, Audit: auditor, Decisions: decisions, Logger: logger, Metrics: creds}), nil
}

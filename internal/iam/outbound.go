package iam

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// OutboundIssuerPath is where an account's outbound issuer lives under Latchkey's issuer URL.
const OutboundIssuerPath = "/outbound/"

func featureDisabled() *awserr.Error {
	return awserr.New("FeatureDisabled", http.StatusNotFound, "Outbound web identity federation is not enabled for this account.")
}

// EnableOutboundWebIdentityFederation turns on GetWebIdentityToken for the account and returns its
// issuer URL. The identifier stays the same when the feature is turned off and on again.
func (s *Service) EnableOutboundWebIdentityFederation(ctx context.Context, caller *principal.Principal) (string, error) {
	if err := s.authorize(ctx, caller, "iam:EnableOutboundWebIdentityFederation", "*"); err != nil {
		return "", err
	}
	// Drawn once, outside the updater, which may run more than once: of concurrent first enables,
	// one stores its identifier and the others answer FeatureEnabled, so no caller is handed an
	// issuer URL that is not the account's.
	fresh := strings.TrimRight(s.IssuerURL, "/") + OutboundIssuerPath + uuid.NewString()
	now := s.Now().UTC()
	f, err := s.Store.UpdateOutboundFederation(ctx, caller.AccountID, func(f *store.OutboundFederation, found bool) error {
		if found && f.Enabled {
			return awserr.New("FeatureEnabled", http.StatusConflict, "Outbound web identity federation is already enabled for this account.")
		}
		if !found {
			f.IssuerIdentifier = fresh
		}
		f.Enabled, f.UpdatedAt = true, now
		return nil
	})
	if err != nil {
		return "", s.updateFailed(err, featureDisabled)
	}
	return f.IssuerIdentifier, nil
}

func (s *Service) outbound(ctx context.Context, caller *principal.Principal, action string) (store.OutboundFederation, error) {
	if err := s.authorize(ctx, caller, action, "*"); err != nil {
		return store.OutboundFederation{}, err
	}
	f, err := s.Store.GetOutboundFederation(ctx, caller.AccountID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !f.Enabled) {
		return f, featureDisabled()
	}
	if err != nil {
		return f, awserr.InternalError(err)
	}
	return f, nil
}

// GetOutboundWebIdentityFederationInfo returns the account's issuer URL.
func (s *Service) GetOutboundWebIdentityFederationInfo(ctx context.Context, caller *principal.Principal) (string, error) {
	f, err := s.outbound(ctx, caller, "iam:GetOutboundWebIdentityFederationInfo")
	return f.IssuerIdentifier, err
}

// DisableOutboundWebIdentityFederation turns the feature off; issued tokens stay valid.
func (s *Service) DisableOutboundWebIdentityFederation(ctx context.Context, caller *principal.Principal) error {
	if err := s.authorize(ctx, caller, "iam:DisableOutboundWebIdentityFederation", "*"); err != nil {
		return err
	}
	now := s.Now().UTC().Truncate(time.Second)
	_, err := s.Store.UpdateOutboundFederation(ctx, caller.AccountID, func(f *store.OutboundFederation, found bool) error {
		if !found || !f.Enabled {
			return featureDisabled()
		}
		f.Enabled, f.UpdatedAt = false, now
		return nil
	})
	if err != nil {
		return s.updateFailed(err, featureDisabled)
	}
	return nil
}

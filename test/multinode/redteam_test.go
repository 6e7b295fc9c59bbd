package multinode

// Red-team findings against a PostgreSQL deployment.

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

// TestRedteamFailedFirstStartOnPostgresStrandsTheStore: issue 15 asks that a failed start leave
// things as they were. On PostgreSQL, a first start whose configuration error is found only after
// the store was opened and bootstrapped (here LATCHKEY_AUDIT_LOG in a directory that does not
// exist, which is opened after the default account and its root credentials were written) has
// its undo delete the master.key it generated, while the database keeps the account, its sealed
// root secret and the key-check record sealed with that key. The operator fixes the audit path
// and starts again: the start is refused with "the store already holds data, but master.key does
// not exist", and the key that could read the store is gone.
func TestRedteamFailedFirstStartOnPostgresStrandsTheStore(t *testing.T) {
	c := newCluster(t)
	d := newDeployment(t, c)
	dataDir := t.TempDir()
	cfg := config.Defaults()
	cfg.DataDir = dataDir
	cfg.DatabaseURL = d.dbURL
	cfg.AccountID = accountID
	cfg.RootAccessKeyID, cfg.RootSecretAccessKey = rootKeyID, rootSecret
	cfg.AuditLog = filepath.Join(dataDir, "no-such-dir", "audit.log")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := app.New(ctx, cfg, app.Options{Logger: logger}); err == nil {
		t.Fatal("the first start with an audit log in a missing directory succeeded")
	}
	cfg.AuditLog = ""
	a, err := app.New(ctx, cfg, app.Options{Logger: logger})
	if errors.Is(err, app.ErrMasterKeyMissing) {
		_, statErr := os.Stat(filepath.Join(dataDir, app.MasterKeyFile))
		t.Fatalf("after a failed first start, the corrected start is refused (%v); master.key stat: %v", err, statErr)
	}
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
}

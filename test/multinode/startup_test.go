package multinode

import (
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

// A failed first start on PostgreSQL leaves the database and the data directory as they were: a
// file destination that cannot be opened (LATCHKEY_AUDIT_LOG in a directory that does not exist)
// fails the start before the store is bootstrapped, so the database holds no account and no
// master.key is left behind; the operator fixes the path and the next start succeeds. (Before,
// the store was bootstrapped with a generated master key that the failed start then deleted,
// stranding the database.)
func TestFailedFirstStartOnPostgresLeavesTheStoreUnwritten(t *testing.T) {
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
	if _, err := os.Stat(filepath.Join(dataDir, app.MasterKeyFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("master.key after the failed start: %v", err)
	}
	st, err := sqlstore.Open(ctx, d.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	accts, err := st.ListAccounts(ctx)
	_ = st.Close()
	if err != nil || len(accts) != 0 {
		t.Fatalf("the failed start wrote accounts %v (%v)", accts, err)
	}
	cfg.AuditLog = filepath.Join(dataDir, "audit.log")
	a, err := app.New(ctx, cfg, app.Options{Logger: logger})
	if err != nil {
		t.Fatalf("the corrected start: %v", err)
	}
	_ = a.Close()
}

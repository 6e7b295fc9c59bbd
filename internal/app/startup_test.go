package app

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

// listing is every path under dir with its size, or nil when dir does not exist.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out = append(out, rel+"/")
		} else {
			out = append(out, rel+" "+strings.Repeat("#", min(int(info.Size()), 1)))
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func testConfig(t *testing.T, dataDir string) config.Config {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = dataDir
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func start(t *testing.T, cfg config.Config, log *bytes.Buffer) (*App, error) {
	t.Helper()
	if log == nil {
		log = &bytes.Buffer{}
	}
	return New(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(log, nil))})
}

// startOnce starts and stops a node on dataDir, leaving an initialised store behind.
func startOnce(t *testing.T, cfg config.Config) {
	t.Helper()
	a, err := start(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.RootCredentialsFile == "" {
		t.Fatal("a fresh start wrote no root-credentials file")
	}
	_ = a.Close()
}

func TestFailedStartLeavesDataDirAsItWas(t *testing.T) {
	otherKey := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	cases := []struct {
		name    string
		prepare func(t *testing.T, cfg *config.Config) // runs before the listing is taken
		want    string
	}{
		{"unsupported database URL on a fresh dir", func(t *testing.T, cfg *config.Config) {
			cfg.DatabaseURL = "mysql://db/latchkey"
		}, "mysql"},
		{"database under a regular file", func(t *testing.T, cfg *config.Config) {
			_ = os.MkdirAll(cfg.DataDir, 0o700)
			_ = os.WriteFile(filepath.Join(cfg.DataDir, "notadir"), []byte("x"), 0o600)
			cfg.DatabaseURL = filepath.Join(cfg.DataDir, "notadir", "latchkey.db")
		}, "database"},
		{"audit log cannot be opened", func(t *testing.T, cfg *config.Config) {
			blocker := filepath.Join(t.TempDir(), "file")
			_ = os.WriteFile(blocker, nil, 0o600)
			cfg.AuditLog = filepath.Join(blocker, "audit.log")
		}, "LATCHKEY_AUDIT_LOG"},
		{"store exists, master.key deleted", func(t *testing.T, cfg *config.Config) {
			startOnce(t, *cfg)
			_ = os.Remove(filepath.Join(cfg.DataDir, MasterKeyFile))
		}, "restore master.key"},
		{"store exists, another master key configured", func(t *testing.T, cfg *config.Config) {
			startOnce(t, *cfg)
			cfg.MasterKey = otherKey
		}, "does not match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			cfg := testConfig(t, dataDir)
			tc.prepare(t, &cfg)
			before := listing(t, dataDir)
			_, err := start(t, cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("start: %v, want an error containing %q", err, tc.want)
			}
			if after := listing(t, dataDir); !slices.Equal(before, after) {
				t.Fatalf("data dir changed by a failed start:\nbefore %q\nafter  %q", before, after)
			}
		})
	}
}

func TestMissingMasterKeyIsRefusedNotReplaced(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	startOnce(t, cfg)
	keyPath := filepath.Join(cfg.DataDir, MasterKeyFile)
	original, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(keyPath)
	_, err = start(t, cfg, nil)
	if !errors.Is(err, ErrMasterKeyMissing) || !strings.Contains(err.Error(), "LATCHKEY_MASTER_KEY") {
		t.Fatalf("start without master.key: %v", err)
	}
	if _, err := os.Stat(keyPath); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a new master.key was written: %v", err)
	}
	// Restoring the original key is the recovery: the node starts again.
	if err := os.WriteFile(keyPath, original, 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := start(t, cfg, nil)
	if err != nil {
		t.Fatalf("start with the restored key: %v", err)
	}
	_ = a.Close()
}

func TestFreshStartWritesKeyAndRootCredentials(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	cfg := testConfig(t, dataDir)
	a, err := start(t, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	got := listing(t, dataDir)
	for _, want := range []string{MasterKeyFile + " #", RootCredentialsFile + " #", "latchkey.db #"} {
		if !slices.Contains(got, want) {
			t.Errorf("fresh data dir %q lacks %q", got, want)
		}
	}
}

func TestDeletedRootCredentialsSaysHowToRecover(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	startOnce(t, cfg)
	credPath := filepath.Join(cfg.DataDir, RootCredentialsFile)
	if err := os.Remove(credPath); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	a, err := start(t, cfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	for _, want := range []string{"level=WARN", "LATCHKEY_ROOT_ACCESS_KEY_ID", "LATCHKEY_ROOT_SECRET_ACCESS_KEY", "root_access_key_ids=AKIA"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	if _, err := os.Stat(credPath); !errors.Is(err, fs.ErrNotExist) {
		t.Error("the root secret was written again")
	}
	// With the master key configured (no master.key in the data dir), nothing is said: root
	// credentials were never kept in files there.
	cfg2 := testConfig(t, t.TempDir())
	cfg2.MasterKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	startOnce(t, cfg2)
	_ = os.Remove(filepath.Join(cfg2.DataDir, RootCredentialsFile))
	log.Reset()
	a, err = start(t, cfg2, &log)
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	if strings.Contains(log.String(), "LATCHKEY_ROOT_ACCESS_KEY_ID") {
		t.Errorf("warned with a configured master key:\n%s", log.String())
	}
}

// A file destination that cannot be opened fails the start before the store is written: an
// existing, empty store (here a migrated SQLite file, which outlives the failed start as a
// PostgreSQL database does) holds no account afterwards and no master.key is left.
func TestUnopenableAuditLogFailsBeforeTheStoreIsWritten(t *testing.T) {
	dataDir := t.TempDir()
	cfg := testConfig(t, dataDir)
	db := filepath.Join(dataDir, "existing.db")
	cfg.DatabaseURL = db
	st, err := sqlstore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.AuditLog = filepath.Join(blocker, "audit.log")
	if _, err := start(t, cfg, nil); err == nil || !strings.Contains(err.Error(), "LATCHKEY_AUDIT_LOG") {
		t.Fatalf("start with an unopenable audit log: %v", err)
	}
	st, err = sqlstore.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if accts, err := st.ListAccounts(context.Background()); err != nil || len(accts) != 0 {
		t.Fatalf("the failed start wrote accounts %v (%v)", accts, err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, MasterKeyFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("master.key after the failed start: %v", err)
	}
	cfg.AuditLog = filepath.Join(dataDir, "audit.log")
	a, err := start(t, cfg, nil)
	if err != nil {
		t.Fatalf("the corrected start: %v", err)
	}
	_ = a.Close()
}

// The undo of a failed start never deletes a master.key (or root-credentials) it generated when
// the store outlives the undo (PostgreSQL, an existing SQLite file): the store may hold what was
// sealed with that key. It keeps them, with the data directory holding them, and logs where they
// are. A SQLite database the start created is removed, and the key with it.
func TestFailedStartKeepsTheKeyOfASurvivingStore(t *testing.T) {
	cases := []struct {
		name     string
		database func(dir string) string
		kept     bool
	}{
		{"PostgreSQL", func(string) string { return "postgres://latchkey@db.invalid/latchkey" }, true},
		{"existing SQLite file", func(dir string) string {
			p := filepath.Join(dir, "existing.db")
			_ = os.WriteFile(p, nil, 0o600)
			return p
		}, true},
		{"SQLite file the start creates", func(dir string) string { return filepath.Join(dir, "new.db") }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			cfg := config.Defaults()
			cfg.DataDir = dataDir
			cfg.DatabaseURL = tc.database(t.TempDir())
			u := planUndo(cfg)
			// What a start writes before it fails: the data dir, a generated key, root credentials.
			if err := os.MkdirAll(dataDir, 0o700); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{MasterKeyFile, RootCredentialsFile, RootCredentialsFile + ".tmp"} {
				if err := os.WriteFile(filepath.Join(dataDir, f), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var log bytes.Buffer
			u.run(slog.New(slog.NewTextHandler(&log, nil)))
			want := []string(nil)
			if tc.kept {
				want = []string{"./", MasterKeyFile + " #", RootCredentialsFile + " #"}
			}
			if got := listing(t, dataDir); !slices.Equal(got, want) {
				t.Fatalf("data dir after the undo: %q, want %q", got, want)
			}
			if tc.kept != strings.Contains(log.String(), filepath.Join(dataDir, MasterKeyFile)) {
				t.Fatalf("log names the kept key: %v, want %v; log: %s", !tc.kept, tc.kept, log.String())
			}
		})
	}
}

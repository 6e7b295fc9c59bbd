package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

// MasterKeyFile and RootCredentialsFile are the names of the files a start may write in the data
// directory.
const (
	MasterKeyFile       = "master.key"
	RootCredentialsFile = "root-credentials"
)

// ErrMasterKeyMissing is returned when the store already holds data but no master key is
// configured and master.key is gone: a new key would not open the stored secrets.
var ErrMasterKeyMissing = errors.New("master key missing")

// undo remembers which of the paths a start may create did not exist before it, so that a failed
// start leaves them as they were. Directories are removed with everything in them only when this
// start created them.
//
// The store itself is removed only when it is a SQLite file this start created. Any other store
// (PostgreSQL, an existing SQLite file) outlives a failed start, and may hold what the start wrote
// with the master key it generated (the key check, the default account's sealed root secret): then
// master.key and root-credentials are kept, with the directories holding them, as deleting them
// would strand the store.
type undo struct {
	files []string
	dirs  []string
	// keepWithStore are the files that belong to the store's contents, when the store outlives
	// the undo; empty when the undo removes the store.
	keepWithStore []string
}

// planUndo records, before anything is written, which of the start's paths are absent.
func planUndo(cfg config.Config) *undo {
	u := &undo{}
	u.dir(cfg.DataDir)
	u.file(filepath.Join(cfg.DataDir, MasterKeyFile))
	u.file(filepath.Join(cfg.DataDir, RootCredentialsFile))
	u.file(filepath.Join(cfg.DataDir, RootCredentialsFile+".tmp"))
	storeRemoved := false
	if db, err := sqlstore.SQLitePath(cfg.DatabaseURL); err == nil && db != "" {
		_, statErr := os.Lstat(db)
		storeRemoved = errors.Is(statErr, fs.ErrNotExist)
		u.dir(filepath.Dir(db))
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			u.file(db + suffix)
		}
	}
	if !storeRemoved {
		u.keepWithStore = []string{filepath.Join(cfg.DataDir, MasterKeyFile), filepath.Join(cfg.DataDir, RootCredentialsFile)}
	}
	if cfg.AuditLog != "" && cfg.AuditLog != "stderr" {
		u.dir(filepath.Dir(cfg.AuditLog))
		u.file(cfg.AuditLog)
	}
	return u
}

func (u *undo) file(path string) {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		u.files = append(u.files, path)
	}
}

// dir records the outermost missing ancestor of path (MkdirAll creates all of them).
func (u *undo) dir(path string) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return
	}
	missing := ""
	for p := abs; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		missing = p
		if filepath.Dir(p) == p {
			break
		}
	}
	if missing != "" {
		u.dirs = append(u.dirs, missing)
	}
}

// run removes what the failed start created, except the files the surviving store needs, which
// it names in the log.
func (u *undo) run(logger *slog.Logger) {
	var kept []string
	for _, f := range u.keepWithStore {
		if slices.Contains(u.files, f) && exists(f) {
			kept = append(kept, f)
		}
	}
	for _, f := range u.files {
		if !slices.Contains(kept, f) {
			_ = os.Remove(f)
		}
	}
	for _, d := range u.dirs {
		if !slices.ContainsFunc(kept, func(f string) bool { return within(f, d) }) {
			_ = os.RemoveAll(d)
		}
	}
	for _, f := range kept {
		logger.Warn("the start failed after the store was written; kept the file the store needs, keep it with the store", "file", f)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// within reports whether path lies under dir.
func within(path, dir string) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return true // keep rather than guess
	}
	rel, err := filepath.Rel(dir, abs)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// OpenStore opens the configured store and proves the master key against it. A master key is
// generated (and master.key written) only once the store is open and holds no data yet; a store
// that holds data without its key is refused with ErrMasterKeyMissing.
func OpenStore(ctx context.Context, cfg config.Config, logger *slog.Logger) (store.Store, *keys.MasterKey, error) {
	return openStore(ctx, cfg, logger, nil)
}

// openStore is OpenStore whose store reports its operations to observer (nil: none).
func openStore(ctx context.Context, cfg config.Config, logger *slog.Logger, observer sqlstore.Observer) (store.Store, *keys.MasterKey, error) {
	keyPath := filepath.Join(cfg.DataDir, MasterKeyFile)
	var configured []byte
	if cfg.MasterKey != "" {
		k, err := cfg.MasterKeyBytes()
		if err != nil {
			return nil, nil, err
		}
		configured = k
	}
	_, statErr := os.Stat(keyPath)
	needNew := configured == nil && errors.Is(statErr, fs.ErrNotExist)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("creating data dir %s: %w", cfg.DataDir, err)
	}
	st, err := sqlstore.OpenWith(ctx, cfg.DatabaseURL, sqlstore.Options{Observer: observer})
	if err != nil {
		return nil, nil, fmt.Errorf("opening store: %w", err)
	}
	mk, err := masterKey(ctx, st, configured, needNew, cfg, logger)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	if err := keys.Verify(ctx, st, mk); err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, mk, nil
}

// masterKey loads the configured key or master.key; when neither exists it refuses a store that
// already has accounts and otherwise writes a new master.key.
func masterKey(ctx context.Context, st store.Store, configured []byte, needNew bool, cfg config.Config, logger *slog.Logger) (*keys.MasterKey, error) {
	if needNew {
		accts, err := st.ListAccounts(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the store: %w", err)
		}
		if len(accts) > 0 {
			return nil, masterKeyMissing(cfg)
		}
	}
	mk, generated, err := keys.LoadOrCreate(configured, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if generated {
		logger.Info("generated a new master key; back it up, every stored secret depends on it", "path", filepath.Join(cfg.DataDir, MasterKeyFile))
	}
	return mk, nil
}

func masterKeyMissing(cfg config.Config) error {
	return fmt.Errorf("%w: the store %s already holds data, but %s does not exist and LATCHKEY_MASTER_KEY is not set; "+
		"restore master.key from your backup (or set LATCHKEY_MASTER_KEY to the key the store was created with) — "+
		"a new key could not read the stored secrets. To start afresh instead, remove the database (docs/running.md)",
		ErrMasterKeyMissing, redactDatabase(cfg.DatabaseURL), filepath.Join(cfg.DataDir, MasterKeyFile))
}

// ErrNoData is OpenExistingStore's answer where there is no Latchkey store to open.
var ErrNoData = errors.New("no Latchkey data")

// OpenExistingStore opens the store of a deployment that has run, for the commands that read or
// change one (explain, decisions, workloads, idp, accounts, keys). Unlike OpenStore it creates
// nothing: no data directory, SQLite database or master key. Where there is no SQLite database,
// or no master key (configured or in master.key) for a store without data, it refuses with
// ErrNoData; a store with data whose master.key is gone is ErrMasterKeyMissing, as for a start.
func OpenExistingStore(ctx context.Context, cfg config.Config, logger *slog.Logger) (store.Store, *keys.MasterKey, error) {
	noData := fmt.Errorf("%w in %s (is LATCHKEY_DATA_DIR right?)", ErrNoData, cfg.DataDir)
	if db, err := sqlstore.SQLitePath(cfg.DatabaseURL); err == nil && db != "" && !exists(db) {
		return nil, nil, noData
	}
	if cfg.MasterKey == "" && !exists(filepath.Join(cfg.DataDir, MasterKeyFile)) {
		st, err := sqlstore.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, nil, fmt.Errorf("opening store: %w", err)
		}
		accts, err := st.ListAccounts(ctx)
		st.Close()
		switch {
		case err != nil:
			return nil, nil, fmt.Errorf("reading the store: %w", err)
		case len(accts) > 0:
			return nil, nil, masterKeyMissing(cfg)
		}
		return nil, nil, noData
	}
	return OpenStore(ctx, cfg, logger)
}

// redactDatabase names a store without a PostgreSQL URL's credentials.
func redactDatabase(raw string) string {
	if p, err := sqlstore.SQLitePath(raw); err == nil && p != "" {
		return p
	}
	return "(the PostgreSQL database of LATCHKEY_DATABASE_URL)"
}

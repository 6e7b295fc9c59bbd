package sqlstore

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
)

// sqliteAt creates a SQLite database migrated up to version only, runs statements on it as an
// older binary would have written them, and closes it; Open on the returned path then upgrades it.
func sqliteAt(t *testing.T, version int64, statements ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	if err := createPrivateFile(path); err != nil {
		t.Fatal(err)
	}
	old, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrationProvider(t, old).UpTo(t.Context(), version); err != nil {
		t.Fatalf("migrate to %05d: %v", version, err)
	}
	for _, q := range statements {
		if _, err := old.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// migrateDownTo takes s back to version, so a test can check the later migrations' Down and then
// their Up again (s.Migrate).
func migrateDownTo(t *testing.T, s *Store, version int64) {
	t.Helper()
	if _, err := migrationProvider(t, s.db).DownTo(t.Context(), version); err != nil {
		t.Fatalf("migrate down to %05d: %v", version, err)
	}
}

func migrationProvider(t *testing.T, db *sql.DB) *goose.Provider {
	t.Helper()
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, migrations, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

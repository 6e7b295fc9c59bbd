// Package sqltest opens the real embedded store for other packages' unit tests: a fresh SQLite
// database in the test's temporary directory, migrated and closed when the test ends. Tests run
// against the store that passes the conformance suite instead of a hand-written fake.
package sqltest

import (
	"path/filepath"
	"testing"

	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

// Open returns a migrated, empty SQLite store private to tb.
func Open(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	st, err := sqlstore.Open(tb.Context(), filepath.Join(tb.TempDir(), "latchkey.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

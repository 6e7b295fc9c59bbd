package storetest

import (
	"os"
	"strconv"
	"testing"
)

// PostgresURLEnv names the variable that points the tests at a PostgreSQL server on which they
// may create and drop databases; scripts/test starts a throwaway cluster and sets it.
const PostgresURLEnv = "LATCHKEY_TEST_POSTGRES_URL"

// InCI reports whether the tests run in CI (CI=true), where every test must run.
func InCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// SkipOrFail skips t with reason, except in CI, where a test that cannot run is a failure: CI
// must never go green by silently skipping the PostgreSQL tests.
func SkipOrFail(t testing.TB, reason string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s; with CI=true this test must run, not skip (run scripts/test)", reason)
	}
	t.Skip(reason + " (run scripts/test, which starts a throwaway PostgreSQL)")
}

// PostgresURL returns the server the PostgreSQL tests use, skipping t (failing it in CI) when
// none is configured.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(PostgresURLEnv)
	if u == "" {
		SkipOrFail(t, PostgresURLEnv+" is not set, so the PostgreSQL tests cannot run")
	}
	return u
}

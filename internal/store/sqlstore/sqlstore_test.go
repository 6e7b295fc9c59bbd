package sqlstore

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/storetest"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "latchkey.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestOpenURLForms(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ url, file string }{
		{filepath.Join(dir, "plain", "a.db"), filepath.Join(dir, "plain", "a.db")},
		{"sqlite://" + filepath.Join(dir, "sqlite", "b.db"), filepath.Join(dir, "sqlite", "b.db")},
		{"file:" + filepath.Join(dir, "file", "c.db"), filepath.Join(dir, "file", "c.db")},
		{"file://" + filepath.Join(dir, "fileurl", "d.db"), filepath.Join(dir, "fileurl", "d.db")},
		{filepath.Join(dir, "odd?name#x.db"), filepath.Join(dir, "odd?name#x.db")},
	} {
		s, err := Open(t.Context(), tc.url)
		if err != nil {
			t.Errorf("Open(%q): %v", tc.url, err)
			continue
		}
		if err := s.CreateAccount(t.Context(), store.Account{ID: "123456789012", CreatedAt: time.Now()}); err != nil {
			t.Errorf("CreateAccount via %q: %v", tc.url, err)
		}
		s.Close()
		fi, err := os.Stat(tc.file)
		if err != nil {
			t.Errorf("Open(%q) did not create %s: %v", tc.url, tc.file, err)
			continue
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %v, want 0600", tc.file, perm)
		}
	}
	for _, bad := range []string{"", ":memory:", "sqlite://", "mysql://db/x", "file:" + filepath.Join(dir, "x.db") + "?mode=ro", "file://otherhost/x.db"} {
		if s, err := Open(t.Context(), bad); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", bad)
		}
	}
}

func TestReopenKeepsDataAndMigrateIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "latchkey.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccount(t.Context(), store.Account{ID: "123456789012", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	s.Close()

	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.GetAccount(t.Context(), "123456789012"); err != nil {
		t.Fatalf("GetAccount after reopen: %v", err)
	}
}

// TestConnectionSettings checks that every pooled connection carries the pragmas the store's
// guarantees depend on, not just the first one.
func TestConnectionSettings(t *testing.T) {
	s := openTemp(t)
	for name, db := range map[string]*sql.DB{"writer": s.db, "reader": s.rdb} {
		for pragma, want := range map[string]string{
			"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000",
		} {
			var got string
			if err := db.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s PRAGMA %s: %v", name, pragma, err)
			}
			if got != want {
				t.Errorf("%s PRAGMA %s = %s, want %s", name, pragma, got, want)
			}
		}
	}
	var tempStore string
	if err := s.db.QueryRowContext(t.Context(), "PRAGMA temp_store").Scan(&tempStore); err != nil || tempStore != "2" {
		t.Errorf("writer PRAGMA temp_store = %q, %v; want 2 (MEMORY)", tempStore, err)
	}
	if _, err := s.rdb.ExecContext(t.Context(), `INSERT INTO accounts (id, created_at) VALUES ('x', 0)`); err == nil {
		t.Error("the read pool accepted a write")
	}
}

// TestDollarPlaceholders pins the property the single set of queries relies on: SQLite binds $N to
// the N-th argument, in any order and when repeated, as PostgreSQL does.
func TestDollarPlaceholders(t *testing.T) {
	s := openTemp(t)
	var a, b, c string
	err := s.rdb.QueryRowContext(t.Context(), `SELECT $2, $1, $2 || $3`, "one", "two", "three").Scan(&a, &b, &c)
	if err != nil {
		t.Fatal(err)
	}
	if a != "two" || b != "one" || c != "twothree" {
		t.Fatalf("got %q %q %q, want two one twothree", a, b, c)
	}
}

func TestTimesRoundTripToTheNanosecond(t *testing.T) {
	s := openTemp(t)
	created := time.Date(2031, 12, 31, 23, 59, 59, 987654321, time.FixedZone("X", -7*3600))
	if err := s.CreateAccount(t.Context(), store.Account{ID: "123456789012", CreatedAt: created}); err != nil {
		t.Fatal(err)
	}
	a, err := s.GetAccount(t.Context(), "123456789012")
	if err != nil {
		t.Fatal(err)
	}
	if !a.CreatedAt.Equal(created) || a.CreatedAt.Location() != time.UTC || a.CreatedAt.Nanosecond() != 987654321 {
		t.Fatalf("CreatedAt = %v, want %v in UTC", a.CreatedAt, created)
	}
}

func TestErrorsKeepContext(t *testing.T) {
	s := openTemp(t)
	if err := s.CreateAccount(t.Context(), store.Account{ID: "123456789012"}); err != nil {
		t.Fatal(err)
	}
	err := s.CreateAccount(t.Context(), store.Account{ID: "123456789012"})
	if !errors.Is(err, store.ErrAlreadyExists) || !strings.Contains(err.Error(), `create account "123456789012"`) {
		t.Fatalf("duplicate CreateAccount error = %v", err)
	}
}

func TestRetryGivesUpAsUnavailable(t *testing.T) {
	s := openTemp(t)
	s.retryPolicy = retryPolicy{attempts: 3, base: time.Millisecond, max: time.Millisecond}
	// Hold the write lock from a second connection, outside the store's pools, and make the store
	// give up on it quickly.
	other, err := sql.Open("sqlite", sqliteDSN(s.path(t), false))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := s.db.ExecContext(t.Context(), "PRAGMA busy_timeout = 1"); err != nil {
		t.Fatal(err)
	}
	attempts := 0
	err = s.retry(t.Context(), func(ctx context.Context) error {
		attempts++
		_, err := s.db.ExecContext(ctx, `INSERT INTO accounts (id, created_at) VALUES ('123456789012', 0)`)
		return err
	})
	if attempts != 3 {
		t.Errorf("ran %d attempts, want 3", attempts)
	}
	if err := s.mapErr("op", err, nil); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("error after exhausted retries = %v, want ErrUnavailable", err)
	}
	tx.Rollback()
	if _, err := s.db.ExecContext(t.Context(), "PRAGMA busy_timeout = 10000"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccount(t.Context(), store.Account{ID: "123456789012"}); err != nil {
		t.Fatalf("CreateAccount once the lock is released: %v", err)
	}
}

// path recovers the database file of s for tests that need a connection of their own.
func (s *Store) path(t *testing.T) string {
	t.Helper()
	var seq int
	var name, file string
	if err := s.db.QueryRowContext(t.Context(), "PRAGMA database_list").Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	return file
}

const (
	helperEnv     = "LATCHKEY_SQLSTORE_HELPER_DB"
	durableWrites = 40
)

// TestHelperProcess is not a test: TestDurabilityAfterKill runs the test binary again with
// helperEnv set, and this function then writes rows until it is killed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestDurabilityAfterKill")
	}
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		acct := fmt.Sprintf("%012d", i)
		if err := s.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: time.Now()}); err != nil {
			fmt.Fprintln(os.Stderr, "create account:", err)
			os.Exit(2)
		}
		if err := s.CreateAccessKey(ctx, store.AccessKey{
			AccessKeyID: fmt.Sprintf("AKIA%016d", i), AccountID: acct, Status: "Active",
			SecretCiphertext: []byte{byte(i)}, CreatedAt: time.Now(),
		}, 2); err != nil {
			fmt.Fprintln(os.Stderr, "create access key:", err)
			os.Exit(2)
		}
		// Stdout is unbuffered: once the parent reads this line, both commits were acknowledged.
		fmt.Printf("written %d\n", i)
	}
}

func TestDurabilityAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "durable.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()

	// Every line read, including those still in the pipe after the kill, is an acknowledged write.
	var acked []int
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		var i int
		if _, err := fmt.Sscanf(scanner.Text(), "written %d", &i); err != nil {
			continue // the test framework's own output
		}
		acked = append(acked, i)
		if len(acked) == durableWrites && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("helper exited after %d writes without being killed: %v", len(acked), err)
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper did not die of SIGKILL: %v", err)
	}

	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	for _, i := range acked {
		if _, err := s.GetAccount(t.Context(), fmt.Sprintf("%012d", i)); err != nil {
			t.Errorf("acknowledged account %d lost: %v", i, err)
		}
		k, err := s.GetAccessKey(t.Context(), fmt.Sprintf("AKIA%016d", i))
		if err != nil || len(k.SecretCiphertext) != 1 || k.SecretCiphertext[0] != byte(i) {
			t.Errorf("acknowledged access key %d lost or damaged: %+v, %v", i, k, err)
		}
	}
	t.Logf("%d acknowledged writes survived SIGKILL", len(acked))
}

// Every reader connection holds a small page cache and the writer SQLite's default, so the memory
// SQLite keeps outside Go's heap is bounded by what sqliteDSN states (see its comment); a pool
// connection opened later replays the pragma too.
func TestSQLitePageCacheSizes(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	// Hold every reader connection at once, so each one is asked, not only the first.
	conns := make([]*sql.Conn, 0, 4)
	for range 4 {
		c, err := s.rdb.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	writer, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	check := func(name string, c *sql.Conn, wantKiB int) {
		var got int
		if err := c.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != -wantKiB {
			t.Errorf("%s: cache_size %d, want %d (KiB, negative)", name, got, -wantKiB)
		}
	}
	for i, c := range conns {
		check(fmt.Sprintf("reader %d", i), c, readerCacheKiB)
	}
	check("writer", writer, writerCacheKiB)
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

func setupRole(t *testing.T, s *Store) {
	t.Helper()
	ctx := t.Context()
	if err := s.CreateAccount(ctx, store.Account{ID: "123456789012"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRole(ctx, store.Role{AccountID: "123456789012", RoleID: "AROARACE", RoleName: "race", Path: "/", MaxSessionDuration: 3600}); err != nil {
		t.Fatal(err)
	}
}

func tagRole(key string, calls *int) func(*store.Role) error {
	return func(r *store.Role) error {
		*calls++
		r.Tags = append(r.Tags, store.Tag{Key: key, Value: "v"})
		return nil
	}
}

// TestSQLiteUpdaterReadsUnderTheWriteLock: while another connection (another process, as far as
// SQLite knows) holds the write lock, an updater is never called, because its transaction takes
// the lock at BEGIN, before its read. A read before the lock could see a row that the other
// writer is about to change, and the update would overwrite that change. When the lock is held
// past every retry, the update fails as a concurrent modification, which also reads as unavailable.
func TestSQLiteUpdaterReadsUnderTheWriteLock(t *testing.T) {
	s := openTemp(t)
	setupRole(t, s)
	other, err := sql.Open("sqlite", sqliteDSN(s.path(t), false))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(t.Context(), nil) // _txlock=immediate: the write lock, now
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(t.Context(), `UPDATE roles SET tags = '[{"Key":"other","Value":"w"}]' WHERE role_id = 'AROARACE'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(t.Context(), "PRAGMA busy_timeout = 1"); err != nil {
		t.Fatal(err)
	}
	s.retryPolicy = retryPolicy{attempts: 3, base: time.Millisecond, max: time.Millisecond}

	calls := 0
	_, err = s.UpdateRole(t.Context(), "AROARACE", tagRole("mine", &calls))
	if !errors.Is(err, store.ErrConcurrentModification) || !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("UpdateRole while another writer holds the lock = %v, want ErrConcurrentModification and ErrUnavailable", err)
	}
	if calls != 0 {
		t.Fatalf("the updater ran %d times while another writer held the lock", calls)
	}

	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(t.Context(), "PRAGMA busy_timeout = 10000"); err != nil {
		t.Fatal(err)
	}
	r, err := s.UpdateRole(t.Context(), "AROARACE", tagRole("mine", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tags) != 2 || r.Tags[0].Key != "other" || r.Tags[1].Key != "mine" {
		t.Fatalf("tags after the other writer committed = %v, want other's and mine", r.Tags)
	}
}

// waitForLockWaiter waits until a backend of the test server waits on a lock in a query of the
// store's updaters.
func waitForLockWaiter(t *testing.T) {
	t.Helper()
	admin, _ := pgAdmin(t)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := admin.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE '%FROM roles WHERE role_id = $1 FOR UPDATE%'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no updater waited on the row lock")
}

// TestPostgresUpdaterQueuesAndReruns: an updater that reads a row another updater holds waits
// for it (FOR UPDATE) and, when the holder commits, is run again from the read, so it sees and
// keeps the holder's change. Without a retry left, the same race is a concurrent modification.
func TestPostgresUpdaterQueuesAndReruns(t *testing.T) {
	for _, tc := range []struct {
		name     string
		attempts int
	}{{"with retries", pgRetry.attempts}, {"without retries", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			s := openPostgresTest(t)
			setupRole(t, s)
			s.retryPolicy.attempts = tc.attempts

			holding, release := make(chan struct{}), make(chan struct{})
			first := make(chan error, 1)
			go func() {
				_, err := s.UpdateRole(context.Background(), "AROARACE", func(r *store.Role) error {
					close(holding)
					<-release
					r.Tags = append(r.Tags, store.Tag{Key: "first", Value: "v"})
					return nil
				})
				first <- err
			}()
			<-holding
			second := make(chan error, 1)
			var seen [][]store.Tag
			go func() {
				_, err := s.UpdateRole(context.Background(), "AROARACE", func(r *store.Role) error {
					seen = append(seen, r.Tags)
					r.Tags = append(r.Tags, store.Tag{Key: "second", Value: "v"})
					return nil
				})
				second <- err
			}()
			waitForLockWaiter(t)
			close(release)
			if err := <-first; err != nil {
				t.Fatalf("the holder: %v", err)
			}
			err := <-second
			got, gerr := s.GetRoleByID(t.Context(), "AROARACE")
			if gerr != nil {
				t.Fatal(gerr)
			}
			if tc.attempts == 1 {
				if !errors.Is(err, store.ErrConcurrentModification) || !errors.Is(err, store.ErrUnavailable) {
					t.Fatalf("the waiter without retries = %v, want ErrConcurrentModification and ErrUnavailable", err)
				}
				if len(got.Tags) != 1 || got.Tags[0].Key != "first" {
					t.Fatalf("tags = %v, want the holder's only", got.Tags)
				}
				return
			}
			if err != nil {
				t.Fatalf("the waiter: %v", err)
			}
			// The waiter never computed on the row the holder was changing.
			if len(seen) != 1 || len(seen[0]) != 1 || seen[0][0].Key != "first" {
				t.Fatalf("the waiter's updater saw %v, want one run on the holder's result", seen)
			}
			if len(got.Tags) != 2 || got.Tags[0].Key != "first" || got.Tags[1].Key != "second" {
				t.Fatalf("tags = %v, want both updaters' tags", got.Tags)
			}
		})
	}
}

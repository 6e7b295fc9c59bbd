package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// TestCognitoConstraints checks what the schema of 00004 refuses by itself, beside the store's own
// checks, on every backend.
func TestCognitoConstraints(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testCognitoConstraints(t, openTemp(t)) })
	t.Run("postgres", func(t *testing.T) { testCognitoConstraints(t, openPostgresTest(t)) })
}

func testCognitoConstraints(t *testing.T, s *Store) {
	ctx := t.Context()
	const (
		acct  = "123456789012"
		pool1 = "us-east-1:00000001-0000-4000-8000-000000000001"
		pool2 = "us-east-1:00000002-0000-4000-8000-000000000002"
		id1   = "us-east-1:10000001-0000-4000-8000-000000000001"
		id2   = "us-east-1:10000002-0000-4000-8000-000000000002"
	)
	now := time.Now()
	if err := s.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pool1, pool2} {
		if err := s.CreateIdentityPool(ctx, store.IdentityPool{ID: p, AccountID: acct, Name: "p", CreatedAt: now, UpdatedAt: now}, 10); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateIdentity(ctx, store.Identity{ID: id1, PoolID: pool1, CreatedAt: now, UpdatedAt: now},
		[]store.IdentityLogin{{Provider: "accounts.google.com", Subject: "a", CreatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateIdentity(ctx, store.Identity{ID: id2, PoolID: pool2, CreatedAt: now, UpdatedAt: now}, nil); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		what  string
		query string
		args  []any
		want  errKind
	}{
		{"a login pointing at an identity of another pool",
			`INSERT INTO identity_logins (pool_id, provider, subject, identity_id, created_at) VALUES ($1, 'x', 'y', $2, 0)`,
			[]any{pool2, id1}, kindForeignKey},
		{"a second link of one login",
			`INSERT INTO identity_logins (pool_id, provider, subject, identity_id, created_at) VALUES ($1, 'accounts.google.com', 'a', $2, 0)`,
			[]any{pool1, id2}, kindUnique},
		{"an identity of a missing pool",
			`INSERT INTO identities (id, pool_id, disabled, created_at, updated_at) VALUES ('us-east-1:x', 'us-east-1:nope', FALSE, 0, 0)`,
			nil, kindForeignKey},
		{"a pool of a missing account",
			`INSERT INTO identity_pools (id, account_id, name, allow_unauthenticated, created_at, updated_at) VALUES ('us-east-1:x', '999999999999', 'x', FALSE, 0, 0)`,
			nil, kindForeignKey},
		{"deleting a pool that still has identities",
			`DELETE FROM identity_pools WHERE id = $1`, []any{pool2}, kindForeignKey},
		{"deleting an identity that still has logins",
			`DELETE FROM identities WHERE id = $1`, []any{id1}, kindForeignKey},
	} {
		_, err := s.db.ExecContext(ctx, tc.query, tc.args...)
		if got := s.dialect.classify(err); got != tc.want {
			t.Errorf("%s directly: got %v (kind %d), want kind %d", tc.what, err, got, tc.want)
		}
	}

	// The store's own delete goes through, in the order the constraints demand.
	if err := s.DeleteIdentityPool(ctx, pool1); err != nil {
		t.Fatalf("DeleteIdentityPool: %v", err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM identity_logins WHERE pool_id = $1) +
			(SELECT COUNT(*) FROM identities WHERE pool_id = $1)`, pool1).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d rows of the deleted pool remain", n)
	}
}

// TestCognitoErrorsKeepContext checks that the sentinel errors carry the operation and the reason.
func TestCognitoErrorsKeepContext(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	const acct = "123456789012"
	const pool = "us-east-1:00000001-0000-4000-8000-000000000001"
	if err := s.CreateAccount(ctx, store.Account{ID: acct}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateIdentityPool(ctx, store.IdentityPool{ID: pool, AccountID: acct, Name: "p"}, 1); err != nil {
		t.Fatal(err)
	}
	err := s.CreateIdentityPool(ctx, store.IdentityPool{ID: pool + "2", AccountID: acct, Name: "p"}, 1)
	if !errors.Is(err, store.ErrLimitExceeded) || !strings.Contains(err.Error(), pool+"2") || !strings.Contains(err.Error(), "(limit 1)") {
		t.Errorf("CreateIdentityPool over the limit = %v", err)
	}
	err = s.CreateIdentityPool(ctx, store.IdentityPool{ID: pool + "3", AccountID: "999999999999", Name: "p"}, 1)
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `account "999999999999" does not exist`) {
		t.Errorf("CreateIdentityPool in a missing account = %v", err)
	}

	const id1, id2 = "us-east-1:a", "us-east-1:b"
	google := store.IdentityLogin{Provider: "accounts.google.com", Subject: "sub-1"}
	if err := s.CreateIdentity(ctx, store.Identity{ID: id1, PoolID: pool}, []store.IdentityLogin{google}); err != nil {
		t.Fatal(err)
	}
	err = s.CreateIdentity(ctx, store.Identity{ID: id2, PoolID: pool}, []store.IdentityLogin{google})
	if !errors.Is(err, store.ErrAlreadyExists) || !strings.Contains(err.Error(), `"accounts.google.com"/"sub-1"`) {
		t.Errorf("CreateIdentity with a linked login = %v", err)
	}
	if err := s.CreateIdentity(ctx, store.Identity{ID: id2, PoolID: pool}, nil); err != nil {
		t.Fatal(err)
	}
	err = s.LinkLogins(ctx, id2, []store.IdentityLogin{google}, nil, nil)
	if !errors.Is(err, store.ErrAlreadyExists) || !strings.Contains(err.Error(), `linked to identity "`+id1+`"`) {
		t.Errorf("LinkLogins of another identity's login = %v", err)
	}
	err = s.LinkLogins(ctx, id1, []store.IdentityLogin{{Provider: google.Provider, Subject: "sub-2"}}, []string{google.Provider}, nil)
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), `already has a login of provider "accounts.google.com"`) {
		t.Errorf("LinkLogins of a second Google login = %v", err)
	}
	err = s.MergeIdentities(ctx, store.Merge{WinnerID: id1, LoserIDs: []string{"us-east-1:nope"}, At: time.Now()})
	if !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `identity "us-east-1:nope" does not exist`) {
		t.Errorf("MergeIdentities with a missing loser = %v", err)
	}
}

// TestUpgradeFrom00003 applies 00004 to a database that already holds data written under 00003,
// and checks that 00004 migrates down and up again.
func TestUpgradeFrom00003(t *testing.T) {
	ctx := t.Context()
	const acct = "123456789012"
	path := sqliteAt(t, 3, `INSERT INTO accounts (id, created_at) VALUES ('`+acct+`', 1)`)

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a 00003 database: %v", err)
	}
	defer s.Close()
	pool := store.IdentityPool{ID: "us-east-1:00000001-0000-4000-8000-000000000001", AccountID: acct, Name: "p"}
	if err := s.CreateIdentityPool(ctx, pool, 10); err != nil {
		t.Fatalf("CreateIdentityPool in an account created under 00003: %v", err)
	}
	if err := s.CreateIdentity(ctx, store.Identity{ID: "us-east-1:a", PoolID: pool.ID},
		[]store.IdentityLogin{{Provider: "accounts.google.com", Subject: "a"}}); err != nil {
		t.Fatalf("CreateIdentity: %v", err)
	}

	migrateDownTo(t, s, 3)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate 00004 up again: %v", err)
	}
	if _, err := s.GetIdentityPool(ctx, pool.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetIdentityPool after down and up = %v, want ErrNotFound", err)
	}
	if err := s.CreateIdentityPool(ctx, pool, 10); err != nil {
		t.Fatalf("CreateIdentityPool after down and up: %v", err)
	}
}

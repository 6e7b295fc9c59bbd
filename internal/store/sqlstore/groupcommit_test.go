package sqlstore

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// TestGroupCommitAnswersEachCreation: concurrent CreateIdentity calls on SQLite share
// transactions, yet each is answered as if it had run alone — a creation whose login is taken or
// whose pool does not exist fails without taking the others with it, of two creations of one new
// login exactly one succeeds — and every creation acknowledged is in the database after it is
// closed and opened again.
func TestGroupCommitAnswersEachCreation(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "latchkey.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	const (
		acct = "123456789012"
		pool = "us-east-1:00000001-0000-4000-8000-000000000001"
		gone = "us-east-1:00000009-0000-4000-8000-000000000009"
		n    = 240
	)
	now := time.Now().UTC().Truncate(time.Second)
	if err := s.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateIdentityPool(ctx, store.IdentityPool{ID: pool, AccountID: acct, Name: "p", CreatedAt: now, UpdatedAt: now}, 10); err != nil {
		t.Fatal(err)
	}
	taken := store.IdentityLogin{Provider: "idp.example.com", Subject: "taken", CreatedAt: now}
	if err := s.CreateIdentity(ctx, store.Identity{ID: pool[:10] + "ffffffff-0000-4000-8000-000000000000", PoolID: pool, CreatedAt: now, UpdatedAt: now},
		[]store.IdentityLogin{taken}); err != nil {
		t.Fatal(err)
	}

	type outcome int
	const (
		created outcome = iota
		loginTaken
		poolGone
		raced // one of a pair creating the same new login
	)
	want := func(i int) outcome {
		switch i % 8 {
		case 1:
			return loginTaken
		case 2:
			return poolGone
		case 3, 4:
			return raced
		}
		return created
	}
	idOf := func(i int) string { return fmt.Sprintf("us-east-1:%08x-0000-4000-8000-000000000000", i) }
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			p, login := pool, store.IdentityLogin{Provider: "idp.example.com", Subject: fmt.Sprintf("user-%d", i), CreatedAt: now}
			switch want(i) {
			case loginTaken:
				login = taken
			case poolGone:
				p = gone
			case raced:
				login.Subject = fmt.Sprintf("pair-%d", i/8)
			}
			<-start
			errs[i] = s.CreateIdentity(ctx, store.Identity{ID: idOf(i), PoolID: p, CreatedAt: now, UpdatedAt: now}, []store.IdentityLogin{login})
		})
	}
	close(start)
	wg.Wait()

	pairWins := map[int]int{}
	for i, err := range errs {
		switch want(i) {
		case created:
			if err != nil {
				t.Errorf("creation %d: %v", i, err)
			}
		case loginTaken:
			if !errors.Is(err, store.ErrAlreadyExists) {
				t.Errorf("creation %d with a taken login: %v, want ErrAlreadyExists", i, err)
			}
		case poolGone:
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("creation %d in a missing pool: %v, want ErrNotFound", i, err)
			}
		case raced:
			if err == nil {
				pairWins[i/8]++
			} else if !errors.Is(err, store.ErrAlreadyExists) {
				t.Errorf("creation %d racing for a login: %v, want ErrAlreadyExists", i, err)
			}
		}
	}
	for pair := range n / 8 {
		if pairWins[pair] != 1 {
			t.Errorf("pair %d: %d creations of one login succeeded, want 1", pair, pairWins[pair])
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	for i, err := range errs {
		_, gerr := s.GetIdentity(ctx, idOf(i))
		if (err == nil) != (gerr == nil) {
			t.Errorf("creation %d answered %v; after reopening, GetIdentity answers %v", i, err, gerr)
		}
		if err == nil && want(i) != raced {
			l, ferr := s.FindLogin(ctx, pool, "idp.example.com", fmt.Sprintf("user-%d", i))
			if ferr != nil || l.IdentityID != idOf(i) {
				t.Errorf("creation %d: its login is %+v, %v", i, l, ferr)
			}
		}
	}
}

// TestGroupCommitBatchFallsBackPerIdentity drives one batch directly: a batch whose inserts all
// succeed is written whole; a batch with a failing insert is rolled back and written again one
// identity at a time, so the failing creation (even one whose identity row went in before its
// second login failed) leaves nothing, and the others are written exactly once; a batch of one
// fails or succeeds alone.
func TestGroupCommitBatchFallsBackPerIdentity(t *testing.T) {
	const (
		acct = "123456789012"
		pool = "us-east-1:00000001-0000-4000-8000-000000000001"
		gone = "us-east-1:00000009-0000-4000-8000-000000000009"
	)
	now := time.Now().UTC().Truncate(time.Second)
	login := func(sub string) store.IdentityLogin {
		return store.IdentityLogin{PoolID: pool, Provider: "idp.example.com", Subject: sub, CreatedAt: now}
	}
	type item struct {
		pool    string
		subs    []string
		wantErr error
	}
	for _, tc := range []struct {
		name  string
		batch []item
	}{
		{"one succeeds", []item{{pool, []string{"a", "b"}, nil}}},
		{"one fails", []item{{pool, []string{"a", "taken"}, store.ErrAlreadyExists}}},
		{"one in a missing pool fails", []item{{gone, []string{"a"}, store.ErrNotFound}}},
		{"all succeed", []item{{pool, []string{"a"}, nil}, {pool, []string{"b", "c"}, nil}, {pool, []string{"d"}, nil}}},
		{"a taken login fails alone", []item{{pool, []string{"a"}, nil}, {pool, []string{"taken"}, store.ErrAlreadyExists}, {pool, []string{"b"}, nil}}},
		{"a second login taken undoes its identity", []item{{pool, []string{"a"}, nil}, {pool, []string{"x", "taken"}, store.ErrAlreadyExists}, {pool, []string{"b"}, nil}}},
		{"a missing pool fails alone", []item{{gone, []string{"a"}, store.ErrNotFound}, {pool, []string{"b"}, nil}}},
		{"one login twice in a batch: the first wins", []item{{pool, []string{"a"}, nil}, {pool, []string{"a"}, store.ErrAlreadyExists}}},
		{"all fail", []item{{pool, []string{"taken"}, store.ErrAlreadyExists}, {gone, []string{"a"}, store.ErrNotFound}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			s, err := Open(ctx, filepath.Join(t.TempDir(), "latchkey.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = s.Close() }()
			if err := s.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateIdentityPool(ctx, store.IdentityPool{ID: pool, AccountID: acct, Name: "p", CreatedAt: now, UpdatedAt: now}, 10); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateIdentity(ctx, store.Identity{ID: pool[:10] + "ffffffff-0000-4000-8000-000000000000", PoolID: pool, CreatedAt: now, UpdatedAt: now},
				[]store.IdentityLogin{login("taken")}); err != nil {
				t.Fatal(err)
			}
			idOf := func(i int) string { return fmt.Sprintf("us-east-1:%08x-0000-4000-8000-000000000000", i) }
			batch := make([]*identityInsert, len(tc.batch))
			for i, it := range tc.batch {
				var logins []store.IdentityLogin
				for _, sub := range it.subs {
					l := login(sub)
					l.PoolID, l.IdentityID = it.pool, idOf(i)
					logins = append(logins, l)
				}
				batch[i] = &identityInsert{id: store.Identity{ID: idOf(i), PoolID: it.pool, CreatedAt: now, UpdatedAt: now},
					logins: logins, done: make(chan struct{})}
			}
			s.insertIdentities(ctx, batch)
			for i, it := range tc.batch {
				<-batch[i].done
				err := s.mapErr("create", batch[i].err, store.ErrNotFound)
				if (it.wantErr == nil) != (err == nil) || (it.wantErr != nil && !errors.Is(err, it.wantErr)) {
					t.Errorf("insert %d: %v, want %v", i, err, it.wantErr)
				}
				_, gerr := s.GetIdentity(ctx, idOf(i))
				if (err == nil) != (gerr == nil) {
					t.Errorf("insert %d answered %v; GetIdentity answers %v", i, err, gerr)
				}
				if err == nil {
					logins, lerr := s.ListLogins(ctx, idOf(i))
					if lerr != nil || len(logins) != len(it.subs) {
						t.Errorf("insert %d: logins %+v, %v; want %d", i, logins, lerr, len(it.subs))
					}
				}
			}
		})
	}
}

package cognito

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
)

// testStore is the real SQLite store (which passes the store conformance suite) with the hooks
// the tests use to stand for other requests. A hook set in beforePoolUpdate, beforeLink,
// beforeUpdate or beforeMerge runs once, just before the next UpdateIdentityPool, LinkLogins,
// UpdateIdentity or MergeIdentities: a concurrent request that committed between the service's
// reads and its transaction. lostRaces, when set, is UpdateIdentityPool's answer, as a backend
// answers a race lost on every retry. Hooks change the store through the embedded *sqlstore.Store,
// so that they do not run each other.
type testStore struct {
	*sqlstore.Store
	t *testing.T

	mu                                                      sync.Mutex
	beforePoolUpdate, beforeLink, beforeUpdate, beforeMerge func(st *testStore)
	lostRaces                                               error
}

// openTestStore opens a store in t's temporary directory holding the test account.
func openTestStore(t *testing.T) *testStore {
	t.Helper()
	st := sqltest.Open(t)
	if err := st.CreateAccount(t.Context(), store.Account{ID: testAccount, CreatedAt: time.Unix(1700000000, 0)}); err != nil {
		t.Fatal(err)
	}
	return &testStore{Store: st, t: t}
}

// run runs the hook *h once, if it is set.
func (s *testStore) run(h *func(st *testStore)) {
	s.mu.Lock()
	hook := *h
	*h = nil
	s.mu.Unlock()
	if hook != nil {
		hook(s)
	}
}

func (s *testStore) UpdateIdentityPool(ctx context.Context, id string, fn func(*store.IdentityPool) error) (store.IdentityPool, error) {
	s.run(&s.beforePoolUpdate)
	if s.lostRaces != nil {
		return store.IdentityPool{}, s.lostRaces
	}
	return s.Store.UpdateIdentityPool(ctx, id, fn)
}

func (s *testStore) LinkLogins(ctx context.Context, id string, logins []store.IdentityLogin, one []string, check store.LinkCheck) error {
	s.run(&s.beforeLink)
	return s.Store.LinkLogins(ctx, id, logins, one, check)
}

func (s *testStore) UpdateIdentity(ctx context.Context, id string, fn func(*store.IdentityWithLogins) error) (store.IdentityWithLogins, error) {
	s.run(&s.beforeUpdate)
	return s.Store.UpdateIdentity(ctx, id, fn)
}

func (s *testStore) MergeIdentities(ctx context.Context, m store.Merge) error {
	s.run(&s.beforeMerge)
	return s.Store.MergeIdentities(ctx, m)
}

// The committed effects of other requests, written straight to the store. A failure fails the
// test: the change a case depends on did not happen.

func (s *testStore) must(err error) {
	if err != nil {
		s.t.Errorf("test store: %v", err)
	}
}

func (s *testStore) addOIDCProvider(p store.OIDCProvider) {
	s.must(s.Store.CreateOIDCProvider(context.Background(), p, 100))
}

// changePool commits change to a pool.
func (s *testStore) changePool(id string, change func(*store.IdentityPool)) {
	_, err := s.Store.UpdateIdentityPool(context.Background(), id, func(p *store.IdentityPool) error {
		change(p)
		return nil
	})
	s.must(err)
}

func (s *testStore) linkDirect(identityID, provider, subject string) {
	s.must(s.Store.LinkLogins(context.Background(), identityID, []store.IdentityLogin{{Provider: provider, Subject: subject}}, nil, nil))
}

// unlinkDirect removes a login; disableLast disables its identity when it was the last, as
// UnlinkIdentity does.
func (s *testStore) unlinkDirect(poolID, provider, subject string, disableLast bool) {
	ctx := context.Background()
	l, err := s.Store.FindLogin(ctx, poolID, provider, subject)
	if err != nil {
		s.must(err)
		return
	}
	_, err = s.Store.UpdateIdentity(ctx, l.IdentityID, func(cur *store.IdentityWithLogins) error {
		kept := cur.Logins[:0]
		for _, c := range cur.Logins {
			if c.Provider != provider || c.Subject != subject {
				kept = append(kept, c)
			}
		}
		cur.Logins = kept
		if disableLast && len(kept) == 0 {
			cur.Disabled = true
		}
		return nil
	})
	s.must(err)
}

// unlinkAll removes every login of an identity and disables it, as UnlinkIdentity of its last
// login does.
func (s *testStore) unlinkAll(identityID string) {
	_, err := s.Store.UpdateIdentity(context.Background(), identityID, func(cur *store.IdentityWithLogins) error {
		cur.Logins, cur.Disabled = nil, true
		return nil
	})
	s.must(err)
}

func (s *testStore) mergeDirect(winner, loser string) {
	s.must(s.Store.MergeIdentities(context.Background(), store.Merge{WinnerID: winner, LoserIDs: []string{loser}}))
}

func (s *testStore) deleteDirect(identityID string) {
	s.must(s.Store.DeleteIdentity(context.Background(), identityID))
}

// Reads of the stored state, for the tests' checks.

func (s *testStore) loginsOf(identityID string) []store.IdentityLogin {
	l, err := s.Store.ListLogins(context.Background(), identityID)
	s.must(err)
	return l
}

func (s *testStore) identity(id string) (store.Identity, bool) {
	i, err := s.Store.GetIdentity(context.Background(), id)
	return i, err == nil
}

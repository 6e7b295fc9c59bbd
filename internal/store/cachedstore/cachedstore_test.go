package cachedstore_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/cachedstore"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
)

const (
	account     = "123456789012"
	roleID      = "AROAEXAMPLEROLE00001"
	providerARN = "arn:aws:iam::123456789012:oidc-provider/idp.example.com"
	poolID      = "us-east-1:00000000-0000-0000-0000-000000000001"
	identityID  = "us-east-1:00000000-0000-0000-0000-0000000000aa"
	loginName   = "idp.example.com"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// seed stores one entity of each cached kind.
func seed(t *testing.T, st store.Store) {
	t.Helper()
	ctx, now := t.Context(), time.Unix(1700000000, 0).UTC()
	must := func(what string, err error) {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("CreateAccount", st.CreateAccount(ctx, store.Account{ID: account, CreatedAt: now}))
	must("CreateRole", st.CreateRole(ctx, store.Role{AccountID: account, RoleID: roleID, RoleName: "app", Path: "/",
		AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[]}`, Description: "v1", MaxSessionDuration: 3600, CreatedAt: now, PrincipalsBound: true}))
	must("CreateOIDCProvider", st.CreateOIDCProvider(ctx, store.OIDCProvider{AccountID: account, ARN: providerARN, URL: "https://idp.example.com",
		ClientIDs: []string{"v1"}, CreatedAt: now}, 100))
	must("CreateIdentityPool", st.CreateIdentityPool(ctx, store.IdentityPool{ID: poolID, AccountID: account, Name: "v1", CreatedAt: now, UpdatedAt: now}, 100))
	must("CreateIdentity", st.CreateIdentity(ctx, store.Identity{ID: identityID, PoolID: poolID, CreatedAt: now, UpdatedAt: now},
		[]store.IdentityLogin{{PoolID: poolID, IdentityID: identityID, Provider: loginName, Subject: "alice", CreatedAt: now}}))
}

// seeded is a seeded database, a wrapper around it, and the wrapper's view named view ("cached"
// or "direct") to write through.
func seeded(t *testing.T, view string) (raw store.Store, cs *cachedstore.Store, writer store.Store) {
	t.Helper()
	raw = sqltest.Open(t)
	seed(t, raw)
	clk := &clock{t: time.Unix(1700000000, 0)}
	cs = cachedstore.New(raw, cachedstore.Options{Now: clk.now})
	writer = cs
	if view == "direct" {
		writer = cs.Direct()
	}
	return raw, cs, writer
}

// shown is what a read answered, so that two reads can be compared.
func shown[V any](v V, err error) string {
	if errors.Is(err, store.ErrNotFound) {
		return "not found"
	}
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("%+v", v)
}

// A case is one cached read and a write that changes what it answers.
type cacheCase struct {
	name   string
	read   func(t *testing.T, s store.Store) string
	change func(t *testing.T, s store.Store) error
}

var cases = []cacheCase{
	{"role updated", readRole, func(t *testing.T, s store.Store) error {
		_, err := s.UpdateRole(t.Context(), roleID, func(r *store.Role) error { r.Description = "v2"; return nil })
		return err
	}},
	{"role deleted", readRole, func(t *testing.T, s store.Store) error { return s.DeleteRole(t.Context(), account, roleID) }},
	{"role deleted as service-linked", readRole, func(t *testing.T, s store.Store) error {
		return s.DeleteServiceLinkedRole(t.Context(), account, roleID, "task-1", time.Unix(1700000000, 0))
	}},
	{"provider updated", readProvider, func(t *testing.T, s store.Store) error {
		_, err := s.UpdateOIDCProvider(t.Context(), providerARN, func(p *store.OIDCProvider) error { p.ClientIDs = []string{"v2"}; return nil })
		return err
	}},
	{"provider deleted", readProvider, func(t *testing.T, s store.Store) error { return s.DeleteOIDCProvider(t.Context(), providerARN) }},
	{"pool updated", readPool, func(t *testing.T, s store.Store) error {
		_, err := s.UpdateIdentityPool(t.Context(), poolID, func(p *store.IdentityPool) error { p.Name = "v2"; return nil })
		return err
	}},
	{"pool deleted", readPool, func(t *testing.T, s store.Store) error { return s.DeleteIdentityPool(t.Context(), poolID) }},
	{"pool deleted with its identities", readIdentity, func(t *testing.T, s store.Store) error { return s.DeleteIdentityPool(t.Context(), poolID) }},
	{"identity deleted", readIdentity, func(t *testing.T, s store.Store) error { return s.DeleteIdentity(t.Context(), identityID) }},
	{"identity disabled", readIdentity, unlinkAll},
	{"login unlinked", readLogin, unlinkAll},
	{"login of a deleted identity", readLogin, func(t *testing.T, s store.Store) error { return s.DeleteIdentity(t.Context(), identityID) }},
	{"login moved by a merge", readLogin, mergeIntoNew},
	{"logins listed after a link", readLogins, func(t *testing.T, s store.Store) error {
		return s.LinkLogins(t.Context(), identityID, []store.IdentityLogin{{PoolID: poolID, IdentityID: identityID, Provider: "other.example.com", Subject: "bob"}}, nil, nil)
	}},
	{"logins listed after an unlink", readLogins, unlinkAll},
}

func readRole(t *testing.T, s store.Store) string {
	return shown(s.GetRole(t.Context(), account, "app"))
}
func readProvider(t *testing.T, s store.Store) string {
	return shown(s.GetOIDCProvider(t.Context(), providerARN))
}
func readPool(t *testing.T, s store.Store) string {
	return shown(s.GetIdentityPool(t.Context(), poolID))
}
func readIdentity(t *testing.T, s store.Store) string {
	return shown(s.GetIdentity(t.Context(), identityID))
}
func readLogin(t *testing.T, s store.Store) string {
	return shown(s.FindLogin(t.Context(), poolID, loginName, "alice"))
}
func readLogins(t *testing.T, s store.Store) string {
	return shown(s.ListLogins(t.Context(), identityID))
}

func unlinkAll(t *testing.T, s store.Store) error {
	_, err := s.UpdateIdentity(t.Context(), identityID, func(id *store.IdentityWithLogins) error {
		id.Logins, id.Disabled = nil, true
		return nil
	})
	return err
}

func mergeIntoNew(t *testing.T, s store.Store) error {
	const winner = "us-east-1:00000000-0000-0000-0000-0000000000bb"
	if err := s.CreateIdentity(t.Context(), store.Identity{ID: winner, PoolID: poolID}, nil); err != nil {
		return err
	}
	return s.MergeIdentities(t.Context(), store.Merge{WinnerID: winner, LoserIDs: []string{identityID}})
}

// TestSameNodeWriteAppliesAtOnce: a write through either view of the wrapper changes what the
// cached reads answer at once, while the caches are warm.
func TestSameNodeWriteAppliesAtOnce(t *testing.T) {
	for _, view := range []string{"cached", "direct"} {
		for _, c := range cases {
			t.Run(view+"/"+c.name, func(t *testing.T) {
				raw, cs, writer := seeded(t, view)
				before := c.read(t, cs)
				if strings.HasPrefix(before, "not found") || strings.HasPrefix(before, "error") {
					t.Fatalf("seeded entity: %s", before)
				}
				if err := c.change(t, writer); err != nil {
					t.Fatal(err)
				}
				after, want := c.read(t, cs), c.read(t, raw)
				if after != want || after == before {
					t.Fatalf("after the write on this node: cached %s, database %s (before %s)", after, want, before)
				}
			})
		}
	}
}

// TestOtherNodeWriteSeenWithinTTL: a write another node made (straight to the database) is
// answered from the warm cache until TTL has passed since the read that filled it, and not after.
func TestOtherNodeWriteSeenWithinTTL(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := sqltest.Open(t)
			seed(t, raw)
			clk := &clock{t: time.Unix(1700000000, 0)}
			cs := cachedstore.New(raw, cachedstore.Options{Now: clk.now, TTL: 5 * time.Second})
			before := c.read(t, cs)
			if err := c.change(t, raw); err != nil {
				t.Fatal(err)
			}
			clk.add(5*time.Second - time.Millisecond)
			if got := c.read(t, cs); got != before {
				t.Fatalf("within the TTL the warm entry was not answered: %s, want %s", got, before)
			}
			clk.add(time.Millisecond)
			if got, want := c.read(t, cs), c.read(t, raw); got != want {
				t.Fatalf("at the TTL: cached %s, database %s", got, want)
			}
		})
	}
}

// TestMissesAreNotCached: an entity created after a read that found nothing is found at once,
// through any node.
func TestMissesAreNotCached(t *testing.T) {
	raw := sqltest.Open(t)
	clk := &clock{t: time.Unix(1700000000, 0)}
	cs := cachedstore.New(raw, cachedstore.Options{Now: clk.now})
	reads := []func(*testing.T, store.Store) string{readRole, readProvider, readPool, readIdentity, readLogin}
	for _, r := range reads {
		if got := r(t, cs); got != "not found" {
			t.Fatalf("before seeding: %s", got)
		}
	}
	seed(t, raw)
	for _, r := range reads {
		if got := r(t, cs); got == "not found" {
			t.Fatal("an entity created after a miss is not found")
		}
	}
}

// TestDirectReadsTheDatabase: the Direct view answers what the database holds even while the
// cached view, warm, still answers an older state.
func TestDirectReadsTheDatabase(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := sqltest.Open(t)
			seed(t, raw)
			clk := &clock{t: time.Unix(1700000000, 0)}
			cs := cachedstore.New(raw, cachedstore.Options{Now: clk.now})
			before := c.read(t, cs)
			if err := c.change(t, raw); err != nil {
				t.Fatal(err)
			}
			if got, want := c.read(t, cs.Direct()), c.read(t, raw); got != want || got == before {
				t.Fatalf("Direct answered %s, the database %s (before %s)", got, want, before)
			}
		})
	}
}

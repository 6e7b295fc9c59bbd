package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

// updaterTests covers what every Update… method of the contract promises (see "Updaters" in
// package store), once for each entity: concurrent updaters never lose each other's changes, a
// quota checked in the updater holds under concurrency, an updater's error aborts the write and
// comes back unchanged, fixed fields stay fixed, and a missing row is ErrNotFound.
var updaterTests = []struct {
	name string
	fn   func(*testing.T, store.Store, updatable)
}{
	{"KeepsConcurrentChanges", testUpdaterKeepsConcurrentChanges},
	{"QuotaUnderConcurrency", testUpdaterQuotaUnderConcurrency},
	{"ErrorAborts", testUpdaterErrorAborts},
	{"FixedFields", testUpdaterFixedFields},
	{"Missing", testUpdaterMissing},
}

// runUpdaterTests runs every updater test for every updatable entity, as subtests named
// "Updater/<entity>/<test>".
func runUpdaterTests(t *testing.T, open func(t *testing.T) store.Store) {
	for _, e := range updatables {
		for _, tc := range updaterTests {
			t.Run("Updater/"+e.name+"/"+tc.name, func(t *testing.T) {
				tc.fn(t, open(t), e)
			})
		}
	}
}

// concurrentUpdaters is how many updaters race in the concurrency tests: more than the retry
// budget of either backend, so a backend that only survives races by retrying fails.
const concurrentUpdaters = 16

// errQuota is the updaters' refusal when the list is full; errAbort the one of an updater that
// changed the entity before refusing.
var (
	errQuota = errors.New("storetest: the list is full")
	errAbort = errors.New("storetest: the updater refused after changing the entity")
)

// updatable is one entity with an updater, seen through one list of strings that it keeps (tag
// keys, client ids, thumbprints, principal tag map providers).
type updatable struct {
	name string
	// setup creates the entity and what it needs, and returns its key.
	setup func(t *testing.T, s store.Store) string
	// missing is the key of an entity that does not exist, in setup's account.
	missing string
	// update runs the entity's updater, letting change edit its list, and returns the list of the
	// entity that the updater returned.
	update func(ctx context.Context, s store.Store, key string, change func([]string) ([]string, error)) ([]string, error)
	// list reads the entity's list back.
	list func(t *testing.T, s store.Store, key string) []string
	// breakFixed runs the updater changing one of the entity's fixed fields.
	breakFixed func(ctx context.Context, s store.Store, key string) error
}

// add appends item to list unless the list already holds limit items.
func add(item string, limit int) func([]string) ([]string, error) {
	return func(list []string) ([]string, error) {
		if len(list) >= limit {
			return nil, errQuota
		}
		return append(list, item), nil
	}
}

// tagKeys and withTagKeys see tags as their keys, the value being derived from the key.
func tagKeys(tags []store.Tag) []string {
	var out []string
	for _, tag := range tags {
		out = append(out, tag.Key)
	}
	return out
}

func withTagKeys(keys []string) []store.Tag {
	var out []store.Tag
	for _, k := range keys {
		out = append(out, store.Tag{Key: k, Value: "value of " + k})
	}
	return out
}

// editTags applies change to a tag list in place.
func editTags(tags *[]store.Tag, change func([]string) ([]string, error)) error {
	keys, err := change(tagKeys(*tags))
	if err != nil {
		return err
	}
	*tags = withTagKeys(keys)
	return nil
}

// sortedKeys sees a map as its sorted keys; editMap applies change to it.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func editMap(m *map[string]string, change func([]string) ([]string, error)) error {
	keys, err := change(sortedKeys(*m))
	if err != nil {
		return err
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[k] = "value of " + k
	}
	*m = out
	return nil
}

// editTagMaps edits the providers of a pool's PrincipalTagMaps, the JSON document the Cognito
// service keeps per provider (SetPrincipalTagAttributeMap changes one provider's entry).
func editTagMaps(doc *string, change func([]string) ([]string, error)) error {
	providers, err := tagMapProviders(*doc)
	if err != nil {
		return err
	}
	if providers, err = change(providers); err != nil {
		return err
	}
	m := make(map[string]json.RawMessage, len(providers))
	for _, p := range providers {
		m[p] = json.RawMessage(`{"defaults":true}`)
	}
	b, err := json.Marshal(m)
	*doc = string(b)
	return err
}

func tagMapProviders(doc string) ([]string, error) {
	if doc == "" {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		return nil, err
	}
	return sortedKeys(m), nil
}

// asList runs an updater whose result is seen through see.
func asList[T any](v T, err error, see func(T) []string) ([]string, error) {
	if err != nil {
		return nil, err
	}
	return see(v), nil
}

// listOf reads an entity back and sees it through see.
func listOf[T any](t *testing.T, v T, err error, see func(T) []string) []string {
	t.Helper()
	noErr(t, "reading the entity back", err)
	return see(v)
}

var updatables = []updatable{
	{
		name: "UserTags",
		setup: func(t *testing.T, s store.Store) string {
			createAccount(t, s, acct1)
			createUser(t, s, user(acct1, "AIDAUPDATER", "updated", "/"))
			return "AIDAUPDATER"
		},
		missing: "AIDANOSUCHUSER",
		update: func(ctx context.Context, s store.Store, key string, change func([]string) ([]string, error)) ([]string, error) {
			u, err := s.UpdateUser(ctx, key, func(u *store.User) error { return editTags(&u.Tags, change) })
			return asList(u, err, func(u store.User) []string { return tagKeys(u.Tags) })
		},
		list: func(t *testing.T, s store.Store, key string) []string {
			u, err := s.GetUserByID(t.Context(), key)
			return listOf(t, u, err, func(u store.User) []string { return tagKeys(u.Tags) })
		},
		breakFixed: func(ctx context.Context, s store.Store, key string) error {
			_, err := s.UpdateUser(ctx, key, func(u *store.User) error { u.UserID = "AIDAOTHER"; return nil })
			return err
		},
	},
	{
		name: "RoleTags",
		setup: func(t *testing.T, s store.Store) string {
			createAccount(t, s, acct1)
			createRole(t, s, role(acct1, "AROAUPDATER", "updated", "/"))
			return "AROAUPDATER"
		},
		missing: "AROANOSUCHROLE",
		update: func(ctx context.Context, s store.Store, key string, change func([]string) ([]string, error)) ([]string, error) {
			r, err := s.UpdateRole(ctx, key, func(r *store.Role) error { return editTags(&r.Tags, change) })
			return asList(r, err, func(r store.Role) []string { return tagKeys(r.Tags) })
		},
		list: func(t *testing.T, s store.Store, key string) []string {
			r, err := s.GetRoleByID(t.Context(), key)
			return listOf(t, r, err, func(r store.Role) []string { return tagKeys(r.Tags) })
		},
		breakFixed: func(ctx context.Context, s store.Store, key string) error {
			// Role names never change in IAM: a rename must not slip through an updater.
			_, err := s.UpdateRole(ctx, key, func(r *store.Role) error { r.RoleName = "renamed"; return nil })
			return err
		},
	},
	{
		name: "ManagedPolicyTags",
		setup: func(t *testing.T, s store.Store) string {
			createAccount(t, s, acct1)
			p := managed(acct1, "ANPAUPDATER", "updated", "/")
			createPolicy(t, s, p)
			return p.ARN
		},
		missing: policyARN(acct1, "/", "nosuch"),
		update: func(ctx context.Context, s store.Store, key string, change func([]string) ([]string, error)) ([]string, error) {
			p, err := s.UpdateManagedPolicy(ctx, key, func(p *store.ManagedPolicy) error { return editTags(&p.Tags, change) })
			return asList(p, err, func(p store.ManagedPolicy) []string { return tagKeys(p.Tags) })
		},
		list: func(t *testing.T, s store.Store, key string) []string {
			p, err := s.GetManagedPolicy(t.Context(), key)
			return listOf(t, p, err, func(p store.ManagedPolicy) []string { return tagKeys(p.Tags) })
		},
		breakFixed: func(ctx context.Context, s store.Store, key string) error {
			// The default version belongs to SetDefaultPolicyVersion, which checks it exists.
			_, err := s.UpdateManagedPolicy(ctx, key, func(p *store.ManagedPolicy) error { p.DefaultVersionID = "v9"; return nil })
			return err
		},
	},
	{
		name: "MFADeviceTags",
		setup: func(t *testing.T, s store.Store) string {
			createAccount(t, s, acct1)
			d := mfaDevice(acct1, "/", "updated")
			createMFADevice(t, s, d)
			return d.SerialNumber
		},
		missing: "arn:aws:iam::" + acct1 + ":mfa/nosuch",
		update: func(ctx context.Context, s store.Store, key string, change func([]string) ([]string, error)) ([]string, error) {
			d, err := s.UpdateMFADevice(ctx, key, func(d *store.MFADevice) error { return editTags(&d.Tags, change) })
			return asList(d, err, func(d store.MFADevice) []string { return tagKeys(d.Tags) })
		},
		list: func(t *testing.T, s store.Store, key string) []string {
			d, err := s.GetMFADevice(t.Context(), key)
			return listOf(t, d, err, func(d store.MFADevice) []string { return tagKeys(d.Tags) })
		},
		breakFixed: func(ctx context.Context, s store.Store, key string) error {
			// The last used step belongs to UseMFAStep: rewinding it would allow replays.
			_, err := s.UpdateMFADevice(ctx, key, func(d *store.MFADevice) error { d.LastUsedStep = -1; return nil })
			return err
		},
	},
	oidcUpdatable("OIDCProviderClientIDs", func(p *store.OIDCProvider) *[]string { return &p.ClientIDs }),
	oidcUpdatable("OIDCProviderThumbprints", func(p *store.OIDCProvider) *[]string { return &p.Thumbprints }),
	{
		name: "OIDCProviderTags",
		setup: func(t *testing.T, s store.Store) string {
			createAccount(t, s, acct1)
			p := oidcProvider(acct1, "tags.example.com")
			createOIDCProvider(t, s, p)
			return p.ARN
		},
		missing: oidcARN(acct1, "nobody.example.com"),
		update: func(ctx context.Context, s store.Store, key string, change func([]string) ([]string, error)) ([]string, error) {
			p, err := s.UpdateOIDCProvider(ctx, key, func(p *store.OIDCProvider) error { return editTags(&p.Tags, change) })
			return asList(p, err, func(p store.OIDCProvider) []string { return tagKeys(p.Tags) })
		},
		list: func(t *testing.T, s store.Store, key string) []string {
			p, err := s.GetOIDCProvider(t.Context(), key)
			return listOf(t, p, err, func(p store.OIDCProvider) []string { return tagKeys(p.Tags) })
		},
		breakFixed: func(ctx context.Context, s store.Store, key string) error {
			_, err := s.UpdateOIDCProvider(ctx, key, func(p *store.OIDCProvider) error { p.URL = "https://elsewhere.example.com"; return nil })
			return err
		},
	},
	{
		name: "SAMLProviderTags",
		setup: func(t *testing.T, s store.Store) string {
			createAccount(t, s, acct1)
			p := samlProvider(acct1, "updated")
			createSAMLProvider(t, s, p)
			return p.ARN
		},
		missing: samlARN(acct1, "nobody"),
		update: func(ctx context.Context, s store.Store, key string, change func([]string) ([]string, error)) ([]string, error) {
			p, err := s.UpdateSAMLProvider(ctx, key, func(p *store.SAMLProvider) error { return editTags(&p.Tags, change) })
			return asList(p, err, func(p store.SAMLProvider) []string { return tagKeys(p.Tags) })
		},
		list: func(t *testing.T, s store.Store, key string) []string {
			p, err := s.GetSAMLProvider(t.Context(), key)
			return listOf(t, p, err, func(p store.SAMLProvider) []string { return tagKeys(p.Tags) })
		},
		breakFixed: func(ctx context.Context, s store.Store, key string) error {
			_, err := s.UpdateSAMLProvider(ctx, key, func(p *store.SAMLProvider) error { p.UUID = "UOTHERUUID00000000000000"; return nil })
			return err
		},
	},
	poolUpdatable("IdentityPoolTags", func(p *store.IdentityPool, change func([]string) ([]string, error)) error {
		return editMap(&p.Tags, change)
	}, func(p store.IdentityPool) []string { return sortedKeys(p.Tags) }),
	poolUpdatable("IdentityPoolPrincipalTagMaps", func(p *store.IdentityPool, change func([]string) ([]string, error)) error {
		return editTagMaps(&p.PrincipalTagMaps, change)
	}, func(p store.IdentityPool) []string {
		providers, err := tagMapProviders(p.PrincipalTagMaps)
		if err != nil {
			return []string{"corrupt: " + err.Error()}
		}
		return providers
	}),
	{
		name: "QuickSightUserTags",
		setup: func(t *testing.T, s store.Store) string {
			createAccount(t, s, acct1)
			noErr(t, "CreateQuickSightUser", quicksightStore(t, s).CreateQuickSightUser(t.Context(), qsUser(acct1, "default", "updated", "p-updated")))
			return "updated"
		},
		missing: "nobody",
		update: func(ctx context.Context, s store.Store, key string, change func([]string) ([]string, error)) ([]string, error) {
			u, err := s.UpdateQuickSightUser(ctx, acct1, "default", key, func(u *store.QuickSightUser) error { return editTags(&u.Tags, change) })
			return asList(u, err, func(u store.QuickSightUser) []string { return tagKeys(u.Tags) })
		},
		list: func(t *testing.T, s store.Store, key string) []string {
			u, err := s.GetQuickSightUser(t.Context(), acct1, "default", key)
			return listOf(t, u, err, func(u store.QuickSightUser) []string { return tagKeys(u.Tags) })
		},
		breakFixed: func(ctx context.Context, s store.Store, key string) error {
			_, err := s.UpdateQuickSightUser(ctx, acct1, "default", key, func(u *store.QuickSightUser) error { u.PrincipalID = "p-other"; return nil })
			return err
		},
	},
}

// oidcUpdatable sees one of an OIDC provider's string lists.
func oidcUpdatable(name string, field func(*store.OIDCProvider) *[]string) updatable {
	return updatable{
		name: name,
		setup: func(t *testing.T, s store.Store) string {
			createAccount(t, s, acct1)
			p := oidcProvider(acct1, "lists.example.com")
			p.ClientIDs, p.Thumbprints = nil, nil
			createOIDCProvider(t, s, p)
			return p.ARN
		},
		missing: oidcARN(acct1, "nobody.example.com"),
		update: func(ctx context.Context, s store.Store, key string, change func([]string) ([]string, error)) ([]string, error) {
			p, err := s.UpdateOIDCProvider(ctx, key, func(p *store.OIDCProvider) error {
				list, err := change(*field(p))
				*field(p) = list
				return err
			})
			return asList(p, err, func(p store.OIDCProvider) []string { return *field(&p) })
		},
		list: func(t *testing.T, s store.Store, key string) []string {
			p, err := s.GetOIDCProvider(t.Context(), key)
			return listOf(t, p, err, func(p store.OIDCProvider) []string { return *field(&p) })
		},
		breakFixed: func(ctx context.Context, s store.Store, key string) error {
			_, err := s.UpdateOIDCProvider(ctx, key, func(p *store.OIDCProvider) error { p.AccountID = acct2; return nil })
			return err
		},
	}
}

// poolUpdatable sees one of an identity pool's keyed collections.
func poolUpdatable(name string, edit func(*store.IdentityPool, func([]string) ([]string, error)) error, see func(store.IdentityPool) []string) updatable {
	return updatable{
		name: name,
		setup: func(t *testing.T, s store.Store) string {
			createAccount(t, s, acct1)
			p := identityPool(acct1, poolID("us-east-1", 42), "updated")
			createIdentityPool(t, cognitoStore(t, s), p)
			return p.ID
		},
		missing: poolID("us-east-1", 99),
		update: func(ctx context.Context, s store.Store, key string, change func([]string) ([]string, error)) ([]string, error) {
			p, err := s.UpdateIdentityPool(ctx, key, func(p *store.IdentityPool) error { return edit(p, change) })
			return asList(p, err, see)
		},
		list: func(t *testing.T, s store.Store, key string) []string {
			p, err := s.GetIdentityPool(t.Context(), key)
			return listOf(t, p, err, see)
		},
		breakFixed: func(ctx context.Context, s store.Store, key string) error {
			_, err := s.UpdateIdentityPool(ctx, key, func(p *store.IdentityPool) error { p.AccountID = acct2; return nil })
			return err
		},
	}
}

func item(i int) string { return fmt.Sprintf("item-%02d", i) }

// testUpdaterKeepsConcurrentChanges: every one of many concurrent updaters adding its own item
// succeeds, and every item is kept. A whole-row read-then-write keeps about half of them.
func testUpdaterKeepsConcurrentChanges(t *testing.T, s store.Store, e updatable) {
	key := e.setup(t, s)
	errs := Concurrently(concurrentUpdaters, func(i int) error {
		_, err := e.update(t.Context(), s, key, add(item(i), 1000))
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("updater %d: %v", i, err)
		}
	}
	got := e.list(t, s, key)
	slices.Sort(got)
	var want []string
	for i := range concurrentUpdaters {
		want = append(want, item(i))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("after %d concurrent updaters the entity holds %d items %v, want all of them",
			concurrentUpdaters, len(got), got)
	}
}

// testUpdaterQuotaUnderConcurrency: an updater that refuses a full list lets exactly as many
// concurrent additions through as fit, however they interleave.
func testUpdaterQuotaUnderConcurrency(t *testing.T, s store.Store, e updatable) {
	key := e.setup(t, s)
	const limit = 5
	noErr(t, "seeding one item", func() error { _, err := e.update(t.Context(), s, key, add("seed", limit)); return err }())
	errs := Concurrently(concurrentUpdaters, func(i int) error {
		_, err := e.update(t.Context(), s, key, add(item(i), limit))
		return err
	})
	accepted := 0
	for i, err := range errs {
		switch {
		case err == nil:
			accepted++
		case err != errQuota:
			// Identity, not errors.Is: the updater's error must come back as it was returned.
			t.Errorf("updater %d: got %v, want nil or the updater's own quota error", i, err)
		}
	}
	if got := e.list(t, s, key); len(got) != limit || accepted != limit-1 {
		t.Fatalf("%d concurrent updaters under a quota of %d: %d accepted, the entity holds %v", concurrentUpdaters, limit, accepted, got)
	}
}

// testUpdaterErrorAborts: an updater that changes the entity and then returns an error writes
// nothing; the next updater sees the entity as it was; a successful updater returns what is stored.
func testUpdaterErrorAborts(t *testing.T, s store.Store, e updatable) {
	ctx := t.Context()
	key := e.setup(t, s)
	got, err := e.update(ctx, s, key, add("kept", 10))
	noErr(t, "first update", err)
	if !slices.Equal(got, []string{"kept"}) {
		t.Fatalf("the updater returned %v, want [kept]", got)
	}
	_, err = e.update(ctx, s, key, func(list []string) ([]string, error) { return append(list, "dropped"), errAbort })
	if err != errAbort {
		t.Fatalf("a refusing updater: got %v, want its own error back unchanged", err)
	}
	if got := e.list(t, s, key); !slices.Equal(got, []string{"kept"}) {
		t.Fatalf("after a refusing updater the entity holds %v, want [kept]", got)
	}
	seen := []string{"not called"}
	_, err = e.update(ctx, s, key, func(list []string) ([]string, error) { seen = slices.Clone(list); return list, nil })
	noErr(t, "update after the refusal", err)
	if !slices.Equal(seen, []string{"kept"}) {
		t.Fatalf("the updater after a refusal saw %v, want [kept]", seen)
	}
}

// testUpdaterFixedFields: an updater changing a fixed field is refused with an error that is no
// sentinel (it is a bug, not a state of the data), and nothing it changed is written.
func testUpdaterFixedFields(t *testing.T, s store.Store, e updatable) {
	ctx := t.Context()
	key := e.setup(t, s)
	_, err := e.update(ctx, s, key, add("before", 10))
	noErr(t, "first update", err)
	err = e.breakFixed(ctx, s, key)
	if err == nil {
		t.Fatal("an updater changing a fixed field succeeded")
	}
	for _, sentinel := range []error{store.ErrNotFound, store.ErrAlreadyExists, store.ErrConflict, store.ErrLimitExceeded, store.ErrUnavailable} {
		if errors.Is(err, sentinel) {
			t.Errorf("changing a fixed field: %v matches %v", err, sentinel)
		}
	}
	if got := e.list(t, s, key); !slices.Equal(got, []string{"before"}) {
		t.Fatalf("after the refused updater the entity holds %v, want [before]", got)
	}
}

// testUpdaterMissing: a missing entity is ErrNotFound and the updater is never called.
func testUpdaterMissing(t *testing.T, s store.Store, e updatable) {
	e.setup(t, s)
	called := false
	_, err := e.update(t.Context(), s, e.missing, func(list []string) ([]string, error) { called = true; return list, nil })
	wantErr(t, "updating a missing entity", err, store.ErrNotFound)
	if called {
		t.Fatal("the updater of a missing entity was called")
	}
}

// The set… helpers write every field an updater may change from a whole value, for the tests
// that only need an entity in some state.

func setUser(ctx context.Context, s store.Store, u store.User) error {
	_, err := s.UpdateUser(ctx, u.UserID, func(cur *store.User) error {
		cur.UserName, cur.Path, cur.PermissionsBoundary, cur.Tags = u.UserName, u.Path, u.PermissionsBoundary, u.Tags
		return nil
	})
	return err
}

func setRole(ctx context.Context, s store.Store, r store.Role) error {
	_, err := s.UpdateRole(ctx, r.RoleID, func(cur *store.Role) error {
		cur.AssumeRolePolicyDocument, cur.Description, cur.MaxSessionDuration = r.AssumeRolePolicyDocument, r.Description, r.MaxSessionDuration
		cur.PermissionsBoundary, cur.Tags = r.PermissionsBoundary, r.Tags
		return nil
	})
	return err
}

func setOIDCProvider(ctx context.Context, s store.Store, p store.OIDCProvider) error {
	_, err := s.UpdateOIDCProvider(ctx, p.ARN, func(cur *store.OIDCProvider) error {
		cur.ClientIDs, cur.Thumbprints, cur.Tags = p.ClientIDs, p.Thumbprints, p.Tags
		return nil
	})
	return err
}

func setSAMLProvider(ctx context.Context, s store.Store, p store.SAMLProvider) error {
	_, err := s.UpdateSAMLProvider(ctx, p.ARN, func(cur *store.SAMLProvider) error {
		cur.MetadataDocument, cur.ValidUntil, cur.AssertionEncryptionMode, cur.Tags = p.MetadataDocument, p.ValidUntil, p.AssertionEncryptionMode, p.Tags
		return nil
	})
	return err
}

func setIdentityPool(ctx context.Context, cs store.CognitoStore, p store.IdentityPool) error {
	_, err := cs.UpdateIdentityPool(ctx, p.ID, func(cur *store.IdentityPool) error {
		id, account, created := cur.ID, cur.AccountID, cur.CreatedAt
		*cur = p
		cur.ID, cur.AccountID, cur.CreatedAt = id, account, created
		return nil
	})
	return err
}

func putOutbound(ctx context.Context, s store.Store, f store.OutboundFederation) error {
	_, err := s.UpdateOutboundFederation(ctx, f.AccountID, func(cur *store.OutboundFederation, _ bool) error {
		cur.IssuerIdentifier, cur.Enabled, cur.UpdatedAt = f.IssuerIdentifier, f.Enabled, f.UpdatedAt
		return nil
	})
	return err
}

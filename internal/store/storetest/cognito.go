package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// cognitoTests covers the CognitoStore part of the contract: identity pools, identities and the
// logins linked to them.
var cognitoTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"IdentityPoolRoundTrip", testIdentityPoolRoundTrip},
	{"IdentityPoolCreateErrors", testIdentityPoolCreateErrors},
	{"IdentityPoolLimit", testIdentityPoolLimit},
	{"IdentityPoolLimitConcurrent", testIdentityPoolLimitConcurrent},
	{"UpdateIdentityPool", testUpdateIdentityPool},
	{"DeleteIdentityPool", testDeleteIdentityPool},
	{"DeleteIdentityPoolConcurrent", testDeleteIdentityPoolConcurrent},
	{"ListIdentityPoolsPagination", testListIdentityPoolsPagination},
	{"IdentityRoundTrip", testIdentityRoundTrip},
	{"CreateIdentityLoginTaken", testCreateIdentityLoginTaken},
	{"CreateIdentityConcurrentFirstLogin", testCreateIdentityConcurrentFirstLogin},
	{"ListIdentitiesPagination", testListIdentitiesPagination},
	{"DeleteIdentity", testDeleteIdentity},
	{"LinkLogins", testLinkLogins},
	{"LinkLoginsOnePerProvider", testLinkLoginsOnePerProvider},
	{"LinkLoginsConcurrent", testLinkLoginsConcurrent},
	{"IdentityPoolRegions", testIdentityPoolRegions},
	{"UpdateIdentity", testUpdateIdentity},
	{"UpdateIdentityRefusals", testUpdateIdentityRefusals},
	{"UpdateIdentityConcurrentUnlinks", testUpdateIdentityConcurrentUnlinks},
	{"DisabledIdentityGetsNoLogin", testDisabledIdentityGetsNoLogin},
	{"LastUnlinkRacingLink", testLastUnlinkRacingLink},
	{"MergeIdentities", testMergeIdentities},
	{"MergeIdentitiesErrors", testMergeIdentitiesErrors},
	{"LinkCheck", testLinkCheck},
	{"MergeCheck", testMergeCheck},
	{"GuestFirstLoginsRace", testGuestFirstLoginsRace},
	{"LinkOnProofRacingUnlink", testLinkOnProofRacingUnlink},
	{"GuestMergeRacingFirstLogin", testGuestMergeRacingFirstLogin},
	{"MergesRacingOnePerProvider", testMergesRacingOnePerProvider},
	{"ListLoginSubjects", testListLoginSubjects},
}

// cognitoStore returns s as a CognitoStore. Until store.Store embeds the interface, a backend
// without it skips these tests rather than failing to compile.
func cognitoStore(t *testing.T, s store.Store) store.CognitoStore {
	t.Helper()
	cs, ok := s.(store.CognitoStore)
	if !ok {
		t.Skipf("%T does not implement store.CognitoStore", s)
	}
	return cs
}

// poolID and identityID return ids in the contract's "<region>:<lowercase GUID>" format. The
// regions vary, and "us-east-10:" sorts before "us-east-1:" by code point (':' > '0') but after
// it in most locales' collations, so a backend that pages by locale order fails.
func poolID(region string, i int) string {
	return fmt.Sprintf("%s:%08x-1111-4111-8111-%012x", region, i, i)
}

func identityID(i int) string {
	region := "us-east-1"
	if i%2 == 1 {
		region = "us-east-10"
	}
	return fmt.Sprintf("%s:%08x-2222-4222-8222-%012x", region, i*7919, i)
}

func identityPool(accountID, id, name string) store.IdentityPool {
	return store.IdentityPool{
		ID: id, AccountID: accountID, Name: name, AllowUnauthenticated: true,
		CreatedAt: at(1), UpdatedAt: at(1),
	}
}

func createIdentityPool(t *testing.T, cs store.CognitoStore, p store.IdentityPool) {
	t.Helper()
	noErr(t, "CreateIdentityPool "+p.ID, cs.CreateIdentityPool(t.Context(), p, 1000))
}

func getIdentityPool(t *testing.T, cs store.CognitoStore, id string) store.IdentityPool {
	t.Helper()
	p, err := cs.GetIdentityPool(t.Context(), id)
	noErr(t, "GetIdentityPool "+id, err)
	return p
}

// checkStringMap wants an empty map as nil, the way empty lists read back.
func checkStringMap(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if len(want) == 0 && got != nil {
		t.Errorf("%s = %#v, want nil for an empty map", what, got)
	}
}

func checkIdentityPool(t *testing.T, got, want store.IdentityPool) {
	t.Helper()
	what := "identity pool " + want.ID
	if got.ID != want.ID || got.AccountID != want.AccountID || got.Name != want.Name ||
		got.AllowUnauthenticated != want.AllowUnauthenticated || got.DeveloperProviderName != want.DeveloperProviderName ||
		got.RoleMappings != want.RoleMappings || got.PrincipalTagMaps != want.PrincipalTagMaps {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	switch {
	case (got.AllowClassicFlow == nil) != (want.AllowClassicFlow == nil):
		t.Errorf("%s AllowClassicFlow = %v, want %v", what, fmtOptionalBool(got.AllowClassicFlow), fmtOptionalBool(want.AllowClassicFlow))
	case want.AllowClassicFlow != nil && *got.AllowClassicFlow != *want.AllowClassicFlow:
		t.Errorf("%s AllowClassicFlow = %v, want %v", what, *got.AllowClassicFlow, *want.AllowClassicFlow)
	}
	checkStringMap(t, what+" SupportedLoginProviders", got.SupportedLoginProviders, want.SupportedLoginProviders)
	checkStrings(t, what+" OpenIDConnectProviderARNs", got.OpenIDConnectProviderARNs, want.OpenIDConnectProviderARNs)
	if !slices.Equal(got.CognitoIdentityProviders, want.CognitoIdentityProviders) {
		t.Errorf("%s CognitoIdentityProviders = %+v, want %+v (in insertion order)", what, got.CognitoIdentityProviders, want.CognitoIdentityProviders)
	}
	if len(want.CognitoIdentityProviders) == 0 && got.CognitoIdentityProviders != nil {
		t.Errorf("%s CognitoIdentityProviders = %#v, want nil for an empty list", what, got.CognitoIdentityProviders)
	}
	checkStrings(t, what+" SAMLProviderARNs", got.SAMLProviderARNs, want.SAMLProviderARNs)
	checkStringMap(t, what+" Tags", got.Tags, want.Tags)
	checkStringMap(t, what+" Roles", got.Roles, want.Roles)
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+" UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func fmtOptionalBool(b *bool) string {
	if b == nil {
		return "nil"
	}
	return fmt.Sprint(*b)
}

func login(provider, subject string, created time.Time) store.IdentityLogin {
	return store.IdentityLogin{Provider: provider, Subject: subject, CreatedAt: created}
}

func identity(pool, id string, created time.Time) store.Identity {
	return store.Identity{ID: id, PoolID: pool, CreatedAt: created, UpdatedAt: created}
}

func createIdentity(t *testing.T, cs store.CognitoStore, id store.Identity, logins ...store.IdentityLogin) {
	t.Helper()
	noErr(t, "CreateIdentity "+id.ID, cs.CreateIdentity(t.Context(), id, logins))
}

func getIdentity(t *testing.T, cs store.CognitoStore, id string) store.Identity {
	t.Helper()
	i, err := cs.GetIdentity(t.Context(), id)
	noErr(t, "GetIdentity "+id, err)
	return i
}

func checkIdentity(t *testing.T, got, want store.Identity) {
	t.Helper()
	if got.ID != want.ID || got.PoolID != want.PoolID || got.Disabled != want.Disabled {
		t.Errorf("identity = %+v, want %+v", got, want)
	}
	checkTime(t, "identity "+want.ID+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "identity "+want.ID+" UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

// loginKeys renders logins as "provider|subject" in the order given.
func loginKeys(logins []store.IdentityLogin) []string {
	out := make([]string, len(logins))
	for i, l := range logins {
		out[i] = l.Provider + "|" + l.Subject
	}
	return out
}

func listLoginKeys(t *testing.T, cs store.CognitoStore, identityID string) []string {
	t.Helper()
	logins, err := cs.ListLogins(t.Context(), identityID)
	noErr(t, "ListLogins "+identityID, err)
	for _, l := range logins {
		if l.IdentityID != identityID {
			t.Errorf("ListLogins(%s) returned a login of identity %s", identityID, l.IdentityID)
		}
	}
	return loginKeys(logins)
}

// checkLoginOwner wants the login linked to identityID, or not linked when identityID is "".
func checkLoginOwner(t *testing.T, cs store.CognitoStore, pool, provider, subject, identityID string) {
	t.Helper()
	l, err := cs.FindLogin(t.Context(), pool, provider, subject)
	if identityID == "" {
		wantErr(t, fmt.Sprintf("FindLogin %s|%s (not linked)", provider, subject), err, store.ErrNotFound)
		return
	}
	noErr(t, fmt.Sprintf("FindLogin %s|%s", provider, subject), err)
	if l.IdentityID != identityID || l.PoolID != pool || l.Provider != provider || l.Subject != subject {
		t.Errorf("FindLogin(%s, %s, %s) = %+v, want identity %s", pool, provider, subject, l, identityID)
	}
}

func identityIDs(ids []store.Identity) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.ID
	}
	return out
}

func allIdentities(t *testing.T, cs store.CognitoStore, pool string, hideDisabled bool) []string {
	t.Helper()
	ids, next, err := cs.ListIdentities(t.Context(), pool, hideDisabled, "", 0)
	noErr(t, "ListIdentities "+pool, err)
	if next != "" {
		t.Errorf("ListIdentities without a limit returned next %q", next)
	}
	return identityIDs(ids)
}

const (
	googleProvider = "accounts.google.com"
	userPoolA      = "cognito-idp.us-east-1.amazonaws.com/us-east-1_AAAAAAAAA"
	devProvider    = "login.example.app"
)

// Identity pools.

func testIdentityPoolRoundTrip(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	full := store.IdentityPool{
		ID:                   poolID("eu-central-1", 1),
		AccountID:            acct1,
		Name:                 "Prod pool +=,.@- ünïcødé",
		AllowUnauthenticated: true,
		AllowClassicFlow:     ptr(true),
		SupportedLoginProviders: map[string]string{
			"graph.facebook.com":  "7346241598935552",
			"accounts.google.com": "123.apps.googleusercontent.com;456.apps.googleusercontent.com",
			"api.twitter.com":     `key;secret"with\quote`,
		},
		DeveloperProviderName:     "login.example.app",
		OpenIDConnectProviderARNs: []string{oidcARN(acct1, "z.example.com"), oidcARN(acct1, "a.example.com")},
		CognitoIdentityProviders: []store.CognitoUserPoolProvider{
			{ProviderName: "cognito-idp.eu-central-1.amazonaws.com/eu-central-1_ZZZ", ClientID: "client-z", ServerSideTokenCheck: true},
			{ProviderName: "cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AAA", ClientID: "client-a"},
			{ProviderName: "cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AAA", ClientID: "client-b", ServerSideTokenCheck: true},
		},
		SAMLProviderARNs: []string{samlARN(acct1, "okta"), samlARN(acct1, "adfs")},
		Tags:             map[string]string{"team": "identity", "empty": "", "ünï": "cødé ✓"},
		Roles: map[string]string{
			"authenticated":   "arn:aws:iam::111111111111:role/Cognito_Auth",
			"unauthenticated": "arn:aws:iam::111111111111:role/Cognito_Unauth",
		},
		// Opaque documents are kept byte for byte, whitespace and key order included.
		RoleMappings:     "{\n  \"graph.facebook.com\": {\"Type\": \"Token\", \"AmbiguousRoleResolution\": \"Deny\"}\n}",
		PrincipalTagMaps: `{"accounts.google.com":{"UseDefaults":false,"PrincipalTags":{"sub":"sub"}}}`,
		CreatedAt:        at(2),
		UpdatedAt:        at(3),
	}
	createIdentityPool(t, cs, full)
	checkIdentityPool(t, getIdentityPool(t, cs, full.ID), full)

	// Nothing optional set: AllowClassicFlow stays nil, lists and maps read back as nil.
	bare := store.IdentityPool{ID: poolID("us-east-1", 2), AccountID: acct1, Name: "bare", CreatedAt: at(4), UpdatedAt: at(4)}
	createIdentityPool(t, cs, bare)
	checkIdentityPool(t, getIdentityPool(t, cs, bare.ID), bare)

	// Empty lists and maps read back as nil too; AllowClassicFlow false is not nil.
	empty := store.IdentityPool{
		ID: poolID("us-east-1", 3), AccountID: acct1, Name: "empty", AllowClassicFlow: ptr(false),
		SupportedLoginProviders: map[string]string{}, OpenIDConnectProviderARNs: []string{},
		CognitoIdentityProviders: []store.CognitoUserPoolProvider{}, SAMLProviderARNs: []string{},
		Tags: map[string]string{}, Roles: map[string]string{}, CreatedAt: at(5), UpdatedAt: at(6),
	}
	createIdentityPool(t, cs, empty)
	got := getIdentityPool(t, cs, empty.ID)
	empty.SupportedLoginProviders, empty.OpenIDConnectProviderARNs, empty.CognitoIdentityProviders = nil, nil, nil
	empty.SAMLProviderARNs, empty.Tags, empty.Roles = nil, nil, nil
	checkIdentityPool(t, got, empty)

	pools, next, err := cs.ListIdentityPools(ctx, acct1, "", "", 10)
	noErr(t, "ListIdentityPools", err)
	if len(pools) != 3 || next != "" {
		t.Fatalf("ListIdentityPools returned %d pools and next %q, want 3 and \"\"", len(pools), next)
	}
	// Ordered by id: eu-central-1 < us-east-1:…02 < us-east-1:…03.
	checkIdentityPool(t, pools[0], full)
	checkIdentityPool(t, pools[1], bare)
	checkIdentityPool(t, pools[2], empty)

	_, err = cs.GetIdentityPool(ctx, poolID("us-east-1", 99))
	wantErr(t, "GetIdentityPool of a missing id", err, store.ErrNotFound)
}

func testIdentityPoolCreateErrors(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	orig := identityPool(acct1, poolID("us-east-1", 1), "orig")
	createIdentityPool(t, cs, orig)

	dup := identityPool(acct2, orig.ID, "dup")
	dup.CreatedAt = at(9)
	wantErr(t, "CreateIdentityPool with an existing id in another account", cs.CreateIdentityPool(ctx, dup, 100), store.ErrAlreadyExists)
	dup.AccountID = acct1
	wantErr(t, "CreateIdentityPool with an existing id", cs.CreateIdentityPool(ctx, dup, 100), store.ErrAlreadyExists)
	// At the limit a duplicate is still reported as a duplicate, so a retried create is recognisable.
	wantErr(t, "CreateIdentityPool with an existing id at the limit", cs.CreateIdentityPool(ctx, dup, 1), store.ErrAlreadyExists)
	checkIdentityPool(t, getIdentityPool(t, cs, orig.ID), orig)

	// Names need not be unique.
	createIdentityPool(t, cs, identityPool(acct1, poolID("us-east-1", 2), "orig"))

	ghost := identityPool("999999999999", poolID("us-east-1", 3), "ghost")
	wantErr(t, "CreateIdentityPool in a missing account", cs.CreateIdentityPool(ctx, ghost, 100), store.ErrNotFound)
	wantErr(t, "CreateIdentityPool in a missing account with no room", cs.CreateIdentityPool(ctx, ghost, 0), store.ErrNotFound)
	_, err := cs.GetIdentityPool(ctx, ghost.ID)
	wantErr(t, "GetIdentityPool after the refused create", err, store.ErrNotFound)
	pools, _, err := cs.ListIdentityPools(ctx, acct2, "", "", 0)
	noErr(t, "ListIdentityPools of the other account", err)
	if len(pools) != 0 {
		t.Fatalf("ListIdentityPools of the other account = %v", pools)
	}
}

func testIdentityPoolLimit(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	for i := range 2 {
		noErr(t, fmt.Sprintf("pool %d", i), cs.CreateIdentityPool(ctx, identityPool(acct1, poolID("us-east-1", i), "p"), 2))
	}
	over := identityPool(acct1, poolID("us-east-1", 2), "over")
	wantErr(t, "pool over the limit", cs.CreateIdentityPool(ctx, over, 2), store.ErrLimitExceeded)
	_, err := cs.GetIdentityPool(ctx, over.ID)
	wantErr(t, "GetIdentityPool of the refused pool", err, store.ErrNotFound)

	// Other accounts have their own count.
	noErr(t, "other account's pool", cs.CreateIdentityPool(ctx, identityPool(acct2, poolID("us-east-1", 10), "p"), 2))

	noErr(t, "DeleteIdentityPool", cs.DeleteIdentityPool(ctx, poolID("us-east-1", 0)))
	noErr(t, "pool after a delete", cs.CreateIdentityPool(ctx, over, 2))
	pools, _, err := cs.ListIdentityPools(ctx, acct1, "", "", 0)
	noErr(t, "ListIdentityPools", err)
	if len(pools) != 2 {
		t.Fatalf("account has %d pools, want 2", len(pools))
	}
}

func testIdentityPoolLimitConcurrent(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	errs := Concurrently(8, func(i int) error {
		return cs.CreateIdentityPool(ctx, identityPool(acct1, poolID("us-east-1", i), fmt.Sprintf("race%d", i)), 3)
	})
	if ok := countOutcomes(t, "CreateIdentityPool", errs, store.ErrLimitExceeded); ok != 3 {
		t.Fatalf("%d of 8 concurrent CreateIdentityPool calls succeeded, want exactly 3", ok)
	}
	pools, _, err := cs.ListIdentityPools(ctx, acct1, "", "", 0)
	noErr(t, "ListIdentityPools", err)
	if len(pools) != 3 {
		t.Fatalf("the account has %d pools, want 3", len(pools))
	}
}

func testUpdateIdentityPool(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	orig := identityPool(acct1, poolID("us-east-1", 1), "orig")
	orig.AllowClassicFlow = ptr(true)
	orig.SupportedLoginProviders = map[string]string{"accounts.google.com": "old-client"}
	orig.Tags = map[string]string{"team": "a"}
	orig.Roles = map[string]string{"authenticated": "arn:aws:iam::111111111111:role/A"}
	orig.RoleMappings = `{"x":{"Type":"Token"}}`
	createIdentityPool(t, cs, orig)
	other := identityPool(acct1, poolID("us-east-1", 2), "other")
	createIdentityPool(t, cs, other)

	updated := orig
	updated.Name = "renamed"
	updated.AllowUnauthenticated = false
	updated.AllowClassicFlow = ptr(false)
	updated.SupportedLoginProviders = map[string]string{"www.amazon.com": "amzn1.application.x", "appleid.apple.com": "com.example"}
	updated.DeveloperProviderName = "dev.example"
	updated.OpenIDConnectProviderARNs = []string{oidcARN(acct1, "b.example.com")}
	updated.CognitoIdentityProviders = []store.CognitoUserPoolProvider{{ProviderName: userPoolA, ClientID: "c", ServerSideTokenCheck: true}}
	updated.SAMLProviderARNs = []string{samlARN(acct1, "idp")}
	updated.Tags = map[string]string{"z": "last", "a": "first"}
	updated.Roles = map[string]string{"unauthenticated": "arn:aws:iam::111111111111:role/U"}
	updated.RoleMappings = ""
	updated.PrincipalTagMaps = `{"p":{}}`
	updated.UpdatedAt = at(20)
	returned, err := cs.UpdateIdentityPool(ctx, orig.ID, func(p *store.IdentityPool) error {
		checkIdentityPool(t, *p, orig)
		*p = updated
		return nil
	})
	noErr(t, "UpdateIdentityPool", err)
	checkIdentityPool(t, returned, updated)
	checkIdentityPool(t, getIdentityPool(t, cs, orig.ID), updated)
	checkIdentityPool(t, getIdentityPool(t, cs, other.ID), other)

	// A full replacement: fields left out are cleared, AllowClassicFlow back to never set.
	cleared := store.IdentityPool{ID: orig.ID, AccountID: acct1, Name: "cleared", CreatedAt: orig.CreatedAt, UpdatedAt: at(21)}
	noErr(t, "UpdateIdentityPool clearing every optional field", setIdentityPool(ctx, cs, cleared))
	checkIdentityPool(t, getIdentityPool(t, cs, orig.ID), cleared)

	back := cleared
	back.AllowClassicFlow = ptr(true)
	back.UpdatedAt = at(22)
	noErr(t, "UpdateIdentityPool setting AllowClassicFlow again", setIdentityPool(ctx, cs, back))
	checkIdentityPool(t, getIdentityPool(t, cs, orig.ID), back)

	ghost := identityPool(acct1, poolID("us-east-1", 99), "ghost")
	wantErr(t, "UpdateIdentityPool of a missing pool", setIdentityPool(ctx, cs, ghost), store.ErrNotFound)
	_, err = cs.GetIdentityPool(ctx, ghost.ID)
	wantErr(t, "GetIdentityPool after updating a missing pool", err, store.ErrNotFound)
}

func testDeleteIdentityPool(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	gone := identityPool(acct1, poolID("us-east-1", 1), "gone")
	stays := identityPool(acct1, poolID("us-east-1", 2), "stays")
	createIdentityPool(t, cs, gone)
	createIdentityPool(t, cs, stays)
	// The same login in both pools, and a few identities in the one that goes.
	createIdentity(t, cs, identity(gone.ID, identityID(1), at(2)), login(googleProvider, "sub-1", at(2)), login(devProvider, "dev-1", at(2)))
	createIdentity(t, cs, identity(gone.ID, identityID(2), at(3)), login(googleProvider, "sub-2", at(3)))
	createIdentity(t, cs, identity(gone.ID, identityID(3), at(4)))
	createIdentity(t, cs, identity(stays.ID, identityID(4), at(5)), login(googleProvider, "sub-1", at(5)))

	noErr(t, "DeleteIdentityPool", cs.DeleteIdentityPool(ctx, gone.ID))
	_, err := cs.GetIdentityPool(ctx, gone.ID)
	wantErr(t, "GetIdentityPool after delete", err, store.ErrNotFound)
	for i := 1; i <= 3; i++ {
		_, err := cs.GetIdentity(ctx, identityID(i))
		wantErr(t, fmt.Sprintf("GetIdentity %d of the deleted pool", i), err, store.ErrNotFound)
		if got := listLoginKeys(t, cs, identityID(i)); len(got) != 0 {
			t.Errorf("identity %d of the deleted pool still has logins %v", i, got)
		}
	}
	checkLoginOwner(t, cs, gone.ID, googleProvider, "sub-1", "")
	checkLoginOwner(t, cs, gone.ID, devProvider, "dev-1", "")
	if got := allIdentities(t, cs, gone.ID, false); len(got) != 0 {
		t.Errorf("ListIdentities of the deleted pool = %v", got)
	}
	wantErr(t, "DeleteIdentityPool again", cs.DeleteIdentityPool(ctx, gone.ID), store.ErrNotFound)

	// The other pool keeps its identity and its link of the same login.
	checkIdentityPool(t, getIdentityPool(t, cs, stays.ID), stays)
	getIdentity(t, cs, identityID(4))
	checkLoginOwner(t, cs, stays.ID, googleProvider, "sub-1", identityID(4))
	pools, _, err := cs.ListIdentityPools(ctx, acct1, "", "", 0)
	noErr(t, "ListIdentityPools", err)
	if len(pools) != 1 || pools[0].ID != stays.ID {
		t.Fatalf("ListIdentityPools after delete = %v", pools)
	}

	// The id, identity ids and logins are free again.
	createIdentityPool(t, cs, gone)
	createIdentity(t, cs, identity(gone.ID, identityID(1), at(6)), login(googleProvider, "sub-1", at(6)))
	checkLoginOwner(t, cs, gone.ID, googleProvider, "sub-1", identityID(1))
}

// testDeleteIdentityPoolConcurrent deletes a pool while identities are being created in it: an
// identity either goes with the pool or is refused, and no identity or login outlives the pool.
func testDeleteIdentityPoolConcurrent(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	const n = 8
	errs := Concurrently(n, func(i int) error {
		if i == n/2 {
			return cs.DeleteIdentityPool(ctx, pool)
		}
		return cs.CreateIdentity(ctx, identity(pool, identityID(i), at(i)), []store.IdentityLogin{login(googleProvider, fmt.Sprintf("sub-%d", i), at(i))})
	})
	noErr(t, "DeleteIdentityPool", errs[n/2])
	for i, err := range errs {
		if i != n/2 && err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CreateIdentity #%d: got %v, want nil or ErrNotFound", i, err)
		}
	}
	_, err := cs.GetIdentityPool(ctx, pool)
	wantErr(t, "GetIdentityPool after delete", err, store.ErrNotFound)
	if got := allIdentities(t, cs, pool, false); len(got) != 0 {
		t.Fatalf("identities %v outlived their pool", got)
	}
	for i := range n {
		if i == n/2 {
			continue
		}
		_, err := cs.GetIdentity(ctx, identityID(i))
		wantErr(t, fmt.Sprintf("GetIdentity #%d after the pool's delete", i), err, store.ErrNotFound)
		checkLoginOwner(t, cs, pool, googleProvider, fmt.Sprintf("sub-%d", i), "")
	}
}

func testListIdentityPoolsPagination(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	regions := []string{"us-east-1", "eu-west-1", "us-east-10", "ap-southeast-2", "us-west-2"}
	var want []string
	// Inserted out of order.
	for i := 13; i > 0; i-- {
		id := poolID(regions[i%len(regions)], i)
		createIdentityPool(t, cs, identityPool(acct1, id, fmt.Sprintf("pool%d", i)))
		want = append(want, id)
		// Pools of another account never show up.
		createIdentityPool(t, cs, identityPool(acct2, poolID(regions[i%len(regions)], 100+i), "other"))
	}
	slices.Sort(want)

	for _, limit := range []int{1, 2, 3, 4, 6, 12, 13, 14, 60} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			var got []string
			after := ""
			for pages := 1; ; pages++ {
				if pages > len(want)+1 {
					t.Fatalf("pagination does not terminate; got %v so far", got)
				}
				pools, next, err := cs.ListIdentityPools(ctx, acct1, "", after, limit)
				noErr(t, "ListIdentityPools", err)
				if len(pools) > limit {
					t.Fatalf("page %d has %d pools, limit %d", pages, len(pools), limit)
				}
				for _, p := range pools {
					if p.AccountID != acct1 {
						t.Fatalf("page %d holds %+v", pages, p)
					}
					got = append(got, p.ID)
				}
				if next == "" {
					break
				}
				if len(pools) != limit {
					t.Fatalf("page %d has %d pools and a next marker; only full pages may", pages, len(pools))
				}
				if last := pools[len(pools)-1].ID; next != last {
					t.Fatalf("page %d next = %q, want the last id %q", pages, next, last)
				}
				after = next
			}
			if !slices.Equal(got, want) {
				t.Fatalf("paged through %v, want %v", got, want)
			}
		})
	}

	// A marker need not be an existing id; limit <= 0 means no limit.
	pools, next, err := cs.ListIdentityPools(ctx, acct1, "", "eu-west-1:", 0)
	noErr(t, "ListIdentityPools after an arbitrary marker", err)
	i := slices.IndexFunc(want, func(id string) bool { return id > "eu-west-1:" })
	if got := identityPoolIDs(pools); !slices.Equal(got, want[i:]) || next != "" {
		t.Fatalf("ListIdentityPools after \"eu-west-1:\" = %v next %q, want %v", got, next, want[i:])
	}
	pools, next, err = cs.ListIdentityPools(ctx, "999999999999", "", "", 10)
	noErr(t, "ListIdentityPools of a missing account", err)
	if len(pools) != 0 || next != "" {
		t.Fatalf("ListIdentityPools of a missing account = %v next %q", pools, next)
	}
}

func identityPoolIDs(pools []store.IdentityPool) []string {
	out := make([]string, len(pools))
	for i, p := range pools {
		out[i] = p.ID
	}
	return out
}

// Identities.

func testIdentityRoundTrip(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))

	want := store.Identity{ID: identityID(1), PoolID: pool, CreatedAt: at(2), UpdatedAt: at(3)}
	// PoolID and IdentityID of the logins may be left empty or set to the identity's own; a login
	// listed twice is linked once.
	logins := []store.IdentityLogin{
		login(userPoolA, "6f1c-sub", at(2)),
		{PoolID: pool, IdentityID: want.ID, Provider: googleProvider, Subject: "1098765432", CreatedAt: at(4)},
		login(devProvider, "dev user ünïcødé / with spaces", at(2)),
		login(googleProvider, "1098765432", at(4)),
	}
	noErr(t, "CreateIdentity", cs.CreateIdentity(ctx, want, logins))
	checkIdentity(t, getIdentity(t, cs, want.ID), want)

	got, err := cs.ListLogins(ctx, want.ID)
	noErr(t, "ListLogins", err)
	// Ordered by provider, then subject, by code point.
	wantKeys := []string{googleProvider + "|1098765432", userPoolA + "|6f1c-sub", devProvider + "|dev user ünïcødé / with spaces"}
	if keys := loginKeys(got); !slices.Equal(keys, wantKeys) {
		t.Fatalf("ListLogins = %v, want %v", keys, wantKeys)
	}
	for _, l := range got {
		if l.PoolID != pool || l.IdentityID != want.ID {
			t.Errorf("listed login %+v, want pool %s identity %s", l, pool, want.ID)
		}
	}
	checkTime(t, "google login CreatedAt", got[0].CreatedAt, at(4))
	checkTime(t, "user pool login CreatedAt", got[1].CreatedAt, at(2))

	l, err := cs.FindLogin(ctx, pool, googleProvider, "1098765432")
	noErr(t, "FindLogin", err)
	if l.PoolID != pool || l.IdentityID != want.ID || l.Provider != googleProvider || l.Subject != "1098765432" {
		t.Errorf("FindLogin = %+v", l)
	}
	checkTime(t, "found login CreatedAt", l.CreatedAt, at(4))
	for _, miss := range []struct{ pool, provider, subject string }{
		{pool, googleProvider, "other"},
		{pool, "www.amazon.com", "1098765432"},
		{poolID("us-east-1", 2), googleProvider, "1098765432"},
	} {
		_, err := cs.FindLogin(ctx, miss.pool, miss.provider, miss.subject)
		wantErr(t, fmt.Sprintf("FindLogin %v", miss), err, store.ErrNotFound)
	}

	// An unauthenticated identity has no logins; a disabled one keeps its flag.
	guest := store.Identity{ID: identityID(2), PoolID: pool, Disabled: true, CreatedAt: at(5), UpdatedAt: at(5)}
	noErr(t, "CreateIdentity without logins", cs.CreateIdentity(ctx, guest, nil))
	checkIdentity(t, getIdentity(t, cs, guest.ID), guest)
	if got := listLoginKeys(t, cs, guest.ID); len(got) != 0 {
		t.Errorf("ListLogins of a guest = %v", got)
	}

	wantErr(t, "CreateIdentity with an existing id",
		cs.CreateIdentity(ctx, identity(pool, want.ID, at(6)), []store.IdentityLogin{login(googleProvider, "fresh", at(6))}), store.ErrAlreadyExists)
	checkLoginOwner(t, cs, pool, googleProvider, "fresh", "")
	checkIdentity(t, getIdentity(t, cs, want.ID), want)

	ghostPool := poolID("us-east-1", 99)
	wantErr(t, "CreateIdentity in a missing pool",
		cs.CreateIdentity(ctx, identity(ghostPool, identityID(3), at(7)), []store.IdentityLogin{login(googleProvider, "x", at(7))}), store.ErrNotFound)
	_, err = cs.GetIdentity(ctx, identityID(3))
	wantErr(t, "GetIdentity after the refused create", err, store.ErrNotFound)
	checkLoginOwner(t, cs, ghostPool, googleProvider, "x", "")

	// A login naming another pool or identity is refused, and nothing is written.
	for _, bad := range []store.IdentityLogin{
		{PoolID: ghostPool, Provider: googleProvider, Subject: "y", CreatedAt: at(8)},
		{IdentityID: identityID(1), Provider: googleProvider, Subject: "y", CreatedAt: at(8)},
	} {
		if err := cs.CreateIdentity(ctx, identity(pool, identityID(4), at(8)), []store.IdentityLogin{bad}); err == nil {
			t.Errorf("CreateIdentity with login %+v succeeded", bad)
		}
		_, err = cs.GetIdentity(ctx, identityID(4))
		wantErr(t, "GetIdentity after the refused create", err, store.ErrNotFound)
	}
	_, err = cs.GetIdentity(ctx, identityID(99))
	wantErr(t, "GetIdentity of a missing id", err, store.ErrNotFound)
	if got := listLoginKeys(t, cs, identityID(99)); len(got) != 0 {
		t.Errorf("ListLogins of a missing identity = %v", got)
	}
}

func testCreateIdentityLoginTaken(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool, other := poolID("us-east-1", 1), poolID("us-east-1", 2)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	createIdentityPool(t, cs, identityPool(acct1, other, "o"))
	first := identity(pool, identityID(1), at(1))
	createIdentity(t, cs, first, login(googleProvider, "alice", at(1)))

	// One linked login among new ones refuses the whole create.
	second := identity(pool, identityID(2), at(2))
	err := cs.CreateIdentity(ctx, second, []store.IdentityLogin{
		login(devProvider, "new-dev", at(2)), login(googleProvider, "alice", at(2)), login(userPoolA, "new-sub", at(2)),
	})
	wantErr(t, "CreateIdentity with a linked login", err, store.ErrAlreadyExists)
	_, err = cs.GetIdentity(ctx, second.ID)
	wantErr(t, "GetIdentity of the refused identity", err, store.ErrNotFound)
	checkLoginOwner(t, cs, pool, devProvider, "new-dev", "")
	checkLoginOwner(t, cs, pool, userPoolA, "new-sub", "")
	checkLoginOwner(t, cs, pool, googleProvider, "alice", first.ID)
	if got := allIdentities(t, cs, pool, false); !slices.Equal(got, []string{first.ID}) {
		t.Fatalf("ListIdentities = %v, want only the first identity", got)
	}

	// The same subject of another provider, and the same login in another pool, are other logins.
	createIdentity(t, cs, second, login(devProvider, "alice", at(3)))
	createIdentity(t, cs, identity(other, identityID(3), at(4)), login(googleProvider, "alice", at(4)))
	checkLoginOwner(t, cs, pool, googleProvider, "alice", first.ID)
	checkLoginOwner(t, cs, pool, devProvider, "alice", second.ID)
	checkLoginOwner(t, cs, other, googleProvider, "alice", identityID(3))
}

func testCreateIdentityConcurrentFirstLogin(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))

	// Every caller brings its own fresh identity id and one extra login of its own besides the
	// shared one: exactly one identity survives, with only its own logins.
	const n = 16
	errs := Concurrently(n, func(i int) error {
		return cs.CreateIdentity(ctx, identity(pool, identityID(i), at(i)), []store.IdentityLogin{
			login(devProvider, fmt.Sprintf("own-%02d", i), at(i)),
			login(googleProvider, "shared-sub", at(i)),
		})
	})
	if ok := countOutcomes(t, "CreateIdentity", errs, store.ErrAlreadyExists); ok != 1 {
		t.Fatalf("%d of %d concurrent CreateIdentity calls with one login succeeded, want exactly 1", ok, n)
	}
	winner := slices.IndexFunc(errs, func(err error) bool { return err == nil })
	checkLoginOwner(t, cs, pool, googleProvider, "shared-sub", identityID(winner))
	if got := allIdentities(t, cs, pool, false); !slices.Equal(got, []string{identityID(winner)}) {
		t.Fatalf("ListIdentities = %v, want only the winner %s", got, identityID(winner))
	}
	for i := range n {
		owner := ""
		if i == winner {
			owner = identityID(i)
		}
		checkLoginOwner(t, cs, pool, devProvider, fmt.Sprintf("own-%02d", i), owner)
	}
}

func testListIdentitiesPagination(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool, other := poolID("us-east-1", 1), poolID("us-east-1", 2)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	createIdentityPool(t, cs, identityPool(acct1, other, "o"))
	var all, enabled []string
	for i := 25; i > 0; i-- {
		id := identity(pool, identityID(i), at(i))
		id.Disabled = i%3 == 0
		createIdentity(t, cs, id)
		all = append(all, id.ID)
		if !id.Disabled {
			enabled = append(enabled, id.ID)
		}
		createIdentity(t, cs, identity(other, identityID(100+i), at(i)))
	}
	slices.Sort(all)
	slices.Sort(enabled)

	for _, hide := range []bool{false, true} {
		want := all
		if hide {
			want = enabled
		}
		for _, limit := range []int{1, 3, 4, 7, len(want) - 1, len(want), 60} {
			t.Run(fmt.Sprintf("hideDisabled=%v,limit=%d", hide, limit), func(t *testing.T) {
				var got []string
				after := ""
				for pages := 1; ; pages++ {
					if pages > len(want)+1 {
						t.Fatalf("pagination does not terminate; got %v so far", got)
					}
					ids, next, err := cs.ListIdentities(ctx, pool, hide, after, limit)
					noErr(t, "ListIdentities", err)
					if len(ids) > limit {
						t.Fatalf("page %d has %d identities, limit %d", pages, len(ids), limit)
					}
					for _, id := range ids {
						if id.PoolID != pool || (hide && id.Disabled) {
							t.Fatalf("page %d holds %+v", pages, id)
						}
						got = append(got, id.ID)
					}
					if next == "" {
						break
					}
					if len(ids) != limit {
						t.Fatalf("page %d has %d identities and a next marker; only full pages may", pages, len(ids))
					}
					if last := ids[len(ids)-1].ID; next != last {
						t.Fatalf("page %d next = %q, want the last id %q", pages, next, last)
					}
					after = next
				}
				if !slices.Equal(got, want) {
					t.Fatalf("paged through %v, want %v", got, want)
				}
			})
		}
	}

	ids, _, err := cs.ListIdentities(ctx, pool, false, "", 1)
	noErr(t, "ListIdentities", err)
	want := identity(pool, all[0], time.Time{})
	for i := 1; i <= 25; i++ {
		if identityID(i) == all[0] {
			want = identity(pool, identityID(i), at(i))
			want.Disabled = i%3 == 0
		}
	}
	checkIdentity(t, ids[0], want)

	ids, next, err := cs.ListIdentities(ctx, poolID("us-east-1", 99), false, "", 10)
	noErr(t, "ListIdentities of a missing pool", err)
	if len(ids) != 0 || next != "" {
		t.Fatalf("ListIdentities of a missing pool = %v next %q", ids, next)
	}
}

func testDeleteIdentity(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	createIdentity(t, cs, identity(pool, identityID(1), at(1)), login(googleProvider, "a", at(1)), login(devProvider, "d", at(1)))
	createIdentity(t, cs, identity(pool, identityID(2), at(2)), login(googleProvider, "b", at(2)))

	noErr(t, "DeleteIdentity", cs.DeleteIdentity(ctx, identityID(1)))
	_, err := cs.GetIdentity(ctx, identityID(1))
	wantErr(t, "GetIdentity after delete", err, store.ErrNotFound)
	checkLoginOwner(t, cs, pool, googleProvider, "a", "")
	checkLoginOwner(t, cs, pool, devProvider, "d", "")
	if got := listLoginKeys(t, cs, identityID(1)); len(got) != 0 {
		t.Errorf("ListLogins after delete = %v", got)
	}
	wantErr(t, "DeleteIdentity again", cs.DeleteIdentity(ctx, identityID(1)), store.ErrNotFound)

	// The other identity is untouched, and the freed login can be linked anew.
	checkLoginOwner(t, cs, pool, googleProvider, "b", identityID(2))
	if got := allIdentities(t, cs, pool, false); !slices.Equal(got, []string{identityID(2)}) {
		t.Fatalf("ListIdentities after delete = %v", got)
	}
	createIdentity(t, cs, identity(pool, identityID(3), at(3)), login(googleProvider, "a", at(3)))
	checkLoginOwner(t, cs, pool, googleProvider, "a", identityID(3))
}

// Logins.

func testLinkLogins(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool, other := poolID("us-east-1", 1), poolID("us-east-1", 2)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	createIdentityPool(t, cs, identityPool(acct1, other, "o"))
	id1, id2 := identityID(1), identityID(2)
	createIdentity(t, cs, identity(pool, id1, at(1)), login(googleProvider, "g1", at(1)))
	createIdentity(t, cs, identity(pool, id2, at(2)), login(googleProvider, "g2", at(2)))

	noErr(t, "LinkLogins", cs.LinkLogins(ctx, id1, []store.IdentityLogin{
		login(devProvider, "dev-b", at(3)),
		{PoolID: pool, IdentityID: id1, Provider: devProvider, Subject: "dev-a", CreatedAt: at(3)},
	}, nil, nil))
	want := []string{googleProvider + "|g1", devProvider + "|dev-a", devProvider + "|dev-b"}
	if got := listLoginKeys(t, cs, id1); !slices.Equal(got, want) {
		t.Fatalf("ListLogins after LinkLogins = %v, want %v", got, want)
	}
	checkLoginOwner(t, cs, pool, devProvider, "dev-a", id1)

	// Linking again is a no-op that keeps the original link time, even listed twice and beside a
	// new login.
	noErr(t, "LinkLogins of linked logins", cs.LinkLogins(ctx, id1, []store.IdentityLogin{
		login(googleProvider, "g1", at(9)), login(devProvider, "dev-c", at(9)), login(googleProvider, "g1", at(9)),
	}, []string{googleProvider}, nil))
	l, err := cs.FindLogin(ctx, pool, googleProvider, "g1")
	noErr(t, "FindLogin", err)
	checkTime(t, "CreatedAt of a re-linked login", l.CreatedAt, at(1))
	l, err = cs.FindLogin(ctx, pool, devProvider, "dev-c")
	noErr(t, "FindLogin", err)
	checkTime(t, "CreatedAt of a new login", l.CreatedAt, at(9))
	noErr(t, "LinkLogins of nothing", cs.LinkLogins(ctx, id1, nil, nil, nil))

	// A login linked to another identity refuses the whole call.
	err = cs.LinkLogins(ctx, id1, []store.IdentityLogin{login(userPoolA, "up-1", at(4)), login(googleProvider, "g2", at(4))}, nil, nil)
	wantErr(t, "LinkLogins of another identity's login", err, store.ErrAlreadyExists)
	checkLoginOwner(t, cs, pool, userPoolA, "up-1", "")
	checkLoginOwner(t, cs, pool, googleProvider, "g2", id2)

	// The identity's UpdatedAt is not the store's to move here.
	checkIdentity(t, getIdentity(t, cs, id1), identity(pool, id1, at(1)))

	wantErr(t, "LinkLogins to a missing identity",
		cs.LinkLogins(ctx, identityID(99), []store.IdentityLogin{login(devProvider, "ghost", at(5))}, nil, nil), store.ErrNotFound)
	checkLoginOwner(t, cs, pool, devProvider, "ghost", "")

	// A login naming another pool or identity is refused.
	for _, bad := range []store.IdentityLogin{
		{PoolID: other, Provider: devProvider, Subject: "x", CreatedAt: at(6)},
		{IdentityID: id2, Provider: devProvider, Subject: "x", CreatedAt: at(6)},
	} {
		if err := cs.LinkLogins(ctx, id1, []store.IdentityLogin{bad}, nil, nil); err == nil {
			t.Errorf("LinkLogins of %+v succeeded", bad)
		}
		checkLoginOwner(t, cs, pool, devProvider, "x", "")
		checkLoginOwner(t, cs, other, devProvider, "x", "")
	}
}

func testLinkLoginsOnePerProvider(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	id1 := identityID(1)
	createIdentity(t, cs, identity(pool, id1, at(1)), login(googleProvider, "g1", at(1)))
	single := []string{googleProvider, "graph.facebook.com", userPoolA}

	// A second subject of a listed provider conflicts; nothing of the call is written.
	err := cs.LinkLogins(ctx, id1, []store.IdentityLogin{login(devProvider, "dev", at(2)), login(googleProvider, "g-other", at(2))}, single, nil)
	wantErr(t, "LinkLogins of a second Google login", err, store.ErrConflict)
	checkLoginOwner(t, cs, pool, googleProvider, "g-other", "")
	checkLoginOwner(t, cs, pool, devProvider, "dev", "")

	// Two subjects of one listed provider within the call conflict too.
	err = cs.LinkLogins(ctx, id1, []store.IdentityLogin{login(userPoolA, "u1", at(3)), login(userPoolA, "u2", at(3))}, single, nil)
	wantErr(t, "LinkLogins of two user-pool logins at once", err, store.ErrConflict)
	checkLoginOwner(t, cs, pool, userPoolA, "u1", "")
	checkLoginOwner(t, cs, pool, userPoolA, "u2", "")

	// Providers not listed take any number of subjects; a listed one its first.
	noErr(t, "LinkLogins of several developer logins and one user-pool login", cs.LinkLogins(ctx, id1, []store.IdentityLogin{
		login(devProvider, "dev-1", at(4)), login(devProvider, "dev-2", at(4)), login(userPoolA, "u1", at(4)),
	}, single, nil))
	noErr(t, "LinkLogins of another developer login", cs.LinkLogins(ctx, id1, []store.IdentityLogin{login(devProvider, "dev-3", at(5))}, single, nil))
	want := []string{googleProvider + "|g1", userPoolA + "|u1", devProvider + "|dev-1", devProvider + "|dev-2", devProvider + "|dev-3"}
	if got := listLoginKeys(t, cs, id1); !slices.Equal(got, want) {
		t.Fatalf("ListLogins = %v, want %v", got, want)
	}

	// Without the provider in onePerProvider, a second subject is fine.
	noErr(t, "LinkLogins of a second Google login, not restricted", cs.LinkLogins(ctx, id1, []store.IdentityLogin{login(googleProvider, "g2", at(6))}, nil, nil))
	checkLoginOwner(t, cs, pool, googleProvider, "g2", id1)

	// The restriction is per identity: another identity takes its own Google login.
	createIdentity(t, cs, identity(pool, identityID(2), at(7)))
	noErr(t, "LinkLogins of a Google login to another identity",
		cs.LinkLogins(ctx, identityID(2), []store.IdentityLogin{login(googleProvider, "g3", at(7))}, single, nil))
}

func testLinkLoginsConcurrent(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))

	// Different subjects of one restricted provider onto one identity: exactly one is linked.
	target := identityID(100)
	createIdentity(t, cs, identity(pool, target, at(1)))
	const n = 8
	errs := Concurrently(n, func(i int) error {
		return cs.LinkLogins(ctx, target, []store.IdentityLogin{login(googleProvider, fmt.Sprintf("g%d", i), at(i))}, []string{googleProvider}, nil)
	})
	if ok := countOutcomes(t, "LinkLogins of one restricted provider", errs, store.ErrConflict); ok != 1 {
		t.Fatalf("%d of %d concurrent LinkLogins of one restricted provider succeeded, want exactly 1", ok, n)
	}
	if got := listLoginKeys(t, cs, target); len(got) != 1 {
		t.Fatalf("the identity has logins %v, want one", got)
	}

	// One login onto different identities: exactly one identity gets it.
	for i := range n {
		createIdentity(t, cs, identity(pool, identityID(i), at(i)))
	}
	errs = Concurrently(n, func(i int) error {
		return cs.LinkLogins(ctx, identityID(i), []store.IdentityLogin{login(devProvider, "shared", at(i))}, nil, nil)
	})
	if ok := countOutcomes(t, "LinkLogins of one login", errs, store.ErrAlreadyExists); ok != 1 {
		t.Fatalf("%d of %d concurrent LinkLogins of one login succeeded, want exactly 1", ok, n)
	}
	winner := slices.IndexFunc(errs, func(err error) bool { return err == nil })
	checkLoginOwner(t, cs, pool, devProvider, "shared", identityID(winner))
	for i := range n {
		want := 0
		if i == winner {
			want = 1
		}
		if got := listLoginKeys(t, cs, identityID(i)); len(got) != want {
			t.Errorf("identity %d has logins %v, want %d", i, got, want)
		}
	}
}

// Identity pools belong to a region: the part of their id before ':'.

func testIdentityPoolRegions(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	// "us-east-10" and "us-east-1_x" share the prefix "us-east-1" without being that region.
	regions := []string{"us-east-1", "us-east-10", "us-east-1_x", "eu-west-1", "us-east-1", "us-east-1"}
	byRegion := map[string][]string{}
	for i, r := range regions {
		id := poolID(r, 10-i)
		createIdentityPool(t, cs, identityPool(acct1, id, "p"))
		byRegion[r] = append(byRegion[r], id)
		createIdentityPool(t, cs, identityPool(acct2, poolID(r, 100+i), "other account"))
	}
	for r, want := range byRegion {
		slices.Sort(want)
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > len(want) {
				t.Fatalf("region %s: pagination does not terminate; got %v", r, got)
			}
			pools, next, err := cs.ListIdentityPools(ctx, acct1, r, after, 1)
			noErr(t, "ListIdentityPools in "+r, err)
			got = append(got, identityPoolIDs(pools)...)
			if next == "" {
				break
			}
			after = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("ListIdentityPools in %s = %v, want %v", r, got, want)
		}
	}
	pools, _, err := cs.ListIdentityPools(ctx, acct1, "ap-south-1", "", 0)
	noErr(t, "ListIdentityPools in a region without pools", err)
	if len(pools) != 0 {
		t.Fatalf("ListIdentityPools in a region without pools = %v", identityPoolIDs(pools))
	}

	// The per-account limit counts the pools of the new pool's region only.
	wantErr(t, "a fourth us-east-1 pool with a limit of 3",
		cs.CreateIdentityPool(ctx, identityPool(acct1, poolID("us-east-1", 50), "over"), 3), store.ErrLimitExceeded)
	noErr(t, "a second eu-west-1 pool with a limit of 3",
		cs.CreateIdentityPool(ctx, identityPool(acct1, poolID("eu-west-1", 51), "fits"), 3))
	noErr(t, "a first ap-south-1 pool with a limit of 1",
		cs.CreateIdentityPool(ctx, identityPool(acct1, poolID("ap-south-1", 52), "fits"), 1))
}

// Identities and their logins, through the identity's updater.

// withoutLogin returns an updater that unlinks one login and, when it was the last, disables the
// identity, as the Cognito service does; it fails when the login is not linked.
func withoutLogin(provider, subject string, when time.Time) func(*store.IdentityWithLogins) error {
	return func(id *store.IdentityWithLogins) error {
		i := slices.IndexFunc(id.Logins, func(l store.IdentityLogin) bool { return l.Provider == provider && l.Subject == subject })
		if i < 0 {
			return errAbort
		}
		id.Logins = slices.Delete(id.Logins, i, i+1)
		id.Disabled = id.Disabled || len(id.Logins) == 0
		id.UpdatedAt = when
		return nil
	}
}

func testUpdateIdentity(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	id1, id2 := identityID(1), identityID(2)
	createIdentity(t, cs, identity(pool, id1, at(1)), login(googleProvider, "g1", at(1)), login(devProvider, "d2", at(2)), login(devProvider, "d1", at(3)))
	createIdentity(t, cs, identity(pool, id2, at(2)), login(googleProvider, "g2", at(2)))

	// fn sees the identity and its logins as stored, ordered by provider then subject.
	var seen store.IdentityWithLogins
	got, err := cs.UpdateIdentity(ctx, id1, func(id *store.IdentityWithLogins) error {
		seen = *id
		seen.Logins = slices.Clone(id.Logins)
		return withoutLogin(googleProvider, "g1", at(10))(id)
	})
	noErr(t, "UpdateIdentity unlinking one login", err)
	checkIdentity(t, seen.Identity, identity(pool, id1, at(1)))
	if keys := loginKeys(seen.Logins); !slices.Equal(keys, []string{googleProvider + "|g1", devProvider + "|d1", devProvider + "|d2"}) {
		t.Fatalf("the updater saw logins %v", keys)
	}
	for _, l := range seen.Logins {
		if l.PoolID != pool || l.IdentityID != id1 {
			t.Errorf("the updater saw login %+v", l)
		}
	}
	l, _ := find(seen.Logins, devProvider, "d1")
	checkTime(t, "login CreatedAt seen by the updater", l.CreatedAt, at(3))

	// The answer is the identity as stored.
	want := store.Identity{ID: id1, PoolID: pool, CreatedAt: at(1), UpdatedAt: at(10)}
	checkIdentity(t, got.Identity, want)
	checkIdentity(t, getIdentity(t, cs, id1), want)
	if keys := loginKeys(got.Logins); !slices.Equal(keys, []string{devProvider + "|d1", devProvider + "|d2"}) {
		t.Fatalf("UpdateIdentity returned logins %v", keys)
	}
	checkLoginOwner(t, cs, pool, googleProvider, "g1", "")
	checkLoginOwner(t, cs, pool, devProvider, "d1", id1)
	// The freed login can go to another identity; the other identity was not touched.
	checkIdentity(t, getIdentity(t, cs, id2), identity(pool, id2, at(2)))
	noErr(t, "LinkLogins of the unlinked login elsewhere", cs.LinkLogins(ctx, id2, []store.IdentityLogin{login(googleProvider, "g1", at(11))}, nil, nil))
	checkLoginOwner(t, cs, pool, googleProvider, "g1", id2)

	// Unlinking the last logins and disabling the identity is one write.
	got, err = cs.UpdateIdentity(ctx, id1, func(id *store.IdentityWithLogins) error {
		id.Logins = nil
		id.Disabled = true
		id.UpdatedAt = at(12)
		return nil
	})
	noErr(t, "UpdateIdentity unlinking every login", err)
	want = store.Identity{ID: id1, PoolID: pool, Disabled: true, CreatedAt: at(1), UpdatedAt: at(12)}
	checkIdentity(t, got.Identity, want)
	checkIdentity(t, getIdentity(t, cs, id1), want)
	if len(got.Logins) != 0 || len(listLoginKeys(t, cs, id1)) != 0 {
		t.Fatalf("the identity kept logins %v", listLoginKeys(t, cs, id1))
	}
	if ids := allIdentities(t, cs, pool, true); !slices.Equal(ids, []string{id2}) {
		t.Fatalf("ListIdentities hiding disabled = %v, want only %s", ids, id2)
	}

	// An updater that changes nothing writes nothing but UpdatedAt as it leaves it.
	got, err = cs.UpdateIdentity(ctx, id2, func(*store.IdentityWithLogins) error { return nil })
	noErr(t, "UpdateIdentity without a change", err)
	checkIdentity(t, got.Identity, identity(pool, id2, at(2)))
	if keys := listLoginKeys(t, cs, id2); !slices.Equal(keys, []string{googleProvider + "|g1", googleProvider + "|g2"}) {
		t.Fatalf("logins after an empty update = %v", keys)
	}

	called := false
	_, err = cs.UpdateIdentity(ctx, identityID(99), func(*store.IdentityWithLogins) error { called = true; return nil })
	wantErr(t, "UpdateIdentity of a missing identity", err, store.ErrNotFound)
	if called {
		t.Fatal("the updater of a missing identity was called")
	}
}

func find(logins []store.IdentityLogin, provider, subject string) (store.IdentityLogin, bool) {
	for _, l := range logins {
		if l.Provider == provider && l.Subject == subject {
			return l, true
		}
	}
	return store.IdentityLogin{}, false
}

func testUpdateIdentityRefusals(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool, other := poolID("us-east-1", 1), poolID("us-east-1", 2)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	createIdentityPool(t, cs, identityPool(acct1, other, "o"))
	id, gone := identityID(1), identityID(2)
	createIdentity(t, cs, identity(pool, id, at(1)), login(googleProvider, "g1", at(1)), login(devProvider, "d1", at(2)))
	createIdentity(t, cs, identity(pool, gone, at(3)))
	_, err := cs.UpdateIdentity(ctx, gone, func(i *store.IdentityWithLogins) error { i.Disabled = true; return nil })
	noErr(t, "disabling an identity", err)

	unchanged := func(what string) {
		t.Helper()
		checkIdentity(t, getIdentity(t, cs, id), identity(pool, id, at(1)))
		if keys := listLoginKeys(t, cs, id); !slices.Equal(keys, []string{googleProvider + "|g1", devProvider + "|d1"}) {
			t.Fatalf("after %s the identity has logins %v", what, keys)
		}
		checkIdentity(t, getIdentity(t, cs, gone), store.Identity{ID: gone, PoolID: pool, Disabled: true, CreatedAt: at(3), UpdatedAt: at(3)})
	}

	// The updater's own error comes back as it is, and what it changed before is not written.
	_, err = cs.UpdateIdentity(ctx, id, func(i *store.IdentityWithLogins) error {
		if err := withoutLogin(googleProvider, "g1", at(9))(i); err != nil {
			return err
		}
		return errAbort
	})
	if err != errAbort {
		t.Fatalf("UpdateIdentity returned %v, want the updater's error itself", err)
	}
	unchanged("an updater that refused")

	for _, tc := range []struct {
		what   string
		target string
		fn     func(*store.IdentityWithLogins)
	}{
		{"moving the identity to another pool", id, func(i *store.IdentityWithLogins) { i.PoolID = other }},
		{"renaming the identity", id, func(i *store.IdentityWithLogins) { i.ID = identityID(3) }},
		{"changing CreatedAt", id, func(i *store.IdentityWithLogins) { i.CreatedAt = at(7) }},
		{"enabling a disabled identity", gone, func(i *store.IdentityWithLogins) { i.Disabled = false }},
		{"adding a login", id, func(i *store.IdentityWithLogins) {
			i.Logins = append(i.Logins, store.IdentityLogin{PoolID: pool, IdentityID: id, Provider: devProvider, Subject: "new", CreatedAt: at(8)})
		}},
		{"adding a login to a disabled identity", gone, func(i *store.IdentityWithLogins) {
			i.Logins = append(i.Logins, store.IdentityLogin{PoolID: pool, IdentityID: gone, Provider: devProvider, Subject: "new", CreatedAt: at(8)})
		}},
		{"changing a kept login's subject", id, func(i *store.IdentityWithLogins) { i.Logins[0].Subject = "other" }},
		{"changing a kept login's CreatedAt", id, func(i *store.IdentityWithLogins) { i.Logins[0].CreatedAt = at(8) }},
		{"pointing a kept login at another identity", id, func(i *store.IdentityWithLogins) { i.Logins[0].IdentityID = gone }},
		{"listing a kept login twice while removing another", id, func(i *store.IdentityWithLogins) { i.Logins[1] = i.Logins[0] }},
	} {
		_, err := cs.UpdateIdentity(ctx, tc.target, func(i *store.IdentityWithLogins) error {
			i.UpdatedAt = at(9)
			tc.fn(i)
			return nil
		})
		if err == nil {
			t.Fatalf("UpdateIdentity %s succeeded", tc.what)
		}
		for _, sentinel := range []error{store.ErrNotFound, store.ErrAlreadyExists, store.ErrConflict, store.ErrUnavailable, store.ErrIdentityDisabled} {
			if errors.Is(err, sentinel) {
				t.Errorf("UpdateIdentity %s: %v matches %v; a programming error matches no sentinel", tc.what, err, sentinel)
			}
		}
		unchanged(tc.what)
	}
}

// testUpdateIdentityConcurrentUnlinks races updaters that each unlink one login of one identity
// and disable it when they removed the last: every login goes, and exactly the last updater,
// whichever it is, sees no login left, so the identity ends disabled.
func testUpdateIdentityConcurrentUnlinks(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	id := identityID(1)
	var logins []store.IdentityLogin
	for i := range concurrentUpdaters {
		logins = append(logins, login(devProvider, fmt.Sprintf("d%02d", i), at(i)))
	}
	createIdentity(t, cs, identity(pool, id, at(0)), logins...)
	var mu sync.Mutex
	sawLast := 0
	errs := Concurrently(concurrentUpdaters, func(i int) error {
		_, err := cs.UpdateIdentity(ctx, id, func(cur *store.IdentityWithLogins) error {
			if err := withoutLogin(devProvider, fmt.Sprintf("d%02d", i), at(20))(cur); err != nil {
				return err
			}
			if len(cur.Logins) == 0 {
				mu.Lock()
				sawLast++
				mu.Unlock()
			}
			return nil
		})
		return err
	})
	for i, err := range errs {
		noErr(t, fmt.Sprintf("concurrent unlink %d", i), err)
	}
	if keys := listLoginKeys(t, cs, id); len(keys) != 0 {
		t.Fatalf("after every login was unlinked the identity has %v", keys)
	}
	if got := getIdentity(t, cs, id); !got.Disabled {
		t.Fatalf("the identity whose logins were all unlinked is not disabled: %+v", got)
	}
	// An updater runs again when its transaction loses a race, so more than one call may have
	// seen the empty list; at least one must have, or the identity could not be disabled.
	if sawLast < 1 {
		t.Fatal("no updater saw the identity without logins")
	}
}

func testDisabledIdentityGetsNoLogin(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	unlinked, merged, winner, loser := identityID(1), identityID(2), identityID(3), identityID(4)
	createIdentity(t, cs, identity(pool, unlinked, at(1)), login(googleProvider, "g1", at(1)))
	createIdentity(t, cs, identity(pool, merged, at(2)))
	createIdentity(t, cs, identity(pool, winner, at(3)), login(googleProvider, "g3", at(3)))
	createIdentity(t, cs, identity(pool, loser, at(4)), login(devProvider, "d4", at(4)))
	_, err := cs.UpdateIdentity(ctx, unlinked, withoutLogin(googleProvider, "g1", at(5)))
	noErr(t, "unlinking the last login", err)
	noErr(t, "merging a guest", cs.MergeIdentities(ctx, store.Merge{WinnerID: winner, LoserIDs: []string{merged}, At: at(6)}))

	for _, id := range []string{unlinked, merged} {
		wantErr(t, "LinkLogins to disabled "+id,
			cs.LinkLogins(ctx, id, []store.IdentityLogin{login(devProvider, "attacker-"+id, at(7))}, nil, nil), store.ErrIdentityDisabled)
		checkLoginOwner(t, cs, pool, devProvider, "attacker-"+id, "")
		// A login it had before, re-linked, is refused too.
		wantErr(t, "LinkLogins of its old login to disabled "+id,
			cs.LinkLogins(ctx, id, []store.IdentityLogin{login(googleProvider, "g1", at(7))}, nil, nil), store.ErrIdentityDisabled)
		wantErr(t, "MergeIdentities into disabled "+id,
			cs.MergeIdentities(ctx, store.Merge{WinnerID: id, LoserIDs: []string{loser}, At: at(8)}), store.ErrIdentityDisabled)
		checkLoginOwner(t, cs, pool, devProvider, "d4", loser)
		checkIdentity(t, getIdentity(t, cs, loser), identity(pool, loser, at(4)))
		if keys := listLoginKeys(t, cs, id); len(keys) != 0 {
			t.Fatalf("disabled identity %s has logins %v", id, keys)
		}
	}
	checkLoginOwner(t, cs, pool, googleProvider, "g1", "")
}

// testLastUnlinkRacingLink races, on many identities with one login each, the unlink of that last
// login (which disables the identity) against linking a new login: either the link comes first and
// the identity keeps the new login, enabled, or the unlink comes first and the link is refused.
// No identity may end disabled with a login, or enabled with none.
func testLastUnlinkRacingLink(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	const n = 8
	for i := range n {
		createIdentity(t, cs, identity(pool, identityID(i), at(i)), login(googleProvider, fmt.Sprintf("owner%d", i), at(i)))
	}
	errs := Concurrently(2*n, func(j int) error {
		i := j / 2
		if j%2 == 0 {
			_, err := cs.UpdateIdentity(ctx, identityID(i), withoutLogin(googleProvider, fmt.Sprintf("owner%d", i), at(20)))
			return err
		}
		return cs.LinkLogins(ctx, identityID(i), []store.IdentityLogin{login(devProvider, fmt.Sprintf("attacker%d", i), at(21))}, nil, nil)
	})
	for i := range n {
		noErr(t, fmt.Sprintf("unlink %d", i), errs[2*i])
		linkErr := errs[2*i+1]
		got := getIdentity(t, cs, identityID(i))
		keys := listLoginKeys(t, cs, identityID(i))
		switch {
		case linkErr == nil:
			if got.Disabled || !slices.Equal(keys, []string{devProvider + "|attacker" + fmt.Sprint(i)}) {
				t.Errorf("identity %d: the link won, but the identity is disabled=%v with logins %v", i, got.Disabled, keys)
			}
		case errors.Is(linkErr, store.ErrIdentityDisabled):
			if !got.Disabled || len(keys) != 0 {
				t.Errorf("identity %d: the unlink won, but the identity is disabled=%v with logins %v", i, got.Disabled, keys)
			}
			checkLoginOwner(t, cs, pool, devProvider, fmt.Sprintf("attacker%d", i), "")
		default:
			t.Errorf("identity %d: LinkLogins = %v, want nil or ErrIdentityDisabled", i, linkErr)
		}
	}
}

func testMergeIdentities(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	winner, loser1, loser2, loser3, bystander := identityID(1), identityID(2), identityID(3), identityID(4), identityID(5)
	createIdentity(t, cs, identity(pool, winner, at(1)), login(googleProvider, "w", at(1)))
	createIdentity(t, cs, identity(pool, loser1, at(2)), login(devProvider, "l1-a", at(2)), login(devProvider, "l1-b", at(2)))
	createIdentity(t, cs, identity(pool, loser2, at(3)), login(userPoolA, "l2", at(3)))
	createIdentity(t, cs, identity(pool, loser3, at(4)))
	createIdentity(t, cs, identity(pool, bystander, at(5)), login(googleProvider, "b", at(5)))

	// Losers listed twice and the winner among them are harmless.
	mergedAt := at(10)
	noErr(t, "MergeIdentities", cs.MergeIdentities(ctx, store.Merge{WinnerID: winner, LoserIDs: []string{loser1, loser2, winner, loser3, loser1}, At: mergedAt}))

	want := []string{googleProvider + "|w", userPoolA + "|l2", devProvider + "|l1-a", devProvider + "|l1-b"}
	if got := listLoginKeys(t, cs, winner); !slices.Equal(got, want) {
		t.Fatalf("winner's logins = %v, want %v", got, want)
	}
	for _, l := range []string{loser1, loser2, loser3} {
		if got := listLoginKeys(t, cs, l); len(got) != 0 {
			t.Errorf("loser %s still has logins %v", l, got)
		}
	}
	checkLoginOwner(t, cs, pool, devProvider, "l1-a", winner)
	checkLoginOwner(t, cs, pool, userPoolA, "l2", winner)
	// A moved link keeps its creation time.
	l, err := cs.FindLogin(ctx, pool, userPoolA, "l2")
	noErr(t, "FindLogin", err)
	checkTime(t, "moved login CreatedAt", l.CreatedAt, at(3))

	checkIdentity(t, getIdentity(t, cs, winner), store.Identity{ID: winner, PoolID: pool, CreatedAt: at(1), UpdatedAt: mergedAt})
	for i, l := range []string{loser1, loser2, loser3} {
		checkIdentity(t, getIdentity(t, cs, l), store.Identity{ID: l, PoolID: pool, Disabled: true, CreatedAt: at(2 + i), UpdatedAt: mergedAt})
	}
	checkIdentity(t, getIdentity(t, cs, bystander), identity(pool, bystander, at(5)))
	if got := allIdentities(t, cs, pool, true); !slices.Equal(got, []string{winner, bystander}) {
		t.Fatalf("ListIdentities hiding disabled = %v, want the winner and the bystander", got)
	}
	if got := allIdentities(t, cs, pool, false); len(got) != 5 {
		t.Fatalf("ListIdentities = %v, want all five", got)
	}

	// A disabled loser can be merged again (it has nothing left to move), and a merge without
	// losers only touches the winner's UpdatedAt.
	noErr(t, "MergeIdentities of a merged loser", cs.MergeIdentities(ctx, store.Merge{WinnerID: bystander, LoserIDs: []string{loser1}, At: at(11)}))
	checkIdentity(t, getIdentity(t, cs, loser1), store.Identity{ID: loser1, PoolID: pool, Disabled: true, CreatedAt: at(2), UpdatedAt: at(11)})
	noErr(t, "MergeIdentities without losers", cs.MergeIdentities(ctx, store.Merge{WinnerID: winner, At: at(12)}))
	checkIdentity(t, getIdentity(t, cs, winner), store.Identity{ID: winner, PoolID: pool, CreatedAt: at(1), UpdatedAt: at(12)})
}

func testMergeIdentitiesErrors(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool, other := poolID("us-east-1", 1), poolID("us-east-1", 2)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	createIdentityPool(t, cs, identityPool(acct1, other, "o"))
	winner, loser, stranger := identityID(1), identityID(2), identityID(3)
	createIdentity(t, cs, identity(pool, winner, at(1)), login(googleProvider, "w", at(1)))
	createIdentity(t, cs, identity(pool, loser, at(2)), login(devProvider, "l", at(2)))
	createIdentity(t, cs, identity(other, stranger, at(3)), login(devProvider, "s", at(3)))

	unchanged := func(what string) {
		t.Helper()
		checkIdentity(t, getIdentity(t, cs, winner), identity(pool, winner, at(1)))
		checkIdentity(t, getIdentity(t, cs, loser), identity(pool, loser, at(2)))
		checkIdentity(t, getIdentity(t, cs, stranger), identity(other, stranger, at(3)))
		checkLoginOwner(t, cs, pool, devProvider, "l", loser)
		checkLoginOwner(t, cs, other, devProvider, "s", stranger)
		if got := listLoginKeys(t, cs, winner); !slices.Equal(got, []string{googleProvider + "|w"}) {
			t.Errorf("after %s the winner has logins %v", what, got)
		}
	}

	// The valid loser comes first, so a backend that does not roll back shows it.
	wantErr(t, "MergeIdentities with a missing loser",
		cs.MergeIdentities(ctx, store.Merge{WinnerID: winner, LoserIDs: []string{loser, identityID(99)}, At: at(10)}), store.ErrNotFound)
	unchanged("a merge with a missing loser")
	wantErr(t, "MergeIdentities into a missing winner",
		cs.MergeIdentities(ctx, store.Merge{WinnerID: identityID(99), LoserIDs: []string{loser}, At: at(10)}), store.ErrNotFound)
	unchanged("a merge into a missing winner")
	if err := cs.MergeIdentities(ctx, store.Merge{WinnerID: winner, LoserIDs: []string{loser, stranger}, At: at(10)}); err == nil {
		t.Error("MergeIdentities of an identity of another pool succeeded")
	}
	unchanged("a merge across pools")
}

func testListLoginSubjects(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	id1, id2 := identityID(1), identityID(2)
	// Code-point order: "Z" < "_" < "a"; multi-byte characters last.
	subjects := []string{"user-10", "user-2", "Zed", "_under", "alice", "bob", "ünïcødé", "user-1", "carol", "dave", "eve"}
	var logins []store.IdentityLogin
	for _, sub := range subjects {
		logins = append(logins, login(devProvider, sub, at(1)))
	}
	logins = append(logins, login(googleProvider, "google-sub", at(1)))
	createIdentity(t, cs, identity(pool, id1, at(1)), logins...)
	createIdentity(t, cs, identity(pool, id2, at(2)), login(devProvider, "other-user", at(2)), login(devProvider, "aaa", at(2)))
	want := slices.Sorted(slices.Values(subjects))

	for _, limit := range []int{1, 2, 3, 5, 10, 11, 12, 60} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			var got []string
			after := ""
			for pages := 1; ; pages++ {
				if pages > len(want)+1 {
					t.Fatalf("pagination does not terminate; got %v so far", got)
				}
				page, next, err := cs.ListLoginSubjects(ctx, id1, devProvider, after, limit)
				noErr(t, "ListLoginSubjects", err)
				if len(page) > limit {
					t.Fatalf("page %d has %d subjects, limit %d", pages, len(page), limit)
				}
				got = append(got, page...)
				if next == "" {
					break
				}
				if len(page) != limit {
					t.Fatalf("page %d has %d subjects and a next marker; only full pages may", pages, len(page))
				}
				if next != page[len(page)-1] {
					t.Fatalf("page %d next = %q, want the last subject %q", pages, next, page[len(page)-1])
				}
				after = next
			}
			if !slices.Equal(got, want) {
				t.Fatalf("paged through %v, want %v", got, want)
			}
		})
	}

	// ListLogins orders by provider, then subject, by code point too.
	wantLogins := []string{googleProvider + "|google-sub"}
	for _, sub := range want {
		wantLogins = append(wantLogins, devProvider+"|"+sub)
	}
	if got := listLoginKeys(t, cs, id1); !slices.Equal(got, wantLogins) {
		t.Fatalf("ListLogins = %v, want %v", got, wantLogins)
	}

	page, next, err := cs.ListLoginSubjects(ctx, id1, googleProvider, "", 0)
	noErr(t, "ListLoginSubjects of another provider", err)
	if !slices.Equal(page, []string{"google-sub"}) || next != "" {
		t.Fatalf("ListLoginSubjects of Google = %v next %q", page, next)
	}
	page, next, err = cs.ListLoginSubjects(ctx, id1, devProvider, "c", 2)
	noErr(t, "ListLoginSubjects after an arbitrary marker", err)
	if !slices.Equal(page, []string{"carol", "dave"}) || next != "dave" {
		t.Fatalf("ListLoginSubjects after \"c\" = %v next %q", page, next)
	}
	for _, tc := range []struct{ id, provider string }{{id1, "www.amazon.com"}, {identityID(99), devProvider}} {
		page, next, err := cs.ListLoginSubjects(ctx, tc.id, tc.provider, "", 10)
		noErr(t, "ListLoginSubjects", err)
		if len(page) != 0 || next != "" {
			t.Errorf("ListLoginSubjects(%s, %s) = %v next %q, want nothing", tc.id, tc.provider, page, next)
		}
	}
}

// Preconditions checked under the identity's row lock: LinkCheck and Merge.Check.

// errRefused is what the checks of these tests return to refuse; the store must hand it back as it
// is.
var errRefused = errors.New("storetest: the check refused")

// snapshot copies what a check was given, so that the test can look at it after the call.
func snapshot(cur store.IdentityWithLogins) store.IdentityWithLogins {
	cur.Logins = slices.Clone(cur.Logins)
	return cur
}

// loginless is the check the Cognito service passes when it links a guest's first login: the
// identity must still have no login.
func loginless(cur store.IdentityWithLogins) error {
	if len(cur.Logins) > 0 {
		return errRefused
	}
	return nil
}

// linkedTo is the check of a link decided with a proof: the proof login must still be linked.
func linkedTo(provider, subject string) store.LinkCheck {
	return func(cur store.IdentityWithLogins) error {
		if _, ok := find(cur.Logins, provider, subject); !ok {
			return errRefused
		}
		return nil
	}
}

func testLinkCheck(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	id1, id2, gone := identityID(1), identityID(2), identityID(3)
	createIdentity(t, cs, identity(pool, id1, at(1)), login(googleProvider, "g1", at(1)), login(devProvider, "d1", at(2)))
	createIdentity(t, cs, identity(pool, id2, at(2)), login(googleProvider, "g2", at(2)))
	createIdentity(t, cs, identity(pool, gone, at(3)), login(devProvider, "gone", at(3)))
	_, err := cs.UpdateIdentity(ctx, gone, withoutLogin(devProvider, "gone", at(4)))
	noErr(t, "unlinking the last login of "+gone, err)

	// The check sees the identity and its logins as stored, then the link is written.
	var seen store.IdentityWithLogins
	noErr(t, "LinkLogins with a passing check", cs.LinkLogins(ctx, id1, []store.IdentityLogin{login(devProvider, "d2", at(5))}, nil,
		func(cur store.IdentityWithLogins) error { seen = snapshot(cur); return nil }))
	checkIdentity(t, seen.Identity, identity(pool, id1, at(1)))
	if keys := loginKeys(seen.Logins); !slices.Equal(keys, []string{googleProvider + "|g1", devProvider + "|d1"}) {
		t.Fatalf("the check saw logins %v, want the identity's two", keys)
	}
	checkLoginOwner(t, cs, pool, devProvider, "d2", id1)

	// A refusal is returned as it is and writes nothing; it comes before the refusal of a login
	// that is linked elsewhere and of a second subject of a restricted provider.
	for _, logins := range [][]store.IdentityLogin{
		{login(devProvider, "d3", at(6))},
		{login(devProvider, "d3", at(6)), login(googleProvider, "g2", at(6))},
		{login(devProvider, "d3", at(6)), login(googleProvider, "g3", at(6))},
	} {
		err := cs.LinkLogins(ctx, id1, logins, []string{googleProvider}, func(store.IdentityWithLogins) error { return errRefused })
		if err != errRefused {
			t.Fatalf("LinkLogins of %v with a refusing check = %v, want the check's error as it is", loginKeys(logins), err)
		}
		checkLoginOwner(t, cs, pool, devProvider, "d3", "")
		checkLoginOwner(t, cs, pool, googleProvider, "g3", "")
	}
	if keys := listLoginKeys(t, cs, id1); !slices.Equal(keys, []string{googleProvider + "|g1", devProvider + "|d1", devProvider + "|d2"}) {
		t.Fatalf("after the refusals the identity has logins %v", keys)
	}

	// The checks of the service, against the identity as it is now.
	wantErr(t, "LinkLogins to an identity with logins, checked as a guest",
		cs.LinkLogins(ctx, id1, []store.IdentityLogin{login(userPoolA, "u1", at(7))}, nil, loginless), errRefused)
	wantErr(t, "LinkLogins with a proof linked to another identity",
		cs.LinkLogins(ctx, id1, []store.IdentityLogin{login(userPoolA, "u1", at(7))}, nil, linkedTo(googleProvider, "g2")), errRefused)
	checkLoginOwner(t, cs, pool, userPoolA, "u1", "")
	noErr(t, "LinkLogins with its proof linked",
		cs.LinkLogins(ctx, id1, []store.IdentityLogin{login(userPoolA, "u1", at(7))}, nil, linkedTo(googleProvider, "g1")))
	checkLoginOwner(t, cs, pool, userPoolA, "u1", id1)

	// A missing or disabled identity is refused before the check is called.
	called := false
	spy := func(store.IdentityWithLogins) error { called = true; return nil }
	wantErr(t, "LinkLogins to a missing identity",
		cs.LinkLogins(ctx, identityID(99), []store.IdentityLogin{login(devProvider, "x", at(8))}, nil, spy), store.ErrNotFound)
	wantErr(t, "LinkLogins to a disabled identity",
		cs.LinkLogins(ctx, gone, []store.IdentityLogin{login(devProvider, "x", at(8))}, nil, spy), store.ErrIdentityDisabled)
	if called {
		t.Fatal("the check was called for a missing or disabled identity")
	}
	checkLoginOwner(t, cs, pool, devProvider, "x", "")
}

func testMergeCheck(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	winner, loser, guest, bystander := identityID(1), identityID(2), identityID(3), identityID(4)
	createIdentity(t, cs, identity(pool, winner, at(1)), login(googleProvider, "w", at(1)))
	createIdentity(t, cs, identity(pool, loser, at(2)), login(devProvider, "l", at(2)))
	createIdentity(t, cs, identity(pool, guest, at(3)))
	createIdentity(t, cs, identity(pool, bystander, at(4)), login(devProvider, "b", at(4)))
	unchanged := func(what string) {
		t.Helper()
		checkIdentity(t, getIdentity(t, cs, winner), identity(pool, winner, at(1)))
		checkIdentity(t, getIdentity(t, cs, loser), identity(pool, loser, at(2)))
		checkIdentity(t, getIdentity(t, cs, guest), identity(pool, guest, at(3)))
		if keys := listLoginKeys(t, cs, winner); !slices.Equal(keys, []string{googleProvider + "|w"}) {
			t.Fatalf("after %s the winner has logins %v", what, keys)
		}
		checkLoginOwner(t, cs, pool, devProvider, "l", loser)
		checkLoginOwner(t, cs, pool, userPoolA, "new", "")
	}

	// A refusal is returned as it is; nothing moves, nothing is disabled or linked.
	refuse := func(store.IdentityWithLogins, []store.IdentityWithLogins) error { return errRefused }
	err := cs.MergeIdentities(ctx, store.Merge{WinnerID: winner, LoserIDs: []string{loser, guest}, At: at(10),
		Link: []store.IdentityLogin{login(userPoolA, "new", at(10))}, Check: refuse})
	if err != errRefused {
		t.Fatalf("MergeIdentities with a refusing check = %v, want the check's error as it is", err)
	}
	unchanged("a refused merge")

	// Link is checked as LinkLogins checks, and its refusal rolls the whole merge back.
	wantErr(t, "MergeIdentities linking another identity's login", cs.MergeIdentities(ctx, store.Merge{WinnerID: winner, LoserIDs: []string{loser, guest}, At: at(10),
		Link: []store.IdentityLogin{login(userPoolA, "new", at(10)), login(devProvider, "b", at(10))}}), store.ErrAlreadyExists)
	unchanged("a merge linking another identity's login")
	wantErr(t, "MergeIdentities linking a second Google login", cs.MergeIdentities(ctx, store.Merge{WinnerID: winner, LoserIDs: []string{loser, guest}, At: at(10),
		Link: []store.IdentityLogin{login(userPoolA, "new", at(10)), login(googleProvider, "w2", at(10))}, OnePerProvider: []string{googleProvider}}), store.ErrConflict)
	unchanged("a merge linking a second Google login")

	// A missing winner or loser, or a disabled winner, is refused before the check is called.
	called := false
	spy := func(store.IdentityWithLogins, []store.IdentityWithLogins) error { called = true; return nil }
	wantErr(t, "MergeIdentities with a missing loser",
		cs.MergeIdentities(ctx, store.Merge{WinnerID: winner, LoserIDs: []string{loser, identityID(99)}, At: at(10), Check: spy}), store.ErrNotFound)
	wantErr(t, "MergeIdentities into a missing winner",
		cs.MergeIdentities(ctx, store.Merge{WinnerID: identityID(99), LoserIDs: []string{loser}, At: at(10), Check: spy}), store.ErrNotFound)
	if called {
		t.Fatal("the check was called for a missing identity")
	}
	unchanged("merges with missing identities")

	// The check sees the winner and the losers as stored, in the order of LoserIDs, without the
	// winner and repeats; then the losers' logins move, the losers are disabled and Link is linked.
	var seenWinner store.IdentityWithLogins
	var seenLosers []store.IdentityWithLogins
	noErr(t, "MergeIdentities with a passing check", cs.MergeIdentities(ctx, store.Merge{
		WinnerID: winner, LoserIDs: []string{guest, winner, loser, guest}, At: at(11),
		Link: []store.IdentityLogin{login(userPoolA, "new", at(11)), login(devProvider, "l", at(11))}, OnePerProvider: []string{googleProvider, userPoolA},
		Check: func(w store.IdentityWithLogins, ls []store.IdentityWithLogins) error {
			seenWinner = snapshot(w)
			seenLosers = nil
			for _, l := range ls {
				seenLosers = append(seenLosers, snapshot(l))
			}
			return nil
		},
	}))
	checkIdentity(t, seenWinner.Identity, identity(pool, winner, at(1)))
	if keys := loginKeys(seenWinner.Logins); !slices.Equal(keys, []string{googleProvider + "|w"}) {
		t.Fatalf("the check saw the winner's logins %v", keys)
	}
	if len(seenLosers) != 2 {
		t.Fatalf("the check saw %d losers, want the guest and the loser", len(seenLosers))
	}
	checkIdentity(t, seenLosers[0].Identity, identity(pool, guest, at(3)))
	checkIdentity(t, seenLosers[1].Identity, identity(pool, loser, at(2)))
	if len(seenLosers[0].Logins) != 0 || !slices.Equal(loginKeys(seenLosers[1].Logins), []string{devProvider + "|l"}) {
		t.Fatalf("the check saw the losers' logins %v and %v", loginKeys(seenLosers[0].Logins), loginKeys(seenLosers[1].Logins))
	}
	// The moved login keeps its link time; the linked one has its own.
	want := []string{googleProvider + "|w", userPoolA + "|new", devProvider + "|l"}
	if keys := listLoginKeys(t, cs, winner); !slices.Equal(keys, want) {
		t.Fatalf("the winner has logins %v, want %v", keys, want)
	}
	l, err := cs.FindLogin(ctx, pool, devProvider, "l")
	noErr(t, "FindLogin", err)
	checkTime(t, "CreatedAt of the moved login", l.CreatedAt, at(2))
	l, err = cs.FindLogin(ctx, pool, userPoolA, "new")
	noErr(t, "FindLogin", err)
	checkTime(t, "CreatedAt of the linked login", l.CreatedAt, at(11))
	checkIdentity(t, getIdentity(t, cs, winner), store.Identity{ID: winner, PoolID: pool, CreatedAt: at(1), UpdatedAt: at(11)})
	checkIdentity(t, getIdentity(t, cs, guest), store.Identity{ID: guest, PoolID: pool, Disabled: true, CreatedAt: at(3), UpdatedAt: at(11)})
	checkIdentity(t, getIdentity(t, cs, loser), store.Identity{ID: loser, PoolID: pool, Disabled: true, CreatedAt: at(2), UpdatedAt: at(11)})

	// Into a disabled winner: ErrIdentityDisabled, before the check.
	wantErr(t, "MergeIdentities into a disabled winner",
		cs.MergeIdentities(ctx, store.Merge{WinnerID: guest, LoserIDs: []string{bystander}, At: at(12), Check: spy}), store.ErrIdentityDisabled)
	if called {
		t.Fatal("the check was called for a disabled winner")
	}
	checkLoginOwner(t, cs, pool, devProvider, "b", bystander)
}

// testGuestFirstLoginsRace: two first logins race onto one guest identity, each checked as a
// guest's first login (the identity must have none), as the victim's and an attacker's upgrade of
// the same guest id do. Exactly one may win, whatever the interleaving; a check evaluated anywhere
// but under the row lock lets both through.
func testGuestFirstLoginsRace(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	const n = 8
	for i := range n {
		createIdentity(t, cs, identity(pool, identityID(i), at(i)))
	}
	errs := Concurrently(2*n, func(j int) error {
		l := login(userPoolA, fmt.Sprint("victim", j/2), at(20))
		if j%2 == 1 {
			l = login(googleProvider, fmt.Sprint("attacker", j/2), at(20))
		}
		return cs.LinkLogins(ctx, identityID(j/2), []store.IdentityLogin{l}, []string{googleProvider, userPoolA}, loginless)
	})
	for i := range n {
		ok := countOutcomes(t, fmt.Sprintf("first logins of guest %d", i), errs[2*i:2*i+2], errRefused)
		keys := listLoginKeys(t, cs, identityID(i))
		if ok != 1 || len(keys) != 1 {
			t.Errorf("guest %d: %d of 2 first logins succeeded, and it has logins %v; want exactly one", i, ok, keys)
		}
	}
}

// testLinkOnProofRacingUnlink: a link decided on a proof login races the unlink of that proof. The
// link's check requires the proof, and the unlink's updater records whether it saw the new login:
// a link that succeeded must have come first, so the unlink's committed run saw its login. A link
// checked on a read outside the transaction can succeed after the unlink, on a proof that is gone.
func testLinkOnProofRacingUnlink(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	const n = 8
	for i := range n {
		createIdentity(t, cs, identity(pool, identityID(i), at(i)),
			login(googleProvider, fmt.Sprint("proof", i), at(i)), login(devProvider, fmt.Sprint("other", i), at(i)))
	}
	// sawLink[i] is what the last (committed) run of unlink i saw.
	var mu sync.Mutex
	sawLink := make([]bool, n)
	errs := Concurrently(2*n, func(j int) error {
		i := j / 2
		if j%2 == 0 {
			_, err := cs.UpdateIdentity(ctx, identityID(i), func(cur *store.IdentityWithLogins) error {
				_, linked := find(cur.Logins, userPoolA, fmt.Sprint("new", i))
				mu.Lock()
				sawLink[i] = linked
				mu.Unlock()
				return withoutLogin(googleProvider, fmt.Sprint("proof", i), at(20))(cur)
			})
			return err
		}
		return cs.LinkLogins(ctx, identityID(i), []store.IdentityLogin{login(userPoolA, fmt.Sprint("new", i), at(21))}, nil,
			linkedTo(googleProvider, fmt.Sprint("proof", i)))
	})
	for i := range n {
		noErr(t, fmt.Sprintf("unlink of proof %d", i), errs[2*i])
		linkErr := errs[2*i+1]
		keys := listLoginKeys(t, cs, identityID(i))
		switch {
		case linkErr == nil:
			if !sawLink[i] {
				t.Errorf("identity %d: the link succeeded on its proof, but the unlink of the proof came first", i)
			}
		case errors.Is(linkErr, errRefused):
			if sawLink[i] || len(keys) != 1 {
				t.Errorf("identity %d: the link was refused, but the unlink saw it=%v and the identity has logins %v", i, sawLink[i], keys)
			}
			checkLoginOwner(t, cs, pool, userPoolA, fmt.Sprint("new", i), "")
		default:
			t.Errorf("identity %d: LinkLogins = %v, want nil or the check's refusal", i, linkErr)
		}
	}
}

// testGuestMergeRacingFirstLogin: a guest is merged into an authenticated identity (checked: the
// guest must still have no login) while the guest's own first login is linked to it (checked: still
// a guest). Either the merge comes first (the guest is disabled and the link refused) or the link
// does (the merge is refused); the new login never ends in the other identity, which would merge
// two authenticated identities.
func testGuestMergeRacingFirstLogin(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	const n = 8
	guest := func(i int) string { return identityID(2 * i) }
	owner := func(i int) string { return identityID(2*i + 1) }
	for i := range n {
		createIdentity(t, cs, identity(pool, guest(i), at(i)))
		createIdentity(t, cs, identity(pool, owner(i), at(i)), login(googleProvider, fmt.Sprint("attacker", i), at(i)))
	}
	guestOnly := func(_ store.IdentityWithLogins, losers []store.IdentityWithLogins) error {
		for _, l := range losers {
			if err := loginless(l); err != nil {
				return err
			}
		}
		return nil
	}
	errs := Concurrently(2*n, func(j int) error {
		i := j / 2
		if j%2 == 0 {
			return cs.MergeIdentities(ctx, store.Merge{WinnerID: owner(i), LoserIDs: []string{guest(i)}, At: at(20), Check: guestOnly})
		}
		return cs.LinkLogins(ctx, guest(i), []store.IdentityLogin{login(userPoolA, fmt.Sprint("victim", i), at(21))}, nil, loginless)
	})
	for i := range n {
		mergeErr, linkErr := errs[2*i], errs[2*i+1]
		victim := fmt.Sprint("victim", i)
		switch {
		case mergeErr == nil && errors.Is(linkErr, store.ErrIdentityDisabled):
			checkLoginOwner(t, cs, pool, userPoolA, victim, "")
			if !getIdentity(t, cs, guest(i)).Disabled {
				t.Errorf("round %d: the merge won, but the guest is not disabled", i)
			}
		case linkErr == nil && errors.Is(mergeErr, errRefused):
			checkLoginOwner(t, cs, pool, userPoolA, victim, guest(i))
			if getIdentity(t, cs, guest(i)).Disabled {
				t.Errorf("round %d: the first login won, but the guest is disabled", i)
			}
		default:
			t.Errorf("round %d: merge = %v, first login = %v; want exactly one to win", i, mergeErr, linkErr)
		}
		if keys := listLoginKeys(t, cs, owner(i)); !slices.Equal(keys, []string{googleProvider + "|attacker" + fmt.Sprint(i)}) {
			t.Errorf("round %d: the other identity has logins %v, want only its own", i, keys)
		}
	}
}

// testMergesRacingOnePerProvider: two identities, each with its own Google login, are merged into
// a third at once, each merge checked (as MergeDeveloperIdentities does) to bring no second Google
// subject. Only one may win; a check of logins read before the transaction lets both through.
func testMergesRacingOnePerProvider(t *testing.T, s store.Store) {
	cs := cognitoStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	pool := poolID("us-east-1", 1)
	createIdentityPool(t, cs, identityPool(acct1, pool, "p"))
	onePerProvider := func(w store.IdentityWithLogins, losers []store.IdentityWithLogins) error {
		all := slices.Clone(w.Logins)
		for _, l := range losers {
			all = append(all, l.Logins...)
		}
		subjects := map[string]string{}
		for _, l := range all {
			if l.Provider == devProvider {
				continue
			}
			if s, ok := subjects[l.Provider]; ok && s != l.Subject {
				return errRefused
			}
			subjects[l.Provider] = l.Subject
		}
		return nil
	}
	const n = 6
	for i := range n {
		dst, a, b := identityID(3*i), identityID(3*i+1), identityID(3*i+2)
		createIdentity(t, cs, identity(pool, dst, at(i)), login(devProvider, fmt.Sprint("dst", i), at(i)))
		createIdentity(t, cs, identity(pool, a, at(i)), login(devProvider, fmt.Sprint("a", i), at(i)), login(googleProvider, fmt.Sprint("ga", i), at(i)))
		createIdentity(t, cs, identity(pool, b, at(i)), login(devProvider, fmt.Sprint("b", i), at(i)), login(googleProvider, fmt.Sprint("gb", i), at(i)))
	}
	errs := Concurrently(2*n, func(j int) error {
		i := j / 2
		return cs.MergeIdentities(ctx, store.Merge{WinnerID: identityID(3 * i), LoserIDs: []string{identityID(3*i + 1 + j%2)}, At: at(20), Check: onePerProvider})
	})
	for i := range n {
		ok := countOutcomes(t, fmt.Sprintf("merges into %d", i), errs[2*i:2*i+2], errRefused)
		var google []string
		for _, k := range listLoginKeys(t, cs, identityID(3*i)) {
			if strings.HasPrefix(k, googleProvider+"|") {
				google = append(google, k)
			}
		}
		if ok != 1 || len(google) != 1 {
			t.Errorf("round %d: %d of 2 merges succeeded and the winner has Google logins %v; want exactly one of each", i, ok, google)
		}
	}
}

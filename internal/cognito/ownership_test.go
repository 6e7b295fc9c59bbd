package cognito

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/store"
)

// The attacks below are made by callers whose only failing is that the identity is not theirs:
// the account root (the fake authorizer allows it everything, as a "*:*" policy would) for the
// signed operations, and for the unsigned ones a caller holding valid tokens of its own: another
// user's login of the same provider, a guest token of the same pool, a token minted for the
// identity before it changed hands.

// wantRefusal checks err's code and, when msg is set, that its message starts with msg.
func wantRefusal(t *testing.T, err error, code, msg string) {
	t.Helper()
	ae := wantCode(t, err, code)
	if msg != "" && !strings.HasPrefix(ae.Message, msg) {
		t.Fatalf("%s: message %q, want it to start with %q", code, ae.Message, msg)
	}
}

// mallory is a valid login of the pool's OIDC provider that belongs to someone else.
func (f *fixture) mallory() map[string]string {
	return map[string]string{oidcName: f.upstream(map[string]any{"sub": "mallory"})}
}

func (f *fixture) alice() map[string]string {
	return map[string]string{oidcName: f.upstream(nil)}
}

// TestLastLoginRemovedMakesIdentityInaccessible: once the last login of an identity is removed,
// by UnlinkIdentity or by UnlinkDeveloperIdentity, no operation hands out its credentials or a
// token for it, or attaches a login to it, whoever asks and whatever valid token they bring.
func TestLastLoginRemovedMakesIdentityInaccessible(t *testing.T) {
	for _, how := range []struct {
		name string
		// setup returns an identity with logins, tokens minted for it while it had them, and
		// removes its logins, the last one last.
		removeLast func(t *testing.T, f *fixture, p store.IdentityPool, id string)
	}{
		{"UnlinkIdentity", func(t *testing.T, f *fixture, p store.IdentityPool, id string) {
			if err := f.svc.UnlinkDeveloperIdentity(ctx, f.root, p.ID, id, devProvider, "alice-dev"); err != nil {
				t.Fatal(err)
			}
			assertAccessible(t, f, id)
			if err := f.svc.UnlinkIdentity(ctx, id, f.alice(), []string{oidcName}); err != nil {
				t.Fatal(err)
			}
		}},
		{"UnlinkDeveloperIdentity", func(t *testing.T, f *fixture, p store.IdentityPool, id string) {
			if err := f.svc.UnlinkIdentity(ctx, id, f.alice(), []string{oidcName}); err != nil {
				t.Fatal(err)
			}
			assertAccessible(t, f, id)
			if err := f.svc.UnlinkDeveloperIdentity(ctx, f.root, p.ID, id, devProvider, "alice-dev"); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(how.name, func(t *testing.T) {
			f := newFixture(t)
			p := f.pool(t, nil)
			// Alice's identity starts as a guest, whose guest token someone kept, then gets an
			// OIDC login and a developer user.
			id, err := f.svc.GetId(ctx, p.ID, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			guestTok, err := f.svc.GetOpenIdToken(ctx, id, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: id, Logins: f.alice()}); err != nil {
				t.Fatal(err)
			}
			devTok, err := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, IdentityID: id, Logins: map[string]string{devProvider: "alice-dev"}})
			if err != nil || devTok.IdentityID != id {
				t.Fatalf("%+v %v", devTok, err)
			}
			// Mallory's own developer user, for merges.
			if _, err := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, Logins: map[string]string{devProvider: "mallory-dev"}}); err != nil {
				t.Fatal(err)
			}

			how.removeLast(t, f, p, id)

			forbiddenMsg := "Access to Identity '" + id + "' is forbidden."
			for _, a := range []struct {
				name      string
				call      func() error
				code, msg string
			}{
				{"GetCredentialsForIdentity without logins", func() error {
					_, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: id})
					return err
				}, "NotAuthorizedException", forbiddenMsg},
				{"GetCredentialsForIdentity with another user's login", func() error {
					_, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: id, Logins: f.mallory()})
					return err
				}, "NotAuthorizedException", forbiddenMsg},
				{"GetCredentialsForIdentity with the login it had", func() error {
					_, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: id, Logins: f.alice()})
					return err
				}, "NotAuthorizedException", forbiddenMsg},
				{"GetCredentialsForIdentity with its old guest token", func() error {
					_, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: id, Logins: map[string]string{CognitoProvider: guestTok.Token}})
					return err
				}, "NotAuthorizedException", forbiddenMsg},
				{"GetCredentialsForIdentity with its old developer token and another login", func() error {
					_, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: id, Logins: map[string]string{CognitoProvider: devTok.Token, oidcName: f.mallory()[oidcName]}})
					return err
				}, "NotAuthorizedException", forbiddenMsg},
				{"GetOpenIdToken without logins", func() error {
					_, err := f.svc.GetOpenIdToken(ctx, id, nil)
					return err
				}, "NotAuthorizedException", forbiddenMsg},
				{"GetOpenIdToken with another user's login", func() error {
					_, err := f.svc.GetOpenIdToken(ctx, id, f.mallory())
					return err
				}, "NotAuthorizedException", forbiddenMsg},
				{"UnlinkIdentity with another user's login", func() error {
					return f.svc.UnlinkIdentity(ctx, id, f.mallory(), []string{oidcName})
				}, "NotAuthorizedException", forbiddenMsg},
				{"GetOpenIdTokenForDeveloperIdentity linking a developer user, as the account root", func() error {
					_, err := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, IdentityID: id, Logins: map[string]string{devProvider: "root-chosen"}})
					return err
				}, "NotAuthorizedException", forbiddenMsg},
				{"GetOpenIdTokenForDeveloperIdentity re-linking its old developer user, as the account root", func() error {
					_, err := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, IdentityID: id, Logins: map[string]string{devProvider: "alice-dev"}})
					return err
				}, "NotAuthorizedException", forbiddenMsg},
				{"MergeDeveloperIdentities into its old developer user, as the account root", func() error {
					_, err := f.svc.MergeDeveloperIdentities(ctx, f.root, p.ID, devProvider, "mallory-dev", "alice-dev")
					return err
				}, "ResourceNotFoundException", "Developer user identifier 'alice-dev' not found."},
				{"LookupDeveloperIdentity of its old developer user, as the account root", func() error {
					_, err := f.svc.LookupDeveloperIdentity(ctx, f.root, LookupInput{PoolID: p.ID, User: "alice-dev"})
					return err
				}, "ResourceNotFoundException", ""},
				{"UnlinkDeveloperIdentity of its old developer user, as the account root", func() error {
					return f.svc.UnlinkDeveloperIdentity(ctx, f.root, p.ID, id, devProvider, "alice-dev")
				}, "ResourceNotFoundException", ""},
			} {
				t.Run(a.name, func(t *testing.T) {
					wantRefusal(t, a.call(), a.code, a.msg)
				})
			}

			// GetId with the login it had gives a new identity: "Unlinked logins will be
			// considered new identities next time they are seen".
			fresh, err := f.svc.GetId(ctx, p.ID, "", f.alice())
			if err != nil || fresh == id {
				t.Fatalf("GetId with the unlinked login = %s %v, want a new identity", fresh, err)
			}
			dev, err := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, Logins: map[string]string{devProvider: "alice-dev"}})
			if err != nil || dev.IdentityID == id {
				t.Fatalf("the unlinked developer user = %+v %v, want a new identity", dev, err)
			}
			l, err := f.svc.LookupDeveloperIdentity(ctx, f.root, LookupInput{PoolID: p.ID, IdentityID: id})
			if err != nil || l.IdentityID != id || len(l.Users) != 0 {
				t.Fatalf("LookupDeveloperIdentity of the inaccessible identity = %+v %v, want no users", l, err)
			}

			// Nothing got attached, and the identity stays listed, disabled, without logins.
			stored, err := f.st.GetIdentity(ctx, id)
			if err != nil || !stored.Disabled {
				t.Fatalf("stored identity %+v %v, want disabled", stored, err)
			}
			d, err := f.svc.DescribeIdentity(ctx, f.root, id)
			if err != nil || len(d.Logins) != 0 {
				t.Fatalf("DescribeIdentity = %+v %v, want it without logins", d, err)
			}
			if !listed(t, f, p.ID, id, false) || listed(t, f, p.ID, id, true) {
				t.Fatal("ListIdentities must list the inaccessible identity, and hide it with HideDisabled")
			}
		})
	}
}

// assertAccessible: an identity that still has one login works with it (the legitimate path
// beside each refusal).
func assertAccessible(t *testing.T, f *fixture, id string) {
	t.Helper()
	links, _ := f.st.ListLogins(ctx, id)
	if len(links) == 0 {
		t.Fatal("the identity has no login left")
	}
	stored, _ := f.st.GetIdentity(ctx, id)
	if stored.Disabled {
		t.Fatal("an identity that keeps a login was disabled")
	}
	if links[0].Provider == oidcName {
		if _, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: id, Logins: f.alice()}); err != nil {
			t.Fatalf("the remaining login no longer works: %v", err)
		}
	}
}

func listed(t *testing.T, f *fixture, pool, id string, hideDisabled bool) bool {
	t.Helper()
	page, err := f.svc.ListIdentities(ctx, f.root, pool, 60, "", hideDisabled)
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(page.Identities, func(d IdentityDescription) bool { return d.ID == id })
}

// TestCognitoTokenIsNoProofOfOwnership: a Cognito token (guest or authenticated) never stands in
// for a login of the identity when a new login is linked, and a guest token gets nothing from
// an identity that has since become authenticated.
func TestCognitoTokenIsNoProofOfOwnership(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	// A shared device: the guest identity's token is in an attacker's hands; then Alice signs in
	// on it, which makes the identity hers.
	shared, _ := f.svc.GetId(ctx, p.ID, "", nil)
	guestTok, err := f.svc.GetOpenIdToken(ctx, shared, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: shared, Logins: f.alice()}); err != nil || c.IdentityID != shared || c.RoleARN != authRole {
		t.Fatalf("Alice signing in on the guest identity: %+v %v", c, err)
	}
	// A developer-authenticated identity, and its token.
	dev, err := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, Logins: map[string]string{devProvider: "dave"}})
	if err != nil {
		t.Fatal(err)
	}
	with := func(tok string, extra map[string]string) map[string]string {
		m := map[string]string{CognitoProvider: tok}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	forbiddenShared := "Access to Identity '" + shared + "' is forbidden."
	for _, a := range []struct {
		name      string
		id        string
		logins    map[string]string
		code, msg string
	}{
		{"guest token alone on the now authenticated identity", shared, with(guestTok.Token, nil), "NotAuthorizedException", forbiddenShared},
		{"no logins on the now authenticated identity", shared, nil, "NotAuthorizedException", forbiddenShared},
		{"guest token plus the attacker's own login", shared, with(guestTok.Token, f.mallory()), "NotAuthorizedException", msgLoginsDontMatch},
		{"the attacker's own login alone", shared, f.mallory(), "NotAuthorizedException", msgLoginsDontMatch},
		{"developer token plus the attacker's own login", dev.IdentityID, with(dev.Token, f.mallory()), "NotAuthorizedException", msgLoginsDontMatch},
		{"guest token of one identity on another", dev.IdentityID, with(guestTok.Token, nil), "NotAuthorizedException", "Invalid login token. The Cognito token was issued for another identity."},
	} {
		t.Run(a.name, func(t *testing.T) {
			_, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: a.id, Logins: a.logins})
			wantRefusal(t, err, a.code, a.msg)
			if _, err := f.st.FindLogin(ctx, p.ID, oidcName, "mallory"); err == nil {
				t.Fatal("the attacker's login was linked")
			}
		})
	}
	_, err = f.svc.GetOpenIdToken(ctx, shared, nil)
	wantRefusal(t, err, "NotAuthorizedException", msgLoginsDontMatch)

	// The legitimate paths beside them: the developer token alone gets credentials, Alice's login
	// gets hers, and the developer backend (signed) links a login to its user's identity.
	if c, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: dev.IdentityID, Logins: with(dev.Token, nil)}); err != nil || c.RoleARN != authRole {
		t.Fatalf("developer token: %+v %v", c, err)
	}
	if _, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: shared, Logins: f.alice()}); err != nil {
		t.Fatal(err)
	}
	bob := map[string]string{oidcName: f.upstream(map[string]any{"sub": "bob"})}
	if _, err := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, IdentityID: dev.IdentityID,
		Logins: map[string]string{devProvider: "dave", oidcName: bob[oidcName]}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.GetId(ctx, p.ID, "", bob); got != dev.IdentityID {
		t.Fatalf("the login linked by the developer maps to %s, want %s", got, dev.IdentityID)
	}
	// A guest identity is still upgraded by whoever holds its id (that is what a guest id is for).
	g, _ := f.svc.GetId(ctx, p.ID, "", nil)
	if c, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: g, Logins: map[string]string{oidcName: f.upstream(map[string]any{"sub": "carol"})}}); err != nil || c.IdentityID != g {
		t.Fatalf("upgrading a guest: %+v %v", c, err)
	}
}

// TestIdentitiesOfOtherPoolsAndRegions: an identity is used only with its own pool's
// configuration, and pools and identities belong to the region whose endpoint created them.
func TestIdentitiesOfOtherPoolsAndRegions(t *testing.T) {
	f := newFixture(t)
	const (
		otherARN  = "arn:aws:iam::123456789012:oidc-provider/other.example.com"
		otherName = "other.example.com"
	)
	f.st.addOIDCProvider(store.OIDCProvider{AccountID: testAccount, ARN: otherARN, URL: "https://" + otherName, ClientIDs: []string{"app-client"}})
	p := f.pool(t, nil)
	q := f.pool(t, func(in *PoolInput) { in.OpenIDConnectProviderARNs = []string{oidcARN, otherARN} })
	guestP, _ := f.svc.GetId(ctx, p.ID, "", nil)
	qTok, err := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: q.ID, Logins: map[string]string{devProvider: "quinn"}})
	if err != nil {
		t.Fatal(err)
	}
	qLogin := map[string]string{otherName: f.upstream(map[string]any{"iss": "https://" + otherName, "sub": "quinn"})}
	if _, err := f.svc.GetId(ctx, q.ID, "", qLogin); err != nil {
		t.Fatalf("the legitimate login of pool Q: %v", err)
	}
	for _, a := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"a guest of P with a login only pool Q trusts", func() error {
			_, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: guestP, Logins: qLogin})
			return err
		}, "NotAuthorizedException", msgUnsupportedProvider},
		{"a guest of P with a Cognito token of pool Q", func() error {
			_, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: guestP, Logins: map[string]string{CognitoProvider: qTok.Token}})
			return err
		}, "NotAuthorizedException", "Invalid login token. Incorrect token audience."},
		{"GetOpenIdTokenForDeveloperIdentity of pool P naming an identity of Q", func() error {
			_, err := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, IdentityID: qTok.IdentityID, Logins: map[string]string{devProvider: "mallory"}})
			return err
		}, "ResourceNotFoundException", ""},
		{"UnlinkDeveloperIdentity of pool P naming an identity of Q", func() error {
			return f.svc.UnlinkDeveloperIdentity(ctx, f.root, p.ID, qTok.IdentityID, devProvider, "quinn")
		}, "ResourceNotFoundException", ""},
		{"LookupDeveloperIdentity of pool P naming an identity of Q", func() error {
			_, err := f.svc.LookupDeveloperIdentity(ctx, f.root, LookupInput{PoolID: p.ID, IdentityID: qTok.IdentityID})
			return err
		}, "ResourceNotFoundException", ""},
		{"an identity id with another region's prefix", func() error {
			_, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: "eu-west-1:" + strings.SplitN(guestP, ":", 2)[1]})
			return err
		}, "ResourceNotFoundException", ""},
	} {
		t.Run(a.name, func(t *testing.T) { wantRefusal(t, a.call(), a.code, a.msg) })
	}
	if l, err := f.svc.LookupDeveloperIdentity(ctx, f.root, LookupInput{PoolID: q.ID, User: "quinn"}); err != nil || l.IdentityID != qTok.IdentityID {
		t.Fatalf("the legitimate lookup in Q: %+v %v", l, err)
	}
}

func inRegion(region string) context.Context {
	return authz.WithRequestInfo(context.Background(), authz.RequestInfo{Region: region})
}

// TestPoolsBelongToTheirRegion: a pool's id begins with the region its creating call was signed
// for; every signed operation from another region answers ResourceNotFoundException for it, even
// to the account root, and ListIdentityPools lists the call's region only. Unsigned calls are
// routed by the region in the id, which is where the pool lives.
func TestPoolsBelongToTheirRegion(t *testing.T) {
	f := newFixture(t)
	us, eu := inRegion("us-east-1"), inRegion("eu-west-1")
	create := func(c context.Context, name string) IdentityPool {
		p, err := f.svc.CreateIdentityPool(c, f.root, PoolInput{Name: name, AllowUnauthenticated: true, DeveloperProviderName: devProvider})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	usPool, euPool := create(us, "us"), create(eu, "eu")
	if !strings.HasPrefix(usPool.ID, "us-east-1:") || !strings.HasPrefix(euPool.ID, "eu-west-1:") {
		t.Fatalf("pool ids %s and %s, want the signing regions as prefixes", usPool.ID, euPool.ID)
	}
	// Identities take their pool's region, whatever the region of the call.
	guest, err := f.svc.GetId(us, euPool.ID, "", nil)
	if err != nil || !strings.HasPrefix(guest, "eu-west-1:") {
		t.Fatalf("GetId in the eu pool = %s %v", guest, err)
	}
	dev, err := f.svc.GetOpenIdTokenForDeveloperIdentity(eu, f.root, DeveloperTokenInput{PoolID: euPool.ID, Logins: map[string]string{devProvider: "erin"}})
	if err != nil || !strings.HasPrefix(dev.IdentityID, "eu-west-1:") {
		t.Fatalf("developer identity in the eu pool = %+v %v", dev, err)
	}

	// DeleteIdentities from another region skips the identity as unknown, and deletes nothing.
	if un, err := f.svc.DeleteIdentities(us, f.root, []string{guest}); err != nil || len(un) != 0 {
		t.Fatalf("DeleteIdentities from us-east-1 = %v %v, want the identity skipped as unknown", un, err)
	}
	if _, err := f.st.GetIdentity(ctx, guest); err != nil {
		t.Fatalf("the eu identity was deleted from us-east-1: %v", err)
	}
	for _, c := range []struct {
		name string
		call func(c context.Context) error
	}{
		{"DescribeIdentityPool", func(c context.Context) error {
			_, err := f.svc.DescribeIdentityPool(c, f.root, euPool.ID)
			return err
		}},
		{"UpdateIdentityPool", func(c context.Context) error {
			_, err := f.svc.UpdateIdentityPool(c, f.root, PoolInput{ID: euPool.ID, Name: "moved", AllowUnauthenticated: true})
			return err
		}},
		{"SetIdentityPoolRoles", func(c context.Context) error {
			return f.svc.SetIdentityPoolRoles(c, f.root, PoolRoles{PoolID: euPool.ID, Roles: map[string]string{RoleAuthenticated: authRole}})
		}},
		{"ListIdentities", func(c context.Context) error {
			_, err := f.svc.ListIdentities(c, f.root, euPool.ID, 10, "", false)
			return err
		}},
		{"DescribeIdentity", func(c context.Context) error {
			_, err := f.svc.DescribeIdentity(c, f.root, guest)
			return err
		}},
		{"TagResource", func(c context.Context) error {
			return f.svc.TagResource(c, f.root, PoolARN(testAccount, euPool.ID), map[string]string{"a": "b"})
		}},
		{"GetOpenIdTokenForDeveloperIdentity", func(c context.Context) error {
			_, err := f.svc.GetOpenIdTokenForDeveloperIdentity(c, f.root, DeveloperTokenInput{PoolID: euPool.ID, Logins: map[string]string{devProvider: "erin"}})
			return err
		}},
		{"LookupDeveloperIdentity", func(c context.Context) error {
			_, err := f.svc.LookupDeveloperIdentity(c, f.root, LookupInput{PoolID: euPool.ID, User: "erin"})
			return err
		}},
		{"DeleteIdentityPool", func(c context.Context) error {
			return f.svc.DeleteIdentityPool(c, f.root, euPool.ID)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, c.call(us), "ResourceNotFoundException")
			if err := c.call(eu); err != nil {
				t.Fatalf("from the pool's own region: %v", err)
			}
		})
	}
	// The refused calls changed nothing.
	got, err := f.st.GetIdentityPool(ctx, euPool.ID)
	if err == nil {
		t.Fatalf("the eu pool survived its own DeleteIdentityPool: %+v", got)
	}
	if got, err := f.st.GetIdentityPool(ctx, usPool.ID); err != nil || got.Name != "us" {
		t.Fatalf("us pool %+v %v", got, err)
	}

	list := func(c context.Context) []string {
		page, err := f.svc.ListIdentityPools(c, f.root, 60, "")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range page.Pools {
			ids = append(ids, p.ID)
		}
		return ids
	}
	other := create(eu, "eu2")
	if got := list(us); !slices.Equal(got, []string{usPool.ID}) {
		t.Fatalf("ListIdentityPools in us-east-1 = %v, want only %s", got, usPool.ID)
	}
	if got := list(eu); !slices.Equal(got, []string{other.ID}) {
		t.Fatalf("ListIdentityPools in eu-west-1 = %v, want only %s", got, other.ID)
	}

	// A signing region that cannot begin a pool id is refused, not stored.
	for _, r := range []string{"not a region", "xx", "us-east-1:x", strings.Repeat("a", 15) + "-b-1"} {
		_, err := f.svc.CreateIdentityPool(inRegion(r), f.root, PoolInput{Name: "bad"})
		wantCode(t, err, "InvalidParameterException")
	}
}

// TestUnlinkRacingLink: the last login of an identity is unlinked while a request that read the
// identity before is linking a login to it. The link must not resurrect the identity.
func TestUnlinkRacingLink(t *testing.T) {
	unlinkLast := func(id string) func(*testStore) {
		return func(st *testStore) { st.unlinkAll(id) }
	}
	t.Run("GetOpenIdToken of the identity", func(t *testing.T) {
		f := newFixture(t)
		p := f.pool(t, nil)
		id, _ := f.svc.GetId(ctx, p.ID, "", f.alice())
		f.st.beforeLink = unlinkLast(id)
		_, err := f.svc.GetOpenIdToken(ctx, id, map[string]string{oidcName: f.upstream(nil), userPoolKey: f.upstream(map[string]any{"iss": "https://" + userPoolKey, "aud": "upclient", "sub": "m"})})
		wantRefusal(t, err, "NotAuthorizedException", "Access to Identity '"+id+"' is forbidden.")
		if links, _ := f.st.ListLogins(ctx, id); len(links) != 0 {
			t.Fatalf("the disabled identity got logins %v", links)
		}
	})
	t.Run("GetId with its login and a new one", func(t *testing.T) {
		f := newFixture(t)
		p := f.pool(t, nil)
		id, _ := f.svc.GetId(ctx, p.ID, "", f.alice())
		f.st.beforeLink = unlinkLast(id)
		got, err := f.svc.GetId(ctx, p.ID, "", map[string]string{oidcName: f.upstream(nil), userPoolKey: f.upstream(map[string]any{"iss": "https://" + userPoolKey, "aud": "upclient", "sub": "m"})})
		if err != nil || got == id {
			t.Fatalf("GetId = %s %v, want a new identity (the login was freed)", got, err)
		}
		if links, _ := f.st.ListLogins(ctx, id); len(links) != 0 {
			t.Fatalf("the disabled identity got logins %v", links)
		}
	})
	t.Run("UnlinkIdentity whose proof login was unlinked meanwhile", func(t *testing.T) {
		f := newFixture(t)
		p := f.pool(t, nil)
		up := map[string]string{userPoolKey: f.upstream(map[string]any{"iss": "https://" + userPoolKey, "aud": "upclient"})}
		id, _ := f.svc.GetId(ctx, p.ID, "", f.alice())
		if _, err := f.svc.GetOpenIdToken(ctx, id, map[string]string{oidcName: f.alice()[oidcName], userPoolKey: up[userPoolKey]}); err != nil {
			t.Fatal(err)
		}
		// The proof (Alice's OIDC login) goes just before the transaction: the user-pool login
		// stays linked, and the request is refused rather than acting on a stale proof.
		f.st.beforeUpdate = func(st *testStore) { st.unlinkDirect(p.ID, oidcName, "alice", false) }
		wantRefusal(t, f.svc.UnlinkIdentity(ctx, id, f.alice(), []string{userPoolKey}), "NotAuthorizedException", msgLoginsDontMatch)
		if _, err := f.st.FindLogin(ctx, p.ID, userPoolKey, "alice"); err != nil {
			t.Fatalf("the user-pool login was unlinked on a stale proof: %v", err)
		}
	})
	t.Run("UnlinkIdentity of an identity disabled meanwhile", func(t *testing.T) {
		f := newFixture(t)
		p := f.pool(t, nil)
		id, _ := f.svc.GetId(ctx, p.ID, "", f.alice())
		f.st.beforeUpdate = unlinkLast(id)
		wantRefusal(t, f.svc.UnlinkIdentity(ctx, id, f.alice(), []string{oidcName}), "NotAuthorizedException", "Access to Identity '"+id+"' is forbidden.")
	})
	t.Run("goroutines", func(t *testing.T) {
		// Real concurrency, many rounds: whichever comes first, an identity is disabled exactly
		// when it has no login.
		f := newFixture(t)
		p := f.pool(t, nil)
		const rounds = 24
		var wg sync.WaitGroup
		for i := range rounds {
			owner := map[string]string{oidcName: f.upstream(map[string]any{"sub": fmt.Sprint("owner", i)})}
			id, err := f.svc.GetId(ctx, p.ID, "", owner)
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(2)
			go func() {
				defer wg.Done()
				if err := f.svc.UnlinkIdentity(ctx, id, owner, []string{oidcName}); err != nil {
					t.Errorf("unlink %d: %v", i, err)
				}
			}()
			go func() {
				defer wg.Done()
				logins := map[string]string{oidcName: owner[oidcName], userPoolKey: f.upstream(map[string]any{"iss": "https://" + userPoolKey, "aud": "upclient", "sub": fmt.Sprint("new", i)})}
				_, _ = f.svc.GetOpenIdToken(ctx, id, logins) // may win or lose
			}()
		}
		wg.Wait()
		page, err := f.svc.ListIdentities(ctx, f.root, p.ID, 60, "", false)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Identities {
			stored, _ := f.st.GetIdentity(ctx, d.ID)
			if stored.Disabled != (len(d.Logins) == 0) {
				t.Errorf("identity %s: disabled=%v with logins %v", d.ID, stored.Disabled, d.Logins)
			}
		}
	})
}

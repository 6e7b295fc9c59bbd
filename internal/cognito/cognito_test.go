package cognito

import (
	"context"
	"errors"
	"fmt"
	"github.com/latchkey/latchkey/internal/awserr"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

var ctx = context.Background()

var idRe = regexp.MustCompile(`^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestPoolLifecycle(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, func(in *PoolInput) { in.Tags = map[string]string{"env": "dev"} })
	if !idRe.MatchString(p.ID) {
		t.Fatalf("pool id %q", p.ID)
	}
	got, err := f.svc.DescribeIdentityPool(ctx, f.root, p.ID)
	if err != nil || got.Name != "app" || got.DeveloperProviderName != devProvider || got.Tags["env"] != "dev" {
		t.Fatalf("describe %+v %v", got, err)
	}
	// Full replace: left-out fields clear, tags and the developer provider name stay.
	up, err := f.svc.UpdateIdentityPool(ctx, f.root, PoolInput{ID: p.ID, Name: "renamed", AllowUnauthenticated: false})
	if err != nil {
		t.Fatal(err)
	}
	if up.Name != "renamed" || up.AllowUnauthenticated || len(up.OpenIDConnectProviderARNs) != 0 || len(up.CognitoIdentityProviders) != 0 ||
		up.DeveloperProviderName != devProvider || up.Tags["env"] != "dev" {
		t.Fatalf("update %+v", up)
	}
	_, err = f.svc.UpdateIdentityPool(ctx, f.root, PoolInput{ID: p.ID, Name: "x", DeveloperProviderName: "other.dev"})
	wantCode(t, err, "InvalidParameterException")

	_, err = f.svc.CreateIdentityPool(ctx, f.root, PoolInput{Name: "bad", SupportedLoginProviders: map[string]string{"example.com": "x"}})
	wantCode(t, err, "InvalidParameterException")
	_, err = f.svc.CreateIdentityPool(ctx, f.root, PoolInput{Name: "bad", OpenIDConnectProviderARNs: []string{"arn:aws:iam::123456789012:oidc-provider/nope.example.com"}})
	wantCode(t, err, "InvalidParameterException")
	_, err = f.svc.CreateIdentityPool(ctx, f.root, PoolInput{Name: "bad", SAMLProviderARNs: []string{"arn:aws:iam::123456789012:saml-provider/nope"}})
	wantCode(t, err, "InvalidParameterException")

	arn := PoolARN(testAccount, p.ID)
	if err := f.svc.TagResource(ctx, f.root, arn, map[string]string{"team": "a"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.UntagResource(ctx, f.root, arn, []string{"env"}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.svc.ListTagsForResource(ctx, f.root, arn)
	if err != nil || len(tags) != 1 || tags["team"] != "a" {
		t.Fatalf("tags %v %v", tags, err)
	}
	wantCode(t, f.svc.TagResource(ctx, f.root, "arn:aws:cognito-identity:us-east-1:999999999999:identitypool/"+p.ID, map[string]string{"a": "b"}), "ResourceNotFoundException")
	wantCode(t, f.svc.TagResource(ctx, f.root, "not-an-arn-at-all-really", map[string]string{"a": "b"}), "InvalidParameterException")
	many := map[string]string{}
	for i := 0; i < 50; i++ {
		many[fmt.Sprint("k", i)] = "v"
	}
	wantCode(t, f.svc.TagResource(ctx, f.root, arn, many), "InvalidParameterException")

	if err := f.svc.DeleteIdentityPool(ctx, f.root, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.DescribeIdentityPool(ctx, f.root, p.ID)
	ae := wantCode(t, err, "ResourceNotFoundException")
	if ae.Message != "IdentityPool '"+p.ID+"' not found." {
		t.Fatalf("message %q", ae.Message)
	}
}

func TestPoolLimitAndPagination(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < MaxPoolsPerAccount; i++ {
		if err := f.st.CreateIdentityPool(ctx, store.IdentityPool{ID: fmt.Sprintf("us-east-1:%08x-0000-4000-8000-000000000000", i), AccountID: testAccount, Name: "p"}, MaxPoolsPerAccount); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.svc.CreateIdentityPool(ctx, f.root, PoolInput{Name: "one-too-many"})
	wantCode(t, err, "LimitExceededException")

	seen := map[string]bool{}
	tok := ""
	for pages := 0; ; pages++ {
		pg, err := f.svc.ListIdentityPools(ctx, f.root, 60, tok)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pg.Pools {
			if seen[p.ID] {
				t.Fatalf("duplicate %s", p.ID)
			}
			seen[p.ID] = true
		}
		if tok = pg.NextToken; tok == "" {
			break
		}
	}
	if len(seen) != MaxPoolsPerAccount {
		t.Fatalf("listed %d", len(seen))
	}
	_, err = f.svc.ListIdentityPools(ctx, f.root, 10, "garbage!")
	wantCode(t, err, "InvalidParameterException")
	_, err = f.svc.ListIdentities(ctx, f.root, "us-east-1:00000000-0000-4000-8000-000000000000", 10, encodeToken("pools", "x"), false)
	wantCode(t, err, "InvalidParameterException")
}

func TestAccessDeniedIsCognitoShaped(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	f.authz.deny["cognito-identity:DescribeIdentityPool"] = true
	_, err := f.svc.DescribeIdentityPool(ctx, f.root, p.ID)
	ae := wantKind(t, err, awserr.Denied)
	if ae.Code != "AccessDenied" || !strings.Contains(ae.Message, "is not authorized to perform: cognito-identity:DescribeIdentityPool on resource: arn:aws:cognito-identity:us-east-1:123456789012:identitypool/"+p.ID) {
		t.Fatalf("%d %s", ae.HTTPStatus, ae.Message)
	}
	f.authz.deny["cognito-identity:ListIdentityPools *"] = true
	_, err = f.svc.ListIdentityPools(ctx, f.root, 10, "")
	wantKind(t, err, awserr.Denied)
	// PassRole is NotAuthorizedException, as AWS phrases it.
	f.authz.deny["iam:PassRole "+adminRole] = true
	err = f.svc.SetIdentityPoolRoles(ctx, f.root, PoolRoles{PoolID: p.ID, Roles: map[string]string{RoleAuthenticated: adminRole}})
	ae = wantCode(t, err, "NotAuthorizedException")
	if ae.Message != "Access to Role '"+adminRole+"' is forbidden." {
		t.Fatalf("message %q", ae.Message)
	}
}

func TestGetIdGuestsAndLogins(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	g1, err := f.svc.GetId(ctx, p.ID, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	g2, _ := f.svc.GetId(ctx, p.ID, "", nil)
	if g1 == g2 || !idRe.MatchString(g1) {
		t.Fatalf("guests %s %s", g1, g2)
	}
	_, err = f.svc.GetId(ctx, p.ID, "999999999999", nil)
	wantCode(t, err, "ResourceNotFoundException")
	_, err = f.svc.GetId(ctx, "us-east-1:00000000-0000-4000-8000-000000000000", "", nil)
	wantCode(t, err, "ResourceNotFoundException")

	a1, err := f.svc.GetId(ctx, p.ID, "", map[string]string{oidcName: f.upstream(nil)})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := f.svc.GetId(ctx, p.ID, "", map[string]string{oidcName: f.upstream(nil)})
	if err != nil || a1 != a2 {
		t.Fatalf("same login, different identities: %s %s %v", a1, a2, err)
	}
	b, _ := f.svc.GetId(ctx, p.ID, "", map[string]string{oidcName: f.upstream(map[string]any{"sub": "bob"})})
	if b == a1 {
		t.Fatal("bob got alice's identity")
	}
	d, err := f.svc.DescribeIdentity(ctx, f.root, a1)
	if err != nil || !slices.Equal(d.Logins, []string{oidcName}) {
		t.Fatalf("describe %+v %v", d, err)
	}

	// Refusals.
	for _, c := range []struct {
		logins map[string]string
		code   string
		msg    string
	}{
		{map[string]string{"unknown.example.com": "t"}, "NotAuthorizedException", msgUnsupportedProvider},
		{map[string]string{devProvider: "user-1"}, "NotAuthorizedException", msgUnsupportedProvider},
		{map[string]string{CognitoProvider: "t"}, "NotAuthorizedException", msgCognitoToken},
		{map[string]string{oidcName: strings.TrimSuffix(f.upstream(nil), ".good") + ".forged"}, "NotAuthorizedException", "Invalid login token. Couldn't verify signed token."},
		{map[string]string{oidcName: f.upstream(map[string]any{"exp": f.now.Add(-time.Minute).Unix()})}, "NotAuthorizedException", "Invalid login token. Token expired: "},
		{map[string]string{oidcName: f.upstream(map[string]any{"aud": "other"})}, "NotAuthorizedException", "Invalid login token. Incorrect token audience."},
		{map[string]string{oidcName: f.upstream(map[string]any{"iss": "https://evil.example.com"})}, "NotAuthorizedException", "Invalid login token. Issuer doesn't match providerName"},
		{map[string]string{userPoolKey: f.upstream(nil)}, "NotAuthorizedException", "Invalid login token. Issuer doesn't match providerName"},
		{map[string]string{oidcName: strings.TrimSuffix(f.upstream(nil), ".good") + ".down"}, "ExternalServiceException", ""},
	} {
		_, err := f.svc.GetId(ctx, p.ID, "", c.logins)
		ae := wantCode(t, err, c.code)
		if !strings.HasPrefix(ae.Message, c.msg) {
			t.Fatalf("%v: message %q", c.logins, ae.Message)
		}
	}

	// Guests refused when the pool does not allow them.
	if _, err := f.svc.UpdateIdentityPool(ctx, f.root, PoolInput{ID: p.ID, Name: "app", OpenIDConnectProviderARNs: []string{oidcARN}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetId(ctx, p.ID, "", nil)
	if ae := wantCode(t, err, "NotAuthorizedException"); ae.Message != msgUnauthDisabled {
		t.Fatal(ae.Message)
	}
}

func TestUserPoolLogin(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	tok := f.upstream(map[string]any{"iss": "https://" + userPoolKey, "aud": "upclient", "cognito:groups": []string{"admins", "staff"}})
	id, err := f.svc.GetId(ctx, p.ID, "", map[string]string{userPoolKey: tok})
	if err != nil {
		t.Fatal(err)
	}
	// A rule on the user pool's mapping key <ProviderName>:<ClientId>.
	err = f.svc.SetIdentityPoolRoles(ctx, f.root, PoolRoles{PoolID: p.ID, Roles: map[string]string{RoleAuthenticated: authRole},
		RoleMappings: map[string]RoleMapping{userPoolKey + ":upclient": {Type: MappingRules, AmbiguousRoleResolution: AmbiguousDeny,
			Rules: []MappingRule{{Claim: "cognito:groups", MatchType: MatchContains, Value: "admins", RoleARN: adminRole}}}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: id, Logins: map[string]string{userPoolKey: tok}})
	if err != nil || c.RoleARN != adminRole {
		t.Fatalf("role %s %v", c.RoleARN, err)
	}
	req := f.sts.last()
	if !slices.Equal(req.AMR, []string{"authenticated", userPoolKey, userPoolKey + ":CognitoSignIn:alice"}) || req.PoolID != p.ID || req.IdentityID != id {
		t.Fatalf("sts request %+v", req)
	}
	other := f.upstream(map[string]any{"iss": "https://" + userPoolKey, "aud": "upclient", "sub": "carol", "cognito:groups": []string{"staff"}})
	cid, _ := f.svc.GetId(ctx, p.ID, "", map[string]string{userPoolKey: other})
	_, err = f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: cid, Logins: map[string]string{userPoolKey: other}})
	if ae := wantCode(t, err, "NotAuthorizedException"); ae.Message != "The ambiguous role mapping rules for: "+userPoolKey+":upclient denied this request." {
		t.Fatal(ae.Message)
	}
	// An access token has another token_use.
	_, err = f.svc.GetId(ctx, p.ID, "", map[string]string{userPoolKey: f.upstream(map[string]any{"iss": "https://" + userPoolKey, "aud": "upclient", "token_use": "access"})})
	wantCode(t, err, "NotAuthorizedException")
}

func TestLinkingAndConflicts(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, func(in *PoolInput) {
		in.SupportedLoginProviders = map[string]string{providerGoogle: "gclient", providerFacebook: "fb"}
	})
	google := func(sub string) string {
		return f.upstream(map[string]any{"iss": "https://accounts.google.com", "aud": "gclient", "sub": sub})
	}
	i1, err := f.svc.GetId(ctx, p.ID, "", map[string]string{oidcName: f.upstream(nil)})
	if err != nil {
		t.Fatal(err)
	}
	// GetOpenIdToken with a linked login plus a new one links the new one.
	tok, err := f.svc.GetOpenIdToken(ctx, i1, map[string]string{oidcName: f.upstream(nil), providerGoogle: google("g1")})
	if err != nil || tok.IdentityID != i1 {
		t.Fatalf("%+v %v", tok, err)
	}
	if again, _ := f.svc.GetId(ctx, p.ID, "", map[string]string{providerGoogle: google("g1")}); again != i1 {
		t.Fatalf("google login not linked: %s", again)
	}
	// A second Google account on the same identity.
	_, err = f.svc.GetOpenIdToken(ctx, i1, map[string]string{oidcName: f.upstream(nil), providerGoogle: google("g2")})
	wantCode(t, err, "ResourceConflictException")
	// A login linked elsewhere.
	i2, _ := f.svc.GetId(ctx, p.ID, "", map[string]string{oidcName: f.upstream(map[string]any{"sub": "bob"})})
	_, err = f.svc.GetId(ctx, p.ID, "", map[string]string{oidcName: f.upstream(map[string]any{"sub": "bob"}), providerGoogle: google("g1")})
	wantCode(t, err, "ResourceConflictException")
	// Proof of ownership: an authenticated identity needs one of its own logins.
	_, err = f.svc.GetOpenIdToken(ctx, i2, map[string]string{providerGoogle: google("g3")})
	if ae := wantCode(t, err, "NotAuthorizedException"); ae.Message != msgLoginsDontMatch {
		t.Fatal(ae.Message)
	}
	_, err = f.svc.GetOpenIdToken(ctx, i2, nil)
	if ae := wantCode(t, err, "NotAuthorizedException"); ae.Message != msgLoginsDontMatch {
		t.Fatal(ae.Message)
	}
	_, err = f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: i2})
	if ae := wantCode(t, err, "NotAuthorizedException"); ae.Message != "Access to Identity '"+i2+"' is forbidden." {
		t.Fatal(ae.Message)
	}
	// Facebook cannot be verified offline.
	_, err = f.svc.GetId(ctx, p.ID, "", map[string]string{providerFacebook: "EAAB..."})
	if ae := wantCode(t, err, "NotAuthorizedException"); !strings.Contains(ae.Message, "cannot verify graph.facebook.com") {
		t.Fatal(ae.Message)
	}

	// A guest that logs in with a login of another identity is merged into it.
	guest, _ := f.svc.GetId(ctx, p.ID, "", nil)
	c, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: guest, Logins: map[string]string{oidcName: f.upstream(nil)}})
	if err != nil || c.IdentityID != i1 {
		t.Fatalf("merge: %+v %v", c, err)
	}
	_, err = f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: guest})
	wantCode(t, err, "NotAuthorizedException")
	page, _ := f.svc.ListIdentities(ctx, f.root, p.ID, 60, "", true)
	for _, d := range page.Identities {
		if d.ID == guest {
			t.Fatal("disabled guest listed with HideDisabled")
		}
	}
	// A guest that logs in with a new login becomes authenticated.
	g2, _ := f.svc.GetId(ctx, p.ID, "", nil)
	c, err = f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: g2, Logins: map[string]string{oidcName: f.upstream(map[string]any{"sub": "dave"})}})
	if err != nil || c.IdentityID != g2 || c.RoleARN != authRole {
		t.Fatalf("upgrade: %+v %v", c, err)
	}

	// UnlinkIdentity needs a linked proof login.
	wantCode(t, f.svc.UnlinkIdentity(ctx, i1, map[string]string{oidcName: f.upstream(map[string]any{"sub": "bob"})}, []string{providerGoogle}), "NotAuthorizedException")
	if err := f.svc.UnlinkIdentity(ctx, i1, map[string]string{oidcName: f.upstream(nil)}, []string{providerGoogle}); err != nil {
		t.Fatal(err)
	}
	if again, _ := f.svc.GetId(ctx, p.ID, "", map[string]string{providerGoogle: google("g1")}); again == i1 {
		t.Fatal("unlinked login still maps to the identity")
	}
}

func TestConcurrentFirstLogin(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	var wg sync.WaitGroup
	ids := make([]string, 32)
	errs := make([]error, 32)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], errs[i] = f.svc.GetId(ctx, p.ID, "", map[string]string{oidcName: f.upstream(nil)})
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("call %d: %s %v (first %s)", i, ids[i], errs[i], ids[0])
		}
	}
	page, _ := f.svc.ListIdentities(ctx, f.root, p.ID, 60, "", false)
	if len(page.Identities) != 1 {
		t.Fatalf("%d identities", len(page.Identities))
	}
}

func TestClassicFlowTokens(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	guest, _ := f.svc.GetId(ctx, p.ID, "", nil)
	tok, err := f.svc.GetOpenIdToken(ctx, guest, nil)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := f.svc.Tokens.Verify(ctx, tok.Token)
	if err != nil {
		t.Fatal(err)
	}
	if claims["iss"] != testIssuer || claims["aud"] != p.ID || claims["sub"] != guest || claims["exp"].(float64)-claims["iat"].(float64) != 600 {
		t.Fatalf("claims %v", claims)
	}
	if amr := claims["amr"].([]any); len(amr) != 1 || amr[0] != "unauthenticated" {
		t.Fatalf("amr %v", amr)
	}
	classic := f.svc.ClassicFlow()
	if !classic.IsCognitoToken(tok.Token) {
		t.Fatal("the pool's token is not routed to the classic flow")
	}
	verified, err := classic.VerifyCognitoToken(ctx, tok.Token)
	if err != nil {
		t.Fatalf("classic flow not allowed by default: %v", err)
	}
	if verified.Identity.HomeAccount != p.AccountID || verified.Audience != p.ID || verified.Subject != guest {
		t.Fatalf("pool account %q, want %q (%+v)", verified.Identity.HomeAccount, p.AccountID, verified)
	}
	unknown, err := f.svc.Tokens.Sign(ctx, token.RS256, map[string]any{"iss": testIssuer, "aud": "us-east-1:00000000-0000-4000-8000-000000000000", "sub": guest,
		"iat": f.now.Unix(), "exp": f.now.Add(time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := classic.VerifyCognitoToken(ctx, unknown); err == nil {
		t.Fatal("unknown pool: classic flow allowed")
	} else {
		wantCode(t, err, "InvalidIdentityToken")
	}
	no := false
	if _, err := f.svc.UpdateIdentityPool(ctx, f.root, PoolInput{ID: p.ID, Name: "app", AllowUnauthenticated: true, AllowClassicFlow: &no}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetOpenIdToken(ctx, guest, nil)
	if ae := wantCode(t, err, "InvalidParameterException"); ae.Message != msgClassicDisabled {
		t.Fatal(ae.Message)
	}
	if _, err := classic.VerifyCognitoToken(ctx, tok.Token); err == nil {
		t.Fatal("classic flow still allowed")
	} else {
		wantCode(t, err, "InvalidIdentityToken")
	}
	_, err = f.svc.GetOpenIdToken(ctx, "us-east-1:00000000-0000-4000-8000-000000000000", nil)
	wantCode(t, err, "ResourceNotFoundException")
}

func TestEnhancedFlowRoles(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	guest, _ := f.svc.GetId(ctx, p.ID, "", nil)
	c, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: guest})
	if err != nil || c.RoleARN != unauthRole || c.Credentials.SecretAccessKey == "" {
		t.Fatalf("%+v %v", c, err)
	}
	if r := f.sts.last(); !slices.Equal(r.AMR, []string{"unauthenticated"}) {
		t.Fatalf("amr %v", r.AMR)
	}
	// STS is told the pool's account, so that it need not read the pool again.
	if r := f.sts.last(); r.PoolID != p.ID || r.PoolAccount != p.AccountID || r.PoolAccount == "" {
		t.Fatalf("pool %q of account %q, want %q of %q", r.PoolID, r.PoolAccount, p.ID, p.AccountID)
	}
	// STS refusing the role.
	f.sts.deny[unauthRole] = true
	_, err = f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: guest})
	if ae := wantCode(t, err, "InvalidIdentityPoolConfigurationException"); ae.Message != msgInvalidConfig || ae.Cause == nil {
		t.Fatalf("%+v", ae)
	}
	// No role at all.
	if err := f.svc.SetIdentityPoolRoles(ctx, f.root, PoolRoles{PoolID: p.ID, Roles: map[string]string{RoleAuthenticated: authRole}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: guest})
	wantCode(t, err, "InvalidIdentityPoolConfigurationException")

	delete(f.sts.deny, unauthRole)
	alice, _ := f.svc.GetId(ctx, p.ID, "", map[string]string{oidcName: f.upstream(map[string]any{"dept": "eng"})})
	login := func(claims map[string]any) map[string]string { return map[string]string{oidcName: f.upstream(claims)} }
	c, err = f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: alice, Logins: login(nil)})
	if err != nil || c.RoleARN != authRole {
		t.Fatalf("%+v %v", c, err)
	}
	// Rules keyed by the provider ARN; first match wins; AuthenticatedRole on no match.
	err = f.svc.SetIdentityPoolRoles(ctx, f.root, PoolRoles{PoolID: p.ID, Roles: map[string]string{RoleAuthenticated: authRole},
		RoleMappings: map[string]RoleMapping{oidcARN: {Type: MappingRules, AmbiguousRoleResolution: AmbiguousAuthenticatedRole, Rules: []MappingRule{
			{Claim: "dept", MatchType: MatchEquals, Value: "ops", RoleARN: adminRole},
			{Claim: "dept", MatchType: MatchStartsWith, Value: "e", RoleARN: unauthRole},
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		claims map[string]any
		want   string
	}{
		{map[string]any{"dept": "ops"}, adminRole},
		{map[string]any{"dept": "eng"}, unauthRole},
		{map[string]any{"dept": "sales"}, authRole},
		{nil, authRole},
	} {
		got, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: alice, Logins: login(c.claims)})
		if err != nil || got.RoleARN != c.want {
			t.Fatalf("%v: %s %v", c.claims, got.RoleARN, err)
		}
	}
	roles, err := f.svc.GetIdentityPoolRoles(ctx, f.root, p.ID)
	if err != nil || len(roles.RoleMappings[oidcARN].Rules) != 2 || roles.Roles[RoleAuthenticated] != authRole {
		t.Fatalf("%+v %v", roles, err)
	}
	// Validation.
	bad := []map[string]RoleMapping{
		{"nobody.example.com": {Type: MappingToken, AmbiguousRoleResolution: AmbiguousDeny}},
		{oidcName: {Type: MappingToken}},
		{oidcName: {Type: MappingRules, AmbiguousRoleResolution: AmbiguousDeny}},
		{oidcName: {Type: MappingRules, AmbiguousRoleResolution: AmbiguousDeny, Rules: make([]MappingRule, 26)}},
	}
	for _, m := range bad {
		wantCode(t, f.svc.SetIdentityPoolRoles(ctx, f.root, PoolRoles{PoolID: p.ID, RoleMappings: m}), "InvalidParameterException")
	}
	wantCode(t, f.svc.SetIdentityPoolRoles(ctx, f.root, PoolRoles{PoolID: p.ID, Roles: map[string]string{RoleAuthenticated: "arn:aws:s3:::bucket/not-a-role"}}), "InvalidParameterException")
}

func TestRuleMatching(t *testing.T) {
	claims := map[string][]string{"email": {"alice@example.com"}, "groups": {"admins", "staff"}, "tier": {"gold"}}
	for _, c := range []struct {
		rule MappingRule
		want bool
	}{
		{MappingRule{Claim: "tier", MatchType: MatchEquals, Value: "gold"}, true},
		{MappingRule{Claim: "tier", MatchType: MatchEquals, Value: "Gold"}, false},
		{MappingRule{Claim: "email", MatchType: MatchContains, Value: "@example.com"}, true},
		{MappingRule{Claim: "groups", MatchType: MatchContains, Value: "admins"}, true},
		{MappingRule{Claim: "groups", MatchType: MatchContains, Value: "admin"}, false},
		{MappingRule{Claim: "email", MatchType: MatchStartsWith, Value: "alice"}, true},
		{MappingRule{Claim: "tier", MatchType: MatchNotEqual, Value: "silver"}, true},
		{MappingRule{Claim: "tier", MatchType: MatchNotEqual, Value: "gold"}, false},
		{MappingRule{Claim: "absent", MatchType: MatchNotEqual, Value: "x"}, false},
		{MappingRule{Claim: "absent", MatchType: MatchEquals, Value: "x"}, false},
	} {
		if got := ruleMatches(c.rule, claims); got != c.want {
			t.Errorf("%+v: got %v", c.rule, got)
		}
	}
}

func TestTokenMapping(t *testing.T) {
	m := RoleMapping{Type: MappingToken, AmbiguousRoleResolution: AmbiguousDeny}
	for _, c := range []struct {
		claims  map[string][]string
		custom  string
		want    string
		decided bool
		err     bool
	}{
		{map[string][]string{claimRoles: {authRole, adminRole}, claimPreferredRole: {adminRole}}, "", adminRole, true, false},
		{map[string][]string{claimRoles: {authRole + "," + adminRole}}, adminRole, adminRole, true, false},
		{map[string][]string{claimRoles: {authRole, adminRole}}, "", "", false, false},
		{map[string][]string{claimRoles: {adminRole}}, "", adminRole, true, false},
		{map[string][]string{claimRoles: {authRole}}, adminRole, "", false, true},
		{map[string][]string{}, "", "", false, false},
	} {
		got, decided, err := applyMapping(m, c.claims, c.custom)
		if got != c.want || decided != c.decided || (err != nil) != c.err {
			t.Errorf("%v %s: %s %v %v", c.claims, c.custom, got, decided, err)
		}
	}
}

func TestDeveloperIdentities(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	tok, err := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, Logins: map[string]string{devProvider: "user-1"},
		PrincipalTags: map[string]string{"team": "blue"}})
	if err != nil {
		t.Fatal(err)
	}
	claims, _ := f.svc.Tokens.Verify(ctx, tok.Token)
	if claims["exp"].(float64)-claims["iat"].(float64) != 900 {
		t.Fatalf("default duration: %v", claims)
	}
	amr := claims["amr"].([]any)
	if len(amr) != 3 || amr[0] != "authenticated" || amr[1] != devProvider || amr[2] != devProvider+":"+p.ID+":user-1" {
		t.Fatalf("amr %v", amr)
	}
	if tags := claims[tagsClaim].(map[string]any)["principal_tags"].(map[string]any); tags["team"].([]any)[0] != "blue" {
		t.Fatalf("tags %v", tags)
	}
	again, _ := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, Logins: map[string]string{devProvider: "user-1"}, TokenDuration: 86400})
	if again.IdentityID != tok.IdentityID {
		t.Fatal("same developer user, new identity")
	}
	// Enhanced flow with the Cognito token.
	c, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: tok.IdentityID, Logins: map[string]string{CognitoProvider: tok.Token}})
	if err != nil || c.RoleARN != authRole {
		t.Fatalf("%+v %v", c, err)
	}
	if r := f.sts.last(); len(r.Tags) != 1 || r.Tags[0].Key != "team" || r.AMR[1] != devProvider {
		t.Fatalf("sts %+v", r)
	}
	// The token of one identity does not open another, nor one of another pool.
	other, _ := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, Logins: map[string]string{devProvider: "user-2"}})
	_, err = f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: other.IdentityID, Logins: map[string]string{CognitoProvider: tok.Token}})
	wantCode(t, err, "NotAuthorizedException")
	_, err = f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: tok.IdentityID, Logins: map[string]string{CognitoProvider: tok.Token + "x"}})
	wantCode(t, err, "NotAuthorizedException")
	f.now = f.now.Add(time.Hour)
	_, err = f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: tok.IdentityID, Logins: map[string]string{CognitoProvider: tok.Token}})
	if ae := wantCode(t, err, "NotAuthorizedException"); !strings.Contains(ae.Message, "Token expired") {
		t.Fatal(ae.Message)
	}

	// Linking a developer user to an identity given by id, and the user registered elsewhere.
	if _, err := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, IdentityID: tok.IdentityID, Logins: map[string]string{devProvider: "user-3"}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, IdentityID: other.IdentityID, Logins: map[string]string{devProvider: "user-1"}})
	wantCode(t, err, "DeveloperUserAlreadyRegisteredException")
	_, err = f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, Logins: map[string]string{"someone.else": "user-1"}})
	wantCode(t, err, "InvalidParameterException")

	// Lookup both ways, with pagination.
	l, err := f.svc.LookupDeveloperIdentity(ctx, f.root, LookupInput{PoolID: p.ID, IdentityID: tok.IdentityID, MaxResults: 1})
	if err != nil || !slices.Equal(l.Users, []string{"user-1"}) || l.NextToken == "" {
		t.Fatalf("%+v %v", l, err)
	}
	l2, err := f.svc.LookupDeveloperIdentity(ctx, f.root, LookupInput{PoolID: p.ID, IdentityID: tok.IdentityID, MaxResults: 1, NextToken: l.NextToken})
	if err != nil || !slices.Equal(l2.Users, []string{"user-3"}) || l2.NextToken != "" {
		t.Fatalf("%+v %v", l2, err)
	}
	l, err = f.svc.LookupDeveloperIdentity(ctx, f.root, LookupInput{PoolID: p.ID, User: "user-3"})
	if err != nil || l.IdentityID != tok.IdentityID {
		t.Fatalf("%+v %v", l, err)
	}
	_, err = f.svc.LookupDeveloperIdentity(ctx, f.root, LookupInput{PoolID: p.ID, User: "user-3", IdentityID: other.IdentityID})
	wantCode(t, err, "ResourceConflictException")
	_, err = f.svc.LookupDeveloperIdentity(ctx, f.root, LookupInput{PoolID: p.ID})
	wantCode(t, err, "InvalidParameterException")
	_, err = f.svc.LookupDeveloperIdentity(ctx, f.root, LookupInput{PoolID: p.ID, User: "nobody"})
	wantCode(t, err, "ResourceNotFoundException")

	// Merge user-2 into user-1's identity: user-2's identity is disabled.
	dst, err := f.svc.MergeDeveloperIdentities(ctx, f.root, p.ID, devProvider, "user-2", "user-1")
	if err != nil || dst != tok.IdentityID {
		t.Fatalf("%s %v", dst, err)
	}
	if l, _ := f.svc.LookupDeveloperIdentity(ctx, f.root, LookupInput{PoolID: p.ID, User: "user-2"}); l.IdentityID != dst {
		t.Fatalf("after merge %+v", l)
	}
	if id, _ := f.st.GetIdentity(ctx, other.IdentityID); !id.Disabled {
		t.Fatal("source identity not disabled")
	}
	_, err = f.svc.MergeDeveloperIdentities(ctx, f.root, p.ID, "wrong.provider", "user-2", "user-1")
	wantCode(t, err, "InvalidParameterException")

	// Unlink.
	wantCode(t, f.svc.UnlinkDeveloperIdentity(ctx, f.root, p.ID, other.IdentityID, devProvider, "user-3"), "ResourceConflictException")
	if err := f.svc.UnlinkDeveloperIdentity(ctx, f.root, p.ID, dst, devProvider, "user-3"); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.LookupDeveloperIdentity(ctx, f.root, LookupInput{PoolID: p.ID, User: "user-3"})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestPrincipalTags(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	got, err := f.svc.GetPrincipalTagAttributeMap(ctx, f.root, p.ID, oidcName)
	if err != nil || got.UseDefaults || len(got.Tags) != 0 {
		t.Fatalf("%+v %v", got, err)
	}
	set, err := f.svc.SetPrincipalTagAttributeMap(ctx, f.root, PrincipalTagMap{PoolID: p.ID, Provider: oidcName, UseDefaults: true})
	if err != nil || !set.UseDefaults || set.Tags["username"] != "sub" || set.Tags["client"] != "aud" {
		t.Fatalf("%+v %v", set, err)
	}
	id, _ := f.svc.GetId(ctx, p.ID, "", map[string]string{oidcName: f.upstream(nil)})
	if _, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: id, Logins: map[string]string{oidcName: f.upstream(nil)}}); err != nil {
		t.Fatal(err)
	}
	if tags := f.sts.last().Tags; len(tags) != 2 || tags[0].Key != "client" || tags[0].Value != "app-client" || tags[1].Key != "username" || tags[1].Value != "alice" {
		t.Fatalf("tags %+v", tags)
	}
	if _, err := f.svc.SetPrincipalTagAttributeMap(ctx, f.root, PrincipalTagMap{PoolID: p.ID, Provider: oidcARN, Tags: map[string]string{"dept": "department"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetPrincipalTagAttributeMap(ctx, f.root, PrincipalTagMap{PoolID: p.ID, Provider: oidcName}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: id, Logins: map[string]string{oidcName: f.upstream(map[string]any{"department": "eng"})}}); err != nil {
		t.Fatal(err)
	}
	if tags := f.sts.last().Tags; len(tags) != 1 || tags[0].Key != "dept" || tags[0].Value != "eng" {
		t.Fatalf("tags %+v", tags)
	}
	_, err = f.svc.SetPrincipalTagAttributeMap(ctx, f.root, PrincipalTagMap{PoolID: p.ID, Provider: "nobody.example.com", UseDefaults: true})
	wantCode(t, err, "InvalidParameterException")
}

func TestDeleteIdentitiesAndDescribe(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	var ids []string
	for i := 0; i < 5; i++ {
		id, _ := f.svc.GetId(ctx, p.ID, "", nil)
		ids = append(ids, id)
	}
	seen := map[string]bool{}
	tok := ""
	for {
		pg, err := f.svc.ListIdentities(ctx, f.root, p.ID, 2, tok, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range pg.Identities {
			if seen[d.ID] {
				t.Fatalf("duplicate %s", d.ID)
			}
			seen[d.ID] = true
		}
		if tok = pg.NextToken; tok == "" {
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("%d listed", len(seen))
	}
	un, err := f.svc.DeleteIdentities(ctx, f.root, append(ids[:2:2], "us-east-1:00000000-0000-4000-8000-000000000000"))
	if err != nil || len(un) != 0 {
		t.Fatalf("%v %v", un, err)
	}
	_, err = f.svc.DescribeIdentity(ctx, f.root, ids[0])
	wantCode(t, err, "ResourceNotFoundException")
	f.authz.deny["cognito-identity:DeleteIdentities"] = true
	un, _ = f.svc.DeleteIdentities(ctx, f.root, ids[2:3])
	if len(un) != 1 || un[0].ErrorCode != "AccessDenied" {
		t.Fatalf("%v", un)
	}
}

// brokenStore fails pool reads the way a backend does when the database is down or faulty.
type brokenStore struct {
	*testStore
	err error
}

func (b brokenStore) GetIdentityPool(context.Context, string) (store.IdentityPool, error) {
	return store.IdentityPool{}, b.err
}

func TestStoreFailures(t *testing.T) {
	f := newFixture(t)
	f.svc.Store = brokenStore{f.st, fmt.Errorf("disk on fire")}
	_, err := f.svc.GetId(ctx, "us-east-1:00000000-0000-4000-8000-000000000000", "", nil)
	if ae := wantKind(t, err, awserr.Internal); ae.HTTPStatus != 500 || strings.Contains(ae.Message, "fire") {
		t.Fatalf("%+v", ae)
	}
	f.svc.Store = brokenStore{f.st, fmt.Errorf("dial: %w", store.ErrUnavailable)}
	_, err = f.svc.DescribeIdentityPool(ctx, f.root, "us-east-1:00000000-0000-4000-8000-000000000000")
	wantOutage(t, err)
	tok, err := f.svc.Tokens.Sign(ctx, token.RS256, map[string]any{"iss": testIssuer, "aud": "us-east-1:00000000-0000-4000-8000-000000000000",
		"sub": "us-east-1:00000000-0000-4000-8000-000000000001", "exp": f.now.Add(time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ClassicFlow().VerifyCognitoToken(ctx, tok); err == nil {
		t.Fatal("a store failure allowed the classic flow")
	} else if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("the store's failure is not the cause: %v", err)
	}
}

// racingStore answers links and merges as a backend does whose transaction lost its races on
// every retry.
type racingStore struct{ *testStore }

var errLostRaces = fmt.Errorf("sqlstore: link: %w: %w", store.ErrConcurrentModification, store.ErrUnavailable)

func (racingStore) LinkLogins(context.Context, string, []store.IdentityLogin, []string, store.LinkCheck) error {
	return errLostRaces
}

func (racingStore) MergeIdentities(context.Context, store.Merge) error { return errLostRaces }

// A link or merge whose transaction keeps losing races is a 503 for every operation that links.
func TestLinkLostRacesAreUnavailable(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	guest, _ := f.svc.GetId(ctx, p.ID, "", nil)
	other, _ := f.svc.GetId(ctx, p.ID, "", nil)
	if _, err := f.svc.GetId(ctx, p.ID, "", map[string]string{oidcName: f.upstream(nil)}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"u1", "u2"} {
		if _, err := f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, f.root, DeveloperTokenInput{PoolID: p.ID, Logins: map[string]string{devProvider: u}}); err != nil {
			t.Fatal(err)
		}
	}
	f.svc.Store = racingStore{f.st}
	unavailable := func(what string, err error) {
		t.Helper()
		if !isOutage(err) {
			t.Fatalf("%s: want a store outage, got %v", what, err)
		}
	}
	// A first login of a guest links it.
	_, err := f.svc.GetOpenIdToken(ctx, guest, map[string]string{userPoolKey: f.upstream(map[string]any{"iss": "https://" + userPoolKey, "aud": "upclient", "sub": "bob"})})
	unavailable("link", err)
	// A login of another identity merges the guest into it.
	_, err = f.svc.GetOpenIdToken(ctx, other, map[string]string{oidcName: f.upstream(nil)})
	unavailable("guest merge", err)
	_, err = f.svc.MergeDeveloperIdentities(ctx, f.root, p.ID, devProvider, "u1", "u2")
	unavailable("developer merge", err)
}

// A pool DeleteIdentities cannot read is a server fault: its identities are InternalServerError,
// not AccessDenied, and none is deleted.
func TestDeleteIdentitiesStoreFailure(t *testing.T) {
	for _, cause := range []error{fmt.Errorf("dial: %w", store.ErrUnavailable), fmt.Errorf("disk on fire")} {
		t.Run(cause.Error(), func(t *testing.T) {
			f := newFixture(t)
			p := f.pool(t, nil)
			a, _ := f.svc.GetId(ctx, p.ID, "", nil)
			b, _ := f.svc.GetId(ctx, p.ID, "", nil)
			f.svc.Store = brokenStore{f.st, cause}
			un, err := f.svc.DeleteIdentities(ctx, f.root, []string{a, b})
			if err != nil || len(un) != 2 {
				t.Fatalf("%v %v", un, err)
			}
			for i, id := range []string{a, b} {
				if un[i].ID != id || un[i].ErrorCode != "InternalServerError" {
					t.Fatalf("unprocessed %d: %+v, want %s InternalServerError", i, un[i], id)
				}
				if _, err := f.st.GetIdentity(ctx, id); err != nil {
					t.Fatalf("identity %s: %v", id, err)
				}
			}
		})
	}
}

package integration

import (
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/store"
)

const cognitoPrincipal = "cognito-identity.amazonaws.com"

var cognitoIDRe = regexp.MustCompile(`^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func (ts *testServer) anonCognito() *cognitoidentity.Client {
	return cognitoidentity.NewFromConfig(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1}, func(o *cognitoidentity.Options) { o.BaseEndpoint = aws.String(ts.URL) })
}

// cognitoTrust trusts Cognito identities of one pool whose amr matches.
func cognitoTrust(pool, amr string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + cognitoPrincipal + `"},` +
		`"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":{"StringEquals":{"` + cognitoPrincipal + `:aud":"` + pool + `"},` +
		`"ForAnyValue:StringLike":{"` + cognitoPrincipal + `:amr":"` + amr + `"}}}]}`
}

// cognitoEnv is a pool trusting an in-process OIDC provider (mockoidc, registered in IAM), a
// developer provider, and its three roles.
type cognitoEnv struct {
	ts          *testServer
	root        *cognitoidentity.Client
	anon        *cognitoidentity.Client
	pool        string
	idp         *mockoidc.MockOIDC
	login       string // the Logins key of the OIDC provider
	providerARN string
	authRole    string
	unauthRole  string
	adminRole   string
}

func newCognitoEnv(t testing.TB, ts *testServer, prefix string, mod func(*cognitoidentity.CreateIdentityPoolInput)) *cognitoEnv {
	t.Helper()
	e := &cognitoEnv{ts: ts, root: ts.cognito(rootKeyID, rootSecret), anon: ts.anonCognito()}
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	e.idp = m
	p, err := ts.rootIAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(m.Issuer()), ClientIDList: []string{"app-client"}})
	if err != nil {
		t.Fatal(err)
	}
	e.providerARN = aws.ToString(p.OpenIDConnectProviderArn)
	e.login = strings.TrimPrefix(m.Issuer(), "http://")
	in := &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String(prefix + " pool"), AllowUnauthenticatedIdentities: true,
		OpenIdConnectProviderARNs: []string{e.providerARN}, DeveloperProviderName: aws.String("login.acme.app"),
	}
	if mod != nil {
		mod(in)
	}
	out, err := e.root.CreateIdentityPool(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	e.pool = aws.ToString(out.IdentityPoolId)
	iamc := ts.rootIAM()
	create := func(name, amr string) string {
		r, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(prefix + "-" + name), AssumeRolePolicyDocument: aws.String(cognitoTrust(e.pool, amr))})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(r.Role.Arn)
	}
	e.authRole, e.unauthRole, e.adminRole = create("auth", "authenticated"), create("unauth", "unauthenticated"), create("admin", "authenticated")
	if _, err := e.root.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(e.pool),
		Roles: map[string]string{"authenticated": e.authRole, "unauthenticated": e.unauthRole}}); err != nil {
		t.Fatal(err)
	}
	return e
}

// token signs an ID token with the upstream IdP's key.
func (e *cognitoEnv) token(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	base := jwt.MapClaims{"iss": e.idp.Issuer(), "aud": "app-client", "sub": "alice", "iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(base, k)
			continue
		}
		base[k] = v
	}
	tok, err := e.idp.Keypair.SignJWT(base)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e *cognitoEnv) logins(t testing.TB, claims jwt.MapClaims) map[string]string {
	return map[string]string{e.login: e.token(t, claims)}
}

func (e *cognitoEnv) getID(t testing.TB, logins map[string]string) string {
	t.Helper()
	out, err := e.anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(e.pool), Logins: logins})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.IdentityId)
}

func (e *cognitoEnv) credentials(identity string, logins map[string]string) (*cognitoidentity.GetCredentialsForIdentityOutput, error) {
	return e.anon.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(identity), Logins: logins})
}

// callerARN returns GetCallerIdentity's ARN for Cognito credentials.
func (ts *testServer) callerARN(t testing.TB, c *citypes.Credentials) string {
	t.Helper()
	cfg := ts.awsConfig(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretKey), aws.ToString(c.SessionToken))
	who, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(ts.URL) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(who.Arn)
}

func sessionARN(role string) string {
	return "arn:aws:sts::" + accountID + ":assumed-role/" + role + "/CognitoIdentityCredentials"
}

func TestCognitoIdentityPools(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "pools", func(in *cognitoidentity.CreateIdentityPoolInput) {
		in.SupportedLoginProviders = map[string]string{"accounts.google.com": "g-client.apps.googleusercontent.com"}
		in.CognitoIdentityProviders = []citypes.CognitoIdentityProvider{{ProviderName: aws.String("cognito-idp.us-east-1.amazonaws.com/us-east-1_abcDEF"), ClientId: aws.String("upclient"), ServerSideTokenCheck: aws.Bool(true)}}
		in.IdentityPoolTags = map[string]string{"env": "test"}
	})
	c := e.root
	if !cognitoIDRe.MatchString(e.pool) {
		t.Fatalf("pool id %q", e.pool)
	}
	d, err := c.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(e.pool)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(d.IdentityPoolName) != "pools pool" || !d.AllowUnauthenticatedIdentities || d.AllowClassicFlow != nil ||
		d.SupportedLoginProviders["accounts.google.com"] == "" || len(d.CognitoIdentityProviders) != 1 || !aws.ToBool(d.CognitoIdentityProviders[0].ServerSideTokenCheck) ||
		len(d.OpenIdConnectProviderARNs) != 1 || aws.ToString(d.DeveloperProviderName) != "login.acme.app" || d.IdentityPoolTags["env"] != "test" {
		t.Fatalf("describe %+v", d)
	}

	// UpdateIdentityPool replaces the configuration; the developer provider name cannot change.
	up, err := c.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: aws.String(e.pool), IdentityPoolName: aws.String("renamed"),
		AllowUnauthenticatedIdentities: false, AllowClassicFlow: aws.Bool(false), OpenIdConnectProviderARNs: []string{e.providerARN}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(up.IdentityPoolName) != "renamed" || up.AllowUnauthenticatedIdentities || !(up.AllowClassicFlow != nil && !*up.AllowClassicFlow) ||
		len(up.SupportedLoginProviders) != 0 || len(up.CognitoIdentityProviders) != 0 || aws.ToString(up.DeveloperProviderName) != "login.acme.app" {
		t.Fatalf("update %+v", up)
	}
	_, err = c.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: aws.String(e.pool), IdentityPoolName: aws.String("x"), DeveloperProviderName: aws.String("other.app")})
	wantAPIError(t, err, "InvalidParameterException", 400)

	// IAM providers must exist; only known public providers.
	_, err = c.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("bad"), OpenIdConnectProviderARNs: []string{"arn:aws:iam::" + accountID + ":oidc-provider/nowhere.example.com"}})
	wantAPIError(t, err, "InvalidParameterException", 400)
	_, err = c.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("bad"), SamlProviderARNs: []string{"arn:aws:iam::" + accountID + ":saml-provider/Nope"}})
	wantAPIError(t, err, "InvalidParameterException", 400)
	_, err = c.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("bad"), SupportedLoginProviders: map[string]string{"login.example.com": "x"}})
	wantAPIError(t, err, "InvalidParameterException", 400)
	_, err = c.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("bad name!")})
	wantAPIError(t, err, "ValidationException", 400)

	// Tags by pool ARN.
	arn := "arn:aws:cognito-identity:us-east-1:" + accountID + ":identitypool/" + e.pool
	if _, err := c.TagResource(ctx, &cognitoidentity.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"team": "blue"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &cognitoidentity.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &cognitoidentity.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["team"] != "blue" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	_, err = c.ListTagsForResource(ctx, &cognitoidentity.ListTagsForResourceInput{ResourceArn: aws.String(strings.Replace(arn, "identitypool/us-east-1:", "identitypool/us-east-1:0", 1))})
	wantAPIError(t, err, "ResourceNotFoundException", 400)

	// Pagination without duplicates.
	for i := 0; i < 6; i++ {
		if _, err := c.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String(fmt.Sprint("p", i))}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	var next *string
	pages := 0
	for {
		out, err := c.ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(3), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range out.IdentityPools {
			if seen[aws.ToString(p.IdentityPoolId)] {
				t.Fatalf("duplicate %s", aws.ToString(p.IdentityPoolId))
			}
			seen[aws.ToString(p.IdentityPoolId)] = true
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	if len(seen) != 7 || pages != 3 {
		t.Fatalf("%d pools in %d pages", len(seen), pages)
	}
	_, err = c.ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(3), NextToken: aws.String("bm90LWEtdG9rZW4")})
	wantAPIError(t, err, "InvalidParameterException", 400)

	if _, err := c.DeleteIdentityPool(ctx, &cognitoidentity.DeleteIdentityPoolInput{IdentityPoolId: aws.String(e.pool)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(e.pool)})
	wantAPIError(t, err, "ResourceNotFoundException", 400)
	var rnf *citypes.ResourceNotFoundException
	if !errorsAs(err, &rnf) || aws.ToString(rnf.Message) != "IdentityPool '"+e.pool+"' not found." {
		t.Fatalf("typed error: %v", err)
	}
}

func TestCognitoGuestCredentials(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "guest", nil)
	id := e.getID(t, nil)
	if !cognitoIDRe.MatchString(id) {
		t.Fatalf("identity id %q", id)
	}
	if other := e.getID(t, nil); other == id {
		t.Fatal("two guests share an identity")
	}
	out, err := e.credentials(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if aws.ToString(out.IdentityId) != id || !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SecretKey) == "" || aws.ToString(c.SessionToken) == "" {
		t.Fatalf("credentials %+v", c)
	}
	if d := time.Until(aws.ToTime(c.Expiration)); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("expiration in %v", d)
	}
	if arn := ts.callerARN(t, c); arn != sessionARN("guest-unauth") {
		t.Fatalf("caller %s", arn)
	}
	// The credentials are an issuance of the pool's account (GetCredentialsForIdentity is
	// unsigned: the account is the chosen role's), listed by the admin API.
	rid, _ := middleware.GetRequestIDMetadata(out.ResultMetadata)
	if got := waitIssuance(t, ts, rootKeyID, rootSecret, "?action=cognito-identity:*", rid); got["roleArn"] != e.unauthRole ||
		got["accountId"] != accountID || got["accessKeyId"] != aws.ToString(c.AccessKeyId) {
		t.Errorf("cognito issuance %v", got)
	}
	d, err := e.root.DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: aws.String(id)})
	if err != nil || aws.ToString(d.IdentityId) != id || len(d.Logins) != 0 || d.CreationDate == nil {
		t.Fatalf("describe %+v %v", d, err)
	}

	// Guests refused when the pool stops allowing them.
	if _, err := e.root.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: aws.String(e.pool), IdentityPoolName: aws.String("guest pool"),
		AllowUnauthenticatedIdentities: false, DeveloperProviderName: aws.String("login.acme.app")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(e.pool)})
	wantAPIError(t, err, "NotAuthorizedException", 400)
	if !strings.Contains(err.Error(), "Unauthenticated access is not supported for this identity pool.") {
		t.Fatalf("message: %v", err)
	}
	_, err = e.credentials(id, nil)
	wantAPIError(t, err, "NotAuthorizedException", 400)
}

func TestCognitoAuthenticatedAndRoleMappings(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "auth", nil)
	alice := e.getID(t, e.logins(t, nil))
	if again := e.getID(t, e.logins(t, nil)); again != alice {
		t.Fatalf("same login, two identities: %s %s", alice, again)
	}
	out, err := e.credentials(alice, e.logins(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if arn := ts.callerARN(t, out.Credentials); arn != sessionARN("auth-auth") {
		t.Fatalf("caller %s", arn)
	}
	d, _ := e.root.DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: aws.String(alice)})
	if len(d.Logins) != 1 || d.Logins[0] != e.login {
		t.Fatalf("logins %v", d.Logins)
	}
	// Without logins, an authenticated identity is forbidden.
	_, err = e.credentials(alice, nil)
	wantAPIError(t, err, "NotAuthorizedException", 400)

	// A rule maps ops people to the admin role; no match is denied.
	_, err = e.root.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(e.pool),
		Roles: map[string]string{"authenticated": e.authRole, "unauthenticated": e.unauthRole},
		RoleMappings: map[string]citypes.RoleMapping{e.login: {Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny,
			RulesConfiguration: &citypes.RulesConfigurationType{Rules: []citypes.MappingRule{
				{Claim: aws.String("dept"), MatchType: citypes.MappingRuleMatchTypeEquals, Value: aws.String("ops"), RoleARN: aws.String(e.adminRole)},
				{Claim: aws.String("email"), MatchType: citypes.MappingRuleMatchTypeContains, Value: aws.String("@acme.com"), RoleARN: aws.String(e.authRole)},
			}}}}})
	if err != nil {
		t.Fatal(err)
	}
	roles, err := e.root.GetIdentityPoolRoles(ctx, &cognitoidentity.GetIdentityPoolRolesInput{IdentityPoolId: aws.String(e.pool)})
	if err != nil || len(roles.RoleMappings[e.login].RulesConfiguration.Rules) != 2 || roles.Roles["unauthenticated"] != e.unauthRole {
		t.Fatalf("roles %+v %v", roles, err)
	}
	out, err = e.credentials(alice, e.logins(t, jwt.MapClaims{"dept": "ops"}))
	if err != nil {
		t.Fatal(err)
	}
	if arn := ts.callerARN(t, out.Credentials); arn != sessionARN("auth-admin") {
		t.Fatalf("caller %s", arn)
	}
	out, err = e.credentials(alice, e.logins(t, jwt.MapClaims{"email": "alice@acme.com"}))
	if err != nil {
		t.Fatal(err)
	}
	if arn := ts.callerARN(t, out.Credentials); arn != sessionARN("auth-auth") {
		t.Fatalf("caller %s", arn)
	}
	_, err = e.credentials(alice, e.logins(t, jwt.MapClaims{"dept": "sales"}))
	wantAPIError(t, err, "NotAuthorizedException", 400)
	if !strings.Contains(err.Error(), "The ambiguous role mapping rules for: "+e.login+" denied this request.") {
		t.Fatalf("message: %v", err)
	}
	// AuthenticatedRole on ambiguity falls back to the authenticated role.
	_, err = e.root.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(e.pool),
		Roles: map[string]string{"authenticated": e.authRole},
		RoleMappings: map[string]citypes.RoleMapping{e.providerARN: {Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeAuthenticatedRole,
			RulesConfiguration: &citypes.RulesConfigurationType{Rules: []citypes.MappingRule{
				{Claim: aws.String("dept"), MatchType: citypes.MappingRuleMatchTypeNotEqual, Value: aws.String("ops"), RoleARN: aws.String(e.adminRole)},
			}}}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err = e.credentials(alice, e.logins(t, nil)) // no dept claim: NotEqual does not match
	if err != nil {
		t.Fatal(err)
	}
	if arn := ts.callerARN(t, out.Credentials); arn != sessionARN("auth-auth") {
		t.Fatalf("caller %s", arn)
	}

	// Forged, expired and misdirected logins.
	good := e.token(t, nil)
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"alice"`, `"admin"`, 1))) + "." + parts[2]
	for _, c := range []struct {
		logins map[string]string
		msg    string
	}{
		{map[string]string{e.login: forged}, "Invalid login token. Couldn't verify signed token."},
		{e.logins(t, jwt.MapClaims{"exp": time.Now().Add(-time.Minute).Unix()}), "Invalid login token. Token expired: "},
		{e.logins(t, jwt.MapClaims{"aud": "someone-else"}), "Invalid login token."},
		{map[string]string{e.login: "not-a-jwt"}, "Invalid login token."},
		{map[string]string{"accounts.google.com": good}, "Token is not from a supported provider of this identity pool."},
		{map[string]string{"login.acme.app": "alice"}, "Token is not from a supported provider of this identity pool."},
		{map[string]string{cognitoPrincipal: good}, "Invalid login token. Can't pass in a Cognito token."},
	} {
		_, err := e.anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(e.pool), Logins: c.logins})
		wantAPIError(t, err, "NotAuthorizedException", 400)
		var na *citypes.NotAuthorizedException
		if !errorsAs(err, &na) || !strings.HasPrefix(aws.ToString(na.Message), c.msg) {
			t.Fatalf("%v: %v", c.logins, err)
		}
	}
	_, err = e.credentials(alice, map[string]string{e.login: forged})
	wantAPIError(t, err, "NotAuthorizedException", 400)
}

func TestCognitoLinkingAndUnlink(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "link", nil)
	// A second IAM OIDC provider whose login links to the first identity.
	m2, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Shutdown()
	p2, err := ts.rootIAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(m2.Issuer()), ClientIDList: []string{"app-client"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.root.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: aws.String(e.pool), IdentityPoolName: aws.String("link pool"),
		AllowUnauthenticatedIdentities: true, OpenIdConnectProviderARNs: []string{e.providerARN, aws.ToString(p2.OpenIDConnectProviderArn)}}); err != nil {
		t.Fatal(err)
	}
	login2 := strings.TrimPrefix(m2.Issuer(), "http://")
	tok2 := func(sub string) string {
		tok, _ := m2.Keypair.SignJWT(jwt.MapClaims{"iss": m2.Issuer(), "aud": "app-client", "sub": sub, "exp": time.Now().Add(10 * time.Minute).Unix()})
		return tok
	}
	i1 := e.getID(t, e.logins(t, nil))
	// GetOpenIdToken with a linked login and a new one links the new one.
	tok, err := e.anon.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(i1), Logins: map[string]string{e.login: e.token(t, nil), login2: tok2("a2")}})
	if err != nil || aws.ToString(tok.IdentityId) != i1 {
		t.Fatalf("%+v %v", tok, err)
	}
	if got := e.getID(t, map[string]string{login2: tok2("a2")}); got != i1 {
		t.Fatalf("linked login maps to %s, not %s", got, i1)
	}
	// A second login of the same provider, and a login linked to another identity.
	_, err = e.anon.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(i1), Logins: map[string]string{e.login: e.token(t, nil), login2: tok2("other")}})
	wantAPIError(t, err, "ResourceConflictException", 400)
	bob := e.getID(t, e.logins(t, jwt.MapClaims{"sub": "bob"}))
	_, err = e.anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(e.pool), Logins: map[string]string{e.login: e.token(t, jwt.MapClaims{"sub": "bob"}), login2: tok2("a2")}})
	wantAPIError(t, err, "ResourceConflictException", 400)
	// Proof of ownership.
	_, err = e.anon.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(bob), Logins: map[string]string{login2: tok2("new")}})
	wantAPIError(t, err, "NotAuthorizedException", 400)
	if !strings.Contains(err.Error(), "Logins don't match. Please include at least one valid login for this identity or identity pool.") {
		t.Fatalf("message: %v", err)
	}

	// UnlinkIdentity: the proof must be linked to the identity.
	_, err = e.anon.UnlinkIdentity(ctx, &cognitoidentity.UnlinkIdentityInput{IdentityId: aws.String(i1), Logins: e.logins(t, jwt.MapClaims{"sub": "bob"}), LoginsToRemove: []string{login2}})
	wantAPIError(t, err, "NotAuthorizedException", 400)
	if _, err := e.anon.UnlinkIdentity(ctx, &cognitoidentity.UnlinkIdentityInput{IdentityId: aws.String(i1), Logins: e.logins(t, nil), LoginsToRemove: []string{login2}}); err != nil {
		t.Fatal(err)
	}
	if got := e.getID(t, map[string]string{login2: tok2("a2")}); got == i1 {
		t.Fatal("unlinked login still maps to the identity")
	}

	// A guest that logs in with a known login is merged into its identity and disabled.
	guest := e.getID(t, nil)
	out, err := e.credentials(guest, e.logins(t, nil))
	if err != nil || aws.ToString(out.IdentityId) != i1 {
		t.Fatalf("merge %+v %v", out, err)
	}
	_, err = e.credentials(guest, nil)
	wantAPIError(t, err, "NotAuthorizedException", 400)
	visible, err := e.root.ListIdentities(ctx, &cognitoidentity.ListIdentitiesInput{IdentityPoolId: aws.String(e.pool), MaxResults: aws.Int32(60), HideDisabled: true})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := e.root.ListIdentities(ctx, &cognitoidentity.ListIdentitiesInput{IdentityPoolId: aws.String(e.pool), MaxResults: aws.Int32(60)})
	if len(all.Identities) != len(visible.Identities)+1 {
		t.Fatalf("HideDisabled: %d of %d", len(visible.Identities), len(all.Identities))
	}
}

func TestCognitoClassicFlow(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "classic", nil)
	alice := e.getID(t, e.logins(t, nil))
	tok, err := e.anon.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(alice), Logins: e.logins(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(aws.ToString(tok.Token), claims); err != nil {
		t.Fatal(err)
	}
	exp, _ := claims.GetExpirationTime()
	iat, _ := claims.GetIssuedAt()
	if claims["iss"] != "https://cognito-identity.amazonaws.com" || claims["aud"] != e.pool || claims["sub"] != alice || exp.Sub(iat.Time) != 10*time.Minute {
		t.Fatalf("claims %v", claims)
	}
	if amr, _ := claims["amr"].([]any); len(amr) != 3 || amr[0] != "authenticated" || amr[1] != e.login {
		t.Fatalf("amr %v", claims["amr"])
	}
	assume := func(role, token string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return ts.anonSTS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(role), RoleSessionName: aws.String("classic"), WebIdentityToken: aws.String(token)})
	}
	out, err := assume(e.authRole, aws.ToString(tok.Token))
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Provider) != cognitoPrincipal || aws.ToString(out.Audience) != e.pool || aws.ToString(out.SubjectFromWebIdentityToken) != alice ||
		aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+accountID+":assumed-role/classic-auth/classic" {
		t.Fatalf("output %+v %+v", out, out.AssumedRoleUser)
	}
	// The authenticated token does not satisfy the unauthenticated role's amr condition.
	_, err = assume(e.unauthRole, aws.ToString(tok.Token))
	wantAPIError(t, err, "AccessDenied", 403)
	// A guest token through the classic flow.
	guest := e.getID(t, nil)
	gt, err := e.anon.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(guest)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := assume(e.unauthRole, aws.ToString(gt.Token)); err != nil {
		t.Fatal(err)
	}

	// A token of one pool is refused by another pool's role (its trust policy's aud condition).
	other := newCognitoEnv(t, ts, "other", nil)
	_, err = assume(other.authRole, aws.ToString(tok.Token))
	wantAPIError(t, err, "AccessDenied", 403)

	// AllowClassicFlow=false: GetOpenIdToken is refused, and so are tokens already issued.
	if _, err := e.root.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: aws.String(e.pool), IdentityPoolName: aws.String("classic"),
		AllowUnauthenticatedIdentities: true, AllowClassicFlow: aws.Bool(false), OpenIdConnectProviderARNs: []string{e.providerARN}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.anon.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(alice), Logins: e.logins(t, nil)})
	wantAPIError(t, err, "InvalidParameterException", 400)
	if !strings.Contains(err.Error(), "Basic (classic) flow is not enabled, please use enhanced flow.") {
		t.Fatalf("message: %v", err)
	}
	_, err = assume(e.authRole, aws.ToString(tok.Token))
	wantAPIError(t, err, "InvalidIdentityToken", 400)
	// The enhanced flow keeps working.
	if _, err := e.credentials(alice, e.logins(t, nil)); err != nil {
		t.Fatal(err)
	}
}

func TestCognitoDeveloperIdentities(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "dev", nil)
	dev := func(identity, user string, duration int64) (*cognitoidentity.GetOpenIdTokenForDeveloperIdentityOutput, error) {
		in := &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(e.pool), Logins: map[string]string{"login.acme.app": user},
			PrincipalTags: map[string]string{"tenant": "acme"}}
		if identity != "" {
			in.IdentityId = aws.String(identity)
		}
		if duration > 0 {
			in.TokenDuration = aws.Int64(duration)
		}
		return e.root.GetOpenIdTokenForDeveloperIdentity(ctx, in)
	}
	u1, err := dev("", "user-1", 3600)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(aws.ToString(u1.Token), claims); err != nil {
		t.Fatal(err)
	}
	exp, _ := claims.GetExpirationTime()
	iat, _ := claims.GetIssuedAt()
	if exp.Sub(iat.Time) != time.Hour {
		t.Fatalf("duration %v", exp.Sub(iat.Time))
	}
	if amr, _ := claims["amr"].([]any); len(amr) != 3 || amr[2] != "login.acme.app:"+e.pool+":user-1" {
		t.Fatalf("amr %v", claims["amr"])
	}
	again, err := dev("", "user-1", 0)
	if err != nil || aws.ToString(again.IdentityId) != aws.ToString(u1.IdentityId) {
		t.Fatalf("%+v %v", again, err)
	}
	// Enhanced flow with the Cognito token (the principal tags need sts:TagSession, which the trust allows).
	out, err := e.credentials(aws.ToString(u1.IdentityId), map[string]string{cognitoPrincipal: aws.ToString(u1.Token)})
	if err != nil {
		t.Fatal(err)
	}
	if arn := ts.callerARN(t, out.Credentials); arn != sessionARN("dev-auth") {
		t.Fatalf("caller %s", arn)
	}
	// The classic flow with the same token.
	if _, err := ts.anonSTS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(e.authRole), RoleSessionName: aws.String("dev"), WebIdentityToken: u1.Token}); err != nil {
		t.Fatal(err)
	}

	u2, err := dev("", "user-2", 0)
	if err != nil {
		t.Fatal(err)
	}
	// The token of one identity does not open another.
	_, err = e.credentials(aws.ToString(u2.IdentityId), map[string]string{cognitoPrincipal: aws.ToString(u1.Token)})
	wantAPIError(t, err, "NotAuthorizedException", 400)
	// A developer user registered with another identity.
	_, err = dev(aws.ToString(u2.IdentityId), "user-1", 0)
	wantAPIError(t, err, "DeveloperUserAlreadyRegisteredException", 400)
	var dup *citypes.DeveloperUserAlreadyRegisteredException
	if !errorsAs(err, &dup) {
		t.Fatalf("not typed: %T", err)
	}
	// A second developer user on the first identity.
	if _, err := dev(aws.ToString(u1.IdentityId), "user-3", 0); err != nil {
		t.Fatal(err)
	}

	// Lookup, both ways, with pagination.
	var users []string
	var next *string
	for {
		l, err := e.root.LookupDeveloperIdentity(ctx, &cognitoidentity.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(e.pool), IdentityId: u1.IdentityId, MaxResults: aws.Int32(1), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, l.DeveloperUserIdentifierList...)
		if next = l.NextToken; next == nil {
			break
		}
	}
	if strings.Join(users, ",") != "user-1,user-3" {
		t.Fatalf("users %v", users)
	}
	l, err := e.root.LookupDeveloperIdentity(ctx, &cognitoidentity.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(e.pool), DeveloperUserIdentifier: aws.String("user-3")})
	if err != nil || aws.ToString(l.IdentityId) != aws.ToString(u1.IdentityId) {
		t.Fatalf("%+v %v", l, err)
	}
	_, err = e.root.LookupDeveloperIdentity(ctx, &cognitoidentity.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(e.pool), DeveloperUserIdentifier: aws.String("user-3"), IdentityId: u2.IdentityId})
	wantAPIError(t, err, "ResourceConflictException", 400)

	// Merge user-2 into user-1: user-2's identity is disabled.
	m, err := e.root.MergeDeveloperIdentities(ctx, &cognitoidentity.MergeDeveloperIdentitiesInput{IdentityPoolId: aws.String(e.pool), DeveloperProviderName: aws.String("login.acme.app"),
		SourceUserIdentifier: aws.String("user-2"), DestinationUserIdentifier: aws.String("user-1")})
	if err != nil || aws.ToString(m.IdentityId) != aws.ToString(u1.IdentityId) {
		t.Fatalf("%+v %v", m, err)
	}
	if again, _ := dev("", "user-2", 0); aws.ToString(again.IdentityId) != aws.ToString(u1.IdentityId) {
		t.Fatalf("merged user maps to %s", aws.ToString(again.IdentityId))
	}
	_, err = e.credentials(aws.ToString(u2.IdentityId), map[string]string{cognitoPrincipal: aws.ToString(u2.Token)})
	wantAPIError(t, err, "NotAuthorizedException", 400)

	// Unlink user-3; it is new next time.
	if _, err := e.root.UnlinkDeveloperIdentity(ctx, &cognitoidentity.UnlinkDeveloperIdentityInput{IdentityPoolId: aws.String(e.pool), IdentityId: u1.IdentityId,
		DeveloperProviderName: aws.String("login.acme.app"), DeveloperUserIdentifier: aws.String("user-3")}); err != nil {
		t.Fatal(err)
	}
	if u3, _ := dev("", "user-3", 0); aws.ToString(u3.IdentityId) == aws.ToString(u1.IdentityId) {
		t.Fatal("unlinked developer user kept its identity")
	}
	_, err = e.root.UnlinkDeveloperIdentity(ctx, &cognitoidentity.UnlinkDeveloperIdentityInput{IdentityPoolId: aws.String(e.pool), IdentityId: u1.IdentityId,
		DeveloperProviderName: aws.String("login.acme.app"), DeveloperUserIdentifier: aws.String("nobody")})
	wantAPIError(t, err, "ResourceNotFoundException", 400)
}

func TestCognitoPrincipalTags(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "abac", nil)
	set, err := e.root.SetPrincipalTagAttributeMap(ctx, &cognitoidentity.SetPrincipalTagAttributeMapInput{IdentityPoolId: aws.String(e.pool), IdentityProviderName: aws.String(e.login), UseDefaults: aws.Bool(true)})
	if err != nil || !aws.ToBool(set.UseDefaults) || set.PrincipalTags["username"] != "sub" {
		t.Fatalf("%+v %v", set, err)
	}
	get, err := e.root.GetPrincipalTagAttributeMap(ctx, &cognitoidentity.GetPrincipalTagAttributeMapInput{IdentityPoolId: aws.String(e.pool), IdentityProviderName: aws.String(e.login)})
	if err != nil || !aws.ToBool(get.UseDefaults) {
		t.Fatalf("%+v %v", get, err)
	}
	// The authenticated role may read roles only when its session's username tag is alice.
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/username":"alice","aws:PrincipalTag/client":"app-client"}}}]}`
	if _, err := ts.rootIAM().PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("abac-auth"), PolicyName: aws.String("abac"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	session := func(sub string) *iam.Client {
		id := e.getID(t, e.logins(t, jwt.MapClaims{"sub": sub}))
		out, err := e.credentials(id, e.logins(t, jwt.MapClaims{"sub": sub}))
		if err != nil {
			t.Fatal(err)
		}
		c := out.Credentials
		cfg := ts.awsConfig(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretKey), aws.ToString(c.SessionToken))
		return iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	}
	if _, err := session("alice").GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("abac-auth")}); err != nil {
		t.Fatal(err)
	}
	_, err = session("mallory").GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("abac-auth")})
	wantAPIError(t, err, "AccessDenied", 403)

	// A trust policy without sts:TagSession refuses tagged sessions: a configuration error.
	strict := strings.Replace(cognitoTrust(e.pool, "authenticated"), `["sts:AssumeRoleWithWebIdentity","sts:TagSession"]`, `"sts:AssumeRoleWithWebIdentity"`, 1)
	if _, err := ts.rootIAM().UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("abac-auth"), PolicyDocument: aws.String(strict)}); err != nil {
		t.Fatal(err)
	}
	id := e.getID(t, e.logins(t, nil))
	_, err = e.credentials(id, e.logins(t, nil))
	wantAPIError(t, err, "InvalidIdentityPoolConfigurationException", 400)
	if !strings.Contains(err.Error(), "Invalid identity pool configuration. Check assigned IAM roles for this pool.") {
		t.Fatalf("message: %v", err)
	}
	_, err = e.root.SetPrincipalTagAttributeMap(ctx, &cognitoidentity.SetPrincipalTagAttributeMapInput{IdentityPoolId: aws.String(e.pool), IdentityProviderName: aws.String("nobody.example.com"), UseDefaults: aws.Bool(true)})
	wantAPIError(t, err, "InvalidParameterException", 400)
}

func TestCognitoSAMLLogin(t *testing.T) {
	ts := startServer(t)
	s := newSAMLIdP(t, ts)
	e := newCognitoEnv(t, ts, "fed", func(in *cognitoidentity.CreateIdentityPoolInput) { in.SamlProviderARNs = []string{s.provider} })
	id := e.getID(t, map[string]string{s.provider: s.response(t, "ignored", "alice")})
	if again := e.getID(t, map[string]string{s.provider: s.response(t, "ignored", "alice")}); again != id {
		t.Fatalf("same NameID, two identities: %s %s", id, again)
	}
	out, err := e.credentials(id, map[string]string{s.provider: s.response(t, "ignored", "alice")})
	if err != nil {
		t.Fatal(err)
	}
	if arn := ts.callerARN(t, out.Credentials); arn != sessionARN("fed-auth") {
		t.Fatalf("caller %s", arn)
	}
	raw, _ := base64.StdEncoding.DecodeString(s.response(t, "ignored", "alice"))
	tampered := base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(raw), "alice@example.com", "admin@example.com", 1)))
	_, err = e.anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(e.pool), Logins: map[string]string{s.provider: tampered}})
	wantAPIError(t, err, "NotAuthorizedException", 400)
}

func TestCognitoListIdentitiesAndDelete(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "list", nil)
	want := map[string]bool{}
	for i := 0; i < 7; i++ {
		want[e.getID(t, nil)] = true
	}
	want[e.getID(t, e.logins(t, nil))] = true
	seen := map[string]bool{}
	var next *string
	for {
		out, err := e.root.ListIdentities(ctx, &cognitoidentity.ListIdentitiesInput{IdentityPoolId: aws.String(e.pool), MaxResults: aws.Int32(3), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.IdentityPoolId) != e.pool {
			t.Fatalf("pool %s", aws.ToString(out.IdentityPoolId))
		}
		for _, d := range out.Identities {
			if seen[aws.ToString(d.IdentityId)] {
				t.Fatalf("duplicate %s", aws.ToString(d.IdentityId))
			}
			seen[aws.ToString(d.IdentityId)] = true
		}
		if next = out.NextToken; next == nil {
			break
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("listed %d of %d", len(seen), len(want))
	}
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	del, err := e.root.DeleteIdentities(ctx, &cognitoidentity.DeleteIdentitiesInput{IdentityIdsToDelete: ids[:4]})
	if err != nil || len(del.UnprocessedIdentityIds) != 0 {
		t.Fatalf("%+v %v", del, err)
	}
	_, err = e.root.DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: aws.String(ids[0])})
	wantAPIError(t, err, "ResourceNotFoundException", 400)
	_, err = e.anon.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(ids[0])})
	wantAPIError(t, err, "ResourceNotFoundException", 400)
	out, _ := e.root.ListIdentities(ctx, &cognitoidentity.ListIdentitiesInput{IdentityPoolId: aws.String(e.pool), MaxResults: aws.Int32(60)})
	if len(out.Identities) != len(want)-4 {
		t.Fatalf("%d left", len(out.Identities))
	}
}

func TestCognitoConcurrentGetId(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "race", nil)
	logins := e.logins(t, jwt.MapClaims{"sub": "racer"})
	var wg sync.WaitGroup
	ids := make([]string, 32)
	errs := make([]error, 32)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := e.anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(e.pool), Logins: logins})
			if err == nil {
				ids[i] = aws.ToString(out.IdentityId)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("call %d: %q %v (first %q)", i, ids[i], errs[i], ids[0])
		}
	}
	out, err := e.root.ListIdentities(ctx, &cognitoidentity.ListIdentitiesInput{IdentityPoolId: aws.String(e.pool), MaxResults: aws.Int32(60)})
	if err != nil || len(out.Identities) != 1 {
		t.Fatalf("%d identities, %v", len(out.Identities), err)
	}
}

func TestCognitoAuthorizationAndErrors(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "errs", nil)
	// An IAM user without Cognito permissions: AccessDeniedException with AWS's message.
	keyID, secret := createUserWithKey(t, ts, "bob")
	bob := ts.cognito(keyID, secret)
	_, err := bob.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(e.pool)})
	wantAPIError(t, err, "AccessDeniedException", 400)
	if !strings.Contains(err.Error(), "User: arn:aws:iam::"+accountID+":user/bob is not authorized to perform: cognito-identity:DescribeIdentityPool on resource: arn:aws:cognito-identity:us-east-1:"+accountID+":identitypool/"+e.pool) {
		t.Fatalf("message: %v", err)
	}
	_, err = bob.ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(10)})
	wantAPIError(t, err, "AccessDeniedException", 400)
	// A policy on the pool allows it; SetIdentityPoolRoles also needs iam:PassRole.
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cognito-identity:DescribeIdentityPool","cognito-identity:SetIdentityPoolRoles"],"Resource":"arn:aws:cognito-identity:us-east-1:` + accountID + `:identitypool/` + e.pool + `"}]}`
	if _, err := ts.rootIAM().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("cognito"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(e.pool)}); err != nil {
		t.Fatal(err)
	}
	_, err = bob.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(e.pool), Roles: map[string]string{"authenticated": e.adminRole}})
	wantAPIError(t, err, "NotAuthorizedException", 400)
	if !strings.Contains(err.Error(), "Access to Role '"+e.adminRole+"' is forbidden.") {
		t.Fatalf("message: %v", err)
	}

	// ResourceNotFoundException.
	missing := "us-east-1:00000000-0000-4000-8000-000000000000"
	_, err = e.anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(missing)})
	wantAPIError(t, err, "ResourceNotFoundException", 400)
	_, err = e.anon.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(missing)})
	wantAPIError(t, err, "ResourceNotFoundException", 400)
	// ValidationException from the model's constraints, InvalidParameterException from the service.
	_, err = e.root.ListIdentities(ctx, &cognitoidentity.ListIdentitiesInput{IdentityPoolId: aws.String(e.pool), MaxResults: aws.Int32(61)})
	wantAPIError(t, err, "ValidationException", 400)
	_, err = e.root.LookupDeveloperIdentity(ctx, &cognitoidentity.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(e.pool)})
	wantAPIError(t, err, "InvalidParameterException", 400)
	_, err = e.root.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(e.pool), Roles: map[string]string{"authenticated": e.authRole},
		RoleMappings: map[string]citypes.RoleMapping{e.login: {Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny}}})
	wantAPIError(t, err, "InvalidParameterException", 400)
	// InvalidIdentityPoolConfigurationException: no unauthenticated role.
	if _, err := e.root.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(e.pool), Roles: map[string]string{"authenticated": e.authRole}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.credentials(e.getID(t, nil), nil)
	wantAPIError(t, err, "InvalidIdentityPoolConfigurationException", 400)
	// The role exists but does not trust this pool.
	untrusting := mustRole(t, ts.rootIAM(), "untrusting", cognitoTrust("us-east-1:11111111-1111-4111-8111-111111111111", "*"))
	if _, err := e.root.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(e.pool), Roles: map[string]string{"unauthenticated": aws.ToString(untrusting.Arn)}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.credentials(e.getID(t, nil), nil)
	wantAPIError(t, err, "InvalidIdentityPoolConfigurationException", 400)

	// ExternalServiceException: the IdP of a registered provider is down.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	p, err := ts.rootIAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(dead), ClientIDList: []string{"app-client"}})
	if err != nil {
		t.Fatal(err)
	}
	down, err := e.root.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("down"), OpenIdConnectProviderARNs: []string{aws.ToString(p.OpenIDConnectProviderArn)}})
	if err != nil {
		t.Fatal(err)
	}
	deadTok, _ := e.idp.Keypair.SignJWT(jwt.MapClaims{"iss": dead, "aud": "app-client", "sub": "x", "exp": time.Now().Add(time.Hour).Unix()})
	_, err = e.anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: down.IdentityPoolId, Logins: map[string]string{strings.TrimPrefix(dead, "http://"): deadTok}})
	wantAPIError(t, err, "ExternalServiceException", 400)

	// Facebook and friends cannot be verified offline.
	fb, err := e.root.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("fb"), SupportedLoginProviders: map[string]string{"graph.facebook.com": "1234567890"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: fb.IdentityPoolId, Logins: map[string]string{"graph.facebook.com": "EAAB-opaque"}})
	wantAPIError(t, err, "NotAuthorizedException", 400)
	if !strings.Contains(err.Error(), "cannot verify graph.facebook.com") {
		t.Fatalf("message: %v", err)
	}

	// LimitExceededException at 1,000 pools per account (the first ones written through the store).
	cs := ts.App.Store
	list, _ := e.root.ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(60)})
	for i := len(list.IdentityPools); i < 1000; i++ {
		if err := cs.CreateIdentityPool(ctx, store.IdentityPool{ID: fmt.Sprintf("us-east-1:%08x-0000-4000-8000-000000000000", i), AccountID: accountID, Name: "filler"}, 1000); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.root.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("one-too-many")})
	wantAPIError(t, err, "LimitExceededException", 400)
}

func TestCognitoCredentialsAreAudited(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	ts := startServer(t, func(c *config.Config, _ *app.Options) { c.AuditLog = logPath })
	e := newCognitoEnv(t, ts, "audit", nil)
	id := e.getID(t, e.logins(t, nil))
	if _, err := e.credentials(id, e.logins(t, nil)); err != nil {
		t.Fatal(err)
	}
	_, err := e.credentials(id, e.logins(t, jwt.MapClaims{"aud": "nope"}))
	wantAPIError(t, err, "NotAuthorizedException", 400)
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	log := string(data)
	if strings.Count(log, `"eventName":"GetCredentialsForIdentity"`) != 2 || !strings.Contains(log, `"errorCode":"NotAuthorizedException"`) {
		t.Fatalf("audit: %s", log)
	}
	if strings.Contains(log, "secretKey") || strings.Contains(log, "sessionToken") || strings.Contains(log, e.token(t, nil)[:20]) {
		t.Fatalf("secrets reached the audit log: %s", log)
	}
}

func BenchmarkGetIdExistingLogin(b *testing.B) {
	ts := startServer(b)
	e := newCognitoEnv(b, ts, "bench", nil)
	logins := e.logins(b, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()})
	want := e.getID(b, logins)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := e.anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(e.pool), Logins: logins})
		if err != nil || aws.ToString(out.IdentityId) != want {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetCredentialsForIdentity(b *testing.B) {
	ts := startServer(b)
	e := newCognitoEnv(b, ts, "bench", nil)
	logins := e.logins(b, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()})
	id := e.getID(b, logins)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.credentials(id, logins); err != nil {
			b.Fatal(err)
		}
	}
}

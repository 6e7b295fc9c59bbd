package sts

import (
	"context"
	"errors"
	"github.com/latchkey/latchkey/internal/awserr"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/cognito"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/quicksight"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

var ctx = context.Background()

func trustDoc(principal, actions, cond string) string {
	s := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":` + actions
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + `}]}`
}

const (
	bobP   = `{"AWS":"arn:aws:iam::111122223333:user/bob"}`
	daveP  = `{"AWS":"arn:aws:iam::111122223333:user/dave"}`
	aliceP = `{"AWS":"arn:aws:iam::111122223333:user/alice"}`
	acctAP = `{"AWS":"111122223333"}`
	assume = `"sts:AssumeRole"`
)

// AssumeRole: the role's trust policy is a gate that the caller's own policies cannot open (IAM
// User Guide, "Policy evaluation logic"; "Cross-account policy evaluation logic"). bob, eve and
// the builder role all have an identity policy allowing *:*.
func TestAssumeRoleTrustGate(t *testing.T) {
	bob := userCaller(acctA, "AIDABOB", "bob")
	dave := userCaller(acctA, "AIDADAVE", "dave")
	eve := userCaller(acctB, "AIDAEVE", "eve")
	mallory := userCaller(acctB, "AIDAMAL", "mallory")
	tags := []SessionTag{{Key: "Project", Value: "unicorn"}}
	cases := []struct {
		name   string
		caller *principal.Principal
		trust  string
		in     AssumeRoleInput
		ok     bool
	}{
		{"star user not named", bob, trustDoc(aliceP, assume, ""), AssumeRoleInput{}, false},
		{"star role session not named", builderSession(), trustDoc(bobP, assume, ""), AssumeRoleInput{}, false},
		{"star user, trust allows web identity only", bob, trustDoc(bobP, `"sts:AssumeRoleWithWebIdentity"`, ""), AssumeRoleInput{}, false},
		{"external id missing", bob, trustDoc(bobP, assume, `{"StringEquals":{"sts:ExternalId":"ext-123"}}`), AssumeRoleInput{}, false},
		{"external id wrong", bob, trustDoc(bobP, assume, `{"StringEquals":{"sts:ExternalId":"ext-123"}}`), AssumeRoleInput{ExternalID: "ext-999"}, false},
		{"external id right", bob, trustDoc(bobP, assume, `{"StringEquals":{"sts:ExternalId":"ext-123"}}`), AssumeRoleInput{ExternalID: "ext-123"}, true},
		{"mfa required, none", bob, trustDoc(acctAP, assume, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), AssumeRoleInput{}, false},
		{"mfa required, supplied", bob, trustDoc(acctAP, assume, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), AssumeRoleInput{SerialNumber: "arn:aws:iam::111122223333:mfa/bob", TokenCode: "123456"}, true},
		{"session without mfa", builderSession(), trustDoc(acctAP, assume, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), AssumeRoleInput{}, false},
		{"tags without sts:TagSession", bob, trustDoc(bobP, assume, ""), AssumeRoleInput{Tags: tags}, false},
		{"transitive tags without sts:TagSession", bob, trustDoc(bobP, assume, ""), AssumeRoleInput{Tags: tags, TransitiveTagKeys: []string{"Project"}}, false},
		{"tag value the trust refuses", bob, trustDoc(bobP, `["sts:AssumeRole","sts:TagSession"]`, `{"StringEquals":{"aws:RequestTag/Project":"pegasus"}}`), AssumeRoleInput{Tags: tags}, false},
		{"tag value the trust accepts", bob, trustDoc(bobP, `["sts:AssumeRole","sts:TagSession"]`, `{"StringEqualsIfExists":{"aws:RequestTag/Project":"unicorn"}}`), AssumeRoleInput{Tags: tags}, true},
		{"source identity without sts:SetSourceIdentity", bob, trustDoc(bobP, assume, ""), AssumeRoleInput{SourceIdentity: "bob"}, false},
		{"source identity trusted", bob, trustDoc(bobP, `["sts:AssumeRole","sts:SetSourceIdentity"]`, ""), AssumeRoleInput{SourceIdentity: "bob"}, true},
		// The gate runs before the assertion is read: a bogus context is refused as AccessDenied.
		{"provided contexts without sts:SetContext", builderSession(), trustDoc(acctAP, assume, ""), AssumeRoleInput{Contexts: []ProvidedContext{{ProviderARN: QuickSightContextProvider, ContextAssertion: "bogus"}}}, false},
		{"account principal, no identity policy", dave, trustDoc(acctAP, assume, ""), AssumeRoleInput{}, false},
		{"exact user, no identity policy", dave, trustDoc(daveP, assume, ""), AssumeRoleInput{}, true},
		{"star principal, no identity policy", dave, trustDoc(`"*"`, assume, ""), AssumeRoleInput{}, true},
		{"cross-account exact trust, no identity policy", mallory, trustDoc(`{"AWS":"arn:aws:iam::444455556666:user/mallory"}`, assume, ""), AssumeRoleInput{}, false},
		{"cross-account star user, trust names only its own account", eve, trustDoc(acctAP, assume, ""), AssumeRoleInput{}, false},
		{"cross-account star user named", eve, trustDoc(`{"AWS":"arn:aws:iam::444455556666:user/eve"}`, assume, ""), AssumeRoleInput{}, true},
		{"explicit deny in trust", bob, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + bobP + `,"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringNotEquals":{"sts:ExternalId":"ok"}}}]}`, AssumeRoleInput{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.putUser(t, acctB, "AIDAMAL", "mallory")
			role := f.putRole(t, acctA, "target", c.trust)
			in := c.in
			in.RoleARN = principal.RoleARNOf(acctA, "/", "target")
			in.RoleSessionName = "s1"
			out, err := f.svc.AssumeRole(ctx, c.caller, in)
			if !c.ok {
				ae := wantCode(t, err, "AccessDenied", http.StatusForbidden)
				if !strings.HasPrefix(ae.Message, "User: "+c.caller.ARN+" is not authorized to perform: sts:") || !strings.Contains(ae.Message, "on resource: "+in.RoleARN) {
					t.Fatalf("message %q", ae.Message)
				}
				if out.Credentials.AccessKeyID != "" || f.st.roleUses.Load() != 0 {
					t.Fatal("credentials issued or role use recorded on a refusal")
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			p := f.opened(t, out.Credentials)
			if p.RoleID != role.RoleID || p.AccountID != acctA || p.ARN != principal.AssumedRoleARN(acctA, "target", "s1") {
				t.Fatalf("session %+v", p)
			}
		})
	}
}

func quickSightContext(t *testing.T, f *fixture, account string) string {
	t.Helper()
	ic := principal.IdentityContext{AccountID: account, Namespace: "default", UserARN: "arn:aws:quicksight:us-east-1:" + account + ":user/default/alice",
		PrincipalID: "federated/iam/AIDAALICE", Region: "us-east-1", Expires: testNow.Add(time.Hour)}
	tok, err := f.tokens.Sign(ctx, token.ES384, quicksight.ContextClaims(ic, testNow, "ctx-1"))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// The QuickSight identity-enhanced path: sts:SetContext must be in the trust policy too.
func TestAssumeRoleSetContext(t *testing.T) {
	f := newFixture(t)
	caller := builderSession()
	assertion := quickSightContext(t, f, acctA)
	contexts := []ProvidedContext{{ProviderARN: QuickSightContextProvider, ContextAssertion: assertion}}
	f.putRole(t, acctA, "reports", trustDoc(`{"AWS":"arn:aws:iam::111122223333:role/builder"}`, assume, ""))
	_, err := f.svc.AssumeRole(ctx, caller, AssumeRoleInput{RoleARN: principal.RoleARNOf(acctA, "/", "reports"), RoleSessionName: "qs", Contexts: contexts})
	ae := wantCode(t, err, "AccessDenied", http.StatusForbidden)
	if !strings.Contains(ae.Message, "sts:SetContext") {
		t.Fatalf("message %q", ae.Message)
	}

	f.putRole(t, acctA, "reports", trustDoc(`{"AWS":"arn:aws:iam::111122223333:role/builder"}`, `["sts:AssumeRole","sts:SetContext"]`, ""))
	out, err := f.svc.AssumeRole(ctx, caller, AssumeRoleInput{RoleARN: principal.RoleARNOf(acctA, "/", "reports"), RoleSessionName: "qs", Contexts: contexts})
	if err != nil {
		t.Fatal(err)
	}
	p := f.opened(t, out.Credentials)
	if p.IdentityContext == nil || p.IdentityContext.UserARN != "arn:aws:quicksight:us-east-1:"+acctA+":user/default/alice" {
		t.Fatalf("identity context %+v", p.IdentityContext)
	}
}

// AssumeRoleWithWebIdentity: only the trust policy decides, and it must name the provider and
// allow every extra action the token asks for.
func TestWebIdentityTrustGate(t *testing.T) {
	fedGitHub := `{"Federated":"` + githubARN + `"}`
	subCond := `{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo/app:*"}}`
	claims := func(sub string, raw map[string]any) oidc.Claims {
		if raw == nil {
			raw = map[string]any{}
		}
		return oidc.Claims{Issuer: githubIssuer, Subject: sub, Audience: []string{"sts.amazonaws.com"}, Expiry: testNow.Add(time.Hour), Raw: raw}
	}
	tagged := map[string]any{session.TagsClaim: map[string]any{"principal_tags": map[string]any{"team": []any{"ops"}}}}
	sourced := map[string]any{sourceIdentityClaim: "octo-ci"}
	cases := []struct {
		name   string
		trust  string
		claims oidc.Claims
		ok     bool
	}{
		{"provider named, sub matches", trustDoc(fedGitHub, `"sts:AssumeRoleWithWebIdentity"`, subCond), claims("repo:octo/app:ref:refs/heads/main", nil), true},
		{"sub of another repository", trustDoc(fedGitHub, `"sts:AssumeRoleWithWebIdentity"`, subCond), claims("repo:evil/app:ref:refs/heads/main", nil), false},
		{"another provider named", trustDoc(`{"Federated":"arn:aws:iam::111122223333:oidc-provider/gitlab.example.com"}`, `"sts:AssumeRoleWithWebIdentity"`, ""), claims("repo:octo/app:ref:refs/heads/main", nil), false},
		{"principal star does not admit federated callers", trustDoc(`"*"`, `"sts:AssumeRoleWithWebIdentity"`, ""), claims("repo:octo/app:ref:refs/heads/main", nil), false},
		{"account principal does not admit federated callers", trustDoc(acctAP, `"sts:AssumeRoleWithWebIdentity"`, ""), claims("repo:octo/app:ref:refs/heads/main", nil), false},
		{"token tags without sts:TagSession", trustDoc(fedGitHub, `"sts:AssumeRoleWithWebIdentity"`, subCond), claims("repo:octo/app:ref:refs/heads/main", tagged), false},
		{"token tags with sts:TagSession", trustDoc(fedGitHub, `["sts:AssumeRoleWithWebIdentity","sts:TagSession"]`, subCond), claims("repo:octo/app:ref:refs/heads/main", tagged), true},
		{"source identity without sts:SetSourceIdentity", trustDoc(fedGitHub, `"sts:AssumeRoleWithWebIdentity"`, subCond), claims("repo:octo/app:ref:refs/heads/main", sourced), false},
		{"source identity with sts:SetSourceIdentity", trustDoc(fedGitHub, `["sts:AssumeRoleWithWebIdentity","sts:SetSourceIdentity"]`, subCond), claims("repo:octo/app:ref:refs/heads/main", sourced), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.putRole(t, acctA, "deploy", c.trust)
			f.verifier.set(c.claims)
			out, err := f.svc.AssumeRoleWithWebIdentity(ctx, WebIdentityInput{RoleARN: principal.RoleARNOf(acctA, "/", "deploy"), RoleSessionName: "gha", Token: "opaque"})
			if !c.ok {
				ae := wantCode(t, err, "AccessDenied", http.StatusForbidden)
				if ae.Message != "Not authorized to perform sts:AssumeRoleWithWebIdentity" {
					t.Fatalf("message %q", ae.Message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Provider != githubARN || f.opened(t, out.Credentials).FederatedProvider != githubARN {
				t.Fatalf("session %+v", out)
			}
		})
	}
}

func (f *fixture) cognitoToken(t *testing.T, pool string, amr ...string) string {
	t.Helper()
	tok, err := f.tokens.Sign(ctx, token.ES384, map[string]any{"iss": cognitoIssuer, "aud": pool, "sub": "us-east-1:identity-1",
		"amr": amr, "iat": testNow.Unix(), "exp": testNow.Add(10 * time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

const (
	fedCognito = `{"Federated":"cognito-identity.amazonaws.com"}`
	poolA      = "us-east-1:pool-a"
	poolB      = "us-east-1:pool-b"
)

func pinned(aud, amr string) string {
	c := `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + aud + `"}`
	if amr != "" {
		c += `,"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"` + amr + `"}`
	}
	return c + `}`
}

// Classic (basic) flow: a Cognito token of a pool in account B opens a role of account A only
// when the trust policy pins the pool (STS API reference, AssumeRoleWithWebIdentity, RoleArn;
// Cognito Developer Guide, "Security best practices for Amazon Cognito identity pools").
func TestCognitoClassicFlowAcrossAccounts(t *testing.T) {
	webID := `"sts:AssumeRoleWithWebIdentity"`
	cases := []struct {
		name  string
		trust string
		pool  string
		ok    bool
	}{
		{"guest of another account's pool, loose trust", trustDoc(fedCognito, webID, ""), poolB, false},
		{"guest of another account's pool, amr only", trustDoc(fedCognito, webID, `{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}`), poolB, false},
		{"aud pinned, no amr condition", trustDoc(fedCognito, webID, pinned(poolB, "")), poolB, false},
		{"aud by wildcard", trustDoc(fedCognito, webID, `{"StringLike":{"cognito-identity.amazonaws.com:aud":"us-east-1:*"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}`), poolB, false},
		{"aud pinned to the role account's own pool", trustDoc(fedCognito, webID, pinned(poolA, "unauthenticated")), poolB, false},
		{"loose statement next to a pinned one", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + fedCognito + `,"Action":"sts:AssumeRoleWithWebIdentity"},{"Effect":"Allow","Principal":` + fedCognito + `,"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + pinned(poolA, "unauthenticated") + `}]}`, poolB, false},
		{"aud and amr pinned to the other account's pool", trustDoc(fedCognito, webID, pinned(poolB, "unauthenticated")), poolB, true},
		// Same account: the documents ask for the condition only across accounts.
		{"same-account pool, loose trust", trustDoc(fedCognito, webID, ""), poolA, true},
		{"same-account pool, pinned to another pool", trustDoc(fedCognito, webID, pinned(poolB, "unauthenticated")), poolA, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.putRole(t, acctA, "guest", c.trust)
			out, err := f.svc.AssumeRoleWithWebIdentity(ctx, WebIdentityInput{RoleARN: principal.RoleARNOf(acctA, "/", "guest"), RoleSessionName: "app", Token: f.cognitoToken(t, c.pool, "unauthenticated")})
			if !c.ok {
				wantCode(t, err, "AccessDenied", http.StatusForbidden)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Audience != c.pool || out.Provider != cognito.CognitoProvider {
				t.Fatalf("session %+v", out)
			}
		})
	}
}

// Without knowing the pool's account STS applies the cross-account rule, and a store failure is
// an outage (answered 503 by the server), never a grant. The enhanced flow's side of this rule
// (a pool of an unknown account) is in the session package's tests.
func TestCognitoPoolAccountUnknown(t *testing.T) {
	f := newFixture(t)
	f.putRole(t, acctA, "guest", trustDoc(fedCognito, `"sts:AssumeRoleWithWebIdentity"`, ""))
	in := WebIdentityInput{RoleARN: principal.RoleARNOf(acctA, "/", "guest"), RoleSessionName: "app", Token: f.cognitoToken(t, poolA, "unauthenticated")}
	// Without a pool reader no Cognito token is accepted.
	f.classic.Pools = nil
	_, err := f.svc.AssumeRoleWithWebIdentity(ctx, in)
	wantCode(t, err, "InvalidIdentityToken", http.StatusBadRequest)
	f.classic.Pools = f.pools
	f.pools.read = func(_ context.Context, id string) (store.IdentityPool, error) { return store.IdentityPool{ID: id}, nil }
	_, err = f.svc.AssumeRoleWithWebIdentity(ctx, in)
	wantCode(t, err, "AccessDenied", http.StatusForbidden)
	f.pools.read = func(context.Context, string) (store.IdentityPool, error) {
		return store.IdentityPool{}, store.ErrUnavailable
	}
	_, err = f.svc.AssumeRoleWithWebIdentity(ctx, in)
	if ae := wantKind(t, err, awserr.Internal, http.StatusInternalServerError); !errors.Is(ae, store.ErrUnavailable) {
		t.Fatalf("the outage is not the cause: %v", ae)
	}
	f.pools.read = func(context.Context, string) (store.IdentityPool, error) {
		return store.IdentityPool{}, errors.New("disk on fire")
	}
	_, err = f.svc.AssumeRoleWithWebIdentity(ctx, in)
	wantKind(t, err, awserr.Internal, http.StatusInternalServerError)
	// A pool that refuses the classic flow is refused whatever its account.
	no := false
	f.pools.read = func(_ context.Context, id string) (store.IdentityPool, error) {
		return store.IdentityPool{ID: id, AccountID: acctA, AllowClassicFlow: &no}, nil
	}
	_, err = f.svc.AssumeRoleWithWebIdentity(ctx, in)
	wantCode(t, err, "InvalidIdentityToken", http.StatusBadRequest)
}

// The classic flow reads the token's pool once, for both the classic-flow switch and the account.
func TestCognitoClassicFlowReadsThePoolOnce(t *testing.T) {
	f := newFixture(t)
	f.putRole(t, acctA, "guest", trustDoc(fedCognito, `"sts:AssumeRoleWithWebIdentity"`, ""))
	reads := 0
	f.pools.read = func(_ context.Context, id string) (store.IdentityPool, error) {
		reads++
		return store.IdentityPool{ID: id, AccountID: acctA}, nil
	}
	in := WebIdentityInput{RoleARN: principal.RoleARNOf(acctA, "/", "guest"), RoleSessionName: "app", Token: f.cognitoToken(t, poolA, "unauthenticated")}
	if _, err := f.svc.AssumeRoleWithWebIdentity(ctx, in); err != nil || reads != 1 {
		t.Fatalf("%v, %d pool reads", err, reads)
	}
}

// aws:ResourceTag is the target role's own tags. A chained session's incoming transitive tags
// become principal tags of the new session, but they do not stand in for the role's tags while
// the call is authorized: otherwise a caller could pick the tag an ABAC condition compares.
func TestChainedTransitiveTagsAreNotResourceTags(t *testing.T) {
	abac := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*",` +
		`"Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}}]}`
	cases := []struct {
		name     string
		roleTags []store.Tag
		ok       bool
	}{
		{"role of another team", []store.Tag{{Key: "team", Value: "blue"}}, false},
		{"untagged role", nil, false},
		{"role of the caller's team", []store.Tag{{Key: "team", Value: "red"}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			hub := f.putRole(t, acctA, "hub", trustDoc(acctAP, assume, ""))
			f.putRolePolicy(t, hub.RoleID, abac)
			target := f.putRole(t, acctA, "target", trustDoc(acctAP, assume, ""))
			if _, err := f.st.UpdateRole(ctx, target.RoleID, func(r *store.Role) error { r.Tags = c.roleTags; return nil }); err != nil {
				t.Fatal(err)
			}
			caller := &principal.Principal{Kind: principal.AssumedRole, AccountID: acctA, UserID: hub.RoleID + ":s0", RoleID: hub.RoleID,
				RoleName: "hub", RoleARN: principal.RoleARNOf(acctA, "/", "hub"), ARN: principal.AssumedRoleARN(acctA, "hub", "s0"),
				SessionName: "s0", Temporary: true, Source: "AssumeRole",
				Tags: []principal.Tag{{Key: "team", Value: "red"}}, TransitiveTagKeys: []string{"team"}}
			out, err := f.svc.AssumeRole(ctx, caller, AssumeRoleInput{RoleARN: principal.RoleARNOf(acctA, "/", "target"), RoleSessionName: "s1"})
			if !c.ok {
				wantCode(t, err, "AccessDenied", http.StatusForbidden)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := f.opened(t, out.Credentials).Tag("team"); v != "red" {
				t.Fatalf("transitive tag not carried into the new session: %q", v)
			}
		})
	}
}

// Tags carried in a web identity token follow the session-tag rules that AssumeRole's parameters
// are held to by the model: key 1–128 and value 0–256 characters of the tag alphabet.
func TestWebIdentityTokenTagsFollowTagRules(t *testing.T) {
	fedGitHub := `{"Federated":"` + githubARN + `"}`
	trust := trustDoc(fedGitHub, `["sts:AssumeRoleWithWebIdentity","sts:TagSession"]`, "")
	cases := []struct {
		name       string
		key, value string
		ok         bool
	}{
		{"plain", "team", "ops", true},
		{"every allowed character", "a b_.:/=+-@é1", "x y_.:/=+-@ü2", true},
		{"empty value", "team", "", true},
		{"longest key and value", strings.Repeat("k", 128), strings.Repeat("v", 256), true},
		{"key too long", strings.Repeat("k", 129), "v", false},
		{"value too long", "team", strings.Repeat("v", 257), false},
		{"key with a forbidden character", "team#1", "v", false},
		{"value with a forbidden character", "team", "a;b", false},
		{"value with a control character", "team", "a\nb", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.putRole(t, acctA, "deploy", trust)
			f.verifier.set(oidc.Claims{Issuer: githubIssuer, Subject: "repo:octo/app:ref:refs/heads/main", Audience: []string{"sts.amazonaws.com"},
				Expiry: testNow.Add(time.Hour), Raw: map[string]any{session.TagsClaim: map[string]any{"principal_tags": map[string]any{c.key: []any{c.value}}}}})
			_, err := f.svc.AssumeRoleWithWebIdentity(ctx, WebIdentityInput{RoleARN: principal.RoleARNOf(acctA, "/", "deploy"), RoleSessionName: "gha", Token: "opaque"})
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, "InvalidIdentityToken", http.StatusBadRequest)
		})
	}
}

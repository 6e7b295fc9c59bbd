package cognitoapi_test

import (
	"bytes"
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/api/apitest"
	"github.com/latchkey/latchkey/internal/api/cognitoapi"
	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/cognito"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
	"github.com/latchkey/latchkey/internal/token"
)

const (
	acct        = "123456789012"
	devProvider = "login.acme.app"
	authRole    = "arn:aws:iam::123456789012:role/auth"
	unauthRole  = "arn:aws:iam::123456789012:role/unauth"
	adminRole   = "arn:aws:iam::123456789012:role/admin"
	cognitoKey  = "cognito-identity.amazonaws.com"
	trustDoc    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture is the Cognito Identity operation table over the real service, session service, authz
// engine, token issuer and SQLite store; the account has the roles auth, unauth and admin, which
// trust Cognito identities.
type fixture struct {
	table  api.Table
	svc    *cognito.Service
	sealer *token.Sealer
	root   *principal.Principal
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	st := sqltest.Open(t)
	must(t, st.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: testNow}))
	for _, name := range []string{"auth", "unauth", "admin"} {
		must(t, st.CreateRole(ctx, store.Role{AccountID: acct, RoleID: "AROA" + strings.ToUpper(name), RoleName: name, Path: "/",
			AssumeRolePolicyDocument: trustDoc, MaxSessionDuration: 3600, CreatedAt: testNow, PrincipalsBound: true}))
	}
	mk, err := keys.NewMasterKey(bytes.Repeat([]byte{7}, 32))
	must(t, err)
	now := func() time.Time { return testNow }
	sealer := &token.Sealer{Ring: token.SessionRing(st, mk, now)}
	engine := &authz.Engine{Source: st, Now: now, Messages: mk}
	issuer := token.NewIssuer(st, mk, now, "https://latchkey.example.com")
	sessions := session.New(session.Deps{Store: st, Engine: engine, MFA: noMFA{}, Sealer: sealer, IDs: ids.Default, Now: now})
	svc := cognito.New(cognito.Deps{Store: st, Authz: engine, Tokens: issuer, Sessions: sessions, Verifier: oidc.NewVerifier(oidc.Options{Now: now}),
		Region: "us-east-1", Issuer: "https://cognito-identity.amazonaws.com", Now: now})
	root := &principal.Principal{Kind: principal.Root, AccountID: acct, ARN: "arn:aws:iam::123456789012:root", UserID: acct}
	return &fixture{table: cognitoapi.Table(svc), svc: svc, sealer: sealer, root: root}
}

type noMFA struct{}

func (noMFA) VerifyMFA(context.Context, *principal.Principal, string, string) error {
	return awserr.New("AccessDenied", http.StatusForbidden, "no MFA in these tests")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) call(t *testing.T, op string, caller *principal.Principal, in map[string]any) (map[string]any, error) {
	t.Helper()
	return apitest.Call(t.Context(), t, f.table, op, caller, in)
}

func (f *fixture) ok(t *testing.T, op string, caller *principal.Principal, in map[string]any, members ...string) map[string]any {
	t.Helper()
	out, err := f.call(t, op, caller, in)
	must(t, err)
	apitest.WantOutput(t, model, op, out, members...)
	return out
}

var model = awsmodel.MustLoad("cognito-identity")

// wantCode fails unless err carries code and status.
func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	ae, ok := awserr.As(err)
	if !ok || ae.Code != code || ae.HTTPStatus != status {
		t.Fatalf("want %s %d, got %#v", code, status, err)
	}
}

var poolMembers = []string{"IdentityPoolId", "IdentityPoolName", "AllowUnauthenticatedIdentities", "SupportedLoginProviders",
	"IdentityPoolTags"}

// TestIdentityPoolRoundTrip: every IdentityPool member CreateIdentityPool takes comes back from
// DescribeIdentityPool, and a minimal pool answers empty maps, not absent ones, and no other
// optional member.
func TestIdentityPoolRoundTrip(t *testing.T) {
	f := newFixture(t)
	full := map[string]any{
		"IdentityPoolName": "app", "AllowUnauthenticatedIdentities": true, "AllowClassicFlow": true,
		"SupportedLoginProviders": map[string]any{"graph.facebook.com": "fb-app"}, "DeveloperProviderName": devProvider,
		"CognitoIdentityProviders": []any{map[string]any{"ProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc", "ClientId": "upclient", "ServerSideTokenCheck": true}},
		"IdentityPoolTags":         map[string]any{"team": "red"},
		"IdentityPoolId":           "us-east-1:ignored-on-create",
	}
	created := f.ok(t, "CreateIdentityPool", f.root, full, append(poolMembers, "AllowClassicFlow", "DeveloperProviderName", "CognitoIdentityProviders")...)
	id, _ := created["IdentityPoolId"].(string)
	if !strings.HasPrefix(id, "us-east-1:") || id == full["IdentityPoolId"] {
		t.Fatalf("IdentityPoolId = %q", id)
	}
	described := f.ok(t, "DescribeIdentityPool", f.root, map[string]any{"IdentityPoolId": id},
		append(poolMembers, "AllowClassicFlow", "DeveloperProviderName", "CognitoIdentityProviders")...)
	for k, want := range full {
		if k == "IdentityPoolId" {
			continue
		}
		if !equalTree(described[k], want) || !equalTree(created[k], want) {
			t.Errorf("%s: created %#v, described %#v, want %#v", k, created[k], described[k], want)
		}
	}

	minimal := f.ok(t, "CreateIdentityPool", f.root, map[string]any{"IdentityPoolName": "min", "AllowUnauthenticatedIdentities": false}, poolMembers...)
	for _, k := range []string{"SupportedLoginProviders", "IdentityPoolTags"} {
		if m, ok := minimal[k].(map[string]any); !ok || len(m) != 0 {
			t.Errorf("%s = %#v, want an empty map", k, minimal[k])
		}
	}
	if minimal["AllowUnauthenticatedIdentities"] != false {
		t.Errorf("AllowUnauthenticatedIdentities = %#v, want false present", minimal["AllowUnauthenticatedIdentities"])
	}
}

// TestEmptyTagValueSurvives: a tag value may be empty (TagValueType has no minimum length), and
// the service keeps it; the answer must carry it as "" rather than leave the tag out.
func TestEmptyTagValueSurvives(t *testing.T) {
	f := newFixture(t)
	out := f.ok(t, "CreateIdentityPool", f.root, map[string]any{"IdentityPoolName": "app", "AllowUnauthenticatedIdentities": true,
		"IdentityPoolTags": map[string]any{"empty": ""}}, poolMembers...)
	if tags := out["IdentityPoolTags"].(map[string]any); tags["empty"] != "" {
		t.Errorf("IdentityPoolTags = %#v", tags)
	}
}

// equalTree compares decoded trees; a list compares element-wise.
func equalTree(a, b any) bool {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k := range av {
			if !equalTree(av[k], bv[k]) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		return ok && slices.EqualFunc(av, bv, equalTree)
	}
	return a == b
}

// TestPoolErrorsPassThrough: the service's refusals reach the caller untouched.
func TestPoolErrorsPassThrough(t *testing.T) {
	f := newFixture(t)
	stranger := &principal.Principal{Kind: principal.User, AccountID: acct, UserID: "AIDANOBODY", UserName: "nobody", ARN: "arn:aws:iam::123456789012:user/nobody"}
	missing := "us-east-1:00000000-0000-0000-0000-000000000000"
	_, err := f.call(t, "DescribeIdentityPool", f.root, map[string]any{"IdentityPoolId": missing})
	_, direct := f.svc.DescribeIdentityPool(t.Context(), f.root, missing)
	if !reflect.DeepEqual(err, direct) || direct == nil {
		t.Fatalf("table answered %#v, the service %#v", err, direct)
	}
	wantCode(t, err, "ResourceNotFoundException", http.StatusBadRequest)
	_, err = f.call(t, "CreateIdentityPool", stranger, map[string]any{"IdentityPoolName": "x", "AllowUnauthenticatedIdentities": true})
	if !awserr.IsKind(err, awserr.Denied) {
		t.Fatalf("a user without policies created a pool: %v", err)
	}
}

// pool creates a pool with the three roles; admin is chosen for developer identities by a rule.
func (f *fixture) pool(t *testing.T, allowGuests bool) string {
	t.Helper()
	out := f.ok(t, "CreateIdentityPool", f.root, map[string]any{"IdentityPoolName": "app", "AllowUnauthenticatedIdentities": allowGuests,
		"DeveloperProviderName": devProvider}, append(poolMembers, "DeveloperProviderName")...)
	id := out["IdentityPoolId"].(string)
	_, err := f.call(t, "SetIdentityPoolRoles", f.root, map[string]any{"IdentityPoolId": id,
		"Roles": map[string]any{"authenticated": authRole, "unauthenticated": unauthRole},
		"RoleMappings": map[string]any{devProvider: map[string]any{"Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole",
			"RulesConfiguration": map[string]any{"Rules": []any{
				map[string]any{"Claim": "sub", "MatchType": "StartsWith", "Value": "us-east-1:", "RoleARN": adminRole},
				map[string]any{"Claim": "aud", "MatchType": "Equals", "Value": id, "RoleARN": authRole},
			}}}}})
	must(t, err)
	return id
}

// TestGetId: AccountId, IdentityPoolId and Logins reach the service; the answer is IdentityId only.
func TestGetId(t *testing.T) {
	f := newFixture(t)
	open, closed := f.pool(t, true), f.pool(t, false)
	guest := f.ok(t, "GetId", nil, map[string]any{"IdentityPoolId": open, "AccountId": acct}, "IdentityId")
	if id, _ := guest["IdentityId"].(string); !strings.HasPrefix(id, "us-east-1:") {
		t.Errorf("IdentityId = %v", guest["IdentityId"])
	}
	f.ok(t, "GetId", nil, map[string]any{"IdentityPoolId": open, "Logins": map[string]any{}}, "IdentityId")
	for _, tc := range []struct {
		name   string
		in     map[string]any
		kind   awserr.Kind
		code   string
		status int
	}{
		{"another account", map[string]any{"IdentityPoolId": open, "AccountId": "999999999999"}, awserr.Coded, "ResourceNotFoundException", http.StatusBadRequest},
		{"guests not allowed", map[string]any{"IdentityPoolId": closed}, awserr.Coded, "NotAuthorizedException", http.StatusBadRequest},
		{"guests not allowed, empty logins", map[string]any{"IdentityPoolId": closed, "Logins": map[string]any{}}, awserr.Coded, "NotAuthorizedException", http.StatusBadRequest},
		{"login of a provider the pool lacks", map[string]any{"IdentityPoolId": open, "Logins": map[string]any{"accounts.google.com": "tok"}},
			awserr.Coded, "NotAuthorizedException", http.StatusBadRequest},
		{"forged cognito token", map[string]any{"IdentityPoolId": open, "Logins": map[string]any{cognitoKey: "a.b.c"}},
			awserr.Coded, "NotAuthorizedException", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.call(t, "GetId", nil, tc.in)
			if out != nil {
				t.Errorf("output %v beside an error", out)
			}
			if tc.code == "ResourceNotFoundException" {
				// The service may classify it NotFound; the code and status are what the wire shows.
				wantCode(t, err, tc.code, tc.status)
				return
			}
			apitest.WantError(t, err, tc.kind, tc.code, tc.status)
		})
	}
}

// TestGetCredentialsForIdentity: IdentityId, Logins and CustomRoleArn reach the service; the
// answer carries the model's Credentials (SecretKey, not SecretAccessKey; Expiration a time).
func TestGetCredentialsForIdentity(t *testing.T) {
	f := newFixture(t)
	pool := f.pool(t, true)
	guest := f.ok(t, "GetId", nil, map[string]any{"IdentityPoolId": pool}, "IdentityId")["IdentityId"].(string)
	dev := f.ok(t, "GetOpenIdTokenForDeveloperIdentity", f.root, map[string]any{"IdentityPoolId": pool, "Logins": map[string]any{devProvider: "user-1"}},
		"IdentityId", "Token")
	devID, devToken := dev["IdentityId"].(string), dev["Token"].(string)

	for _, tc := range []struct {
		name     string
		in       map[string]any
		wantRole string
		code     string // NotAuthorizedException when set
	}{
		{"guest", map[string]any{"IdentityId": guest}, "unauth", ""},
		{"guest, empty logins", map[string]any{"IdentityId": guest, "Logins": map[string]any{}}, "unauth", ""},
		{"developer login chooses admin by rule", map[string]any{"IdentityId": devID, "Logins": map[string]any{cognitoKey: devToken}}, "admin", ""},
		{"custom role among the matching rules", map[string]any{"IdentityId": devID, "Logins": map[string]any{cognitoKey: devToken}, "CustomRoleArn": authRole}, "auth", ""},
		{"custom role no rule chooses", map[string]any{"IdentityId": devID, "Logins": map[string]any{cognitoKey: devToken}, "CustomRoleArn": unauthRole}, "", "NotAuthorizedException"},
		{"token of another identity", map[string]any{"IdentityId": guest, "Logins": map[string]any{cognitoKey: devToken}}, "", "NotAuthorizedException"},
		{"forged token", map[string]any{"IdentityId": devID, "Logins": map[string]any{cognitoKey: devToken + "x"}}, "", "NotAuthorizedException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.call(t, "GetCredentialsForIdentity", nil, tc.in)
			if tc.code != "" {
				if out != nil {
					t.Errorf("output %v beside an error", out)
				}
				apitest.WantError(t, err, awserr.Coded, tc.code, http.StatusBadRequest)
				return
			}
			must(t, err)
			apitest.WantOutput(t, model, "GetCredentialsForIdentity", out, "IdentityId", "Credentials")
			creds := out["Credentials"].(map[string]any)
			for _, k := range []string{"AccessKeyId", "SecretKey", "SessionToken", "Expiration"} {
				if _, ok := creds[k]; !ok {
					t.Errorf("Credentials lack %s", k)
				}
			}
			if out["IdentityId"] != tc.in["IdentityId"] {
				t.Errorf("IdentityId = %v, want %v", out["IdentityId"], tc.in["IdentityId"])
			}
			p, _, err := f.sealer.Open(t.Context(), creds["AccessKeyId"].(string), creds["SessionToken"].(string))
			must(t, err)
			if p.RoleName != tc.wantRole {
				t.Errorf("role %q, want %q", p.RoleName, tc.wantRole)
			}
		})
	}
}

package stsapi_test

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/api/apitest"
	"github.com/latchkey/latchkey/internal/api/stsapi"
	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
	"github.com/latchkey/latchkey/internal/sts"
	"github.com/latchkey/latchkey/internal/token"
)

const (
	acct    = "111122223333"
	starDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	// The target role trusts account acct for AssumeRole and TagSession, only with the external id.
	trustDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},` +
		`"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity","sts:SetContext"],"Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}]}`
	targetARN = "arn:aws:iam::111122223333:role/target"
	readOnly  = "arn:aws:iam::111122223333:policy/ours"
	goodCode  = "123456"
	mfaSerial = "arn:aws:iam::111122223333:mfa/bob"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture is the STS operation table over the real session service, authz engine and SQLite
// store: account acct has bob (identity policy *:*) and the role target.
type fixture struct {
	table  api.Table
	sealer *token.Sealer
	bob    *principal.Principal
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	st := sqltest.Open(t)
	must(t, st.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: testNow}))
	must(t, st.CreateUser(ctx, store.User{AccountID: acct, UserID: "AIDABOB", UserName: "bob", Path: "/", CreatedAt: testNow}))
	size := func(d string) int { return len(d) }
	must(t, st.PutInlinePolicy(ctx, store.InlinePolicy{OwnerKind: store.KindUser, OwnerID: "AIDABOB", PolicyName: "star", Document: starDoc}, size, 1<<20))
	must(t, st.CreateRole(ctx, store.Role{AccountID: acct, RoleID: "AROATARGET", RoleName: "target", Path: "/", AssumeRolePolicyDocument: trustDoc,
		MaxSessionDuration: 7200, CreatedAt: testNow, PrincipalsBound: true}))
	must(t, st.CreateManagedPolicy(ctx, store.ManagedPolicy{AccountID: acct, PolicyID: "ANPAOURS", PolicyName: "ours", Path: "/", ARN: readOnly,
		DefaultVersionID: "v1", NextVersion: 2, IsAttachable: true, CreatedAt: testNow}, store.PolicyVersion{PolicyARN: readOnly, VersionID: "v1", Document: starDoc, CreatedAt: testNow}))
	mk, err := keys.NewMasterKey(bytes.Repeat([]byte{7}, 32))
	must(t, err)
	now := func() time.Time { return testNow }
	sealer := &token.Sealer{Ring: token.SessionRing(st, mk, now)}
	engine := &authz.Engine{Source: st, Now: now, Messages: mk}
	sessions := session.New(session.Deps{Store: st, Engine: engine, MFA: fakeMFA{}, Sealer: sealer, IDs: ids.Default, Now: now})
	svc := sts.New(sts.Deps{Keys: st, Authz: engine, Sessions: sessions, Orgs: st, Outbound: st, Providers: st, Messages: mk, Now: now,
		WebIdentity: oidc.NewVerifier(oidc.Options{Now: now})})
	bob := &principal.Principal{Kind: principal.User, AccountID: acct, UserID: "AIDABOB", UserName: "bob", ARN: principal.UserARN(acct, "/", "bob")}
	return &fixture{table: stsapi.Table(svc), sealer: sealer, bob: bob}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type fakeMFA struct{}

func (fakeMFA) VerifyMFA(_ context.Context, _ *principal.Principal, serial, code string) error {
	if serial != mfaSerial || code != goodCode {
		return awserr.New("AccessDenied", http.StatusForbidden, "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
	}
	return nil
}

func (f *fixture) call(t *testing.T, op string, caller *principal.Principal, in map[string]any) (map[string]any, error) {
	t.Helper()
	return apitest.Call(t.Context(), t, f.table, op, caller, in)
}

// opened is the principal sealed into the session token of an answer's Credentials.
func (f *fixture) opened(t *testing.T, out map[string]any) *principal.Principal {
	t.Helper()
	creds, _ := out["Credentials"].(map[string]any)
	id, _ := creds["AccessKeyId"].(string)
	tok, _ := creds["SessionToken"].(string)
	p, _, err := f.sealer.Open(t.Context(), id, tok)
	must(t, err)
	return p
}

var stsModel = awsmodel.MustLoad("sts")

func wantOutput(t *testing.T, op string, out map[string]any, members ...string) {
	t.Helper()
	apitest.WantOutput(t, stsModel, op, out, members...)
	if creds, ok := out["Credentials"].(map[string]any); ok {
		for _, k := range []string{"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"} {
			if _, ok := creds[k]; !ok {
				t.Errorf("%s Credentials lack %s", op, k)
			}
		}
	}
}

func assumeInput(extra map[string]any) map[string]any {
	in := map[string]any{"RoleArn": targetARN, "RoleSessionName": "s1", "ExternalId": "ext-1"}
	for k, v := range extra {
		in[k] = v
	}
	return in
}

// TestAssumeRoleMembersReachTheService: every AssumeRole input member the model defines ends up
// in the session (or, for the ones that only gate it, changes the answer), and the answer has
// exactly the model's members.
func TestAssumeRoleMembersReachTheService(t *testing.T) {
	f := newFixture(t)
	out, err := f.call(t, "AssumeRole", f.bob, assumeInput(map[string]any{
		"DurationSeconds":   int64(1800),
		"Policy":            starDoc,
		"PolicyArns":        []any{map[string]any{"arn": readOnly}},
		"Tags":              []any{map[string]any{"Key": "team", "Value": "red"}, map[string]any{"Key": "cc", "Value": ""}},
		"TransitiveTagKeys": []any{"team"},
		"SourceIdentity":    "bob-src",
		"SerialNumber":      mfaSerial,
		"TokenCode":         goodCode,
	}))
	must(t, err)
	wantOutput(t, "AssumeRole", out, "Credentials", "AssumedRoleUser", "PackedPolicySize", "SourceIdentity")
	if n, ok := out["PackedPolicySize"].(int64); !ok || n <= 0 {
		t.Errorf("PackedPolicySize = %#v, want a positive integer", out["PackedPolicySize"])
	}
	if out["SourceIdentity"] != "bob-src" {
		t.Errorf("SourceIdentity = %v", out["SourceIdentity"])
	}
	exp := out["Credentials"].(map[string]any)["Expiration"]
	if exp != testNow.Add(1800*time.Second) {
		t.Errorf("Expiration = %v, want DurationSeconds after now", exp)
	}
	user := out["AssumedRoleUser"].(map[string]any)
	if user["Arn"] != "arn:aws:sts::111122223333:assumed-role/target/s1" || user["AssumedRoleId"] != "AROATARGET:s1" {
		t.Errorf("AssumedRoleUser = %v", user)
	}
	p := f.opened(t, out)
	if !p.HasSessionPolicies || p.SessionPolicy != starDoc || !slices.Equal(p.SessionPolicyARNs, []string{readOnly}) {
		t.Errorf("session policies = %v %q %v", p.HasSessionPolicies, p.SessionPolicy, p.SessionPolicyARNs)
	}
	if !slices.Equal(p.Tags, []principal.Tag{{Key: "cc", Value: ""}, {Key: "team", Value: "red"}}) &&
		!slices.Equal(p.Tags, []principal.Tag{{Key: "team", Value: "red"}, {Key: "cc", Value: ""}}) {
		t.Errorf("Tags = %v", p.Tags)
	}
	if !slices.Equal(p.TransitiveTagKeys, []string{"team"}) || p.SourceIdentity != "bob-src" || !p.MFAAuthenticated {
		t.Errorf("TransitiveTagKeys %v SourceIdentity %q MFA %v", p.TransitiveTagKeys, p.SourceIdentity, p.MFAAuthenticated)
	}
}

// TestAssumeRoleOptionalOutputsAbsent: without session policies or a source identity the answer
// leaves PackedPolicySize and SourceIdentity out instead of answering zero values.
func TestAssumeRoleOptionalOutputsAbsent(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		in   map[string]any
	}{
		{"absent", nil},
		{"empty lists", map[string]any{"PolicyArns": []any{}, "Tags": []any{}, "TransitiveTagKeys": []any{}, "ProvidedContexts": []any{}}},
		{"unknown member ignored", map[string]any{"Bogus": "x", "Credentials": map[string]any{"AccessKeyId": "AKIAFORGED"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.call(t, "AssumeRole", f.bob, assumeInput(tc.in))
			must(t, err)
			wantOutput(t, "AssumeRole", out, "Credentials", "AssumedRoleUser")
			p := f.opened(t, out)
			if p.HasSessionPolicies || p.Tags != nil || p.TransitiveTagKeys != nil || p.IdentityContext != nil {
				t.Errorf("session carries %+v", p)
			}
			if id := out["Credentials"].(map[string]any)["AccessKeyId"]; id == "AKIAFORGED" {
				t.Error("an input member leaked into the output")
			}
		})
	}
}

// TestAssumeRoleGatingMembers: the members that only decide whether the session is issued reach
// the service: a wrong ExternalId, TokenCode or ProvidedContexts entry is refused with the
// service's own error, untouched by the adapter.
func TestAssumeRoleGatingMembers(t *testing.T) {
	f := newFixture(t)
	qs := sts.QuickSightContextProvider
	for _, tc := range []struct {
		name   string
		in     map[string]any
		code   string
		status int
		kind   awserr.Kind
	}{
		{"wrong external id", map[string]any{"ExternalId": "ext-2"}, "AccessDenied", http.StatusForbidden, awserr.Denied},
		{"missing external id", map[string]any{"ExternalId": nil}, "AccessDenied", http.StatusForbidden, awserr.Denied},
		{"wrong MFA code", map[string]any{"SerialNumber": mfaSerial, "TokenCode": "000000"}, "AccessDenied", http.StatusForbidden, awserr.Coded},
		{"unsupported context provider", map[string]any{"ProvidedContexts": []any{map[string]any{"ProviderArn": "arn:aws:iam::aws:contextProvider/Other", "ContextAssertion": "x"}}},
			"ValidationError", http.StatusBadRequest, awserr.Coded},
		{"context without an issuer", map[string]any{"ProvidedContexts": []any{map[string]any{"ProviderArn": qs, "ContextAssertion": "x"}}},
			"ValidationError", http.StatusBadRequest, awserr.Coded},
		{"malformed role arn", map[string]any{"RoleArn": "arn:aws:iam::111122223333:user/bob"}, "ValidationError", http.StatusBadRequest, awserr.Coded},
		{"unknown role", map[string]any{"RoleArn": "arn:aws:iam::111122223333:role/none"}, "AccessDenied", http.StatusForbidden, awserr.Denied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := assumeInput(tc.in)
			for k, v := range in {
				if v == nil {
					delete(in, k)
				}
			}
			out, err := f.call(t, "AssumeRole", f.bob, in)
			if out != nil {
				t.Errorf("output %v beside an error", out)
			}
			apitest.WantError(t, err, tc.kind, tc.code, tc.status)
		})
	}
}

// TestSessionAndFederationTokens: GetSessionToken's and GetFederationToken's members reach the
// service, optional outputs are absent without session policies, and refusals pass through.
func TestSessionAndFederationTokens(t *testing.T) {
	f := newFixture(t)
	temp := &principal.Principal{Kind: principal.AssumedRole, AccountID: acct, UserID: "AROATARGET:s", RoleID: "AROATARGET", RoleName: "target",
		ARN: "arn:aws:sts::111122223333:assumed-role/target/s", Temporary: true}
	for _, tc := range []struct {
		name    string
		op      string
		caller  *principal.Principal
		in      map[string]any
		members []string
		check   func(t *testing.T, out map[string]any, p *principal.Principal)
		code    string // when the call must fail
	}{
		{name: "session token with MFA", op: "GetSessionToken", caller: f.bob,
			in:      map[string]any{"DurationSeconds": int64(900), "SerialNumber": mfaSerial, "TokenCode": goodCode},
			members: []string{"Credentials"},
			check: func(t *testing.T, out map[string]any, p *principal.Principal) {
				if !p.MFAAuthenticated || p.UserName != "bob" || out["Credentials"].(map[string]any)["Expiration"] != testNow.Add(900*time.Second) {
					t.Errorf("session %+v, answer %v", p, out)
				}
			}},
		{name: "session token, empty input", op: "GetSessionToken", caller: f.bob, in: map[string]any{}, members: []string{"Credentials"},
			check: func(t *testing.T, _ map[string]any, p *principal.Principal) {
				if p.MFAAuthenticated {
					t.Error("MFA without a code")
				}
			}},
		{name: "session token, wrong code", op: "GetSessionToken", caller: f.bob, in: map[string]any{"SerialNumber": mfaSerial, "TokenCode": "000000"}, code: "AccessDenied"},
		{name: "session token from a session", op: "GetSessionToken", caller: temp, in: map[string]any{}, code: "AccessDenied"},
		{name: "federation token with policies and tags", op: "GetFederationToken", caller: f.bob,
			in: map[string]any{"Name": "fed", "DurationSeconds": int64(1200), "Policy": starDoc, "PolicyArns": []any{map[string]any{"arn": readOnly}},
				"Tags": []any{map[string]any{"Key": "team", "Value": "red"}}},
			members: []string{"Credentials", "FederatedUser", "PackedPolicySize"},
			check: func(t *testing.T, out map[string]any, p *principal.Principal) {
				fu := out["FederatedUser"].(map[string]any)
				if fu["Arn"] != "arn:aws:sts::111122223333:federated-user/fed" || fu["FederatedUserId"] != "111122223333:fed" {
					t.Errorf("FederatedUser = %v", fu)
				}
				if p.SessionPolicy != starDoc || !slices.Equal(p.SessionPolicyARNs, []string{readOnly}) ||
					!slices.Equal(p.Tags, []principal.Tag{{Key: "team", Value: "red"}}) {
					t.Errorf("session %+v", p)
				}
			}},
		{name: "federation token without policies", op: "GetFederationToken", caller: f.bob, in: map[string]any{"Name": "fed"},
			members: []string{"Credentials", "FederatedUser"},
			check: func(t *testing.T, _ map[string]any, p *principal.Principal) {
				if p.Tags != nil || p.SessionPolicyARNs != nil {
					t.Errorf("session %+v", p)
				}
			}},
		{name: "federation token from a session", op: "GetFederationToken", caller: temp, in: map[string]any{"Name": "fed"}, code: "AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.call(t, tc.op, tc.caller, tc.in)
			if tc.code != "" {
				apitest.WantError(t, err, awserr.Coded, tc.code, http.StatusForbidden)
				return
			}
			must(t, err)
			wantOutput(t, tc.op, out, tc.members...)
			tc.check(t, out, f.opened(t, out))
		})
	}
}

// TestWebIdentityDecodePath: AssumeRoleWithWebIdentity is unsigned, so it ignores any caller and
// its members reach the service before any token is trusted; each refusal is the service's own.
func TestWebIdentityDecodePath(t *testing.T) {
	f := newFixture(t)
	base := func(extra map[string]any) map[string]any {
		in := map[string]any{"RoleArn": targetARN, "RoleSessionName": "w", "WebIdentityToken": "not-a-jwt"}
		for k, v := range extra {
			in[k] = v
		}
		return in
	}
	for _, tc := range []struct {
		name   string
		caller *principal.Principal
		in     map[string]any
		code   string
	}{
		{"provider id", nil, base(map[string]any{"ProviderId": "www.amazon.com"}), "InvalidParameterValue"},
		{"malformed role arn", nil, base(map[string]any{"RoleArn": "arn:aws:iam::111122223333:user/x"}), "ValidationError"},
		{"token not a JWT", nil, base(nil), "InvalidIdentityToken"},
		{"a caller changes nothing", f.bob, base(nil), "InvalidIdentityToken"},
		{"policies do not bypass the token", nil, base(map[string]any{"Policy": starDoc, "PolicyArns": []any{}, "DurationSeconds": int64(900)}), "InvalidIdentityToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.call(t, "AssumeRoleWithWebIdentity", tc.caller, tc.in)
			ae, ok := awserr.As(err)
			if out != nil || !ok || ae.Code != tc.code || ae.HTTPStatus != http.StatusBadRequest {
				t.Fatalf("got %v, %#v; want %s 400", out, err, tc.code)
			}
		})
	}
}

// TestGetCallerIdentity answers the caller as it is, with the model's members only; input
// members the operation does not define are ignored.
func TestGetCallerIdentity(t *testing.T) {
	f := newFixture(t)
	out, err := f.call(t, "GetCallerIdentity", f.bob, map[string]any{"Arn": "arn:aws:iam::999999999999:root"})
	must(t, err)
	wantOutput(t, "GetCallerIdentity", out, "UserId", "Account", "Arn")
	if out["UserId"] != "AIDABOB" || out["Account"] != acct || out["Arn"] != f.bob.ARN {
		t.Errorf("GetCallerIdentity = %v", out)
	}
}

// TestNilCallerNeverMintsCredentials: the server authenticates every signed operation before its
// handler runs; should a handler ever get no caller, it must not answer credentials or an
// identity (a panic, recovered by the server as an internal error, is acceptable; success is not).
func TestNilCallerNeverMintsCredentials(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		op string
		in map[string]any
	}{
		{"GetCallerIdentity", nil},
		{"AssumeRole", assumeInput(nil)},
		{"GetSessionToken", map[string]any{}},
		{"GetFederationToken", map[string]any{"Name": "fed"}},
	} {
		t.Run(tc.op, func(t *testing.T) {
			var out map[string]any
			var err error
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				out, err = f.call(t, tc.op, nil, tc.in)
				return false
			}()
			if panicked {
				t.Logf("%s with no caller panics", tc.op)
			}
			if !panicked && (err == nil || out != nil) {
				t.Fatalf("%s with no caller = %v, %v", tc.op, out, err)
			}
		})
	}
}

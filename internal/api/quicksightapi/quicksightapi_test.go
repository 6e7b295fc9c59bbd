package quicksightapi_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/api/apitest"
	"github.com/latchkey/latchkey/internal/api/quicksightapi"
	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/quicksight"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
	"github.com/latchkey/latchkey/internal/token"
)

const (
	acct     = "123456789012"
	aliceARN = "arn:aws:iam::123456789012:user/alice"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture is the QuickSight operation table over the real service, authz engine, ES384 issuer
// and SQLite store; the account has the IAM user alice.
type fixture struct {
	table    api.Table
	verifier quicksight.ContextVerifier
	root     *principal.Principal
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	st := sqltest.Open(t)
	must(t, st.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: testNow}))
	must(t, st.CreateUser(ctx, store.User{AccountID: acct, UserID: "AIDAALICE", UserName: "alice", Path: "/", CreatedAt: testNow}))
	mk, err := keys.NewMasterKey(bytes.Repeat([]byte{7}, 32))
	must(t, err)
	now := func() time.Time { return testNow }
	issuer := token.NewIssuer(st, mk, now, "https://latchkey.example.com")
	svc := quicksight.New(quicksight.Deps{Store: st, Authz: &authz.Engine{Source: st, Now: now, Messages: mk}, Tokens: issuer, Region: "us-east-1", Now: now})
	return &fixture{table: quicksightapi.Table(svc), verifier: quicksight.ContextVerifier{Tokens: issuer, Now: now},
		root: &principal.Principal{Kind: principal.Root, AccountID: acct, ARN: "arn:aws:iam::123456789012:root", UserID: acct}}
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

var model = awsmodel.MustLoad("quicksight")

// wantOutput fails unless out has exactly members, each of the model's name and type, and
// answers the call's request id.
func wantOutput(t *testing.T, op string, out map[string]any, members ...string) {
	t.Helper()
	apitest.WantOutput(t, model, op, out, members...)
	if out["RequestId"] != apitest.RequestID {
		t.Errorf("%s RequestId = %v", op, out["RequestId"])
	}
}

// TestRegisterAndDescribeUser: the path labels (AwsAccountId, Namespace, UserName) and the body
// members reach the service; Status is the operation's HTTP status as an integer.
func TestRegisterAndDescribeUser(t *testing.T) {
	f := newFixture(t)
	in := map[string]any{"AwsAccountId": acct, "Namespace": "default", "IdentityType": "IAM", "IamArn": aliceARN, "Email": "alice@example.com",
		"UserRole": "AUTHOR", "CustomPermissionsName": "perms", "ExternalLoginFederationProviderType": "CUSTOM_OIDC",
		"CustomFederationProviderUrl": "https://idp.example.com", "ExternalLoginId": "alice-ext", "Tags": []any{},
		"Bogus": "ignored"}
	out, err := f.call(t, "RegisterUser", f.root, in)
	must(t, err)
	wantOutput(t, "RegisterUser", out, "User", "RequestId", "Status")
	if out["Status"] != int64(http.StatusCreated) {
		t.Errorf("Status = %#v", out["Status"])
	}
	want := map[string]any{"Arn": "arn:aws:quicksight:us-east-1:123456789012:user/default/alice", "UserName": "alice", "Email": "alice@example.com",
		"Role": "AUTHOR", "IdentityType": "IAM", "Active": true, "CustomPermissionsName": "perms", "ExternalLoginFederationProviderType": "CUSTOM_OIDC",
		"ExternalLoginFederationProviderUrl": "https://idp.example.com", "ExternalLoginId": "alice-ext"}
	got := out["User"].(map[string]any)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("User.%s = %#v, want %#v", k, got[k], v)
		}
	}
	if pid, _ := got["PrincipalId"].(string); pid == "" {
		t.Error("User.PrincipalId missing")
	}

	described, err := f.call(t, "DescribeUser", f.root, map[string]any{"AwsAccountId": acct, "Namespace": "default", "UserName": "alice"})
	must(t, err)
	wantOutput(t, "DescribeUser", described, "User", "RequestId", "Status")
	if described["Status"] != int64(http.StatusOK) || len(described["User"].(map[string]any)) != len(got) {
		t.Errorf("DescribeUser = %v, RegisterUser answered %v", described, got)
	}
	for k, v := range got {
		if described["User"].(map[string]any)[k] != v {
			t.Errorf("DescribeUser User.%s = %#v, want %#v", k, described["User"].(map[string]any)[k], v)
		}
	}

	for _, tc := range []struct {
		name string
		op   string
		in   map[string]any
		code string
	}{
		{"unknown user", "DescribeUser", map[string]any{"AwsAccountId": acct, "Namespace": "default", "UserName": "bob"}, "ResourceNotFoundException"},
		{"other namespace", "DescribeUser", map[string]any{"AwsAccountId": acct, "Namespace": "other", "UserName": "alice"}, "ResourceNotFoundException"},
		{"registered twice", "RegisterUser", in, "ResourceExistsException"},
		{"session name of a user", "RegisterUser", map[string]any{"AwsAccountId": acct, "Namespace": "default", "IdentityType": "IAM", "IamArn": aliceARN,
			"Email": "a@example.com", "UserRole": "READER", "SessionName": "s"}, "InvalidParameterValueException"},
		{"native user without a name", "RegisterUser", map[string]any{"AwsAccountId": acct, "Namespace": "default", "IdentityType": "QUICKSIGHT",
			"Email": "a@example.com", "UserRole": "READER"}, "InvalidParameterValueException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := f.call(t, tc.op, f.root, tc.in)
			if out != nil {
				t.Errorf("output %v beside an error", out)
			}
			ae, ok := awserr.As(err)
			if !ok || ae.Code != tc.code {
				t.Fatalf("got %#v, want %s", err, tc.code)
			}
		})
	}
}

// TestGetIdentityContext: the account label, each UserIdentifier member, Namespace,
// SessionExpiresAt and ContextRegion reach the service and end up in the signed context.
func TestGetIdentityContext(t *testing.T) {
	f := newFixture(t)
	_, err := f.call(t, "RegisterUser", f.root, map[string]any{"AwsAccountId": acct, "Namespace": "default", "IdentityType": "IAM", "IamArn": aliceARN,
		"Email": "alice@example.com", "UserRole": "READER"})
	must(t, err)
	userARN := "arn:aws:quicksight:us-east-1:123456789012:user/default/alice"
	at := testNow.Add(2 * time.Hour)
	for _, tc := range []struct {
		name    string
		in      map[string]any
		expires time.Time
		region  string
	}{
		{"by name", map[string]any{"UserIdentifier": map[string]any{"UserName": "alice"}, "Namespace": "default"}, testNow.Add(quicksight.ContextTTL), "us-east-1"},
		{"by email", map[string]any{"UserIdentifier": map[string]any{"Email": "alice@example.com"}, "Namespace": "default"}, testNow.Add(quicksight.ContextTTL), "us-east-1"},
		{"by arn, expiry and region", map[string]any{"UserIdentifier": map[string]any{"UserArn": userARN}, "SessionExpiresAt": at, "ContextRegion": "eu-west-1"}, at, "eu-west-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in["AwsAccountId"] = acct
			out, err := f.call(t, "GetIdentityContext", f.root, tc.in)
			must(t, err)
			wantOutput(t, "GetIdentityContext", out, "Context", "RequestId", "Status")
			ic, err := f.verifier.VerifyContext(t.Context(), out["Context"].(string))
			must(t, err)
			if ic.AccountID != acct || ic.Namespace != "default" || ic.UserARN != userARN || !ic.Expires.Equal(tc.expires) || ic.Region != tc.region {
				t.Errorf("context %+v", ic)
			}
		})
	}
	for _, tc := range []struct {
		name   string
		caller *principal.Principal
		in     map[string]any
		code   string
	}{
		{"no identifier", f.root, map[string]any{"UserIdentifier": map[string]any{}, "Namespace": "default"}, "InvalidParameterValueException"},
		{"two identifiers", f.root, map[string]any{"UserIdentifier": map[string]any{"UserName": "alice", "Email": "alice@example.com"}, "Namespace": "default"}, "InvalidParameterValueException"},
		{"namespace missing", f.root, map[string]any{"UserIdentifier": map[string]any{"UserName": "alice"}}, "InvalidParameterValueException"},
		{"past expiry", f.root, map[string]any{"UserIdentifier": map[string]any{"UserName": "alice"}, "Namespace": "default", "SessionExpiresAt": testNow.Add(-time.Minute)}, "InvalidParameterValueException"},
		{"region of another partition", f.root, map[string]any{"UserIdentifier": map[string]any{"UserName": "alice"}, "Namespace": "default", "ContextRegion": "cn-north-1"}, "InvalidParameterValueException"},
		{"arn of another account", f.root, map[string]any{"UserIdentifier": map[string]any{"UserArn": "arn:aws:quicksight:us-east-1:999999999999:user/default/alice"}}, "InvalidParameterValueException"},
		{"unknown user", f.root, map[string]any{"UserIdentifier": map[string]any{"UserName": "bob"}, "Namespace": "default"}, "ResourceNotFoundException"},
		{"no caller", nil, map[string]any{"UserIdentifier": map[string]any{"UserName": "alice"}, "Namespace": "default"}, "AccessDenied"},
		{"user of another account", &principal.Principal{Kind: principal.Root, AccountID: "999999999999", ARN: "arn:aws:iam::999999999999:root", UserID: "999999999999"},
			map[string]any{"UserIdentifier": map[string]any{"UserName": "alice"}, "Namespace": "default"}, "AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in["AwsAccountId"] = acct
			out, err := f.call(t, "GetIdentityContext", tc.caller, tc.in)
			if out != nil {
				t.Errorf("output %v beside an error", out)
			}
			ae, ok := awserr.As(err)
			if !ok || ae.Code != tc.code {
				t.Fatalf("got %#v, want %s", err, tc.code)
			}
		})
	}
}

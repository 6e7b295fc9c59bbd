package quicksight

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
)

// testStore is the real SQLite store (which passes the store conformance suite). beforeUpdate,
// when set, runs once just before the next UpdateQuickSightUser: a concurrent writer that
// committed between the service's read and its transaction.
type testStore struct {
	*sqlstore.Store
	t            *testing.T
	beforeUpdate func(u *store.QuickSightUser)
}

func (s *testStore) UpdateQuickSightUser(ctx context.Context, a, ns, n string, fn func(*store.QuickSightUser) error) (store.QuickSightUser, error) {
	if change := s.beforeUpdate; change != nil {
		s.beforeUpdate = nil
		_, err := s.Store.UpdateQuickSightUser(ctx, a, ns, n, func(u *store.QuickSightUser) error {
			change(u)
			return nil
		})
		if err != nil {
			s.t.Errorf("concurrent update: %v", err)
		}
	}
	return s.Store.UpdateQuickSightUser(ctx, a, ns, n, fn)
}

// openTestStore opens a store in t's temporary directory holding the account, its IAM user alice
// and its role app.
func openTestStore(t *testing.T) *testStore {
	t.Helper()
	ctx := t.Context()
	st := sqltest.Open(t)
	for _, err := range []error{
		st.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: now}),
		st.CreateUser(ctx, store.User{AccountID: acct, UserID: "AIDAALICE", UserName: "alice", Path: "/", CreatedAt: now}),
		st.CreateRole(ctx, store.Role{AccountID: acct, RoleID: "AROAAPP", RoleName: "app", Path: "/", MaxSessionDuration: 3600,
			AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[]}`, CreatedAt: now}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return &testStore{Store: st, t: t}
}

type allowAll struct{ denyAction string }

func (a allowAll) Authorize(_ context.Context, r authz.Request) error {
	if r.Action == a.denyAction {
		return authz.Denied(r.Caller, r.Action, r.Resource, "")
	}
	return nil
}

type captureSigner struct{ claims map[string]any }

func (c *captureSigner) Sign(_ context.Context, alg string, claims map[string]any) (string, error) {
	if alg != "ES384" {
		return "", awserr.New("Bad", 500, "alg %s", alg)
	}
	c.claims = claims
	return "header.payload.signature", nil
}

const acct = "123456789012"

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newService is a service on a fresh store, whose authorizer refuses the action deny.
func newService(t *testing.T, deny string) (*Service, *captureSigner, *testStore) {
	st := openTestStore(t)
	sig := &captureSigner{}
	// Distinct ids: the store keeps a principal id unique in its namespace.
	var n atomic.Int64
	return New(Deps{Store: st, Authz: allowAll{deny}, Tokens: sig, Region: "us-east-1", Now: func() time.Time { return now },
		NewID: func() string { return fmt.Sprintf("id%d", n.Add(1)) }}), sig, st
}

var caller = &principal.Principal{Kind: principal.User, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":user/admin", UserID: "AIDAADMIN"}

func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	ae, ok := awserr.As(err)
	if !ok || ae.Code != code || ae.HTTPStatus != status {
		t.Fatalf("got %v, want %s %d", err, code, status)
	}
}

// wantDenied asserts a refusal by policy, which the server answers with QuickSight's
// AccessDeniedException (401) and the same message.
func wantDenied(t *testing.T, err error) {
	t.Helper()
	if !awserr.IsKind(err, awserr.Denied) {
		t.Fatalf("got %v, want a refusal by policy", err)
	}
}

func TestRegisterAndIdentityContext(t *testing.T) {
	s, sig, _ := newService(t, "")
	ctx := t.Context()
	u, err := s.RegisterUser(ctx, caller, RegisterInput{Account: acct, Namespace: "default", IdentityType: IdentityIAM,
		IAMARN: "arn:aws:iam::" + acct + ":role/app", SessionName: "s1", Email: "a@example.com", Role: "READER"})
	if err != nil {
		t.Fatal(err)
	}
	if u.UserName != "app/s1" || u.PrincipalID != "federated/iam/AROAAPP:s1" || u.ARN != "arn:aws:quicksight:us-east-1:"+acct+":user/default/app/s1" {
		t.Fatalf("user = %+v", u)
	}
	_, err = s.RegisterUser(ctx, caller, RegisterInput{Account: acct, Namespace: "default", IdentityType: IdentityIAM,
		IAMARN: "arn:aws:iam::" + acct + ":role/app", SessionName: "s1", Email: "a@example.com", Role: "READER"})
	wantCode(t, err, "ResourceExistsException", 409)
	_, err = s.RegisterUser(ctx, caller, RegisterInput{Account: acct, Namespace: "default", IdentityType: IdentityIAM,
		IAMARN: "arn:aws:iam::" + acct + ":user/alice", SessionName: "s1", Email: "a@example.com", Role: "READER"})
	wantCode(t, err, "InvalidParameterValueException", 400)
	_, err = s.RegisterUser(ctx, caller, RegisterInput{Account: acct, Namespace: "team", IdentityType: IdentityQuickSight, UserName: "x", Email: "x@example.com", Role: "READER"})
	wantCode(t, err, "ResourceNotFoundException", 404)

	tok, err := s.GetIdentityContext(ctx, caller, IdentityContextInput{Account: acct, UserARN: u.ARN})
	if err != nil || tok == "" {
		t.Fatalf("GetIdentityContext: %v", err)
	}
	c := sig.claims
	if c["typ"] != ContextType || c["acct"] != acct || c["arn"] != u.ARN || c["ns"] != "default" || c["pid"] != u.PrincipalID ||
		c["rgn"] != "us-east-1" || c["exp"] != now.Add(ContextTTL).Unix() {
		t.Fatalf("claims = %v", c)
	}
	at := now.Add(2 * time.Hour)
	if _, err := s.GetIdentityContext(ctx, caller, IdentityContextInput{Account: acct, Namespace: "default", Email: "a@example.com", SessionExpiresAt: &at, ContextRegion: "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	if sig.claims["exp"] != at.Unix() || sig.claims["rgn"] != "eu-west-1" {
		t.Fatalf("claims = %v", sig.claims)
	}

	for name, in := range map[string]IdentityContextInput{
		"no identifier":       {Account: acct, Namespace: "default"},
		"two identifiers":     {Account: acct, Namespace: "default", UserName: "a", Email: "b"},
		"no namespace":        {Account: acct, UserName: "app/s1"},
		"namespace mismatch":  {Account: acct, Namespace: "other", UserARN: u.ARN},
		"arn of another acct": {Account: acct, UserARN: strings.Replace(u.ARN, acct, "111111111111", 1)},
		"past expiry":         {Account: acct, UserARN: u.ARN, SessionExpiresAt: new(now.Add(-time.Second))},
		"far expiry":          {Account: acct, UserARN: u.ARN, SessionExpiresAt: new(now.Add(MaxContextLifetime + time.Second))},
		"other partition":     {Account: acct, UserARN: u.ARN, ContextRegion: "cn-north-1"},
	} {
		_, err := s.GetIdentityContext(ctx, caller, in)
		ae, ok := awserr.As(err)
		if !ok || ae.Code != "InvalidParameterValueException" {
			t.Errorf("%s: got %v", name, err)
		}
	}
	_, err = s.GetIdentityContext(ctx, caller, IdentityContextInput{Account: "111111111111", Namespace: "default", UserName: "app/s1"})
	wantDenied(t, err)
	_, err = s.GetIdentityContext(ctx, caller, IdentityContextInput{Account: acct, Namespace: "default", UserName: "nobody"})
	wantCode(t, err, "ResourceNotFoundException", 404)
}

func TestDeniedAndPagination(t *testing.T) {
	s, _, _ := newService(t, "quicksight:ListUsers")
	ctx := t.Context()
	_, err := s.ListUsers(ctx, caller, acct, "default", 10, "")
	wantDenied(t, err)
	if ae, _ := awserr.As(err); !strings.Contains(ae.Message, "is not authorized to perform: quicksight:ListUsers on resource: arn:aws:quicksight:us-east-1:"+acct+":user/default/*") {
		t.Fatalf("message: %s", ae.Message)
	}
	s, _, _ = newService(t, "")
	for _, n := range []string{"c", "a", "b"} {
		if _, err := s.RegisterUser(ctx, caller, RegisterInput{Account: acct, Namespace: "default", IdentityType: IdentityQuickSight, UserName: n, Email: n, Role: "READER"}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	tok := ""
	for {
		p, err := s.ListUsers(ctx, caller, acct, "default", 2, tok)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range p.Users {
			got = append(got, u.UserName)
		}
		if tok = p.NextToken; tok == "" {
			break
		}
	}
	if strings.Join(got, "") != "abc" {
		t.Fatalf("users = %v", got)
	}
	_, err = s.ListUsers(ctx, caller, acct, "default", 2, encodeToken("namespaces", "a"))
	wantCode(t, err, "InvalidNextTokenException", 400)
}

// TestUpdateUserKeepsConcurrentChanges: UpdateUser applies its changes to the user as it is in the
// store transaction, so what a concurrent update set in the fields this request leaves out is
// kept.
func TestUpdateUserKeepsConcurrentChanges(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name       string
		in         UpdateInput
		interleave func(u *store.QuickSightUser)
		check      func(t *testing.T, u User)
	}{
		{
			name:       "custom permissions kept by an external login change",
			in:         UpdateInput{Email: "new@example.com", Role: "AUTHOR", ExternalLoginProvider: "COGNITO"},
			interleave: func(u *store.QuickSightUser) { u.CustomPermissionsName = "theirs" },
			check: func(t *testing.T, u User) {
				if u.CustomPermissionsName != "theirs" || u.ExternalLoginProvider != "COGNITO" || u.Role != "AUTHOR" {
					t.Fatalf("user = %+v, want the concurrent custom permissions and this request's login", u)
				}
			},
		},
		{
			name: "external login kept by a custom permissions change",
			in:   UpdateInput{Email: "new@example.com", Role: "AUTHOR", CustomPermissionsName: "mine"},
			interleave: func(u *store.QuickSightUser) {
				u.ExternalLoginProvider, u.ExternalLoginURL = "COGNITO", "https://cognito-identity.amazonaws.com"
			},
			check: func(t *testing.T, u User) {
				if u.CustomPermissionsName != "mine" || u.ExternalLoginProvider != "COGNITO" {
					t.Fatalf("user = %+v, want this request's custom permissions and the concurrent login", u)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, st := newService(t, "")
			if _, err := s.RegisterUser(ctx, caller, RegisterInput{Account: acct, Namespace: "default", IdentityType: IdentityQuickSight, UserName: "bob", Email: "bob@example.com", Role: "READER"}); err != nil {
				t.Fatal(err)
			}
			st.beforeUpdate = tc.interleave
			in := tc.in
			in.Account, in.Namespace, in.UserName = acct, "default", "bob"
			got, err := s.UpdateUser(ctx, caller, in)
			if err != nil {
				t.Fatal(err)
			}
			if st.beforeUpdate != nil {
				t.Fatal("the request never reached the store's updater")
			}
			tc.check(t, got)
			stored, err := st.GetQuickSightUser(ctx, acct, "default", "bob")
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s.userView(stored))
		})
	}
}

// TestUpdateUserNotFound: UpdateUser of a missing user, or in a missing namespace, answers what
// DescribeUser answers, the namespace first.
func TestUpdateUserNotFound(t *testing.T) {
	ctx := t.Context()
	s, _, _ := newService(t, "")
	for _, tc := range []struct {
		name, namespace, resourceType string
	}{
		{"missing user", "default", "USER"},
		{"missing namespace", "team", "NAMESPACE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.UpdateUser(ctx, caller, UpdateInput{Account: acct, Namespace: tc.namespace, UserName: "nobody", Email: "n@example.com", Role: "READER"})
			wantCode(t, err, "ResourceNotFoundException", 404)
			_, want := s.DescribeUser(ctx, caller, acct, tc.namespace, "nobody")
			got, _ := awserr.As(err)
			exp, _ := awserr.As(want)
			if got.Message != exp.Message || got.Fields["ResourceType"] != tc.resourceType || exp.Fields["ResourceType"] != tc.resourceType {
				t.Fatalf("UpdateUser: %s %v, DescribeUser: %s %v", got.Message, got.Fields, exp.Message, exp.Fields)
			}
		})
	}
}

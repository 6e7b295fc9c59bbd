package session_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
	"github.com/latchkey/latchkey/internal/token"
)

const (
	acctA   = "111122223333"
	acctB   = "444455556666"
	starDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	oidcARN = "arn:aws:iam::111122223333:oidc-provider/idp.example.com"
	cognito = "cognito-identity.amazonaws.com"
	poolA   = "us-east-1:pool-a"
	poolB   = "us-east-1:pool-b"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture is the session service on the real SQLite store, authz engine and sealer. Account A
// has bob and the role hub, whose identity policies allow *:*; account B has mallory, also *:*.
type fixture struct {
	svc    *session.Service
	st     store.Store
	sealer *token.Sealer
	bob    *principal.Principal
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	st := sqltest.Open(t)
	for _, a := range []string{acctA, acctB} {
		if err := st.CreateAccount(ctx, store.Account{ID: a, CreatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{st: st}
	f.bob = f.user(t, acctA, "AIDABOB", "bob")
	f.user(t, acctB, "AIDAMALLORY", "mallory")
	hub := store.Role{AccountID: acctA, RoleID: "AROAhub", RoleName: "hub", Path: "/", AssumeRolePolicyDocument: trustDoc(`{"AWS":"111122223333"}`, `"sts:AssumeRole"`, ""),
		MaxSessionDuration: 3600, CreatedAt: testNow, PrincipalsBound: true}
	if err := st.CreateRole(ctx, hub); err != nil {
		t.Fatal(err)
	}
	if err := st.PutInlinePolicy(ctx, store.InlinePolicy{OwnerKind: store.KindRole, OwnerID: "AROAhub", PolicyName: "star", Document: starDoc}, func(d string) int { return len(d) }, 1<<20); err != nil {
		t.Fatal(err)
	}
	mk, err := keys.NewMasterKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return testNow }
	f.sealer = &token.Sealer{Ring: token.SessionRing(st, mk, now)}
	f.svc = session.New(session.Deps{Store: st, Engine: &authz.Engine{Source: st, Now: now}, MFA: fakeMFA{}, Sealer: f.sealer, IDs: ids.Default, Now: now})
	return f
}

func (f *fixture) user(t *testing.T, account, id, name string) *principal.Principal {
	t.Helper()
	if err := f.st.CreateUser(t.Context(), store.User{AccountID: account, UserID: id, UserName: name, Path: "/", CreatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	p := store.InlinePolicy{OwnerKind: store.KindUser, OwnerID: id, PolicyName: "star", Document: starDoc}
	if err := f.st.PutInlinePolicy(t.Context(), p, func(d string) int { return len(d) }, 1<<20); err != nil {
		t.Fatal(err)
	}
	return &principal.Principal{Kind: principal.User, AccountID: account, UserID: id, UserName: name, ARN: principal.UserARN(account, "/", name)}
}

// role stores a role of account A whose trust policy names bob by his id when it names him.
func (f *fixture) role(t *testing.T, name, trust string, tags ...store.Tag) store.Role {
	t.Helper()
	r := store.Role{AccountID: acctA, RoleID: "AROA" + name, RoleName: name, Path: "/", AssumeRolePolicyDocument: trust, MaxSessionDuration: 7200,
		Tags: tags, CreatedAt: testNow, PrincipalsBound: true}
	if strings.Contains(trust, f.bob.ARN) {
		r.PrincipalBindings = []store.PrincipalBinding{{Principal: f.bob.ARN, ID: f.bob.UserID}}
	}
	if err := f.st.CreateRole(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fixture) opened(t *testing.T, c session.Credentials) *principal.Principal {
	t.Helper()
	p, _, err := f.sealer.Open(t.Context(), c.AccessKeyID, c.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type fakeMFA struct{}

func (fakeMFA) VerifyMFA(_ context.Context, _ *principal.Principal, _, code string) error {
	if code != "123456" {
		return awserr.New("AccessDenied", http.StatusForbidden, "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
	}
	return nil
}

func trustDoc(principal, actions, cond string) string {
	s := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":` + actions
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + `}]}`
}

func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	ae, ok := awserr.As(err)
	if !ok || ae.Code != code || ae.HTTPStatus != status {
		t.Fatalf("want %s %d, got %v", code, status, err)
	}
}

// chained is a session of the role hub (*:*) of account A carrying the transitive tag team=red.
func chained(sourceIdentity string) *principal.Principal {
	return &principal.Principal{Kind: principal.AssumedRole, AccountID: acctA, UserID: "AROAhub:s0", RoleID: "AROAhub", RoleName: "hub",
		RoleARN: principal.RoleARNOf(acctA, "/", "hub"), ARN: principal.AssumedRoleARN(acctA, "hub", "s0"), SessionName: "s0",
		Temporary: true, Source: "AssumeRole", SourceIdentity: sourceIdentity,
		Tags: []principal.Tag{{Key: "team", Value: "red"}}, TransitiveTagKeys: []string{"team"}}
}

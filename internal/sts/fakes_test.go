package sts

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/cognito"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/quicksight"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
	"github.com/latchkey/latchkey/internal/token"
)

// countingStore is the real store, counting RecordRoleUse calls so that a test can see a refusal
// record no use of the role.
type countingStore struct {
	*sqlstore.Store
	roleUses atomic.Int64
}

func (s *countingStore) RecordRoleUse(ctx context.Context, roleID string, at time.Time, region string) error {
	s.roleUses.Add(1)
	return s.Store.RecordRoleUse(ctx, roleID, at, region)
}

// maxPerAccount is the store's per-account limit for the providers and pools seeded here: far
// above what any test creates.
const maxPerAccount = 100

func policySize(doc string) int { return len(doc) }

// putRole stores a role as IAM saves one: the users, roles and role sessions its trust policy
// names are bound to the ids they have now. A role of that name already stored gets the new
// trust policy and bindings, as UpdateAssumeRolePolicy would give it.
func (f *fixture) putRole(t *testing.T, account, name, trust string) store.Role {
	t.Helper()
	bindings := f.bind(t, trust)
	r, err := f.st.GetRole(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) {
		r = store.Role{AccountID: account, RoleID: "AROA" + account + name, RoleName: name, Path: "/", AssumeRolePolicyDocument: trust, MaxSessionDuration: 43200,
			CreatedAt: testNow, PrincipalsBound: true, PrincipalBindings: bindings}
		if err := f.st.CreateRole(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if err != nil {
		t.Fatal(err)
	}
	r, err = f.st.UpdateRole(ctx, r.RoleID, func(r *store.Role) error {
		r.AssumeRolePolicyDocument, r.PrincipalsBound, r.PrincipalBindings = trust, true, bindings
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// bind binds each distinct user, role and role session trust names to the id it has now; a name
// that matches nothing stays unbound (IAM would refuse the document, but the tests name absent
// users on purpose).
func (f *fixture) bind(t *testing.T, trust string) []store.PrincipalBinding {
	t.Helper()
	p, err := policy.Parse("trust", trust, policy.Trust)
	if err != nil {
		return nil
	}
	var out []store.PrincipalBinding
	seen := map[string]bool{}
	for _, ref := range p.Principals() {
		n, ok := policy.ParseNamedPrincipal(ref.Value)
		if ref.Type != "AWS" || !ok || seen[ref.Value] {
			continue
		}
		seen[ref.Value] = true
		id := ""
		switch n.Kind {
		case policy.NamedUser:
			u, err := f.st.GetUser(ctx, n.Account, n.Name)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Fatal(err)
			}
			if err == nil && u.Path == n.Path {
				id = u.UserID
			}
		case policy.NamedRole, policy.NamedSession:
			r, err := f.st.GetRole(ctx, n.Account, n.Name)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Fatal(err)
			}
			if err == nil && (n.Kind == policy.NamedSession || r.Path == n.Path) {
				id = r.RoleID
			}
		}
		if id != "" {
			out = append(out, store.PrincipalBinding{Principal: ref.Value, ID: id})
		}
	}
	return out
}

// recreateUser deletes a user and creates another under the same name and path, with its own id
// and the same policies, as DeleteUser and CreateUser would.
func (f *fixture) recreateUser(t *testing.T, oldID, newID string) {
	t.Helper()
	u, err := f.st.GetUserByID(ctx, oldID)
	if err != nil {
		t.Fatal(err)
	}
	policies := f.dropInlinePolicies(t, store.KindUser, oldID)
	if err := f.st.DeleteUser(ctx, u.AccountID, oldID); err != nil {
		t.Fatal(err)
	}
	u.UserID = newID
	if err := f.st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	f.putInlinePolicies(t, newID, policies)
}

// recreateRole deletes a role and creates another under the same name, path and trust policy,
// with its own id and the same policies, as DeleteRole and CreateRole would.
func (f *fixture) recreateRole(t *testing.T, account, name, newID string) {
	t.Helper()
	r, err := f.st.GetRole(ctx, account, name)
	if err != nil {
		t.Fatal(err)
	}
	policies := f.dropInlinePolicies(t, store.KindRole, r.RoleID)
	if err := f.st.DeleteRole(ctx, account, r.RoleID); err != nil {
		t.Fatal(err)
	}
	r.RoleID = newID
	if err := f.st.CreateRole(ctx, r); err != nil {
		t.Fatal(err)
	}
	f.putInlinePolicies(t, newID, policies)
}

// dropInlinePolicies deletes the owner's inline policies and returns them.
func (f *fixture) dropInlinePolicies(t *testing.T, kind store.PrincipalKind, owner string) []store.InlinePolicy {
	t.Helper()
	policies, err := f.st.ListInlinePolicies(ctx, kind, owner)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range policies {
		if err := f.st.DeleteInlinePolicy(ctx, kind, owner, p.PolicyName); err != nil {
			t.Fatal(err)
		}
	}
	return policies
}

// putInlinePolicies stores policies as the inline policies of owner.
func (f *fixture) putInlinePolicies(t *testing.T, owner string, policies []store.InlinePolicy) {
	t.Helper()
	for _, p := range policies {
		p.OwnerID = owner
		if err := f.st.PutInlinePolicy(ctx, p, policySize, 1<<20); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) putUser(t *testing.T, account, id, name string, policies ...string) {
	t.Helper()
	if err := f.st.CreateUser(ctx, store.User{AccountID: account, UserID: id, UserName: name, Path: "/", CreatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	for i, doc := range policies {
		f.putInlinePolicies(t, id, []store.InlinePolicy{{OwnerKind: store.KindUser, PolicyName: string(rune('a' + i)), Document: doc}})
	}
}

func (f *fixture) putRolePolicy(t *testing.T, roleID, doc string) {
	t.Helper()
	f.putInlinePolicies(t, roleID, []store.InlinePolicy{{OwnerKind: store.KindRole, PolicyName: "p", Document: doc}})
}

// userNamed returns the caller for the user of that name in account A or B.
func (f *fixture) userNamed(t *testing.T, name string) *principal.Principal {
	t.Helper()
	for _, account := range []string{acctA, acctB} {
		u, err := f.st.GetUser(ctx, account, name)
		if err == nil {
			return userCaller(u.AccountID, u.UserID, u.UserName)
		}
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	}
	t.Fatalf("no user %q", name)
	return nil
}

// fakeMFA accepts the code 123456 for any device.
type fakeMFA struct{}

func (fakeMFA) VerifyMFA(_ context.Context, _ *principal.Principal, _, code string) error {
	if code != "123456" {
		return awserr.New("AccessDenied", http.StatusForbidden, "MultiFactorAuthentication failed with invalid MFA one time pass code. ")
	}
	return nil
}

// fakeVerifier stands in for an upstream IdP: it accepts any token as carrying claims, provided
// the provider lookup knows the issuer, as the real verifier requires.
type fakeVerifier struct {
	mu     sync.Mutex
	claims oidc.Claims
}

func (f *fakeVerifier) set(c oidc.Claims) {
	f.mu.Lock()
	f.claims = c
	f.mu.Unlock()
}

func (f *fakeVerifier) Verify(_ context.Context, _ string, lookup func(iss string) (oidc.Provider, bool)) (*oidc.Claims, error) {
	f.mu.Lock()
	c := f.claims
	f.mu.Unlock()
	if _, ok := lookup(c.Issuer); !ok {
		return nil, &oidc.Error{Kind: oidc.InvalidToken, Message: "No OpenIDConnect provider found in your account for " + c.Issuer}
	}
	return &c, nil
}

const (
	acctA         = "111122223333"
	acctB         = "444455556666"
	starDoc       = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	cognitoIssuer = "https://cognito-identity.latchkey.test"
	githubIssuer  = "https://token.actions.githubusercontent.com"
	githubARN     = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	svc      *Service
	st       *countingStore
	verifier *fakeVerifier
	sealer   *token.Sealer
	tokens   *token.Issuer
	classic  *cognito.ClassicFlow
	pools    *poolReader
}

// poolReader reads the store's identity pools (a known pool allows the classic flow), unless a
// test sets read.
type poolReader struct {
	st   store.Store
	read func(ctx context.Context, id string) (store.IdentityPool, error)
}

func (p *poolReader) GetIdentityPool(ctx context.Context, id string) (store.IdentityPool, error) {
	if p.read != nil {
		return p.read(ctx, id)
	}
	return p.st.GetIdentityPool(ctx, id)
}

// newFixture builds the service on the real SQLite store with the real authz engine, sealer and
// issuer. Account A has bob (*:*), dave (no policies) and the role "builder" (*:*); account B
// has eve (*:*). Pools: "us-east-1:pool-a" in A, "us-east-1:pool-b" in B.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := &countingStore{Store: sqltest.Open(t)}
	for _, a := range []string{acctA, acctB} {
		if err := st.CreateAccount(ctx, store.Account{ID: a, CreatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
	}
	mk, err := keys.NewMasterKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return testNow }
	sealer := &token.Sealer{Ring: token.SessionRing(st, mk, now)}
	tokens := token.NewIssuer(st, mk, now, "https://latchkey.test")
	v := &fakeVerifier{}
	sessions := session.New(session.Deps{Store: st, Engine: &authz.Engine{Source: st, Now: now}, MFA: fakeMFA{}, Sealer: sealer, IDs: ids.Default, Now: now})
	pools := &poolReader{st: st}
	classic := &cognito.ClassicFlow{Tokens: tokens, Pools: pools, Issuer: cognitoIssuer, Now: now}
	svc := New(Deps{Authz: &authz.Engine{Source: st, Now: now}, Sessions: sessions, IdentityTokens: tokens, Providers: st, WebIdentity: v,
		Cognito: classic, Contexts: quicksight.ContextVerifier{Tokens: tokens, Now: now}, Now: now})
	f := &fixture{svc: svc, st: st, verifier: v, sealer: sealer, tokens: tokens, classic: classic, pools: pools}
	f.putUser(t, acctA, "AIDABOB", "bob", starDoc)
	f.putUser(t, acctA, "AIDADAVE", "dave")
	f.putUser(t, acctB, "AIDAEVE", "eve", starDoc)
	builder := f.putRole(t, acctA, "builder", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`)
	f.putRolePolicy(t, builder.RoleID, starDoc)
	provider := store.OIDCProvider{AccountID: acctA, ARN: githubARN, URL: githubIssuer, ClientIDs: []string{"sts.amazonaws.com"}, CreatedAt: testNow}
	if err := st.CreateOIDCProvider(ctx, provider, maxPerAccount); err != nil {
		t.Fatal(err)
	}
	for pool, account := range map[string]string{"us-east-1:pool-a": acctA, "us-east-1:pool-b": acctB} {
		if err := st.CreateIdentityPool(ctx, store.IdentityPool{ID: pool, AccountID: account, Name: "pool", CreatedAt: testNow, UpdatedAt: testNow}, maxPerAccount); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func userCaller(account, id, name string) *principal.Principal {
	return &principal.Principal{Kind: principal.User, AccountID: account, UserID: id, UserName: name, ARN: principal.UserARN(account, "/", name)}
}

func builderSession() *principal.Principal {
	return &principal.Principal{Kind: principal.AssumedRole, AccountID: acctA, UserID: "AROA" + acctA + "builder:ci", RoleID: "AROA" + acctA + "builder",
		RoleName: "builder", RoleARN: principal.RoleARNOf(acctA, "/", "builder"), ARN: principal.AssumedRoleARN(acctA, "builder", "ci"),
		SessionName: "ci", Temporary: true, Source: "AssumeRole"}
}

// wantCode asserts err is an AWS error with this code.
func wantCode(t *testing.T, err error, code string, status int) *awserr.Error {
	t.Helper()
	ae, ok := awserr.As(err)
	if !ok {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.Code != code || ae.HTTPStatus != status {
		t.Fatalf("want %s %d, got %s %d: %s", code, status, ae.Code, ae.HTTPStatus, ae.Message)
	}
	return ae
}

// wantKind asserts err is an AWS error the server codes by kind (denied, unavailable, internal).
func wantKind(t *testing.T, err error, kind awserr.Kind, status int) *awserr.Error {
	t.Helper()
	ae, ok := awserr.As(err)
	if !ok || ae.Kind != kind || ae.HTTPStatus != status {
		t.Fatalf("want kind %s %d, got %v", kind, status, err)
	}
	return ae
}

// opened returns the principal sealed into a session token.
func (f *fixture) opened(t *testing.T, c Credentials) *principal.Principal {
	t.Helper()
	p, _, err := f.sealer.Open(context.Background(), c.AccessKeyID, c.SessionToken)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

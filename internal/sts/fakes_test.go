package sts

import (
	"bytes"
	"context"
	"net/http"
	"sync"
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
	"github.com/latchkey/latchkey/internal/token"
)

// memStore is the in-memory store behind the STS service in these tests: roles, users and their
// policies (for the real authz engine), OIDC providers, identity pools and key rings.
type memStore struct {
	mu        sync.Mutex
	users     map[string]store.User
	roles     map[string]store.Role // account/name
	inline    map[string][]store.InlinePolicy
	managed   map[string]store.ManagedPolicy
	versions  map[string]store.PolicyVersion
	providers map[string]store.OIDCProvider
	pools     map[string]string // pool id -> account
	ringKeys  []store.SigningKey
	roleUses  int
}

func newMemStore() *memStore {
	return &memStore{users: map[string]store.User{}, roles: map[string]store.Role{}, inline: map[string][]store.InlinePolicy{},
		managed: map[string]store.ManagedPolicy{}, versions: map[string]store.PolicyVersion{}, providers: map[string]store.OIDCProvider{},
		pools: map[string]string{}}
}

func (m *memStore) GetRole(_ context.Context, account, name string) (store.Role, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.roles[account+"/"+name]
	if !ok {
		return store.Role{}, store.ErrNotFound
	}
	return r, nil
}

func (m *memStore) GetRoleByID(_ context.Context, id string) (store.Role, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.roles {
		if r.RoleID == id {
			return r, nil
		}
	}
	return store.Role{}, store.ErrNotFound
}

func (m *memStore) GetUserByID(_ context.Context, id string) (store.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return u, nil
}

func (m *memStore) ListInlinePolicies(_ context.Context, kind store.PrincipalKind, owner string) ([]store.InlinePolicy, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]store.InlinePolicy(nil), m.inline[string(kind)+"/"+owner]...), nil
}

func (m *memStore) ListAttachments(context.Context, store.PrincipalKind, string) ([]store.Attachment, error) {
	return nil, nil
}

func (m *memStore) GetManagedPolicy(_ context.Context, arn string) (store.ManagedPolicy, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.managed[arn]
	if !ok {
		return store.ManagedPolicy{}, store.ErrNotFound
	}
	return p, nil
}

func (m *memStore) GetPolicyVersion(_ context.Context, arn, v string) (store.PolicyVersion, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	pv, ok := m.versions[arn+"/"+v]
	if !ok {
		return store.PolicyVersion{}, store.ErrNotFound
	}
	return pv, nil
}

func (m *memStore) RecordRoleUse(context.Context, string, time.Time, string) error {
	m.mu.Lock()
	m.roleUses++
	m.mu.Unlock()
	return nil
}

func (m *memStore) GetOIDCProvider(_ context.Context, arn string) (store.OIDCProvider, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.providers[arn]
	if !ok {
		return store.OIDCProvider{}, store.ErrNotFound
	}
	return p, nil
}

func (m *memStore) GetSAMLProvider(context.Context, string) (store.SAMLProvider, error) {
	return store.SAMLProvider{}, store.ErrNotFound
}

func (m *memStore) AddSigningKey(_ context.Context, k store.SigningKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ringKeys = append(m.ringKeys, k)
	return nil
}

func (m *memStore) ListSigningKeys(_ context.Context, purpose string) ([]store.SigningKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.SigningKey
	for _, k := range m.ringKeys {
		if k.Purpose == purpose {
			out = append(out, k)
		}
	}
	return out, nil
}

func (m *memStore) RetireSigningKeys(context.Context, string, string, time.Time, time.Time) error {
	return nil
}

func (m *memStore) DeleteExpiredSigningKeys(context.Context, string, time.Time) error { return nil }

// putRole stores a role as IAM saves one: the users, roles and role sessions its trust policy
// names are bound to the ids they have now.
func (m *memStore) putRole(account, name, trust string) store.Role {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := store.Role{AccountID: account, RoleID: "AROA" + account + name, RoleName: name, Path: "/", AssumeRolePolicyDocument: trust, MaxSessionDuration: 43200,
		PrincipalsBound: true, PrincipalBindings: m.bindLocked(trust)}
	m.roles[account+"/"+name] = r
	return r
}

func (m *memStore) bindLocked(trust string) []store.PrincipalBinding {
	p, err := policy.Parse("trust", trust, policy.Trust)
	if err != nil {
		return nil
	}
	var out []store.PrincipalBinding
	for _, ref := range p.Principals() {
		n, ok := policy.ParseNamedPrincipal(ref.Value)
		if ref.Type != "AWS" || !ok {
			continue
		}
		id := ""
		switch n.Kind {
		case policy.NamedUser:
			for _, u := range m.users {
				if u.AccountID == n.Account && u.UserName == n.Name && u.Path == n.Path {
					id = u.UserID
				}
			}
		case policy.NamedRole, policy.NamedSession:
			if r, ok := m.roles[n.Account+"/"+n.Name]; ok && (n.Kind == policy.NamedSession || r.Path == n.Path) {
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
func (m *memStore) recreateUser(oldID, newID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[oldID]
	delete(m.users, oldID)
	u.UserID = newID
	m.users[newID] = u
	for _, p := range m.inline["user/"+oldID] {
		p.OwnerID = newID
		m.inline["user/"+newID] = append(m.inline["user/"+newID], p)
	}
	delete(m.inline, "user/"+oldID)
}

func (m *memStore) putUser(account, id, name string, policies ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.users[id] = store.User{AccountID: account, UserID: id, UserName: name, Path: "/"}
	for i, doc := range policies {
		m.inline["user/"+id] = append(m.inline["user/"+id], store.InlinePolicy{OwnerKind: store.KindUser, OwnerID: id, PolicyName: string(rune('a' + i)), Document: doc})
	}
}

func (m *memStore) putRolePolicy(roleID, doc string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inline["role/"+roleID] = append(m.inline["role/"+roleID], store.InlinePolicy{OwnerKind: store.KindRole, OwnerID: roleID, PolicyName: "p", Document: doc})
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
	st       *memStore
	verifier *fakeVerifier
	sealer   *token.Sealer
	tokens   *token.Issuer
	classic  *cognito.ClassicFlow
	pools    *poolReader
}

// poolReader reads the store's identity pools (a known pool allows the classic flow), unless a
// test sets read.
type poolReader struct {
	st   *memStore
	read func(ctx context.Context, id string) (store.IdentityPool, error)
}

func (p *poolReader) GetIdentityPool(ctx context.Context, id string) (store.IdentityPool, error) {
	if p.read != nil {
		return p.read(ctx, id)
	}
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	account, ok := p.st.pools[id]
	if !ok {
		return store.IdentityPool{}, store.ErrNotFound
	}
	return store.IdentityPool{ID: id, AccountID: account}, nil
}

// newFixture builds the service on the in-memory store with the real authz engine, sealer and
// issuer. Account A has bob (*:*), dave (no policies) and the role "builder" (*:*); account B
// has eve (*:*). Pools: "us-east-1:pool-a" in A, "us-east-1:pool-b" in B.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := newMemStore()
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
	st.putUser(acctA, "AIDABOB", "bob", starDoc)
	st.putUser(acctA, "AIDADAVE", "dave")
	st.putUser(acctB, "AIDAEVE", "eve", starDoc)
	builder := st.putRole(acctA, "builder", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}`)
	st.putRolePolicy(builder.RoleID, starDoc)
	st.providers[githubARN] = store.OIDCProvider{AccountID: acctA, ARN: githubARN, URL: githubIssuer, ClientIDs: []string{"sts.amazonaws.com"}}
	st.pools["us-east-1:pool-a"] = acctA
	st.pools["us-east-1:pool-b"] = acctB
	return &fixture{svc: svc, st: st, verifier: v, sealer: sealer, tokens: tokens, classic: classic, pools: pools}
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

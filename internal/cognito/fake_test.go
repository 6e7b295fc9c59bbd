package cognito

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// fakeStore is an in-memory CognitoStore with the contract's uniqueness of (pool, provider, subject).
type fakeStore struct {
	mu         sync.Mutex
	pools      map[string]store.IdentityPool
	identities map[string]store.Identity
	logins     map[[3]string]store.IdentityLogin // pool, provider, subject
	oidc       map[string]store.OIDCProvider
	saml       map[string]store.SAMLProvider
	interleave func(pools map[string]store.IdentityPool)
	lostRaces  error
	// beforeLink, beforeUpdate and beforeMerge, when set, run once under the lock at the start of
	// the next LinkLogins, UpdateIdentity or MergeIdentities: a concurrent request that committed
	// just before.
	beforeLink, beforeUpdate, beforeMerge func(f *fakeStore)
}

func newFakeStore() *fakeStore {
	return &fakeStore{pools: map[string]store.IdentityPool{}, identities: map[string]store.Identity{},
		logins: map[[3]string]store.IdentityLogin{}, oidc: map[string]store.OIDCProvider{}, saml: map[string]store.SAMLProvider{}}
}

func clonePool(p store.IdentityPool) store.IdentityPool {
	p.SupportedLoginProviders = maps.Clone(p.SupportedLoginProviders)
	p.Tags = maps.Clone(p.Tags)
	p.Roles = maps.Clone(p.Roles)
	p.OpenIDConnectProviderARNs = slices.Clone(p.OpenIDConnectProviderARNs)
	p.SAMLProviderARNs = slices.Clone(p.SAMLProviderARNs)
	p.CognitoIdentityProviders = slices.Clone(p.CognitoIdentityProviders)
	return p
}

func (f *fakeStore) CreateIdentityPool(_ context.Context, p store.IdentityPool, max int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.pools[p.ID]; ok {
		return store.ErrAlreadyExists
	}
	n := 0
	for _, q := range f.pools {
		if q.AccountID == p.AccountID && ids.RegionOf(q.ID) == ids.RegionOf(p.ID) {
			n++
		}
	}
	if n >= max {
		return store.ErrLimitExceeded
	}
	f.pools[p.ID] = clonePool(p)
	return nil
}

func (f *fakeStore) GetIdentityPool(_ context.Context, id string) (store.IdentityPool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pools[id]
	if !ok {
		return p, store.ErrNotFound
	}
	return clonePool(p), nil
}

// UpdateIdentityPool is the contract's updater under the fake's one lock. interleave, when set,
// runs first under the lock: a concurrent writer that committed between the service's read and
// its transaction. lostRaces, when set, is returned as a store returns a race lost on every retry.
func (f *fakeStore) UpdateIdentityPool(_ context.Context, id string, fn func(*store.IdentityPool) error) (store.IdentityPool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.interleave != nil {
		f.interleave(f.pools)
		f.interleave = nil
	}
	if f.lostRaces != nil {
		return store.IdentityPool{}, f.lostRaces
	}
	old, ok := f.pools[id]
	if !ok {
		return store.IdentityPool{}, store.ErrNotFound
	}
	cur := clonePool(old)
	if err := fn(&cur); err != nil {
		return store.IdentityPool{}, err
	}
	if cur.ID != old.ID || cur.AccountID != old.AccountID || !cur.CreatedAt.Equal(old.CreatedAt) {
		return store.IdentityPool{}, fmt.Errorf("fake store: the updater changed a fixed field of pool %s", id)
	}
	f.pools[id] = clonePool(cur)
	return clonePool(cur), nil
}

func (f *fakeStore) DeleteIdentityPool(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.pools[id]; !ok {
		return store.ErrNotFound
	}
	delete(f.pools, id)
	for k, v := range f.identities {
		if v.PoolID == id {
			delete(f.identities, k)
		}
	}
	for k := range f.logins {
		if k[0] == id {
			delete(f.logins, k)
		}
	}
	return nil
}

func page[T any](items []T, key func(T) string, after string, limit int) ([]T, string) {
	sort.Slice(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
	var out []T
	for _, it := range items {
		if key(it) > after {
			out = append(out, it)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
		return out, key(out[limit-1])
	}
	return out, ""
}

func (f *fakeStore) ListIdentityPools(_ context.Context, account, region, after string, limit int) ([]store.IdentityPool, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []store.IdentityPool
	for _, p := range f.pools {
		if p.AccountID == account && (region == "" || ids.RegionOf(p.ID) == region) {
			all = append(all, clonePool(p))
		}
	}
	out, next := page(all, func(p store.IdentityPool) string { return p.ID }, after, limit)
	return out, next, nil
}

func (f *fakeStore) CreateIdentity(_ context.Context, id store.Identity, logins []store.IdentityLogin) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.pools[id.PoolID]; !ok {
		return store.ErrNotFound
	}
	if _, ok := f.identities[id.ID]; ok {
		return store.ErrAlreadyExists
	}
	for _, l := range logins {
		if _, ok := f.logins[[3]string{id.PoolID, l.Provider, l.Subject}]; ok {
			return store.ErrAlreadyExists
		}
	}
	f.identities[id.ID] = id
	for _, l := range logins {
		l.PoolID, l.IdentityID = id.PoolID, id.ID
		f.logins[[3]string{id.PoolID, l.Provider, l.Subject}] = l
	}
	return nil
}

func (f *fakeStore) GetIdentity(_ context.Context, id string) (store.Identity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.identities[id]
	if !ok {
		return i, store.ErrNotFound
	}
	return i, nil
}

func (f *fakeStore) ListIdentities(_ context.Context, pool string, hide bool, after string, limit int) ([]store.Identity, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []store.Identity
	for _, i := range f.identities {
		if i.PoolID == pool && !(hide && i.Disabled) {
			all = append(all, i)
		}
	}
	out, next := page(all, func(i store.Identity) string { return i.ID }, after, limit)
	return out, next, nil
}

func (f *fakeStore) DeleteIdentity(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.identities[id]; !ok {
		return store.ErrNotFound
	}
	delete(f.identities, id)
	for k, l := range f.logins {
		if l.IdentityID == id {
			delete(f.logins, k)
		}
	}
	return nil
}

func (f *fakeStore) FindLogin(_ context.Context, pool, provider, subject string) (store.IdentityLogin, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.logins[[3]string{pool, provider, subject}]
	if !ok {
		return l, store.ErrNotFound
	}
	return l, nil
}

func (f *fakeStore) listLogins(id string) []store.IdentityLogin {
	var out []store.IdentityLogin
	for _, l := range f.logins {
		if l.IdentityID == id {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		return out[i].Subject < out[j].Subject
	})
	return out
}

func (f *fakeStore) ListLogins(_ context.Context, id string) ([]store.IdentityLogin, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.listLogins(id), nil
}

// LinkLogins is the contract's link under the fake's one lock, which stands for the identity's row
// lock: check sees the identity as it is, and nothing can change between it and the write.
func (f *fakeStore) LinkLogins(_ context.Context, id string, logins []store.IdentityLogin, one []string, check store.LinkCheck) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.beforeLink != nil {
		f.beforeLink(f)
		f.beforeLink = nil
	}
	ident, ok := f.identities[id]
	if !ok {
		return store.ErrNotFound
	}
	if ident.Disabled {
		return store.ErrIdentityDisabled
	}
	if check != nil {
		if err := check(store.IdentityWithLogins{Identity: ident, Logins: f.listLogins(id)}); err != nil {
			return err
		}
	}
	return f.link(ident, logins, one)
}

// link is LinkLogins after its identity checks, under the lock.
func (f *fakeStore) link(ident store.Identity, logins []store.IdentityLogin, one []string) error {
	var fresh []store.IdentityLogin
	for _, l := range logins {
		if cur, ok := f.logins[[3]string{ident.PoolID, l.Provider, l.Subject}]; ok {
			if cur.IdentityID != ident.ID {
				return store.ErrAlreadyExists
			}
			continue
		}
		fresh = append(fresh, l)
	}
	existing := f.listLogins(ident.ID)
	for _, l := range fresh {
		if !slices.Contains(one, l.Provider) {
			continue
		}
		for _, e := range append(existing, fresh...) {
			if e.Provider == l.Provider && e.Subject != l.Subject {
				return store.ErrConflict
			}
		}
	}
	for _, l := range fresh {
		l.PoolID, l.IdentityID = ident.PoolID, ident.ID
		f.logins[[3]string{ident.PoolID, l.Provider, l.Subject}] = l
	}
	return nil
}

// UpdateIdentity is the contract's updater under the fake's one lock. beforeUpdate, when set,
// runs first under the lock: a concurrent writer that committed between the service's reads and
// its transaction.
func (f *fakeStore) UpdateIdentity(_ context.Context, id string, fn func(*store.IdentityWithLogins) error) (store.IdentityWithLogins, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.beforeUpdate != nil {
		f.beforeUpdate(f)
		f.beforeUpdate = nil
	}
	ident, ok := f.identities[id]
	if !ok {
		return store.IdentityWithLogins{}, store.ErrNotFound
	}
	before := f.listLogins(id)
	cur := store.IdentityWithLogins{Identity: ident, Logins: slices.Clone(before)}
	if err := fn(&cur); err != nil {
		return store.IdentityWithLogins{}, err
	}
	if cur.ID != ident.ID || cur.PoolID != ident.PoolID || !cur.CreatedAt.Equal(ident.CreatedAt) || (ident.Disabled && !cur.Disabled) {
		return store.IdentityWithLogins{}, fmt.Errorf("fake store: the updater changed a fixed field of identity %s", id)
	}
	kept := map[[3]string]bool{}
	for _, l := range cur.Logins {
		k := [3]string{ident.PoolID, l.Provider, l.Subject}
		if old, ok := f.logins[k]; !ok || old.IdentityID != id || kept[k] {
			return store.IdentityWithLogins{}, fmt.Errorf("fake store: the updater added a login to identity %s", id)
		}
		kept[k] = true
	}
	for _, l := range before {
		if k := [3]string{ident.PoolID, l.Provider, l.Subject}; !kept[k] {
			delete(f.logins, k)
		}
	}
	ident.Disabled, ident.UpdatedAt = cur.Disabled, cur.UpdatedAt
	f.identities[id] = ident
	return store.IdentityWithLogins{Identity: ident, Logins: f.listLogins(id)}, nil
}

// MergeIdentities is the contract's merge under the fake's one lock. beforeMerge, when set, runs
// first under the lock: a concurrent writer that committed between the service's reads and its
// transaction.
func (f *fakeStore) MergeIdentities(_ context.Context, m store.Merge) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.beforeMerge != nil {
		f.beforeMerge(f)
		f.beforeMerge = nil
	}
	w, ok := f.identities[m.WinnerID]
	if !ok {
		return store.ErrNotFound
	}
	var losers []string
	for _, l := range m.LoserIDs {
		li, ok := f.identities[l]
		if !ok || li.PoolID != w.PoolID {
			return store.ErrNotFound
		}
		if l != m.WinnerID && !slices.Contains(losers, l) {
			losers = append(losers, l)
		}
	}
	if w.Disabled {
		return store.ErrIdentityDisabled
	}
	if m.Check != nil {
		cur := make([]store.IdentityWithLogins, len(losers))
		for i, l := range losers {
			cur[i] = store.IdentityWithLogins{Identity: f.identities[l], Logins: f.listLogins(l)}
		}
		if err := m.Check(store.IdentityWithLogins{Identity: w, Logins: f.listLogins(m.WinnerID)}, cur); err != nil {
			return err
		}
	}
	// The link is checked before anything moves, so that its refusal leaves everything as it was.
	moved := maps.Clone(f.logins)
	for k, lg := range moved {
		if slices.Contains(losers, lg.IdentityID) {
			lg.IdentityID = m.WinnerID
			moved[k] = lg
		}
	}
	saved := f.logins
	f.logins = moved
	if err := f.link(w, m.Link, m.OnePerProvider); err != nil {
		f.logins = saved
		return err
	}
	for _, l := range losers {
		li := f.identities[l]
		li.Disabled, li.UpdatedAt = true, m.At
		f.identities[l] = li
	}
	w.UpdatedAt = m.At
	f.identities[m.WinnerID] = w
	return nil
}

func (f *fakeStore) ListLoginSubjects(_ context.Context, id, provider, after string, limit int) ([]string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []string
	for _, l := range f.listLogins(id) {
		if l.Provider == provider {
			all = append(all, l.Subject)
		}
	}
	out, next := page(all, func(s string) string { return s }, after, limit)
	return out, next, nil
}

func (f *fakeStore) GetOIDCProvider(_ context.Context, arn string) (store.OIDCProvider, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.oidc[arn]
	if !ok {
		return p, store.ErrNotFound
	}
	return p, nil
}

func (f *fakeStore) GetSAMLProvider(_ context.Context, arn string) (store.SAMLProvider, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.saml[arn]
	if !ok {
		return p, store.ErrNotFound
	}
	return p, nil
}

// fakeAuthz allows everything except the actions in deny.
type fakeAuthz struct {
	mu   sync.Mutex
	deny map[string]bool
	seen []authz.Request
}

func (a *fakeAuthz) Authorize(_ context.Context, req authz.Request) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, req)
	if a.deny[req.Action] || a.deny[req.Action+" "+req.Resource] {
		return authz.Denied(req.Caller, req.Action, req.Resource, "no identity-based policy allows the "+req.Action+" action")
	}
	return nil
}

// fakeTokens signs JSON claims with an HMAC: enough to tell its own tokens from forged ones.
type fakeTokens struct{ key []byte }

func (t fakeTokens) mac(s string) string {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (t fakeTokens) Sign(_ context.Context, alg string, claims map[string]any) (string, error) {
	if alg != token.RS256 {
		return "", fmt.Errorf("alg %s", alg)
	}
	b, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	body := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." + base64.RawURLEncoding.EncodeToString(b)
	return body + "." + t.mac(body), nil
}

func (t fakeTokens) Verify(_ context.Context, tok string) (map[string]any, error) {
	i := strings.LastIndex(tok, ".")
	if i < 0 || !hmac.Equal([]byte(t.mac(tok[:i])), []byte(tok[i+1:])) {
		return nil, token.ErrTokenInvalid
	}
	parts := strings.Split(tok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		return nil, token.ErrTokenInvalid
	}
	return claims, nil
}

func decodeFake(tok string) map[string]any {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&claims) != nil {
		return nil
	}
	return claims
}

// fakeVerifier accepts upstream tokens "x.<claims>.good" and applies the verifier's issuer,
// audience and expiry rules; any other signature is a bad signature; "down" is an unreachable IdP.
type fakeVerifier struct{ now func() time.Time }

func (v fakeVerifier) Verify(_ context.Context, tok string, lookup func(iss string) (oidc.Provider, bool)) (*oidc.Claims, error) {
	claims := decodeFake(tok)
	if claims == nil {
		return nil, &oidc.Error{Kind: oidc.InvalidToken, Message: oidc.MsgNotJWT}
	}
	iss, _ := claims["iss"].(string)
	prov, ok := lookup(iss)
	if !ok {
		return nil, &oidc.Error{Kind: oidc.InvalidToken, Message: "No OpenIDConnect provider found in your account for " + iss}
	}
	switch {
	case strings.HasSuffix(tok, ".down"):
		return nil, &oidc.Error{Kind: oidc.Communication, Message: oidc.MsgCommunication}
	case !strings.HasSuffix(tok, ".good"):
		return nil, &oidc.Error{Kind: oidc.InvalidToken, Message: oidc.MsgInvalidSignature}
	}
	exp, _ := claims["exp"].(json.Number).Int64()
	if !v.now().Before(time.Unix(exp, 0)) {
		return nil, &oidc.Error{Kind: oidc.Expired, Message: "Token expired"}
	}
	aud, _ := claims["aud"].(string)
	if !slices.Contains(prov.ClientIDs, aud) {
		return nil, &oidc.Error{Kind: oidc.InvalidToken, Message: oidc.MsgIncorrectAudience}
	}
	sub, _ := claims["sub"].(string)
	return &oidc.Claims{Issuer: iss, Subject: sub, Audience: []string{aud}, Raw: claims}, nil
}

const (
	testAccount = "123456789012"
	testIssuer  = "https://cognito-identity.amazonaws.com"
	oidcURL     = "https://idp.example.com"
	oidcName    = "idp.example.com"
	oidcARN     = "arn:aws:iam::123456789012:oidc-provider/idp.example.com"
	userPoolKey = "cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"
	devProvider = "login.acme.app"
	authRole    = "arn:aws:iam::123456789012:role/auth"
	unauthRole  = "arn:aws:iam::123456789012:role/unauth"
	adminRole   = "arn:aws:iam::123456789012:role/admin"
)

type fixture struct {
	svc   *Service
	st    *fakeStore
	authz *fakeAuthz
	sts   *fakeSTS
	now   time.Time
	root  *principal.Principal
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{st: newFakeStore(), authz: &fakeAuthz{deny: map[string]bool{}}, sts: &fakeSTS{deny: map[string]bool{}}, now: time.Unix(1800000000, 0)}
	f.st.oidc[oidcARN] = store.OIDCProvider{AccountID: testAccount, ARN: oidcARN, URL: oidcURL, ClientIDs: []string{"app-client"}}
	clock := func() time.Time { return f.now }
	f.svc = &Service{Store: f.st, Authz: f.authz, Tokens: fakeTokens{key: []byte("k")}, Sessions: f.sts, Verifier: fakeVerifier{now: clock},
		Region: "us-east-1", Issuer: testIssuer, Now: clock}
	f.root = &principal.Principal{Kind: principal.Root, AccountID: testAccount, ARN: "arn:aws:iam::123456789012:root", UserID: testAccount}
	return f
}

// upstream returns a fake upstream ID token.
func (f *fixture) upstream(claims map[string]any) string {
	base := map[string]any{"iss": oidcURL, "aud": "app-client", "sub": "alice", "exp": f.now.Add(time.Hour).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	b, _ := json.Marshal(base)
	return "x." + base64.RawURLEncoding.EncodeToString(b) + ".good"
}

func (f *fixture) pool(t *testing.T, mod func(*PoolInput)) store.IdentityPool {
	t.Helper()
	in := PoolInput{Name: "app", AllowUnauthenticated: true, OpenIDConnectProviderARNs: []string{oidcARN},
		DeveloperProviderName:    devProvider,
		CognitoIdentityProviders: []store.CognitoUserPoolProvider{{ProviderName: userPoolKey, ClientID: "upclient"}}}
	if mod != nil {
		mod(&in)
	}
	p, err := f.svc.CreateIdentityPool(context.Background(), f.root, in)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetIdentityPoolRoles(context.Background(), f.root, PoolRoles{PoolID: p.ID, Roles: map[string]string{RoleAuthenticated: authRole, RoleUnauthenticated: unauthRole}}); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantKind asserts err is an AWS error the server codes by kind (denied, unavailable, internal).
func wantKind(t *testing.T, err error, kind awserr.Kind) *awserr.Error {
	t.Helper()
	ae, ok := awserr.As(err)
	if !ok || ae.Kind != kind {
		t.Fatalf("want kind %s, got %v", kind, err)
	}
	return ae
}

func wantCode(t *testing.T, err error, code string) *awserr.Error {
	t.Helper()
	ae, ok := awserr.As(err)
	if !ok {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.Code != code {
		t.Fatalf("want %s, got %s: %s", code, ae.Code, ae.Message)
	}
	return ae
}

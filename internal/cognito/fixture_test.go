package cognito

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

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
	st    *testStore
	authz *fakeAuthz
	sts   *fakeSTS
	now   time.Time
	root  *principal.Principal
}

// newFixture is a service on a fresh SQLite store in t's temporary directory, with the account's
// OIDC provider registered, fakes for everything else, and a clock that stands still.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{st: openTestStore(t), authz: &fakeAuthz{deny: map[string]bool{}}, sts: &fakeSTS{deny: map[string]bool{}}, now: time.Unix(1800000000, 0)}
	f.st.addOIDCProvider(store.OIDCProvider{AccountID: testAccount, ARN: oidcARN, URL: oidcURL, ClientIDs: []string{"app-client"}})
	clock := func() time.Time { return f.now }
	f.svc = New(Deps{Store: f.st, Authz: f.authz, Tokens: fakeTokens{key: []byte("k")}, Sessions: f.sts, Verifier: fakeVerifier{now: clock},
		Region: "us-east-1", Issuer: testIssuer, Now: clock})
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
		CognitoIdentityProviders: []UserPoolProvider{{ProviderName: userPoolKey, ClientID: "upclient"}}}
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
	stored, err := f.st.GetIdentityPool(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	return stored
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

// outage stands for a store outage where a test expects an error code: the service returns it as
// an internal failure whose cause is store.ErrUnavailable, which the server answers with the
// family's 503 (ServiceUnavailable for Cognito) and a message that says nothing of the cause.
const outage = "(store outage)"

func isOutage(err error) bool {
	ae, ok := awserr.As(err)
	return ok && ae.Kind == awserr.Internal && ae.HTTPStatus == http.StatusInternalServerError &&
		ae.Message == awserr.InternalMessage && errors.Is(err, store.ErrUnavailable)
}

func wantOutage(t *testing.T, err error) {
	t.Helper()
	if !isOutage(err) {
		t.Fatalf("want a store outage, got %v", err)
	}
}

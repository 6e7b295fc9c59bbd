package console_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/cognito"
	"github.com/latchkey/latchkey/internal/console"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/iam"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
	"github.com/latchkey/latchkey/internal/sts"
	"github.com/latchkey/latchkey/internal/token"
)

const (
	acctA   = "111122223333"
	acctB   = "444455556666"
	starDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	iamDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`
	issuer  = "https://idp.example.com"
	oidcARN = "arn:aws:iam::" + acctA + ":oidc-provider/idp.example.com"
	// The trust policy of role ci admits the IdP's tokens whose sub is repo:acme/app.
	ciTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + oidcARN +
		`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"idp.example.com:sub":"repo:acme/app"}}}]}`
	refusalA = "req-refused-in-a"
	refusalB = "req-refused-in-b"
	// The credentials issued in each account: their access key ids are what the Activity page shows.
	issuedA = "ASIAISSUEDINA0000000"
	issuedB = "ASIAISSUEDINB0000000"
)

var testNow = time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)

// key is an access key id and its secret.
type key struct{ id, secret string }

// fixture is the console over the real SQLite store, authenticator, engine, IAM, session and STS
// services. Account A has its root, alice (*:*), ivan (iam:* only, no console action), reader
// (latchkey:ConsoleSignIn and latchkey:ConsoleListActivity only), the role ci trusting the IdP,
// and one recorded refusal; account B has mallory (*:*), the role other and its own refusal.
type fixture struct {
	// clock is the console's time (the services keep testNow); logs is everything it logged.
	clockMu                            sync.Mutex
	clock                              time.Time
	logs                               *syncBuffer
	st                                 *sqlstore.Store
	srv                                *httptest.Server
	con                                *console.Console
	deps                               console.Deps // what con was built from
	keySets                            *fakeKeySets
	root, alice, ivan, reader, mallory key
}

// fakeIdP verifies tokens of the form "sub:<subject>" as issued by the registered IdP; any other
// token is refused as the verifier refuses a malformed one.
type fakeIdP struct{}

func (fakeIdP) Verify(_ context.Context, tok string, lookup func(string) (oidc.Provider, bool)) (*oidc.Claims, error) {
	sub, ok := strings.CutPrefix(tok, "sub:")
	if !ok {
		return nil, &oidc.Error{Kind: oidc.InvalidToken, Message: "The token is not a JWT"}
	}
	if _, ok := lookup(issuer); !ok {
		return nil, &oidc.Error{Kind: oidc.InvalidToken, Message: "No OpenIDConnect provider found in your account for " + issuer}
	}
	return &oidc.Claims{Issuer: issuer, Subject: sub, Audience: []string{"sts.amazonaws.com"}, Expiry: testNow.Add(time.Hour)}, nil
}

// fakeKeySets is this node's last key-set fetch of each issuer; a test may replace them.
type fakeKeySets struct {
	mu sync.Mutex
	m  map[string]oidc.FetchStatus
}

func (k *fakeKeySets) LastFetch(iss string) (oidc.FetchStatus, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.m[iss]
	return s, ok
}

func (k *fakeKeySets) set(m map[string]oidc.FetchStatus) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m = m
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	st := sqltest.Open(t)
	mk, err := keys.NewMasterKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st}
	for _, a := range []string{acctA, acctB} {
		if err := st.CreateAccount(ctx, store.Account{ID: a, CreatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
	}
	f.root = f.accessKey(t, mk, acctA, "", "AKIAROOTA00000000000")
	f.alice = f.user(t, mk, acctA, "alice", starDoc)
	f.ivan = f.user(t, mk, acctA, "ivan", iamDoc)
	f.reader = f.user(t, mk, acctA, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["latchkey:ConsoleSignIn","latchkey:ConsoleListActivity","latchkey:ListDecisions","latchkey:GetDecision"],"Resource":"*"}]}`)
	f.mallory = f.user(t, mk, acctB, "mallory", starDoc)
	if err := st.CreateOIDCProvider(ctx, store.OIDCProvider{AccountID: acctA, ARN: oidcARN, URL: issuer, ClientIDs: []string{"sts.amazonaws.com"}, CreatedAt: testNow}, 100); err != nil {
		t.Fatal(err)
	}
	for _, r := range []store.Role{
		{AccountID: acctA, RoleID: "AROACI", RoleName: "ci", Path: "/", AssumeRolePolicyDocument: ciTrust, MaxSessionDuration: 3600, CreatedAt: testNow, PrincipalsBound: true},
		{AccountID: acctB, RoleID: "AROAOTHER", RoleName: "other", Path: "/", AssumeRolePolicyDocument: ciTrust, MaxSessionDuration: 3600, CreatedAt: testNow, PrincipalsBound: true},
	} {
		if err := st.CreateRole(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []store.Decision{
		{RequestID: refusalA, Time: testNow.Add(-time.Minute), AccountID: acctA, ResourceAccount: acctA, Service: "sts", Operation: "AssumeRoleWithWebIdentity",
			Action: "sts:AssumeRoleWithWebIdentity", ErrorCode: "AccessDenied",
			Explanation: []byte(`{"outcome":"ImplicitDeny","summary":"trust policy statement 0: StringEquals idp.example.com:sub expects \"repo:acme/app\", token has \"repo:evil/app\"","action":"sts:AssumeRoleWithWebIdentity","resource":"arn:aws:iam::111122223333:role/ci","policies":[{"kind":"trust","name":"trust","decision":"ImplicitDeny","statements":[{"index":0,"effect":"Allow","actionMatched":true,"resourceMatched":true,"conditions":[{"operator":"StringEquals","key":"idp.example.com:sub","policyValues":["repo:acme/app"],"requestValues":["repo:evil/app"],"result":false}],"applied":false}]}]}`)},
		{RequestID: refusalB, Time: testNow.Add(-time.Minute), AccountID: acctB, ResourceAccount: acctB, Service: "sts", Operation: "AssumeRole",
			Action: "sts:AssumeRole", ErrorCode: "AccessDenied", PrincipalARN: "arn:aws:iam::" + acctB + ":user/mallory",
			Explanation: []byte(`{"outcome":"ImplicitDeny","summary":"secret-of-account-b"}`)},
	} {
		if err := st.PutDecisions(ctx, []store.Decision{d}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutIssuances(ctx, []store.Issuance{
		{RequestID: "req-issued-in-a", Time: testNow.Add(-30 * time.Second), AccountID: acctA, PrincipalARN: "arn:aws:iam::" + acctA + ":user/alice",
			Service: "sts", Operation: "AssumeRole", RoleARN: "arn:aws:iam::" + acctA + ":role/ci", SessionARN: "arn:aws:sts::" + acctA + ":assumed-role/ci/s1",
			SourceIdentity: "alice-src", AccessKeyID: issuedA, Expiration: testNow.Add(time.Hour), SourceIP: "192.0.2.10"},
		{RequestID: "req-issued-in-b", Time: testNow.Add(-30 * time.Second), AccountID: acctB, PrincipalARN: "arn:aws:iam::" + acctB + ":user/mallory",
			Service: "sts", Operation: "AssumeRole", RoleARN: "arn:aws:iam::" + acctB + ":role/other", AccessKeyID: issuedB, Expiration: testNow.Add(time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return testNow }
	authenticator := authn.New(st, mk, nil, authn.Options{Now: now})
	engine := &authz.Engine{Source: st, Now: now}
	iamSvc := iam.New(iam.Deps{Store: st, Authz: engine, Master: mk, Cache: authenticator, Policies: engine, IDs: ids.Default, Now: now, SecretAAD: authn.SecretAAD})
	sealer := &token.Sealer{Ring: token.SessionRing(st, mk, now)}
	sessions := session.New(session.Deps{Store: st, Engine: engine, Sealer: sealer, IDs: ids.Default, Now: now})
	stsSvc := sts.New(sts.Deps{Authz: engine, Sessions: sessions, Providers: st, WebIdentity: fakeIdP{}, Now: now})
	f.clock, f.logs = testNow, &syncBuffer{}
	pools := cognito.New(cognito.Deps{Store: st, Authz: engine, Region: "us-east-1", Now: now})
	f.keySets = &fakeKeySets{m: map[string]oidc.FetchStatus{issuer: {Issuer: issuer, At: testNow.Add(-2 * time.Minute), Outcome: "success",
		Kids: []string{"kid-2025", "kid-2026"}}}}
	f.deps = console.Deps{Keys: authenticator, Authz: engine, Decisions: st, Issuances: st, KeySets: f.keySets, IAM: iamSvc, Pools: pools, Logins: st, Tokens: stsSvc, Region: "us-east-1",
		Now: f.now, Logger: slog.New(slog.NewTextHandler(f.logs, nil))}
	f.con, err = console.New(f.deps)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.con)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) accessKey(t *testing.T, mk *keys.MasterKey, account, userID, id string) key {
	t.Helper()
	secret := "secret/" + id + "/" + strings.Repeat("x", 20)
	k := store.AccessKey{AccessKeyID: id, AccountID: account, UserID: userID, Status: "Active", SecretCiphertext: mk.Seal([]byte(secret), authn.SecretAAD(id)), CreatedAt: testNow}
	if err := f.st.CreateAccessKey(t.Context(), k, 2); err != nil {
		t.Fatal(err)
	}
	return key{id, secret}
}

func (f *fixture) user(t *testing.T, mk *keys.MasterKey, account, name, doc string) key {
	t.Helper()
	id := "AIDA" + strings.ToUpper(name)
	if err := f.st.CreateUser(t.Context(), store.User{AccountID: account, UserID: id, UserName: name, Path: "/", CreatedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	p := store.InlinePolicy{OwnerKind: store.KindUser, OwnerID: id, PolicyName: "p", Document: doc}
	if err := f.st.PutInlinePolicy(t.Context(), p, func(d string) int { return len(d) }, 1<<20); err != nil {
		t.Fatal(err)
	}
	return f.accessKey(t, mk, account, id, "AKIA"+strings.ToUpper(name)+strings.Repeat("0", 16-len(name)))
}

// advance moves the console's clock.
func (f *fixture) advance(d time.Duration) {
	f.clockMu.Lock()
	f.clock = f.clock.Add(d)
	f.clockMu.Unlock()
}

func (f *fixture) now() time.Time {
	f.clockMu.Lock()
	defer f.clockMu.Unlock()
	return f.clock
}

// syncBuffer collects log lines from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    *testing.T
	f    *fixture
	c    *http.Client
	csrf string
}

func (f *fixture) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is a finished request: status, Location and body.
type response struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(method, path string, form url.Values) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.f.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header.Get("Location"), string(out), resp.Header}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf reads the CSRF token of the first form of a page.
func csrfOf(body string) string {
	m := csrfInput.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// signIn submits the sign-in form with k and returns the answer.
func (b *browser) signIn(k key) response {
	b.t.Helper()
	form := b.do("GET", "/console/signin", nil)
	return b.do("POST", "/console/signin", url.Values{"csrf": {csrfOf(form.body)}, "access_key_id": {k.id}, "secret_access_key": {k.secret}})
}

// mustSignIn signs in and keeps the session's CSRF token.
func (b *browser) mustSignIn(k key) {
	b.t.Helper()
	if r := b.signIn(k); r.status != http.StatusSeeOther || r.location != "/console/activity" {
		b.t.Fatalf("sign-in of %s: %d %s\n%s", k.id, r.status, r.location, r.body)
	}
	// A caller denied latchkey:ListDecisions lands on the page's AccessDenied notice.
	page := b.do("GET", "/console/activity", nil)
	if page.status != http.StatusOK && (page.status != http.StatusForbidden || !strings.Contains(page.body, "latchkey:ListDecisions")) {
		b.t.Fatalf("activity after sign-in: %d\n%s", page.status, page.body)
	}
	b.csrf = csrfOf(page.body)
}

func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, set := form["csrf"]; !set {
		form.Set("csrf", b.csrf)
	}
	return b.do("POST", path, form)
}

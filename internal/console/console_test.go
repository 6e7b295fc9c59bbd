package console_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/console"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/store"
)

// TestSignIn: the root and an IAM user with latchkey:ConsoleSignIn (via *:*) sign in; a wrong
// secret, an unknown key and a form without the sign-in CSRF token are refused and start no
// session; a user with iam:* but no latchkey:Console* action is refused by the engine. The
// secret never appears in any answer.
func TestSignIn(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name   string
		k      key
		status int
		want   string
	}{
		{"account root", f.root, http.StatusSeeOther, ""},
		{"user with *:*", f.alice, http.StatusSeeOther, ""},
		{"wrong secret", key{f.alice.id, f.alice.secret + "x"}, http.StatusUnauthorized, "not valid"},
		{"unknown key", key{"AKIANOSUCHKEY0000000", f.alice.secret}, http.StatusUnauthorized, "not valid"},
		{"iam:* without latchkey:Console*", f.ivan, http.StatusForbidden, "latchkey:ConsoleSignIn"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := f.browser(t)
			r := b.signIn(c.k)
			if r.status != c.status || !strings.Contains(r.body, c.want) {
				t.Fatalf("sign-in: %d, want %d containing %q\n%s", r.status, c.status, c.want, r.body)
			}
			if strings.Contains(r.body, c.k.secret) || strings.Contains(f.logs.String(), c.k.secret) {
				t.Fatal("the answer or the log carries the secret")
			}
			next := b.do("GET", "/console/activity", nil)
			if signedIn := next.status == http.StatusOK; signedIn != (c.status == http.StatusSeeOther) {
				t.Fatalf("after sign-in, activity answers %d", next.status)
			}
		})
	}
	t.Run("without the sign-in form's CSRF token", func(t *testing.T) {
		b := f.browser(t)
		r := b.do("POST", "/console/signin", url.Values{"access_key_id": {f.root.id}, "secret_access_key": {f.root.secret}})
		if r.status != http.StatusForbidden || b.do("GET", "/console/activity", nil).status != http.StatusSeeOther {
			t.Fatalf("CSRF-less sign-in: %d", r.status)
		}
	})
}

// TestSessionCookie: HttpOnly, SameSite=Strict, Path=/console, an hour, and Secure on TLS or
// when the deployment says browsers reach it over https (SecureCookies, set from an https
// LATCHKEY_ISSUER_URL); a request's X-Forwarded-Proto, which any client can send, never decides.
func TestSessionCookie(t *testing.T) {
	f := newFixture(t)
	secureDeps := f.deps
	secureDeps.SecureCookies = true
	secure, err := console.New(secureDeps)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		con        *console.Console
		base, xfp  string
		wantSecure bool
	}{
		{"http", f.con, "http://latchkey.example", "", false},
		{"https", f.con, "https://latchkey.example", "", true},
		{"http claiming X-Forwarded-Proto https", f.con, "http://latchkey.example", "https", false},
		{"http behind a TLS proxy (SecureCookies)", secure, "http://latchkey.example", "", true},
	} {
		sess, h := signInCookie(t, f, c.con, c.base, c.xfp)
		if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/console" || sess.MaxAge != 3600 || sess.Secure != c.wantSecure || len(sess.Value) < 40 {
			t.Fatalf("%s: session cookie %+v", c.name, sess)
		}
		if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") || h.Get("X-Frame-Options") != "DENY" {
			t.Fatalf("security headers: %v", h)
		}
	}
}

// signInCookie signs the root in to con at base and answers the session cookie it sets.
func signInCookie(t *testing.T, f *fixture, con *console.Console, base, xfp string) (*http.Cookie, http.Header) {
	t.Helper()
	form := httptest.NewRecorder()
	get := httptest.NewRequest("GET", base+"/console/signin", nil)
	con.ServeHTTP(form, get)
	signin := form.Result().Cookies()[0]
	req := httptest.NewRequest("POST", base+"/console/signin", strings.NewReader(url.Values{"csrf": {csrfOf(form.Body.String())},
		"access_key_id": {f.root.id}, "secret_access_key": {f.root.secret}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if xfp != "" {
		req.Header.Set("X-Forwarded-Proto", xfp)
	}
	req.AddCookie(signin)
	w := httptest.NewRecorder()
	con.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.Name == "latchkey_console" {
			return c, w.Result().Header
		}
	}
	return nil, w.Result().Header
}

// TestSignInAgainEndsEarlierSession: a browser that signs in again gets a new session and its
// earlier one ends, so a copy of the old cookie opens nothing; another browser's session of the
// same principal lives on.
func TestSignInAgainEndsEarlierSession(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.mustSignIn(f.root)
	other := f.browser(t)
	other.mustSignIn(f.root)
	u, _ := url.Parse(f.srv.URL + "/console/")
	old := b.c.Jar.Cookies(u)
	b.mustSignIn(f.root)
	if now := b.c.Jar.Cookies(u); len(old) != 1 || len(now) != 1 || old[0].Value == now[0].Value {
		t.Fatalf("cookies before and after signing in again: %v, %v", old, now)
	}
	stale := f.browser(t)
	stale.c.Jar.SetCookies(u, old)
	if r := stale.do("GET", "/console/activity", nil); r.status != http.StatusSeeOther || r.location != "/console/signin" {
		t.Fatalf("the earlier session's cookie: %d %s", r.status, r.location)
	}
	for _, br := range []*browser{b, other} {
		if r := br.do("GET", "/console/activity", nil); r.status != http.StatusOK {
			t.Fatalf("a live session after another sign-in: %d", r.status)
		}
	}
}

// TestSessionExpires: a session ends an hour after sign-in; the cookie alone opens nothing then.
func TestSessionExpires(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.mustSignIn(f.root)
	f.advance(59 * time.Minute)
	if r := b.do("GET", "/console/activity", nil); r.status != http.StatusOK {
		t.Fatalf("after 59 minutes: %d", r.status)
	}
	f.advance(time.Minute)
	if r := b.do("GET", "/console/activity", nil); r.status != http.StatusSeeOther || r.location != "/console/signin" {
		t.Fatalf("after an hour: %d %s", r.status, r.location)
	}
	if r := b.post("/console/simulate", url.Values{"actions": {"s3:GetObject"}, "policy": {"{}"}}); r.status != http.StatusForbidden {
		t.Fatalf("POST after an hour: %d", r.status)
	}
}

// TestRefusedWithoutSessionOrCSRF: without a session a GET goes to sign-in and a POST is 403;
// with one, a POST without its CSRF token or with another session's is 403 and does nothing.
func TestRefusedWithoutSessionOrCSRF(t *testing.T) {
	f := newFixture(t)
	anon := f.browser(t)
	for _, p := range []string{"/console/", "/console/activity", "/console/roles/ci", "/console/try"} {
		if r := anon.do("GET", p, nil); r.status != http.StatusSeeOther || r.location != "/console/signin" {
			t.Errorf("GET %s without a session: %d %s", p, r.status, r.location)
		}
	}
	for _, p := range []string{"/console/simulate", "/console/try", "/console/signout"} {
		if r := anon.do("POST", p, url.Values{"csrf": {"x"}}); r.status != http.StatusForbidden {
			t.Errorf("POST %s without a session: %d", p, r.status)
		}
	}
	b, other := f.browser(t), f.browser(t)
	b.mustSignIn(f.root)
	other.mustSignIn(f.root)
	for name, token := range map[string]string{"no token": "", "another session's token": other.csrf, "wrong token": b.csrf + "x"} {
		r := b.post("/console/signout", url.Values{"csrf": {token}})
		if r.status != http.StatusForbidden {
			t.Fatalf("%s: signout answered %d", name, r.status)
		}
		if b.do("GET", "/console/activity", nil).status != http.StatusOK {
			t.Fatalf("%s: the refused signout ended the session", name)
		}
	}
	if r := b.post("/console/signout", nil); r.status != http.StatusSeeOther {
		t.Fatalf("signout: %d", r.status)
	}
	if r := b.do("GET", "/console/activity", nil); r.status != http.StatusSeeOther {
		t.Fatalf("after signout activity answers %d", r.status)
	}
}

// TestPagesAuthorized: each page needs its own latchkey:Console* action. reader may sign in and
// list activity (and is allowed the decisions' reads) but not see roles, providers, pools,
// simulate or try.
func TestPagesAuthorized(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.mustSignIn(f.reader)
	if r := b.do("GET", "/console/activity/"+refusalA, nil); r.status != http.StatusOK {
		t.Fatalf("reader's refusal detail: %d", r.status)
	}
	for path, action := range map[string]string{"/console/roles": "ConsoleListRoles", "/console/providers": "ConsoleListProviders",
		"/console/pools": "ConsoleListIdentityPools", "/console/simulate": "ConsoleSimulate", "/console/try": "ConsoleTryToken"} {
		r := b.do("GET", path, nil)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "latchkey:"+action) {
			t.Errorf("GET %s: %d, want 403 naming latchkey:%s\n%s", path, r.status, action, r.body)
		}
	}
}

// TestAccountIsolation: mallory has *:* in account B; she sees B's refusal and roles, never A's.
func TestAccountIsolation(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.mustSignIn(f.mallory)
	list := b.do("GET", "/console/activity", nil)
	if !strings.Contains(list.body, refusalB) || strings.Contains(list.body, refusalA) {
		t.Fatalf("mallory's activity:\n%s", list.body)
	}
	for _, p := range []string{"/console/activity/" + refusalA, "/console/roles/ci"} {
		if r := b.do("GET", p, nil); r.status != http.StatusNotFound || strings.Contains(r.body, "repo:acme/app") {
			t.Errorf("GET %s: %d\n%s", p, r.status, r.body)
		}
	}
	r := b.post("/console/try", url.Values{"kind": {"oidc"}, "role": {"arn:aws:iam::" + acctA + ":role/ci"}, "token": {"sub:repo:acme/app"}})
	if r.status != http.StatusForbidden {
		t.Fatalf("trying a token against account A's role: %d\n%s", r.status, r.body)
	}
	r = b.post("/console/simulate", url.Values{"principal": {"arn:aws:iam::" + acctA + ":user/alice"}, "actions": {"sts:AssumeRole"}})
	if r.status == http.StatusOK || strings.Contains(r.body, "allowed") && !strings.Contains(r.body, "not allowed") {
		t.Fatalf("simulating account A's user: %d\n%s", r.status, r.body)
	}
}

// TestActivityAndExplanation: the root lists A's refusal, filters, and opens its explanation
// tree with ✓/✗ marks and the values compared.
func TestActivityAndExplanation(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.mustSignIn(f.root)
	for q, want := range map[string]bool{"": true, "?action=sts:AssumeRole*": true, "?action=iam:*": false, "?since=10m": true, "?since=10s": false} {
		r := b.do("GET", "/console/activity"+q, nil)
		if r.status != http.StatusOK || strings.Contains(r.body, refusalA) != want || strings.Contains(r.body, refusalB) {
			t.Errorf("activity%s: %d, lists A's refusal %v, want %v", q, r.status, strings.Contains(r.body, refusalA), want)
		}
	}
	if r := b.do("GET", "/console/activity?since=yesterday", nil); r.status != http.StatusBadRequest || !strings.Contains(r.body, "RFC 3339") {
		t.Errorf("bad since: %d", r.status)
	}
	r := b.do("GET", "/console/activity/"+refusalA, nil)
	for _, want := range []string{"✗", "StringEquals idp.example.com:sub", "&#34;repo:acme/app&#34;", "&#34;repo:evil/app&#34;", "trust policy"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("explanation page lacks %q\n%s", want, r.body)
		}
	}
	if r := b.do("GET", "/console/roles/ci", nil); r.status != http.StatusOK || !strings.Contains(r.body, oidcARN) || !strings.Contains(r.body, refusalA) {
		t.Errorf("role page: %d\n%s", r.status, r.body)
	}
}

// TestSimulate: pasted policies and a principal go through IAM's simulator; a denial shows its
// explanation. ivan cannot: the page needs latchkey:ConsoleSimulate.
func TestSimulate(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.mustSignIn(f.root)
	r := b.post("/console/simulate", url.Values{"policy": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`},
		"actions": {"s3:GetObject, s3:PutObject"}, "resources": {"*"}})
	if r.status != http.StatusOK || !strings.Contains(r.body, "<strong>allowed</strong>") || !strings.Contains(r.body, "<strong>implicitDeny</strong>") || !strings.Contains(r.body, "✗") {
		t.Fatalf("custom simulation: %d\n%s", r.status, r.body)
	}
	r = b.post("/console/simulate", url.Values{"principal": {"arn:aws:iam::" + acctA + ":user/ivan"}, "actions": {"iam:CreateUser\nsts:AssumeRole"}, "context": {"aws:SourceIp=10.0.0.1"}})
	if r.status != http.StatusOK || strings.Count(r.body, "<strong>allowed</strong>") != 1 || !strings.Contains(r.body, "<strong>implicitDeny</strong>") {
		t.Fatalf("principal simulation: %d\n%s", r.status, r.body)
	}
	if r := b.post("/console/simulate", url.Values{"actions": {"s3:GetObject"}, "context": {"no equals sign"}}); r.status != http.StatusBadRequest {
		t.Fatalf("bad context: %d", r.status)
	}
	if r := b.post("/console/simulate", url.Values{"policy": {"{not json"}, "actions": {"s3:GetObject"}}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "MalformedPolicyDocument") {
		t.Fatalf("malformed policy: %d\n%s", r.status, r.body)
	}
}

// TestTryTokenIssuesNothing: a dry run that passes says what would be issued, one that fails
// names the condition and values; neither writes anything (no role use, no recorded decision).
func TestTryTokenIssuesNothing(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.mustSignIn(f.root)
	role := "arn:aws:iam::" + acctA + ":role/ci"
	cases := []struct {
		name, token string
		want        []string
	}{
		{"trusted subject", "sub:repo:acme/app", []string{"Would be allowed", "assumed-role/ci/console-dry-run", "Nothing was issued"}},
		{"untrusted subject", "sub:repo:evil/app", []string{"Would be refused", "AccessDenied", "StringEquals idp.example.com:sub", "&#34;repo:evil/app&#34;"}},
		{"not a token", "garbage", []string{"Would be refused", "InvalidIdentityToken"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := b.post("/console/try", url.Values{"kind": {"oidc"}, "role": {role}, "token": {c.token}, "session_name": {"console-dry-run"}})
			for _, w := range c.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("dry run answer lacks %q (status %d)\n%s", w, r.status, r.body)
				}
			}
			stored, err := f.st.GetRole(t.Context(), acctA, "ci")
			if err != nil || stored.LastUsedAt != nil {
				t.Fatalf("role after the dry run: %v, %v", stored.LastUsedAt, err)
			}
			ds, err := f.st.ListDecisions(t.Context(), store.DecisionFilter{})
			if err != nil || len(ds) != 2 {
				t.Fatalf("decisions after the dry run: %d, %v", len(ds), err)
			}
		})
	}
}

// TestIdentityPoolPages: the root sees its pool's roles, role mappings, identities and linked
// logins; mallory (*:* in account B) gets neither the pool in her list nor its page.
func TestIdentityPoolPages(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	poolID := "us-east-1:00000000-0000-4000-8000-000000000001"
	pool := store.IdentityPool{ID: poolID, AccountID: acctA, Name: "mobile", SupportedLoginProviders: map[string]string{"accounts.google.com": "client-1"},
		Roles: map[string]string{"authenticated": "arn:aws:iam::" + acctA + ":role/ci"}, RoleMappings: `{"accounts.google.com":{"type":"Token","ambiguous":"Deny"}}`,
		CreatedAt: testNow, UpdatedAt: testNow}
	if err := f.st.CreateIdentityPool(ctx, pool, 1000); err != nil {
		t.Fatal(err)
	}
	identity := store.Identity{ID: "us-east-1:00000000-0000-4000-8000-0000000000aa", PoolID: poolID, CreatedAt: testNow, UpdatedAt: testNow}
	login := store.IdentityLogin{PoolID: poolID, IdentityID: identity.ID, Provider: "accounts.google.com", Subject: "google-subject-42", CreatedAt: testNow}
	if err := f.st.CreateIdentity(ctx, identity, []store.IdentityLogin{login}); err != nil {
		t.Fatal(err)
	}
	root := f.browser(t)
	root.mustSignIn(f.root)
	if r := root.do("GET", "/console/pools", nil); r.status != http.StatusOK || !strings.Contains(r.body, poolID) {
		t.Fatalf("pools: %d\n%s", r.status, r.body)
	}
	r := root.do("GET", "/console/pools/"+poolID, nil)
	for _, want := range []string{"google-subject-42", identity.ID, "AmbiguousRoleResolution", "role/ci"} {
		if r.status != http.StatusOK || !strings.Contains(r.body, want) {
			t.Fatalf("pool page lacks %q: %d\n%s", want, r.status, r.body)
		}
	}
	mallory := f.browser(t)
	mallory.mustSignIn(f.mallory)
	if r := mallory.do("GET", "/console/pools", nil); strings.Contains(r.body, poolID) {
		t.Fatal("mallory lists account A's pool")
	}
	if r := mallory.do("GET", "/console/pools/"+poolID, nil); r.status != http.StatusNotFound || strings.Contains(r.body, "google-subject-42") {
		t.Fatalf("mallory's view of account A's pool: %d", r.status)
	}
}

// TestActivityListsIssuedAndRefused: the Activity page lists the account's credentials issued and
// requests refused in one list, newest first, with a kind column and filter; each kind needs its
// own read (latchkey:ListIssuances, latchkey:ListDecisions); no account sees another's.
func TestActivityListsIssuedAndRefused(t *testing.T) {
	f := newFixture(t)
	root := f.browser(t)
	root.mustSignIn(f.root)
	r := root.do("GET", "/console/activity", nil)
	iss, ref := strings.Index(r.body, issuedA), strings.Index(r.body, refusalA)
	if r.status != http.StatusOK || iss < 0 || ref < 0 || iss > ref || strings.Contains(r.body, issuedB) {
		t.Fatalf("root's activity: %d, issued at %d, refused at %d (the issuance is newer)\n%s", r.status, iss, ref, r.body)
	}
	for _, want := range []string{"arn:aws:sts::" + acctA + ":assumed-role/ci/s1", "alice-src", "192.0.2.10", ">issued<", ">refused<"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("root's activity lacks %q", want)
		}
	}
	for _, tc := range []struct {
		q              string
		issued, refuse bool
	}{
		{"?kind=issued", true, false},
		{"?kind=refused", false, true},
		{"?action=sts:AssumeRole", true, false},
		{"?principal=arn:aws:iam::" + acctA + ":user/alice", true, false},
		{"?since=45s", true, false},
		{"?since=10s", false, false},
	} {
		r := root.do("GET", "/console/activity"+tc.q, nil)
		if r.status != http.StatusOK || strings.Contains(r.body, issuedA) != tc.issued || strings.Contains(r.body, refusalA) != tc.refuse {
			t.Errorf("activity%s: %d, issued %v refused %v, want %v %v", tc.q, r.status, strings.Contains(r.body, issuedA), strings.Contains(r.body, refusalA), tc.issued, tc.refuse)
		}
	}
	if r := root.do("GET", "/console/activity?kind=all", nil); r.status != http.StatusBadRequest || strings.Contains(r.body, issuedA) {
		t.Errorf("unknown kind: %d", r.status)
	}

	// *:* in account B: B's issuance only.
	mallory := f.browser(t)
	mallory.mustSignIn(f.mallory)
	if r := mallory.do("GET", "/console/activity", nil); !strings.Contains(r.body, issuedB) || strings.Contains(r.body, issuedA) {
		t.Errorf("mallory's activity: %d\n%s", r.status, r.body)
	}

	// reader may list refusals but not issuances: the refusals, and a notice naming the action.
	reader := f.browser(t)
	reader.mustSignIn(f.reader)
	r = reader.do("GET", "/console/activity", nil)
	if r.status != http.StatusOK || strings.Contains(r.body, issuedA) || !strings.Contains(r.body, refusalA) || !strings.Contains(r.body, "latchkey:ListIssuances") {
		t.Errorf("reader's activity: %d\n%s", r.status, r.body)
	}
	if r := reader.do("GET", "/console/activity?kind=issued", nil); r.status != http.StatusForbidden || strings.Contains(r.body, issuedA) {
		t.Errorf("reader's issued activity: %d", r.status)
	}
}

// TestProvidersShowLastFetch: the Providers page shows this node's last key-set fetch of each
// OIDC provider (time, status, key ids published), or that it has not fetched it, or the failure.
func TestProvidersShowLastFetch(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.mustSignIn(f.root)
	r := b.do("GET", "/console/providers", nil)
	for _, want := range []string{"this node", "success", "kid-2025, kid-2026"} {
		if r.status != http.StatusOK || !strings.Contains(r.body, want) {
			t.Errorf("providers page: %d, lacks %q\n%s", r.status, want, r.body)
		}
	}
	for name, tc := range map[string]struct {
		keySets map[string]oidc.FetchStatus
		want    string
	}{
		"never fetched": {nil, "Not fetched by this node"},
		"served here":   {map[string]oidc.FetchStatus{issuer: {Issuer: issuer, Outcome: oidc.OutcomeLocal}}, "never fetched"},
		"failed":        {map[string]oidc.FetchStatus{issuer: {Issuer: issuer, At: testNow, Outcome: "tls", Error: "x509: certificate signed by unknown authority"}}, "certificate signed by unknown authority"},
	} {
		f.keySets.set(tc.keySets)
		if r := b.do("GET", "/console/providers", nil); r.status != http.StatusOK || !strings.Contains(r.body, tc.want) || strings.Contains(r.body, "kid-2026") {
			t.Errorf("%s: %d, lacks %q\n%s", name, r.status, tc.want, r.body)
		}
	}
}

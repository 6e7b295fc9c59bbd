package integration

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// consoleClient is a browser without JavaScript: it keeps cookies and posts forms with the CSRF
// token of the last page it read.
type consoleClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var consoleCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (ts *testServer) console(t *testing.T) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, base: ts.URL, c: &http.Client{Jar: jar}}
}

// do sends a GET (form nil) or a POST of form with the current CSRF token, follows redirects,
// and returns the status and body; it keeps the page's CSRF token.
func (cc *consoleClient) do(path string, form url.Values) (int, string) {
	cc.t.Helper()
	var resp *http.Response
	var err error
	if form == nil {
		resp, err = cc.c.Get(cc.base + path)
	} else {
		form.Set("csrf", cc.csrf)
		resp, err = cc.c.PostForm(cc.base+path, form)
	}
	if err != nil {
		cc.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := consoleCSRF.FindStringSubmatch(string(b)); m != nil {
		cc.csrf = m[1]
	}
	return resp.StatusCode, string(b)
}

func (cc *consoleClient) signIn(keyID, secret string) {
	cc.t.Helper()
	cc.do("/console/signin", nil)
	status, body := cc.do("/console/signin", url.Values{"access_key_id": {keyID}, "secret_access_key": {secret}})
	if status != http.StatusOK || !strings.Contains(body, "<h1>Activity</h1>") {
		cc.t.Fatalf("console sign-in: %d\n%s", status, body)
	}
}

// TestConsoleSAMLDryRun: Try a token with a SAML response verifies it and evaluates the trust
// policy without issuing anything: the role stays unused and the same response still assumes the
// role afterwards. A response whose Role attribute does not list the role is refused with the
// reason; the Providers page shows the IdP's signing certificate and its expiry.
func TestConsoleSAMLDryRun(t *testing.T) {
	ts := startServer(t)
	s := newSAMLIdP(t, ts)
	cc := ts.console(t)
	cc.signIn(rootKeyID, rootSecret)
	resp := s.response(t, s.role+","+s.provider, "alice")
	status, body := cc.do("/console/try", url.Values{"kind": {"saml"}, "role": {s.role}, "provider": {s.provider}, "token": {resp}})
	for _, want := range []string{"Would be allowed", "assumed-role/saml-admin/alice", "alice@example.com", "https://idp.example.com/saml/metadata"} {
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("SAML dry run: %d, lacks %q\n%s", status, want, body)
		}
	}
	role, err := ts.rootIAM().GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("saml-admin")})
	if err != nil || role.Role.RoleLastUsed != nil && role.Role.RoleLastUsed.LastUsedDate != nil {
		t.Fatalf("the dry run recorded the role's use: %+v %v", role.Role.RoleLastUsed, err)
	}
	if _, err := ts.anonSTS().AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(s.role), PrincipalArn: aws.String(s.provider), SAMLAssertion: aws.String(resp)}); err != nil {
		t.Fatalf("the response no longer assumes the role after the dry run: %v", err)
	}

	other := s.response(t, "arn:aws:iam::"+accountID+":role/other,"+s.provider, "alice")
	status, body = cc.do("/console/try", url.Values{"kind": {"saml"}, "role": {s.role}, "provider": {s.provider}, "token": {other}})
	if status != http.StatusOK || !strings.Contains(body, "Would be refused") || !strings.Contains(body, "AccessDenied") {
		t.Fatalf("SAML dry run of another role's response: %d\n%s", status, body)
	}
	status, body = cc.do("/console/providers", nil)
	if status != http.StatusOK || !strings.Contains(body, "CN=idp.example.com") || !strings.Contains(body, "expires") {
		t.Fatalf("providers page: %d\n%s", status, body)
	}
}

package integration

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/testidp"
)

// withTestIDP turns the test IdP on and every development flag off: the issuer is the default
// http://ADDR, and http provider URLs are allowed only because they are the server's own.
func withTestIDP(on bool) serverOption {
	return func(c *config.Config, _ *app.Options) {
		c.TestIDP = on
		c.AllowHTTPIssuers = false
		c.IssuerURL = ""
	}
}

func getJSON(t *testing.T, url, bearer string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return doJSON(t, req)
}

// The test issuer registered with the usual IAM call, a github-actions token obtained through
// the runner protocol as the actions toolkit requests it, and AssumeRoleWithWebIdentity on a
// role whose trust pins the repository and branch: that job gets credentials; a job of another
// repository, a forged or missing request token, get nothing.
func TestTestIDPGitHubActionsAssumeRole(t *testing.T) {
	ts := startServer(t, withTestIDP(true))
	issuer := ts.URL + "/test-idp/gh"
	role := aws.String(federatedRole(t, ts, "gh", "deploy", "repo:acme/app:ref:refs/heads/main"))
	jobToken := func(repo string) (testidp.ActionsEnv, string) {
		env, err := ts.App.TestIDP.ActionsEnv(ctx, "gh", testidp.Params{Repository: repo, Ref: "refs/heads/main"}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		// As @actions/core getIDToken does: the URL plus &audience=, the request token as bearer.
		status, body := getJSON(t, env.RequestURL+"&audience=sts.amazonaws.com", env.RequestToken)
		if status != http.StatusOK {
			t.Fatalf("runner token: %d %v", status, body)
		}
		return env, body["value"].(string)
	}
	env, tok := jobToken("acme/app")
	if !strings.HasPrefix(env.RequestURL, issuer+"/") {
		t.Fatalf("request URL %s is not under %s", env.RequestURL, issuer)
	}
	c := ts.sts("", "")
	out, err := c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: role,
		RoleSessionName: aws.String("gha"), WebIdentityToken: aws.String(tok)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != "repo:acme/app:ref:refs/heads/main" {
		t.Fatalf("subject %s", aws.ToString(out.SubjectFromWebIdentityToken))
	}

	// A valid token of the same issuer for another repository: refused by the trust policy.
	_, evil := jobToken("evil/app")
	_, err = c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: role,
		RoleSessionName: aws.String("gha"), WebIdentityToken: aws.String(evil)})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)

	// The runner endpoint refuses a missing, a forged and another issuer's use of a request token.
	if status, body := getJSON(t, env.RequestURL+"&audience=x", ""); status != http.StatusUnauthorized || body["message"] == nil {
		t.Fatalf("no bearer: %d %v", status, body)
	}
	forged := env.RequestToken[:len(env.RequestToken)-2] + "AA"
	if status, body := getJSON(t, env.RequestURL+"&audience=x", forged); status != http.StatusForbidden || body["value"] != nil {
		t.Fatalf("forged bearer: %d %v", status, body)
	}
	other := strings.Replace(env.RequestURL, "/test-idp/gh/", "/test-idp/other/", 1)
	if status, body := getJSON(t, other+"&audience=x", env.RequestToken); status != http.StatusForbidden || body["value"] != nil {
		t.Fatalf("other issuer: %d %v", status, body)
	}
}

// go-oidc, independent of Latchkey's verifier, fetches the published discovery document and
// JWKS and verifies a minted token.
func TestTestIDPVerifiedByGoOIDC(t *testing.T) {
	ts := startServer(t, withTestIDP(true))
	issuer := ts.URL + "/test-idp/k8s"
	tok, err := ts.App.TestIDP.Mint(ctx, testidp.MintInput{Issuer: "k8s", Profile: testidp.Kubernetes,
		Params: testidp.Params{Namespace: "prod", ServiceAccount: "web"}})
	if err != nil {
		t.Fatal(err)
	}
	prov, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := prov.Verifier(&gooidc.Config{ClientID: "sts.amazonaws.com"}).Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if idt.Subject != "system:serviceaccount:prod:web" || idt.Issuer != issuer {
		t.Fatalf("go-oidc read sub %q iss %q", idt.Subject, idt.Issuer)
	}
	// A token for another audience, or altered, fails go-oidc too.
	if _, err := prov.Verifier(&gooidc.Config{ClientID: "other"}).Verify(ctx, tok); err == nil {
		t.Fatal("go-oidc accepted the wrong audience")
	}
	parts := strings.Split(tok, ".")
	parts[1] = parts[1][:len(parts[1])-2] + "xx"
	if _, err := prov.Verifier(&gooidc.Config{ClientID: "sts.amazonaws.com"}).Verify(ctx, strings.Join(parts, ".")); err == nil {
		t.Fatal("go-oidc accepted an altered token")
	}
}

// Off by default: no routes, and the http issuer URL is not the server's own, so IAM refuses it
// like any http provider URL.
func TestTestIDPOffByDefault(t *testing.T) {
	ts := startServer(t, withTestIDP(false))
	for _, path := range []string{"/test-idp/gh/.well-known/openid-configuration", "/test-idp/gh/.well-known/jwks.json", "/test-idp/gh/actions/idtoken?api-version=2.0&audience=a"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
	if ts.App.TestIDP != nil {
		t.Fatal("test IdP built while off")
	}
	_, err := ts.rootIAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(ts.URL + "/test-idp/gh"), ClientIDList: []string{"sts.amazonaws.com"}})
	wantAPIError(t, err, "InvalidInput", http.StatusBadRequest)
}

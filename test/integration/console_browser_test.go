package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/testidp"
)

// browserDir holds the Playwright test of the console (package.json pins playwright-core; no
// browser is downloaded: it drives Debian's Chromium).
const browserDir = "../browser"

// needBrowser returns node and Chromium, skipping the test when either, or playwright-core in
// test/browser/node_modules, is absent outside CI; in CI their absence fails the test.
func needBrowser(t *testing.T) (node, chromium string) {
	t.Helper()
	missing := func(what string) {
		skipOutsideCI(t, what+"; scripts/test installs Debian's chromium and runs `npm ci` in test/browser")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	chromium = os.Getenv("LATCHKEY_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing("Chromium is not installed at " + chromium)
	}
	if _, err := os.Stat(filepath.Join(browserDir, "node_modules", "playwright-core", "package.json")); err != nil {
		missing("playwright-core is not installed in test/browser/node_modules")
	}
	return node, chromium
}

// TestConsoleInBrowser drives the console in Chromium (test/browser/console.mjs): sign in as the
// account root, find a refusal recorded by a real AssumeRoleWithWebIdentity and open its
// explanation, see a credential issued by an upstream IdP's token beside it, see this node's fetch
// of that IdP's key set on Providers, visit every page, run a simulation and two token dry runs (tokens minted by the
// test IdP), refuse a CSRF-less POST and requests without a session, sign out. Screenshots of
// every page are kept in test/browser/artifacts/.
func TestConsoleInBrowser(t *testing.T) {
	node, chromium := needBrowser(t)
	ts := startServer(t, withTestIDP(true), func(c *config.Config, _ *app.Options) { c.AllowHTTPIssuers = true })
	role := federatedRole(t, ts, "gh", "deploy", "repo:acme/app:ref:refs/heads/main")
	token := func(repo string) string {
		tok, err := ts.App.TestIDP.Mint(ctx, testidp.MintInput{Issuer: "gh", Profile: testidp.GitHubActions,
			Params: testidp.Params{Repository: repo, Ref: "refs/heads/main"}})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good, evil := token("acme/app"), token("evil/app")
	_, err := ts.sts("", "").AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(role),
		RoleSessionName: aws.String("gha"), WebIdentityToken: aws.String(evil)})
	wantAPIError(t, err, "AccessDenied", 403)
	refusal := requestID(t, err)
	// An upstream IdP (http: allowed for it alone below) whose token is exchanged: an issued
	// credential on Activity, and this node's fetch of its key set on Providers.
	ln := mustListen(t)
	upstream := startKeyIdP(t, "http://"+ln.Addr().String(), ln, nil)
	issued, err := assumeWithToken(ts, registerIdP(t, ts, upstream.issuer, "upstream"), upstream.token(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	issuedID, _ := middleware.GetRequestIDMetadata(issued.ResultMetadata)
	waitIssuance(t, ts, rootKeyID, rootSecret, "", issuedID) // written off the request path

	artifacts, err := filepath.Abs(filepath.Join(browserDir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, node, "console.mjs")
	cmd.Dir = browserDir
	cmd.Env = append(os.Environ(), "LATCHKEY_URL="+ts.URL, "ARTIFACTS="+artifacts, "CHROMIUM="+chromium, "ROLE_ARN="+role,
		"ROOT_KEY="+rootKeyID, "ROOT_SECRET="+rootSecret, "REFUSAL_ID="+refusal, "GOOD_TOKEN="+good, "EVIL_TOKEN="+evil,
		"ISSUED_KEY="+aws.ToString(issued.Credentials.AccessKeyId), "IDP_KID="+upstream.kid)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("console screenshots: %s", artifacts)
	if err != nil {
		t.Fatalf("node console.mjs: %v\n%s", err, out.String())
	}
}

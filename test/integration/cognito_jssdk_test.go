package integration

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/golang-jwt/jwt/v5"
)

// jsDir is the folder of the AWS SDK for JavaScript v3 tests (package.json, the lock file, and the
// node_modules that scripts/test installs with npm ci).
const jsDir = "../js"

func inCI() bool {
	switch os.Getenv("CI") {
	case "1", "true", "TRUE", "True":
		return true
	}
	return false
}

// skipOutsideCI skips the test for a missing tool outside CI and fails it in CI, so a test cannot
// silently stop running there.
func skipOutsideCI(t *testing.T, msg string) {
	t.Helper()
	if inCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// needNode returns the node binary, skipping the test when node or the installed modules are
// absent outside CI; in CI their absence is a failure, so the test cannot silently stop running.
func needNode(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		skipOutsideCI(t, what+"; run `npm ci` in test/js (scripts/test does) to run the JavaScript SDK test")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(jsDir, "node_modules", "@aws-sdk", "client-cognito-identity", "package.json")); err != nil {
		missing("@aws-sdk/client-cognito-identity is not installed in test/js/node_modules")
	}
	return node
}

// TestCognitoJavaScriptSDK drives the guest flow and the takeover attempt of an identity whose
// last login was removed with the AWS SDK for JavaScript v3 (test/js/cognito_flow.mjs), and
// checks the credentials it got with STS.
func TestCognitoJavaScriptSDK(t *testing.T) {
	node := needNode(t)
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "js", nil)
	victim := e.getID(t, e.logins(t, nil))
	if _, err := e.anon.UnlinkIdentity(ctx, &cognitoidentity.UnlinkIdentityInput{IdentityId: aws.String(victim), Logins: e.logins(t, nil), LoginsToRemove: []string{e.login}}); err != nil {
		t.Fatal(err)
	}

	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, node, "cognito_flow.mjs")
	cmd.Dir = jsDir
	// No credentials and no shared config: the operations are unsigned, as in a browser.
	cmd.Env = append(os.Environ(), "LK_URL="+ts.URL, "LK_REGION=us-east-1", "LK_POOL="+e.pool, "LK_VICTIM="+victim,
		"LK_LOGIN_KEY="+e.login, "LK_LOGIN_TOKEN="+e.token(t, jwt.MapClaims{"sub": "mallory"}),
		"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_PROFILE=",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node cognito_flow.mjs: %v\n%s", err, stderr.String())
	}
	var got struct {
		IdentityID   string `json:"identityId"`
		AccessKeyID  string `json:"accessKeyId"`
		SecretKey    string `json:"secretKey"`
		SessionToken string `json:"sessionToken"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("the script printed something other than one JSON line: %v", err)
	}
	if !cognitoIDRe.MatchString(got.IdentityID) {
		t.Fatalf("guest identity %q", got.IdentityID)
	}
	creds := &citypes.Credentials{AccessKeyId: aws.String(got.AccessKeyID), SecretKey: aws.String(got.SecretKey), SessionToken: aws.String(got.SessionToken)}
	if arn := ts.callerARN(t, creds); arn != sessionARN("js-unauth") {
		t.Fatalf("the JavaScript SDK's guest credentials are for %s", arn)
	}
	// The attempts left the victim as it was: disabled, without logins.
	d, err := e.root.DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: aws.String(victim)})
	if err != nil || len(d.Logins) != 0 {
		t.Fatalf("the victim after the attempts: %+v %v", d, err)
	}
}

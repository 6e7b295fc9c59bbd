package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeAddr is the address the README's commands name; the tests substitute the started server's.
const readmeAddr = "127.0.0.1:8855"

// walkthroughBlocks are the shell blocks of README.md fenced as ```sh walkthrough=<name>, in order.
func walkthroughBlocks(t *testing.T, name string) []string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)```sh walkthrough=" + regexp.QuoteMeta(name) + "\n(.*?)```")
	var blocks []string
	for _, m := range re.FindAllStringSubmatch(string(readme), -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) == 0 {
		t.Fatalf("README.md has no ```sh walkthrough=%s blocks", name)
	}
	return blocks
}

// requireAWSCLI skips without the AWS CLI, except in CI, where its absence fails the test.
func requireAWSCLI(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the AWS CLI (aws) is not installed; CI must have it")
		}
		t.Skip("the AWS CLI (aws) is not installed")
	}
}

// runWalkthrough starts `latchkey serve` with the test IdP, as the README's federation quick start
// does, and runs the named walkthrough's blocks in one bash with the quick start's environment,
// then extra (the test's own checks). It answers the output and fails naming the block that failed.
func runWalkthrough(t *testing.T, name, extra string) string {
	requireAWSCLI(t)
	bin := latchkeyBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	startProcess(t, []string{"LATCHKEY_TEST_IDP=true", "LATCHKEY_DATA_DIR=" + filepath.Join(dir, "latchkey-data")}, addr)
	if err := os.WriteFile(filepath.Join(dir, "aws-config"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	blocks := walkthroughBlocks(t, name)
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for i, b := range append(blocks, extra) {
		fmt.Fprintf(&script, "%s\necho '::block %d done'\n", strings.ReplaceAll(b, readmeAddr, addr), i)
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = dir
	cmd.Env = walkthroughEnv(dir, addr, filepath.Dir(bin))
	out, err := runWithTimeout(cmd, 3*time.Minute)
	for i := range len(blocks) + 1 {
		if !strings.Contains(out, fmt.Sprintf("::block %d done", i)) {
			what := fmt.Sprintf("README block %d of walkthrough %s", i+1, name)
			if i == len(blocks) {
				what = "the test's checks after walkthrough " + name
			}
			t.Fatalf("%s failed (%v):\n%s", what, err, out)
		}
	}
	return out
}

// walkthroughEnv is the quick start's environment: the endpoint, the region for CLI v1 and v2, the
// generated root credentials, and latchkey on PATH; nothing of the caller's AWS or Latchkey setup.
func walkthroughEnv(dir, addr, binDir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "LATCHKEY_") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return append(env,
		"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AWS_ENDPOINT_URL=http://"+addr, "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "latchkey-data", "root-credentials"),
		"AWS_CONFIG_FILE="+filepath.Join(dir, "aws-config"), "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
		"LATCHKEY_DATA_DIR="+filepath.Join(dir, "latchkey-data"), "LATCHKEY_ADDR="+addr)
}

// TestREADMECognitoWalkthrough: the README's identity-pool walkthrough ends with alice's credentials
// of the pool's role; a token for another client of the same issuer gets no identity from the pool.
func TestREADMECognitoWalkthrough(t *testing.T) {
	out := runWalkthrough(t, "cognito", `
OTHER=$(LATCHKEY_TEST_IDP=true latchkey idp token --issuer app --audience other-app --claim sub=alice)
if aws cognito-identity get-id --identity-pool-id $POOL --account-id 000000000000 --logins $ISS=$OTHER 2>refused.txt; then
  echo "a token for another audience got an identity"; exit 1
fi
grep -q NotAuthorizedException refused.txt`)
	if !strings.Contains(out, "arn:aws:sts::000000000000:assumed-role/app-user/CognitoIdentityCredentials\n::block 1 done") {
		t.Fatalf("the last call does not show alice's role session:\n%s", out)
	}
}

// TestREADMEQuickSightWalkthrough: the README's walkthrough ends with the portal in a session of the
// dashboards role carrying ana's context; a role whose trust policy lacks sts:SetContext refuses
// the same context even to the user it trusts.
func TestREADMEQuickSightWalkthrough(t *testing.T) {
	out := runWalkthrough(t, "quicksight", `
aws iam create-role --role-name no-context --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{
  "Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"arn:aws:iam::000000000000:user/portal"}}]}' >/dev/null
if AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK aws sts assume-role --role-arn arn:aws:iam::000000000000:role/no-context \
    --role-session-name ana --provided-contexts ProviderArn=arn:aws:iam::aws:contextProvider/QuickSight,ContextAssertion=$CONTEXT 2>refused.txt; then
  echo "a role without sts:SetContext accepted a context"; exit 1
fi
grep -q AccessDenied refused.txt`)
	if !strings.Contains(out, "arn:aws:sts::000000000000:assumed-role/dashboards/ana\n::block 0 done") {
		t.Fatalf("the last call does not show ana's role session:\n%s", out)
	}
}

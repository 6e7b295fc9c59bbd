package integration

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/latchkey/latchkey/internal/testidp"
)

// The recipes of docs/workloads.md that start from a test IdP token, each run as the document
// writes it.

func writeToken(t *testing.T, ts *testServer, in testidp.MintInput) string {
	t.Helper()
	tok, err := ts.App.TestIDP.Mint(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "token")
	// The token alone, as `latchkey idp token > file` and a projected token file hold it.
	if err := os.WriteFile(path, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func ghParams(repo, ref string) testidp.Params { return testidp.Params{Repository: repo, Ref: ref} }

// credential_process with --web-identity-token-file: the SDK's process provider (configured only
// by AWS_CONFIG_FILE) runs the binary, which exchanges a GitHub Actions token of the test IdP;
// a token for another repository makes the binary exit non-zero with STS's AccessDenied.
func TestRecipeCredentialProcessWebIdentityTokenFile(t *testing.T) {
	bin := latchkeyBinary(t)
	ts := startServer(t, withTestIDP(true))
	role := federatedRole(t, ts, "gh", "deploy", "repo:acme/app:ref:refs/heads/main")
	for _, c := range []struct {
		name, repo string
		wantErr    bool
	}{
		{"the trusted repository", "acme/app", false},
		{"another repository", "evil/app", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tokenFile := writeToken(t, ts, testidp.MintInput{Issuer: "gh", Profile: testidp.GitHubActions, Params: ghParams(c.repo, "refs/heads/main")})
			cleanAWSEnv(t)
			t.Setenv("AWS_ENDPOINT_URL", ts.URL)
			args := " credentials --web-identity-token-file " + tokenFile + " --role-arn " + role + " --role-session-name gha"
			if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[default]\ncredential_process = "+bin+args+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			arn, err := callerARN(ctx, t, ts)
			if !c.wantErr {
				if err != nil || arn != "arn:aws:sts::"+accountID+":assumed-role/deploy/gha" {
					t.Fatalf("GetCallerIdentity = %s, %v", arn, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "credential_process") {
				t.Fatalf("want the process provider's failure, got %s, %v", arn, err)
			}
			cmd := exec.CommandContext(ctx, bin, strings.Fields(args)...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err == nil || len(out) != 0 || !strings.Contains(stderr.String(), "AccessDenied") {
				t.Fatalf("exit %v, stdout %q, stderr %q", err, out, stderr.String())
			}
		})
	}
}

// Kubernetes-style IRSA: a projected service account token in a file, AWS_ROLE_ARN and
// AWS_WEB_IDENTITY_TOKEN_FILE, and the unmodified default chain of the Go SDK, which calls
// AssumeRoleWithWebIdentity itself. The trust pins system:serviceaccount:prod:web; another
// service account's token, or another namespace's, gets nothing.
func TestRecipeKubernetesIRSA(t *testing.T) {
	ts := startServer(t, withTestIDP(true))
	role := federatedRole(t, ts, "k8s", "web", "system:serviceaccount:prod:web")
	for _, c := range []struct {
		name, ns, sa string
		wantErr      bool
	}{
		{"the trusted service account", "prod", "web", false},
		{"another service account", "prod", "batch", true},
		{"another namespace", "dev", "web", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tokenFile := writeToken(t, ts, testidp.MintInput{Issuer: "k8s", Profile: testidp.Kubernetes,
				Params: testidp.Params{Namespace: c.ns, ServiceAccount: c.sa}})
			cleanAWSEnv(t)
			// What the EKS pod identity webhook injects, plus the endpoint of Latchkey's STS.
			t.Setenv("AWS_ROLE_ARN", role)
			t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile)
			t.Setenv("AWS_ENDPOINT_URL_STS", ts.URL)
			arn, err := callerARN(ctx, t, ts)
			if c.wantErr {
				if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
					t.Fatalf("want AccessDenied, got %s, %v", arn, err)
				}
				return
			}
			if err != nil || !strings.HasPrefix(arn, "arn:aws:sts::"+accountID+":assumed-role/web/") {
				t.Fatalf("GetCallerIdentity = %s, %v", arn, err)
			}
		})
	}
}

// actionsIDToken is @actions/core getIDToken: GET ACTIONS_ID_TOKEN_REQUEST_URL with
// &audience=<encoded>, the request token as a bearer, JSON accepted; the JWT is body.value.
func actionsIDToken(t *testing.T, env testidp.ActionsEnv, audience string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.RequestURL+"&audience="+url.QueryEscape(audience), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+env.RequestToken)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Value string `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body.Value
}

// A GitHub Actions job as aws-actions/configure-aws-credentials runs it with role-to-assume and
// `permissions: id-token: write`: the runner's ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, getIDToken
// with audience sts.amazonaws.com, AssumeRoleWithWebIdentity (session name GitHubActions, one
// hour), the credentials exported to the environment for the next step, whose default chain
// calls GetCallerIdentity. A job on another branch of the same repository, a job of another
// repository, and a job presenting another job's request token for a different issuer get nothing.
func TestRecipeGitHubActionsConfigureAWSCredentials(t *testing.T) {
	ts := startServer(t, withTestIDP(true))
	role := federatedRole(t, ts, "gh", "deploy", "repo:acme/app:ref:refs/heads/main")
	job := func(t *testing.T, repo, ref string) (string, error) {
		env, err := ts.App.TestIDP.ActionsEnv(ctx, "gh", ghParams(repo, ref), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		status, jwt := actionsIDToken(t, env, "sts.amazonaws.com")
		if status != http.StatusOK || jwt == "" {
			t.Fatalf("getIDToken: %d", status)
		}
		out, err := ts.sts("", "").AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(role),
			RoleSessionName: aws.String("GitHubActions"), WebIdentityToken: aws.String(jwt), DurationSeconds: aws.Int32(3600)})
		if err != nil {
			return "", err
		}
		// The action exports the session; the next step's SDK finds it through its default chain.
		cleanAWSEnv(t)
		t.Setenv("AWS_ACCESS_KEY_ID", aws.ToString(out.Credentials.AccessKeyId))
		t.Setenv("AWS_SECRET_ACCESS_KEY", aws.ToString(out.Credentials.SecretAccessKey))
		t.Setenv("AWS_SESSION_TOKEN", aws.ToString(out.Credentials.SessionToken))
		return callerARN(ctx, t, ts)
	}
	t.Run("main of acme/app", func(t *testing.T) {
		arn, err := job(t, "acme/app", "refs/heads/main")
		if err != nil || arn != "arn:aws:sts::"+accountID+":assumed-role/deploy/GitHubActions" {
			t.Fatalf("GetCallerIdentity = %s, %v", arn, err)
		}
	})
	t.Run("another branch", func(t *testing.T) {
		_, err := job(t, "acme/app", "refs/heads/feature")
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	})
	t.Run("another repository", func(t *testing.T) {
		_, err := job(t, "evil/app", "refs/heads/main")
		wantAPIError(t, err, "AccessDenied", http.StatusForbidden)
	})
	t.Run("request token of another issuer", func(t *testing.T) {
		env, err := ts.App.TestIDP.ActionsEnv(ctx, "other", ghParams("acme/app", "refs/heads/main"), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		env.RequestURL = strings.Replace(env.RequestURL, "/test-idp/other/", "/test-idp/gh/", 1)
		if status, jwt := actionsIDToken(t, env, "sts.amazonaws.com"); status != http.StatusForbidden || jwt != "" {
			t.Fatalf("getIDToken with another issuer's request token: %d %q", status, jwt)
		}
	})
}

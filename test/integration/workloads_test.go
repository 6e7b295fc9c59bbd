package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/latchkey/latchkey/internal/workloads"
)

const ecsTasksTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`

// cleanAWSEnv leaves the SDK nothing to find but what the test sets.
func cleanAWSEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ENDPOINT_URL_STS"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_DEFAULT_REGION", "us-east-1")
}

func trustFor(principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"}]}`
}

func createRole(t *testing.T, ts *testServer, name, trust string) {
	t.Helper()
	if _, err := ts.rootIAM().CreateRole(t.Context(), &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
}

// callerARN is GetCallerIdentity through the unmodified default credential chain.
func callerARN(ctx context.Context, t *testing.T, ts *testServer) (string, error) {
	t.Helper()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return "", err
	}
	out, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(ts.URL) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}

func TestContainerCredentialsDefaultChain(t *testing.T) {
	ts := startServer(t)
	ctx := t.Context()
	createRole(t, ts, "web", ecsTasksTrust)
	createRole(t, ts, "noecs", trustFor(`{"AWS":"arn:aws:iam::123456789012:root"}`))
	svc := workloads.New(workloads.Deps{Store: ts.App.Store})
	web, err := svc.CreateContainer(ctx, workloads.CreateInput{Name: "web", RoleARN: "arn:aws:iam::123456789012:role/web", SessionName: "task1"})
	if err != nil {
		t.Fatal(err)
	}
	noecs, err := svc.CreateContainer(ctx, workloads.CreateInput{Name: "noecs", RoleARN: "arn:aws:iam::123456789012:role/noecs"})
	if err != nil {
		t.Fatal(err)
	}
	uri := ts.URL + workloads.PathPrefix
	cases := []struct {
		name, path, token string
		wantARN, wantErr  string
	}{
		{"granted", "web", web.Token, "arn:aws:sts::123456789012:assumed-role/web/task1", ""},
		{"wrong token", "web", noecs.Token, "", "AccessDenied"},
		{"trust without ecs-tasks", "noecs", noecs.Token, "", "Not authorized to perform sts:AssumeRole"},
		{"unknown binding", "gone", web.Token, "", "AccessDenied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cleanAWSEnv(t)
			t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri+c.path)
			t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", c.token)
			arn, err := callerARN(ctx, t, ts)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("want an error with %q, got %v (%s)", c.wantErr, err, arn)
				}
				return
			}
			if err != nil || arn != c.wantARN {
				t.Fatalf("GetCallerIdentity = %s, %v; want %s", arn, err, c.wantARN)
			}
			// The mint is an issuance of the role's account, made as ecs-tasks.amazonaws.com.
			got := waitIssuanceOf(t, ts, rootKeyID, rootSecret, "?principal=ecs-tasks.amazonaws.com", "sessionArn", arn)
			if got["roleArn"] != "arn:aws:iam::123456789012:role/web" || got["accountId"] != "123456789012" {
				t.Errorf("container issuance %v", got)
			}
		})
	}
	t.Run("deleted binding", func(t *testing.T) {
		tmp, err := svc.CreateContainer(ctx, workloads.CreateInput{Name: "tmp", RoleARN: "arn:aws:iam::123456789012:role/web"})
		if err != nil {
			t.Fatal(err)
		}
		get := func() int {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, uri+"tmp", nil)
			req.Header.Set("Authorization", tmp.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]string
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode == http.StatusOK && (body["RoleArn"] != "arn:aws:iam::123456789012:role/web" || body["Token"] == "" || body["Expiration"] == "") {
				t.Fatalf("body %v", body)
			}
			if resp.StatusCode != http.StatusOK && (body["code"] != "AccessDenied" || body["message"] == "") {
				t.Fatalf("refusal body %v", body)
			}
			return resp.StatusCode
		}
		if got := get(); got != http.StatusOK {
			t.Fatalf("before delete: %d", got)
		}
		if err := svc.Delete(ctx, "tmp"); err != nil {
			t.Fatal(err)
		}
		if got := get(); got != http.StatusForbidden {
			t.Fatalf("after delete: %d", got)
		}
	})
}

// containerBinding starts a server with the role web trusting ecs-tasks.amazonaws.com and binds a
// container endpoint name to it.
func containerBinding(t *testing.T, name string) (*testServer, workloads.Created) {
	t.Helper()
	ts := startServer(t)
	createRole(t, ts, "web", ecsTasksTrust)
	c, err := workloads.New(workloads.Deps{Store: ts.App.Store}).CreateContainer(t.Context(),
		workloads.CreateInput{Name: name, RoleARN: "arn:aws:iam::123456789012:role/web"})
	if err != nil {
		t.Fatal(err)
	}
	return ts, c
}

// boto3's own container provider (botocore's ContainerProvider) reads the same variables.
func TestContainerCredentialsBoto3(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	ts, web := containerBinding(t, "web")
	cleanAWSEnv(t)
	script := `import boto3,sys
print(boto3.client("sts", endpoint_url=sys.argv[1]).get_caller_identity()["Arn"])`
	cmd := exec.CommandContext(t.Context(), "python3", "-c", script, ts.URL)
	cmd.Env = append(os.Environ(), "AWS_CONTAINER_CREDENTIALS_FULL_URI="+ts.URL+workloads.PathPrefix+"web", "AWS_CONTAINER_AUTHORIZATION_TOKEN="+web.Token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "No module named 'boto3'") {
			t.Skip("boto3 not installed")
		}
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "arn:aws:sts::123456789012:assumed-role/web/web" {
		t.Fatalf("boto3 GetCallerIdentity = %q", got)
	}
}

// The AWS CLI reads the container credentials endpoint through botocore's own provider; a token
// of another binding gets it no credentials.
func TestContainerCredentialsAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	ts, web := containerBinding(t, "web")
	other, err := workloads.New(workloads.Deps{Store: ts.App.Store}).CreateContainer(t.Context(),
		workloads.CreateInput{Name: "other", RoleARN: "arn:aws:iam::123456789012:role/web"})
	if err != nil {
		t.Fatal(err)
	}
	cleanAWSEnv(t)
	run := func(token string) (string, error) {
		cmd := exec.CommandContext(t.Context(), "aws", "sts", "get-caller-identity", "--endpoint-url", ts.URL, "--query", "Arn", "--output", "text")
		cmd.Env = append(os.Environ(), "AWS_CONTAINER_CREDENTIALS_FULL_URI="+ts.URL+workloads.PathPrefix+"web", "AWS_CONTAINER_AUTHORIZATION_TOKEN="+token)
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := run(web.Token); err != nil || out != "arn:aws:sts::123456789012:assumed-role/web/web" {
		t.Fatalf("aws sts get-caller-identity = %q, %v", out, err)
	}
	if out, err := run(other.Token); err == nil {
		t.Fatalf("another binding's token got credentials: %q", out)
	}
}

// credential_process: the SDK runs the built binary, which assumes the role with the base
// profile's credentials (an IAM user allowed *:*) through AWS_ENDPOINT_URL. A role whose trust
// does not name the user's account refuses it: the binary exits non-zero with STS's error.
func TestCredentialProcess(t *testing.T) {
	bin := latchkeyBinary(t)
	ts := startServer(t)
	ctx := t.Context()
	admin := ts.rootIAM()
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("all"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	createRole(t, ts, "app", trustFor(`{"AWS":"arn:aws:iam::123456789012:root"}`))
	createRole(t, ts, "closed", trustFor(`{"AWS":"arn:aws:iam::210987654321:root"}`))
	profile := func(role string) string {
		return "[profile base]\naws_access_key_id = " + aws.ToString(key.AccessKey.AccessKeyId) + "\naws_secret_access_key = " +
			aws.ToString(key.AccessKey.SecretAccessKey) + "\n\n[default]\ncredential_process = " + bin +
			" credentials --role-arn arn:aws:iam::123456789012:role/" + role + " --role-session-name proc --profile base --duration 900\n"
	}
	t.Run("granted", func(t *testing.T) {
		cleanAWSEnv(t)
		t.Setenv("AWS_ENDPOINT_URL", ts.URL)
		if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(profile("app")), 0o600); err != nil {
			t.Fatal(err)
		}
		arn, err := callerARN(ctx, t, ts)
		if err != nil || arn != "arn:aws:sts::123456789012:assumed-role/app/proc" {
			t.Fatalf("GetCallerIdentity = %s, %v", arn, err)
		}
		out, err := exec.CommandContext(ctx, bin, "credentials", "--role-arn", "arn:aws:iam::123456789012:role/app", "--profile", "base").Output()
		if err != nil {
			t.Fatal(err)
		}
		var pc map[string]any
		if err := json.Unmarshal(out, &pc); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		exp, err := time.Parse(time.RFC3339, fmt.Sprint(pc["Expiration"]))
		if pc["Version"] != 1.0 || !strings.HasPrefix(fmt.Sprint(pc["AccessKeyId"]), "ASIA") || pc["SecretAccessKey"] == "" || pc["SessionToken"] == "" ||
			err != nil || time.Until(exp) < 50*time.Minute {
			t.Fatalf("credential_process output %s", out)
		}
	})
	t.Run("trust does not name the caller", func(t *testing.T) {
		cleanAWSEnv(t)
		t.Setenv("AWS_ENDPOINT_URL", ts.URL)
		if err := os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte(profile("closed")), 0o600); err != nil {
			t.Fatal(err)
		}
		if arn, err := callerARN(ctx, t, ts); err == nil || !strings.Contains(err.Error(), "credential_process") {
			t.Fatalf("want the process provider's failure, got %s, %v", arn, err)
		}
		cmd := exec.CommandContext(ctx, bin, "credentials", "--role-arn", "arn:aws:iam::123456789012:role/closed", "--profile", "base")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err == nil || len(out) != 0 || !strings.Contains(stderr.String(), "AccessDenied: User: arn:aws:iam::123456789012:user/dev is not authorized to perform: sts:AssumeRole") {
			t.Fatalf("exit %v, stdout %q, stderr %q", err, out, stderr.String())
		}
	})
}

// A container endpoint refusal is explained like any other: the role's account sees it through
// the admin API by the request id the container got, naming the trust policy that refused.
func TestContainerRefusalIsExplained(t *testing.T) {
	ts := startServer(t)
	ctx := t.Context()
	createRole(t, ts, "noecs", trustFor(`{"AWS":"arn:aws:iam::123456789012:root"}`))
	svc := workloads.New(workloads.Deps{Store: ts.App.Store})
	b, err := svc.CreateContainer(ctx, workloads.CreateInput{Name: "noecs", RoleARN: "arn:aws:iam::123456789012:role/noecs"})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/container-credentials/noecs", nil)
	req.Header.Set("Authorization", b.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("x-amzn-RequestId")
	if resp.StatusCode != http.StatusForbidden || id == "" {
		t.Fatalf("status %d, request id %q", resp.StatusCode, id)
	}
	status, d := adminGet(t, ts, rootKeyID, rootSecret, "/latchkey/v1/decisions/"+id)
	if status != http.StatusOK {
		t.Fatalf("decision of the refusal: %d %v", status, d)
	}
	x, _ := d["explanation"].(map[string]any)
	if s, _ := x["summary"].(string); !strings.Contains(s, "trust policy") || d["principal"] != "ecs-tasks.amazonaws.com" {
		t.Fatalf("decision %v", d)
	}
}

package integration

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

const ec2TrustSourceAccount = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`

// withIMDS turns the metadata listener on for the instance profile.
func withIMDS(profile string, allowV1 bool) serverOption {
	return func(c *config.Config, _ *app.Options) {
		c.IMDSAddr, c.IMDSInstanceProfile, c.IMDSAllowV1 = "127.0.0.1:0", profile, allowV1
	}
}

// serveIMDS serves the node's metadata handler on a loopback port and returns its URL.
func serveIMDS(t *testing.T, ts *testServer) string {
	t.Helper()
	if ts.App.IMDS == nil {
		t.Fatal("LATCHKEY_IMDS_ADDR set but no metadata handler")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: ts.App.IMDS, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// instanceProfile creates a role with trust and an instance profile holding it.
func instanceProfile(t *testing.T, ts *testServer, profile, role, trust string) {
	t.Helper()
	ctx := t.Context()
	createRole(t, ts, role, trust)
	c := ts.rootIAM()
	if _, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(profile)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(profile), RoleName: aws.String(role)}); err != nil {
		t.Fatal(err)
	}
}

// imdsEnv leaves the SDK only the metadata service to find credentials with.
func imdsEnv(t *testing.T, endpoint string) {
	t.Helper()
	cleanAWSEnv(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	os.Unsetenv("AWS_EC2_METADATA_DISABLED")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint)
}

// TestIMDSDefaultChain: the Go SDK v2's unmodified default credential chain, pointed at the
// listener by AWS_EC2_METADATA_SERVICE_ENDPOINT with nothing else in its environment, obtains
// the instance profile role's credentials over IMDSv2 and calls GetCallerIdentity as a session
// of that role named after the instance.
func TestIMDSDefaultChain(t *testing.T) {
	ts := startServer(t, withIMDS("web-profile", false))
	instanceProfile(t, ts, "web-profile", "web", ec2TrustSourceAccount)
	endpoint := serveIMDS(t, ts)
	imdsEnv(t, endpoint)
	arn, err := callerARN(t.Context(), t, ts)
	if err != nil {
		t.Fatal(err)
	}
	instanceID := imdsGet(t, endpoint, "/latest/meta-data/instance-id", imdsToken(t, endpoint, "60"), http.StatusOK)
	if want := "arn:aws:sts::123456789012:assumed-role/web/" + instanceID; arn != want {
		t.Fatalf("GetCallerIdentity = %s, want %s", arn, want)
	}
	// The mint is an issuance of the role's account, made as ec2.amazonaws.com.
	got := waitIssuanceOf(t, ts, rootKeyID, rootSecret, "?principal=ec2.amazonaws.com", "sessionArn", arn)
	if got["roleArn"] != "arn:aws:iam::123456789012:role/web" || got["accountId"] != "123456789012" || !strings.HasPrefix(got["accessKeyId"].(string), "ASIA") {
		t.Errorf("IMDS issuance %v", got)
	}
}

// TestIMDSBoto3: botocore's InstanceMetadataProvider reads the same endpoint variable.
func TestIMDSBoto3(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	ts := startServer(t, withIMDS("web-profile", false))
	instanceProfile(t, ts, "web-profile", "web", ec2TrustSourceAccount)
	endpoint := serveIMDS(t, ts)
	imdsEnv(t, endpoint)
	script := `import boto3,sys
print(boto3.client("sts", endpoint_url=sys.argv[1]).get_caller_identity()["Arn"])`
	out, err := exec.CommandContext(t.Context(), "python3", "-c", script, ts.URL).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "No module named 'boto3'") {
			t.Skip("boto3 not installed")
		}
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); !strings.HasPrefix(got, "arn:aws:sts::123456789012:assumed-role/web/i-") {
		t.Fatalf("boto3 GetCallerIdentity = %q", got)
	}
}

// TestIMDSTrustMustAllowEC2: a role whose trust names another principal (the account itself,
// which any of its admins could use) or ec2.amazonaws.com for another source account gives the
// instance no credentials: EC2's AssumeRoleUnauthorizedAccess, and the SDK's chain fails.
func TestIMDSTrustMustAllowEC2(t *testing.T) {
	for name, trust := range map[string]string{
		"account root":          trustFor(`{"AWS":"arn:aws:iam::123456789012:root"}`),
		"ecs-tasks":             trustFor(`{"Service":"ecs-tasks.amazonaws.com"}`),
		"other source account":  strings.ReplaceAll(ec2TrustSourceAccount, `"aws:SourceAccount":"123456789012"`, `"aws:SourceAccount":"210987654321"`),
		"ec2 explicitly denied": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			ts := startServer(t, withIMDS("p", false))
			instanceProfile(t, ts, "p", "r", trust)
			endpoint := serveIMDS(t, ts)
			body := imdsGet(t, endpoint, "/latest/meta-data/iam/security-credentials/r", imdsToken(t, endpoint, "60"), http.StatusOK)
			var doc map[string]string
			if err := json.Unmarshal([]byte(body), &doc); err != nil {
				t.Fatal(err)
			}
			if doc["Code"] != "AssumeRoleUnauthorizedAccess" || doc["AccessKeyId"] != "" || doc["Token"] != "" {
				t.Fatalf("refused role answered %s", body)
			}
			// The refusal is explained to the role's account, as ec2.amazonaws.com's.
			status, list := adminGet(t, ts, rootKeyID, rootSecret, "/latchkey/v1/decisions?principal=ec2.amazonaws.com")
			if ds, _ := list["decisions"].([]any); status != http.StatusOK || len(ds) != 1 {
				t.Fatalf("decisions of ec2.amazonaws.com: %d %v", status, list)
			}
			imdsEnv(t, endpoint)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if arn, err := callerARN(ctx, t, ts); err == nil {
				t.Fatalf("default chain got credentials: %s", arn)
			}
		})
	}
}

// TestIMDSProtocol: IMDSv2's rules — the TTL header is required and bounded, every GET needs a
// valid unexpired token (IMDSv1 refused unless allowed), a proxied token request is refused —
// and the documents the SDKs and instances read.
func TestIMDSProtocol(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	ts := startServer(t, withIMDS("web-profile", false), withClock(func() time.Time { return clock() }))
	instanceProfile(t, ts, "web-profile", "web", ec2TrustSourceAccount)
	endpoint := serveIMDS(t, ts)
	for _, ttl := range []string{"", "0", "21601", "-1", "abc", "1.5"} {
		req, _ := http.NewRequest(http.MethodPut, endpoint+"/latest/api/token", nil)
		if ttl != "" {
			req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", ttl)
		}
		if got := do(t, req).StatusCode; got != http.StatusBadRequest {
			t.Errorf("TTL %q: status %d, want 400", ttl, got)
		}
	}
	req, _ := http.NewRequest(http.MethodPut, endpoint+"/latest/api/token", nil)
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "60")
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	if got := do(t, req).StatusCode; got != http.StatusForbidden {
		t.Errorf("proxied token request: status %d, want 403", got)
	}
	imdsGet(t, endpoint, "/latest/meta-data/instance-id", "", http.StatusUnauthorized)
	imdsGet(t, endpoint, "/latest/meta-data/iam/security-credentials/web", "", http.StatusUnauthorized)
	tok := imdsToken(t, endpoint, "21600")
	// A token whose MAC was changed in one character (not the last, whose low bits are padding).
	i := len(tok) - 10
	forged := tok[:i] + map[bool]string{true: "B", false: "A"}[tok[i] == 'A'] + tok[i+1:]
	imdsGet(t, endpoint, "/latest/meta-data/iam/security-credentials/web", forged, http.StatusUnauthorized)

	if got := imdsGet(t, endpoint, "/latest/meta-data/iam/security-credentials/", tok, http.StatusOK); got != "web" {
		t.Errorf("security-credentials/ = %q, want web", got)
	}
	imdsGet(t, endpoint, "/latest/meta-data/iam/security-credentials/other", tok, http.StatusNotFound)
	var creds map[string]string
	_ = json.Unmarshal([]byte(imdsGet(t, endpoint, "/latest/meta-data/iam/security-credentials/web", tok, http.StatusOK)), &creds)
	if creds["Code"] != "Success" || creds["Type"] != "AWS-HMAC" || !strings.HasPrefix(creds["AccessKeyId"], "ASIA") ||
		creds["SecretAccessKey"] == "" || creds["Token"] == "" || creds["Expiration"] == "" || creds["LastUpdated"] == "" {
		t.Fatalf("credentials document = %v", creds)
	}
	var again map[string]string
	_ = json.Unmarshal([]byte(imdsGet(t, endpoint, "/latest/meta-data/iam/security-credentials/web", tok, http.StatusOK)), &again)
	if again["AccessKeyId"] != creds["AccessKeyId"] {
		t.Errorf("credentials re-minted within their lifetime")
	}
	var info map[string]string
	_ = json.Unmarshal([]byte(imdsGet(t, endpoint, "/latest/meta-data/iam/info", tok, http.StatusOK)), &info)
	if info["Code"] != "Success" || info["InstanceProfileArn"] != "arn:aws:iam::123456789012:instance-profile/web-profile" || !strings.HasPrefix(info["InstanceProfileId"], "AIPA") {
		t.Fatalf("iam/info = %v", info)
	}
	if got := imdsGet(t, endpoint, "/latest/meta-data/placement/region", tok, http.StatusOK); got != "us-east-1" {
		t.Errorf("region = %q", got)
	}
	var doc map[string]string
	_ = json.Unmarshal([]byte(imdsGet(t, endpoint, "/latest/dynamic/instance-identity/document", tok, http.StatusOK)), &doc)
	if doc["accountId"] != "123456789012" || doc["region"] != "us-east-1" || !strings.HasPrefix(doc["instanceId"], "i-") {
		t.Fatalf("identity document = %v", doc)
	}
	imdsGet(t, endpoint, "/latest/meta-data/nope", tok, http.StatusNotFound)

	// Within five minutes of expiry the credentials are new, as on EC2; a token past its TTL
	// is refused.
	exp, _ := time.Parse(time.RFC3339, creds["Expiration"])
	clock = func() time.Time { return exp.Add(-4 * time.Minute) }
	tok = imdsToken(t, endpoint, "60")
	var fresh map[string]string
	_ = json.Unmarshal([]byte(imdsGet(t, endpoint, "/latest/meta-data/iam/security-credentials/web", tok, http.StatusOK)), &fresh)
	if fresh["AccessKeyId"] == creds["AccessKeyId"] || fresh["Code"] != "Success" {
		t.Errorf("credentials not refreshed five minutes before expiry: %v", fresh)
	}
	later := exp.Add(-4 * time.Minute).Add(61 * time.Second)
	clock = func() time.Time { return later }
	imdsGet(t, endpoint, "/latest/meta-data/instance-id", tok, http.StatusUnauthorized)

	// Taking the role out of the profile takes the credentials away at once.
	clock = time.Now
	if _, err := ts.rootIAM().RemoveRoleFromInstanceProfile(t.Context(), &iam.RemoveRoleFromInstanceProfileInput{
		InstanceProfileName: aws.String("web-profile"), RoleName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	tok = imdsToken(t, endpoint, "60")
	imdsGet(t, endpoint, "/latest/meta-data/iam/security-credentials/", tok, http.StatusNotFound)
	imdsGet(t, endpoint, "/latest/meta-data/iam/security-credentials/web", tok, http.StatusNotFound)
}

// TestIMDSv1WhenAllowed: LATCHKEY_IMDS_ALLOW_V1 answers GETs without a token; a bad token is
// still refused.
func TestIMDSv1WhenAllowed(t *testing.T) {
	ts := startServer(t, withIMDS("web-profile", true))
	instanceProfile(t, ts, "web-profile", "web", ec2TrustSourceAccount)
	endpoint := serveIMDS(t, ts)
	if got := imdsGet(t, endpoint, "/latest/meta-data/iam/security-credentials/", "", http.StatusOK); got != "web" {
		t.Fatalf("IMDSv1 security-credentials/ = %q", got)
	}
	imdsGet(t, endpoint, "/latest/meta-data/instance-id", "not-a-token", http.StatusUnauthorized)
}

func do(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func imdsToken(t *testing.T, endpoint, ttl string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, endpoint+"/latest/api/token", nil)
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", ttl)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") != ttl {
		t.Fatalf("PUT token: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

func imdsGet(t *testing.T, endpoint, path, token string, want int) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, endpoint+path, nil)
	if token != "" {
		req.Header.Set("X-aws-ec2-metadata-token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: status %d, want %d: %s", path, resp.StatusCode, want, b)
	}
	return string(b)
}

// TestIMDSAWSCLI: the AWS CLI's default chain (botocore's) through the metadata listener, as the
// docs/workloads.md recipe runs it.
func TestIMDSAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	ts := startServer(t, withIMDS("web-profile", false))
	instanceProfile(t, ts, "web-profile", "web", ec2TrustSourceAccount)
	endpoint := serveIMDS(t, ts)
	imdsEnv(t, endpoint)
	out, err := exec.CommandContext(t.Context(), "aws", "sts", "get-caller-identity", "--endpoint-url", ts.URL, "--query", "Arn", "--output", "text").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); !strings.HasPrefix(got, "arn:aws:sts::123456789012:assumed-role/web/i-") {
		t.Fatalf("aws sts get-caller-identity = %q", got)
	}
}

// TestIMDSServeListener: `latchkey serve` opens the metadata listener on LATCHKEY_IMDS_ADDR, the
// default chain gets the instance profile's credentials through it, and SIGTERM shuts both
// listeners down cleanly.
func TestIMDSServeListener(t *testing.T) {
	addr, imdsAddr := freeAddr(t), freeAddr(t)
	env := []string{"LATCHKEY_DATA_DIR=" + t.TempDir(), "LATCHKEY_ROOT_ACCESS_KEY_ID=" + rootKeyID, "LATCHKEY_ROOT_SECRET_ACCESS_KEY=" + rootSecret,
		"LATCHKEY_ACCOUNT_ID=" + accountID, "LATCHKEY_IMDS_ADDR=" + imdsAddr, "LATCHKEY_IMDS_INSTANCE_PROFILE=web-profile"}
	p := startProcess(t, env, addr)
	ts := &testServer{URL: "http://" + addr}
	instanceProfile(t, ts, "web-profile", "web", ec2TrustSourceAccount)
	imdsEnv(t, "http://"+imdsAddr)
	arn, err := callerARN(t.Context(), t, ts)
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, p.stderr.String())
	}
	if !strings.HasPrefix(arn, "arn:aws:sts::123456789012:assumed-role/web/i-") {
		t.Fatalf("GetCallerIdentity = %s", arn)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v; log:\n%s", err, p.stderr.String())
	}
	if _, err := net.DialTimeout("tcp", imdsAddr, time.Second); err == nil {
		t.Fatal("metadata listener still open after shutdown")
	}
}

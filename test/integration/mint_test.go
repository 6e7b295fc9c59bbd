package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// adminRequest sends a request to the admin API with a JSON body, signed with SigV4 (signing
// name latchkey) by keyID, or unsigned when keyID is "".
func adminRequest(t *testing.T, ts *testServer, method, keyID, secret, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if keyID != "" {
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "latchkey", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return doJSON(t, req)
}

// doJSON sends req and decodes its JSON object answer.
func doJSON(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %q", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

func adminPost(t *testing.T, ts *testServer, keyID, secret, path, body string) (int, map[string]any) {
	t.Helper()
	return adminRequest(t, ts, http.MethodPost, keyID, secret, path, body)
}

// federatedRole registers the test issuer NAME as an IAM OIDC provider (the usual call) and
// creates a role that trusts it for sts.amazonaws.com and exactly sub; it returns the role ARN.
func federatedRole(t *testing.T, ts *testServer, issuerName, roleName, sub string) string {
	t.Helper()
	issuer := ts.URL + "/test-idp/" + issuerName
	p, err := ts.rootIAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(issuer), ClientIDList: []string{"sts.amazonaws.com"}})
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(issuer, "http://")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + aws.ToString(p.OpenIDConnectProviderArn) +
		`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + host + `:aud":"sts.amazonaws.com","` + host +
		`:sub":"` + sub + `"}}}]}`
	role, err := ts.rootIAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(roleName), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(role.Role.Arn)
}

const mintGH = `{"profile":"github-actions","repository":"acme/app","ref":"refs/heads/main"}`

// TestMintTestTokenAdminAPI: POST /latchkey/v1/test-idp/{name}/tokens. The account root mints a
// token that assumes a role trusting that repository; a user with broad sts/iam permissions but
// not latchkey:MintTestToken is refused; a user allowed it on one issuer mints there and nowhere
// else, not even by naming the other issuer in claims.iss; bad input is a 400.
func TestMintTestTokenAdminAPI(t *testing.T) {
	ts := startServer(t, withTestIDP(true))
	roleARN := federatedRole(t, ts, "gh", "deploy", "repo:acme/app:ref:refs/heads/main")
	path := "/latchkey/v1/test-idp/gh/tokens"

	status, body := adminPost(t, ts, rootKeyID, rootSecret, path, mintGH)
	tok, _ := body["token"].(string)
	if status != http.StatusOK || strings.Count(tok, ".") != 2 {
		t.Fatalf("root mint: %d %v", status, body)
	}
	out, err := ts.sts("", "").AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("minted"), WebIdentityToken: aws.String(tok)})
	if err != nil || aws.ToString(out.SubjectFromWebIdentityToken) != "repo:acme/app:ref:refs/heads/main" {
		t.Fatalf("assume with the minted token: %v %v", out, err)
	}
	// A token minted for another repository is refused by the same trust policy.
	_, body = adminPost(t, ts, rootKeyID, rootSecret, path, `{"profile":"github-actions","repository":"evil/app","ref":"refs/heads/main"}`)
	_, err = ts.sts("", "").AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("minted"), WebIdentityToken: aws.String(body["token"].(string))})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden)

	carolID, carolSecret := createUserWithKey(t, ts, "carol")
	if status, body := adminPost(t, ts, carolID, carolSecret, path, mintGH); status != http.StatusForbidden || body["code"] != "AccessDenied" || body["token"] != nil {
		t.Fatalf("user without any policy: %d %v", status, body)
	}
	putUserPolicy(t, ts, "carol", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:*","iam:*","latchkey:GetDecision"],"Resource":"*"}]}`)
	if status, body := adminPost(t, ts, carolID, carolSecret, path, mintGH); status != http.StatusForbidden || body["code"] != "AccessDenied" || body["token"] != nil {
		t.Fatalf("user with sts:* and iam:* but not latchkey:MintTestToken: %d %v", status, body)
	}
	putUserPolicy(t, ts, "carol", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"latchkey:MintTestToken","Resource":"arn:aws:latchkey::`+accountID+`:test-idp/gh"}]}`)
	if status, body := adminPost(t, ts, carolID, carolSecret, path, mintGH); status != http.StatusOK || body["token"] == nil {
		t.Fatalf("user allowed latchkey:MintTestToken on gh: %d %v", status, body)
	}
	if status, body := adminPost(t, ts, carolID, carolSecret, "/latchkey/v1/test-idp/prod/tokens", mintGH); status != http.StatusForbidden || body["code"] != "AccessDenied" {
		t.Fatalf("same user on another issuer: %d %v", status, body)
	}
	otherIss := `{"profile":"github-actions","repository":"acme/app","ref":"refs/heads/main","claims":{"iss":"` + ts.URL + `/test-idp/prod"}}`
	if status, body := adminPost(t, ts, carolID, carolSecret, path, otherIss); status != http.StatusBadRequest || body["code"] != "InvalidParameterValue" || body["token"] != nil {
		t.Fatalf("another issuer's iss through gh: %d %v", status, body)
	}

	for name, c := range map[string]struct {
		path, body, code string
		status           int
	}{
		"unknown profile":     {path, `{"profile":"circleci"}`, "InvalidParameterValue", 400},
		"no profile":          {path, `{"repository":"acme/app"}`, "InvalidParameterValue", 400},
		"github without ref":  {path, `{"profile":"github-actions","repository":"acme/app"}`, "InvalidParameterValue", 400},
		"ttl too long":        {path, `{"profile":"generic","audience":"a","ttl":"25h"}`, "InvalidParameterValue", 400},
		"ttl not a duration":  {path, `{"profile":"generic","audience":"a","ttl":"soon"}`, "InvalidParameterValue", 400},
		"audience a number":   {path, `{"profile":"generic","audience":3}`, "InvalidParameterValue", 400},
		"unknown field":       {path, `{"profile":"generic","audience":"a","subject":"x"}`, "InvalidRequest", 400},
		"not JSON":            {path, `profile=generic`, "InvalidRequest", 400},
		"empty body":          {path, ``, "InvalidRequest", 400},
		"malformed name":      {"/latchkey/v1/test-idp/-x/tokens", mintGH, "NoSuchIssuer", 404},
		"GET is not minting":  {path, "", "NotFound", 404},
		"generic with claims": {path, `{"profile":"generic","audience":["a","b"],"ttl":60,"claims":{"sub":"s","n":1}}`, "", 200},
	} {
		t.Run(name, func(t *testing.T) {
			var status int
			var body map[string]any
			if name == "GET is not minting" {
				status, body = adminGet(t, ts, rootKeyID, rootSecret, c.path)
			} else {
				status, body = adminPost(t, ts, rootKeyID, rootSecret, c.path, c.body)
			}
			if status != c.status || (c.code != "" && (body["code"] != c.code || body["message"] == "")) {
				t.Fatalf("%d %v; want %d %s", status, body, c.status, c.code)
			}
		})
	}
}

// With the test IdP off the route does not exist, even for the account root.
func TestMintTestTokenOffIsNotFound(t *testing.T) {
	ts := startServer(t, withTestIDP(false))
	status, body := adminPost(t, ts, rootKeyID, rootSecret, "/latchkey/v1/test-idp/gh/tokens", mintGH)
	if status != http.StatusNotFound || body["code"] != "NotFound" || body["token"] != nil {
		t.Fatalf("test IdP off: %d %v", status, body)
	}
}

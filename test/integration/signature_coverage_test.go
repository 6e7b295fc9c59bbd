package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/quicksight"
	qstypes "github.com/aws/aws-sdk-go-v2/service/quicksight/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// What a signature covers: the body, every x-amz-* header, and the query string with the one
// meaning the codecs give it. Each attacker here holds the account root's signature (the broadest
// caller there is) over one request and tries to make it mean another.

const unsignedPayload = "UNSIGNED-PAYLOAD"

var rootCreds = aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// rawResult is an answer read without an SDK: the error code from whichever envelope the protocol
// uses (x-amzn-ErrorType for the JSON protocols, the XML ErrorResponse for awsQuery).
type rawResult struct {
	status int
	code   string
	body   []byte
}

func sendRaw(t *testing.T, req *http.Request) rawResult {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	code, _, _ := strings.Cut(resp.Header.Get("x-amzn-ErrorType"), ":")
	if code == "" && resp.StatusCode >= 300 {
		var xe xmlError
		_ = xml.Unmarshal(body, &xe)
		code = xe.Code
	}
	return rawResult{status: resp.StatusCode, code: code, body: body}
}

// signedAsRoot builds a request and signs it with the SDK's signer as the account root over
// payloadHash; headers set before signing are signed. The body is sent as given.
func signedAsRoot(t *testing.T, method, rawURL, body, service, payloadHash string, headers map[string]string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if err := v4.NewSigner().SignHTTP(ctx, rootCreds, req, payloadHash, service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// withBody swaps the body of an already signed request, keeping its length so that a signed
// Content-Length does not give the replay away.
func withBody(t *testing.T, req *http.Request, body string) *http.Request {
	t.Helper()
	if int64(len(body)) != req.ContentLength {
		t.Fatalf("replay body has %d bytes, the signed one %d", len(body), req.ContentLength)
	}
	req.Body = io.NopCloser(strings.NewReader(body))
	req.GetBody = nil
	return req
}

// The replayed STS body: GetSessionToken, padded with an unread parameter to the signed length.
const (
	gciForm = "Action=GetCallerIdentity&Version=2011-06-15"
	gstForm = "Action=GetSessionToken&Version=2011-06-15&x"
)

func TestSignatureCoversBodySTS(t *testing.T) {
	ts := startServer(t)
	formHeaders := map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}

	// The legitimate path: the body hash is signed.
	res := sendRaw(t, signedAsRoot(t, "POST", ts.URL+"/", gciForm, "sts", sha256Hex(gciForm), formHeaders))
	if res.status != 200 || !bytes.Contains(res.body, []byte("<Arn>arn:aws:iam::"+accountID+":root</Arn>")) {
		t.Fatalf("signed GetCallerIdentity: %d %s", res.status, res.body)
	}
	// A declared X-Amz-Content-Sha256 that is the body's hash is fine too.
	h := map[string]string{"Content-Type": formHeaders["Content-Type"], "X-Amz-Content-Sha256": sha256Hex(gciForm)}
	if res := sendRaw(t, signedAsRoot(t, "POST", ts.URL+"/", gciForm, "sts", sha256Hex(gciForm), h)); res.status != 200 {
		t.Fatalf("declared body hash: %d %s", res.status, res.body)
	}

	attacks := []struct {
		name        string
		signHash    string
		declared    string // X-Amz-Content-Sha256, signed
		replay      string // body sent instead of gciForm; "" to send gciForm itself
		wantMessage string
	}{
		{"UNSIGNED-PAYLOAD GetCallerIdentity", unsignedPayload, unsignedPayload, "", "UNSIGNED-PAYLOAD is not accepted"},
		{"UNSIGNED-PAYLOAD GetCallerIdentity replayed as GetSessionToken", unsignedPayload, unsignedPayload, gstForm, "UNSIGNED-PAYLOAD is not accepted"},
		{"declared hash of GetCallerIdentity sent with GetSessionToken", sha256Hex(gciForm), sha256Hex(gciForm), gstForm, "x-amz-content-sha256"},
		{"body hash signed, body swapped", sha256Hex(gciForm), "", gstForm, "signature we calculated does not match"},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": formHeaders["Content-Type"]}
			if a.declared != "" {
				h["X-Amz-Content-Sha256"] = a.declared
			}
			req := signedAsRoot(t, "POST", ts.URL+"/", gciForm, "sts", a.signHash, h)
			if a.replay != "" {
				req = withBody(t, req, a.replay)
			}
			res := sendRaw(t, req)
			if res.status != 403 || res.code != "SignatureDoesNotMatch" || !bytes.Contains(res.body, []byte(a.wantMessage)) {
				t.Fatalf("got %d %s %s", res.status, res.code, res.body)
			}
			if bytes.Contains(res.body, []byte("SecretAccessKey")) || bytes.Contains(res.body, []byte("SessionToken")) {
				t.Fatalf("credentials handed out: %s", res.body)
			}
		})
	}

	// An SDK client told to sign UNSIGNED-PAYLOAD is refused in its own protocol's words.
	unsigned := sts.NewFromConfig(ts.awsConfig(rootKeyID, rootSecret, ""), func(o *sts.Options) {
		o.BaseEndpoint = aws.String(ts.URL)
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware, v4.AddContentSHA256HeaderMiddleware)
	})
	_, err := unsigned.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", 403)
}

func TestSignatureCoversBodyCognito(t *testing.T) {
	ts := startServer(t)
	c := ts.cognito(rootKeyID, rootSecret)
	pool, err := c.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("coverage"), AllowUnauthenticatedIdentities: true})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.IdentityPoolId)
	jsonHeaders := func(target string) map[string]string {
		h := map[string]string{"Content-Type": "application/x-amz-json-1.1"}
		if target != "" {
			h["X-Amz-Target"] = "AWSCognitoIdentityService." + target
		}
		return h
	}
	describe := `{"IdentityPoolId":"` + poolID + `"}`

	// The legitimate path, signed as the SDKs sign it: body hash and X-Amz-Target.
	res := sendRaw(t, signedAsRoot(t, "POST", ts.URL+"/", describe, "cognito-identity", sha256Hex(describe), jsonHeaders("DescribeIdentityPool")))
	if res.status != 200 || !bytes.Contains(res.body, []byte(poolID)) {
		t.Fatalf("signed DescribeIdentityPool: %d %s", res.status, res.body)
	}

	// UNSIGNED-PAYLOAD, with its own body and replayed with another of the same length.
	list10, list60 := `{"MaxResults":10}`, `{"MaxResults":60}`
	for _, body := range []string{list10, list60} {
		h := jsonHeaders("ListIdentityPools")
		h["X-Amz-Content-Sha256"] = unsignedPayload
		req := withBody(t, signedAsRoot(t, "POST", ts.URL+"/", list10, "cognito-identity", unsignedPayload, h), body)
		res := sendRaw(t, req)
		if res.status != 400 || res.code != "InvalidSignatureException" || !bytes.Contains(res.body, []byte("UNSIGNED-PAYLOAD")) {
			t.Fatalf("UNSIGNED-PAYLOAD ListIdentityPools with %s: %d %s %s", body, res.status, res.code, res.body)
		}
	}

	// The operation is part of the request: a DescribeIdentityPool signed without X-Amz-Target
	// must not be sent on as DeleteIdentityPool.
	req := signedAsRoot(t, "POST", ts.URL+"/", describe, "cognito-identity", sha256Hex(describe), jsonHeaders(""))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.DeleteIdentityPool")
	res = sendRaw(t, req)
	if res.status != 400 || res.code != "InvalidSignatureException" || !bytes.Contains(res.body, []byte("x-amz-target")) {
		t.Fatalf("unsigned X-Amz-Target: %d %s %s", res.status, res.code, res.body)
	}
	if _, err := c.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(poolID)}); err != nil {
		t.Fatalf("the pool is gone: %v", err)
	}

	unsigned := cognitoidentity.NewFromConfig(ts.awsConfig(rootKeyID, rootSecret, ""), func(o *cognitoidentity.Options) {
		o.BaseEndpoint = aws.String(ts.URL)
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware, v4.AddContentSHA256HeaderMiddleware)
	})
	_, err = unsigned.DeleteIdentityPool(ctx, &cognitoidentity.DeleteIdentityPoolInput{IdentityPoolId: aws.String(poolID)})
	wantAPIError(t, err, "InvalidSignatureException", 400)
}

func TestSignatureCoversBodyQuickSight(t *testing.T) {
	ts := startServer(t)
	q := ts.quicksight(rootKeyID, rootSecret)
	usersURL := ts.URL + "/accounts/" + accountID + "/namespaces/default/users"
	bob := `{"IdentityType":"QUICKSIGHT","UserName":"bob","Email":"bob@example.com","UserRole":"READER"}`
	eve := `{"IdentityType":"QUICKSIGHT","UserName":"eve","Email":"eve@example.com","UserRole":"AUTHOR"}`
	jsonHeaders := func() map[string]string { return map[string]string{"Content-Type": "application/json"} }

	for _, body := range []string{bob, eve} {
		h := jsonHeaders()
		h["X-Amz-Content-Sha256"] = unsignedPayload
		req := withBody(t, signedAsRoot(t, "POST", usersURL, bob, "quicksight", unsignedPayload, h), body)
		res := sendRaw(t, req)
		if res.status != 403 || res.code != "InvalidSignatureException" || !bytes.Contains(res.body, []byte("UNSIGNED-PAYLOAD")) {
			t.Fatalf("UNSIGNED-PAYLOAD RegisterUser: %d %s %s", res.status, res.code, res.body)
		}
	}
	// The body hash signed, the body swapped.
	res := sendRaw(t, withBody(t, signedAsRoot(t, "POST", usersURL, bob, "quicksight", sha256Hex(bob), jsonHeaders()), eve))
	if res.status != 403 || res.code != "InvalidSignatureException" {
		t.Fatalf("swapped RegisterUser body: %d %s %s", res.status, res.code, res.body)
	}
	for _, name := range []string{"bob", "eve"} {
		_, err := q.DescribeUser(ctx, &quicksight.DescribeUserInput{AwsAccountId: aws.String(accountID), Namespace: aws.String("default"), UserName: aws.String(name)})
		wantAPIError(t, err, "ResourceNotFoundException", 404)
	}

	// The legitimate path registers bob.
	res = sendRaw(t, signedAsRoot(t, "POST", usersURL, bob, "quicksight", sha256Hex(bob), jsonHeaders()))
	if res.status != 201 {
		t.Fatalf("signed RegisterUser: %d %s", res.status, res.body)
	}
	if _, err := q.DescribeUser(ctx, &quicksight.DescribeUserInput{AwsAccountId: aws.String(accountID), Namespace: aws.String("default"), UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}

	unsigned := quicksight.NewFromConfig(ts.awsConfig(rootKeyID, rootSecret, ""), func(o *quicksight.Options) {
		o.BaseEndpoint = aws.String(ts.URL)
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware, v4.AddContentSHA256HeaderMiddleware)
	})
	_, err := unsigned.RegisterUser(ctx, &quicksight.RegisterUserInput{AwsAccountId: aws.String(accountID), Namespace: aws.String("default"),
		IdentityType: qstypes.IdentityTypeQuicksight, UserName: aws.String("mallory"), Email: aws.String("m@example.com"), UserRole: qstypes.UserRoleAdmin})
	wantAPIError(t, err, "InvalidSignatureException", 403)
}

// A presigned request reads its parameters from the signed query only: a body is refused.
func TestPresignedRequestBodyRefused(t *testing.T) {
	ts := startServer(t)
	// botocore presigns awsQuery operations for POST with an empty body.
	u := ts.URL + "/?Action=GetFederationToken&Version=2011-06-15&Name=bob&DurationSeconds=900"
	req, _ := http.NewRequest(http.MethodPost, u, nil)
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, rootCreds, req, sha256Hex(""), "sts", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodPost, signed, nil)
	if res := sendRaw(t, req); res.status != 200 || !bytes.Contains(res.body, []byte("<SessionToken>")) {
		t.Fatalf("presigned POST with an empty body: %d %s", res.status, res.body)
	}
	for _, c := range []struct{ name, body, code, message string }{
		// Session tags nobody signed, smuggled in a form body next to the signed query.
		{"extra parameters in the body", "Tags.member.1.Key=team&Tags.member.1.Value=admins", "SignatureDoesNotMatch", "presigned URL signs no request body"},
		// A body parameter that would override a signed one is refused by the codec before that.
		{"signed parameter overridden in the body", "Name=eve", "MalformedQueryString", `appears more than once`},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, signed, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res := sendRaw(t, req)
			if res.status < 400 || res.code != c.code || !bytes.Contains(res.body, []byte(c.message)) || bytes.Contains(res.body, []byte("<SessionToken>")) {
				t.Fatalf("got %d %s %s", res.status, res.code, res.body)
			}
		})
	}
}

// A query string has one meaning: a value signed as "x+y" (%2B) cannot be sent as "x y" ('+'),
// while a value signed as "x y" (%20) may travel as '+', which means the same.
func TestPresignedQueryPlus(t *testing.T) {
	ts := startServer(t)
	cases := []struct {
		name, value, wire string
		ok                bool
	}{
		{"unaltered %2B", "x+y", "x%2By", true},
		{"lowercase escape", "x+y", "x%2by", true},
		{"%2B turned into +", "x+y", "x+y", false},
		{"%2B turned into %20", "x+y", "x%20y", false},
		{"unaltered %20", "x y", "x%20y", true},
		{"%20 turned into +", "x y", "x+y", true},
		{"%20 turned into %2B", "x y", "x%2By", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			encoded := strings.ReplaceAll(url.QueryEscape(c.value), "+", "%20")
			// A presigned GetFederationToken hands its holder credentials tagged team=<value>.
			raw := ts.URL + "/?Action=GetFederationToken&Version=2011-06-15&Name=bob&DurationSeconds=900" +
				"&Tags.member.1.Key=team&Tags.member.1.Value=" + encoded
			req, _ := http.NewRequest(http.MethodGet, raw, nil)
			signed, _, err := v4.NewSigner().PresignHTTP(ctx, rootCreds, req, sha256Hex(""), "sts", "us-east-1", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(signed, "Tags.member.1.Value="+encoded+"&") {
				t.Fatalf("the signer encoded the value unexpectedly: %s", signed)
			}
			altered := strings.Replace(signed, "Tags.member.1.Value="+encoded+"&", "Tags.member.1.Value="+c.wire+"&", 1)
			req, _ = http.NewRequest(http.MethodGet, altered, nil)
			res := sendRaw(t, req)
			if c.ok {
				if res.status != 200 || !bytes.Contains(res.body, []byte("<SessionToken>")) {
					t.Fatalf("same meaning refused: %d %s", res.status, res.body)
				}
				return
			}
			if res.status != 403 || res.code != "SignatureDoesNotMatch" || bytes.Contains(res.body, []byte("SessionToken")) {
				t.Fatalf("altered value accepted or refused wrongly: %d %s %s", res.status, res.code, res.body)
			}
		})
	}
}

// sessionWithPlus returns temporary credentials whose token holds a '+', so a presigned URL made
// with them carries %2B in X-Amz-Security-Token.
func sessionWithPlus(t *testing.T, ts *testServer) *ststypes.Credentials {
	t.Helper()
	for range 30 {
		out, err := ts.rootSTS().GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(aws.ToString(out.Credentials.SessionToken), "+") {
			return out.Credentials
		}
	}
	t.Fatal("no session token with a '+' in 30 tries")
	return nil
}

// alterPlus turns the first %2B of the X-Amz-Security-Token value into a literal '+'.
func alterPlus(t *testing.T, presigned string) string {
	t.Helper()
	i := strings.Index(presigned, "X-Amz-Security-Token=")
	if i < 0 {
		t.Fatalf("no token in %s", presigned)
	}
	j := strings.Index(presigned[i:], "%2B")
	if j < 0 {
		t.Fatalf("no %%2B in the token of %s", presigned)
	}
	return presigned[:i+j] + "+" + presigned[i+j+3:]
}

// The presigned GetCallerIdentity URL (the EKS and Vault token format) made by the SDK's presign
// client: unaltered it passes; with %2B turned into '+' in the token it no longer names the
// issued token and is refused. (Before '+' meant a space to the verifier too, the altered URL
// was accepted: the canonical query kept '+' literal while the decoded token did not change.)
func TestPresignedGetCallerIdentityPlusSDK(t *testing.T) {
	ts := startServer(t)
	creds := sessionWithPlus(t, ts)
	s, _ := ts.session(creds)
	p, err := sts.NewPresignClient(s).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	send := func(u string) rawResult {
		req, _ := http.NewRequest(p.Method, u, nil)
		for k, v := range p.SignedHeader {
			if k != "Host" {
				req.Header[k] = v
			}
		}
		return sendRaw(t, req)
	}
	if res := send(p.URL); res.status != 200 || !bytes.Contains(res.body, []byte("<Arn>arn:aws:sts::"+accountID)) && !bytes.Contains(res.body, []byte("<Arn>arn:aws:iam::"+accountID)) {
		t.Fatalf("presigned GetCallerIdentity: %d %s", res.status, res.body)
	}
	res := send(alterPlus(t, p.URL))
	if res.status != 403 || (res.code != "InvalidClientTokenId" && res.code != "SignatureDoesNotMatch") || bytes.Contains(res.body, []byte("<Arn>")) {
		t.Fatalf("altered presigned URL: %d %s %s", res.status, res.code, res.body)
	}
}

// The same with boto3's generate_presigned_url, which presigns awsQuery operations for POST by
// default; GET is asked for explicitly.
func TestPresignedGetCallerIdentityPlusBoto3(t *testing.T) {
	ts := startServer(t)
	creds := sessionWithPlus(t, ts)
	const script = `
import os, boto3
c = boto3.client("sts", endpoint_url=os.environ["LK_URL"], region_name="us-east-1",
    aws_access_key_id=os.environ["LK_AKID"], aws_secret_access_key=os.environ["LK_SECRET"],
    aws_session_token=os.environ["LK_TOKEN"])
print(c.generate_presigned_url("get_caller_identity", ExpiresIn=300))
print(c.generate_presigned_url("get_caller_identity", ExpiresIn=300, HttpMethod="GET"))
`
	cmd := exec.Command("python3", "-c", script)
	cmd.Env = append(os.Environ(), "LK_URL="+ts.URL, "LK_AKID="+aws.ToString(creds.AccessKeyId),
		"LK_SECRET="+aws.ToString(creds.SecretAccessKey), "LK_TOKEN="+aws.ToString(creds.SessionToken),
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3: %v", err)
	}
	urls := strings.Fields(string(out))
	if len(urls) != 2 {
		t.Fatalf("boto3 printed %q", out)
	}
	for i, method := range []string{http.MethodPost, http.MethodGet} {
		t.Run(method, func(t *testing.T) {
			req, _ := http.NewRequest(method, urls[i], nil)
			if res := sendRaw(t, req); res.status != 200 || !bytes.Contains(res.body, []byte("<GetCallerIdentityResult>")) {
				t.Fatalf("boto3 presigned %s: %d %s", method, res.status, res.body)
			}
			req, _ = http.NewRequest(method, alterPlus(t, urls[i]), nil)
			res := sendRaw(t, req)
			if res.status != 403 || (res.code != "InvalidClientTokenId" && res.code != "SignatureDoesNotMatch") || bytes.Contains(res.body, []byte("<Arn>")) {
				t.Fatalf("altered boto3 URL: %d %s %s", res.status, res.code, res.body)
			}
		})
	}
}

// restJson query parameters are covered the same way (QuickSight ListUsers next-token).
func TestQuickSightQueryPlus(t *testing.T) {
	ts := startServer(t)
	base := ts.URL + "/accounts/" + accountID + "/namespaces/default/users?max-results=5&next-token="
	cases := []struct {
		name, signed, wire string
		sameMeaning        bool
	}{
		{"unaltered %2B", "a%2Bb", "a%2Bb", true},
		{"%2B turned into +", "a%2Bb", "a+b", false},
		{"%20 turned into +", "a%20b", "a+b", true},
		{"%20 turned into %2B", "a%20b", "a%2Bb", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := signedAsRoot(t, "GET", base+c.signed, "", "quicksight", sha256Hex(""), nil)
			u := *req.URL
			u.RawQuery = strings.Replace(u.RawQuery, "next-token="+c.signed, "next-token="+c.wire, 1)
			req.URL = &u
			res := sendRaw(t, req)
			if c.sameMeaning {
				if res.code == "InvalidSignatureException" || res.status >= 500 {
					t.Fatalf("same meaning refused: %d %s %s", res.status, res.code, res.body)
				}
				return
			}
			if res.status != 403 || res.code != "InvalidSignatureException" {
				t.Fatalf("altered next-token: %d %s %s", res.status, res.code, res.body)
			}
		})
	}
}

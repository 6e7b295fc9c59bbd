package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Requests in this file are signed by the real SDK Go v2 signer and then sent through a real
// net/http server, so Host, Content-Length, header canonicalisation and path escaping are exactly
// what a Go server hands to the verifier.

const sdkSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

var (
	sdkSignTime = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	sdkNow      = sdkSignTime.Add(90 * time.Second)

	longTermCreds = aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: sdkSecret}
	sessionToken  = "FQoGZXIvYXdzEJr//////////wEaDM+x/y=z+AbC/dEf==" + strings.Repeat("Ab+/", 40) + "=="
	tempCreds     = aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: sdkSecret, SessionToken: sessionToken}
)

// captureServer is a real http.Server that hands every request it receives, converted with
// FromHTTP, back to the test.
type captureServer struct {
	*httptest.Server
	got chan *Request
}

func newCaptureServer(t testing.TB) *captureServer {
	t.Helper()
	c := &captureServer{got: make(chan *Request, 1)}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req := FromHTTP(r, body)
		req.Header = r.Header.Clone()
		c.got <- req
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(c.Close)
	return c
}

// roundTrip sends r and returns what the server saw.
func (c *captureServer) roundTrip(t testing.TB, r *http.Request) *Request {
	t.Helper()
	resp, err := c.Client().Do(r)
	if err != nil {
		t.Fatalf("round trip: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("server answered %s", resp.Status)
	}
	return <-c.got
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

type signCase struct {
	name    string
	method  string
	path    string // escaped path and query, appended to the server URL
	host    string // Host to sign and send
	body    string
	headers http.Header
	creds   aws.Credentials
	service string
	region  string
}

func newSDKRequest(t testing.TB, baseURL string, c signCase) *http.Request {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	r, err := http.NewRequest(c.method, baseURL+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	r.Host = c.host
	for k, vs := range c.headers {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	return r
}

var headerCases = []signCase{
	{
		name: "awsQuery POST AssumeRole", method: "POST", path: "/", host: "sts.example.test",
		body: "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo" +
			"&RoleSessionName=s1&Tags.member.1.Key=k&Tags.member.1.Value=v%20w%2Bx",
		headers: http.Header{
			"Content-Type":          {"application/x-www-form-urlencoded; charset=utf-8"},
			"Amz-Sdk-Invocation-Id": {"6a3f2b7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"},
			"Amz-Sdk-Request":       {"attempt=1; max=3"},
		},
		creds: longTermCreds, service: "sts", region: "us-east-1",
	},
	{
		name: "awsQuery POST IAM with temporary credentials", method: "POST", path: "/", host: "iam.example.test",
		body:    "Action=ListUsers&Version=2010-05-08&PathPrefix=%2Fdivision_abc%2F",
		headers: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}},
		creds:   tempCreds, service: "iam", region: "us-east-1",
	},
	{
		name: "awsJson1.1 Cognito with X-Amz-Target", method: "POST", path: "/", host: "cognito-identity.example.test:9443",
		body: `{"MaxResults":10,"NextToken":"a/b+c=="}`,
		headers: http.Header{
			"Content-Type": {"application/x-amz-json-1.1"},
			"X-Amz-Target": {"AWSCognitoIdentityService.ListIdentityPools"},
		},
		creds: tempCreds, service: "cognito-identity", region: "eu-central-1",
	},
	{
		name: "restJson1 QuickSight path with %2F %20 %2B ~ and é", method: "GET",
		path: "/accounts/123456789012/namespaces/default/users/alice%2Fx%20y%2Bz~caf%C3%A9",
		host: "quicksight.example.test", creds: tempCreds, service: "quicksight", region: "eu-west-1",
	},
	{
		name: "restJson1 QuickSight unicode label only", method: "DELETE",
		path: "/accounts/123456789012/namespaces/default/users/ren%C3%A9e",
		host: "quicksight.example.test", creds: longTermCreds, service: "quicksight", region: "us-east-1",
	},
	{
		name: "restJson1 QuickSight POST JSON body", method: "POST",
		path: "/accounts/123456789012/namespaces/default/users",
		host: "quicksight.example.test", body: `{"Email":"a@example.com","IdentityType":"IAM","UserName":"r\u00e9n\u00e9e"}`,
		headers: http.Header{"Content-Type": {"application/json"}},
		creds:   longTermCreds, service: "quicksight", region: "us-east-1",
	},
	{
		name: "query string needing encoding", method: "GET",
		path: "/accounts/123456789012/namespaces/default/users?next-token=a%20b%2Fc%2Bd%3D%C3%A9&max-results=5" +
			"&tag=b&tag=a&tag=a-b&tag=a%2Fb&empty=",
		host: "quicksight.example.test", creds: longTermCreds, service: "quicksight", region: "us-east-1",
	},
	{
		name: "multi-valued header with excess spaces", method: "POST", path: "/", host: "sts.example.test",
		body: "Action=GetCallerIdentity&Version=2011-06-15",
		headers: http.Header{
			"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"},
			"X-Custom":     {"  a   b  ", "c", "d    e"},
		},
		creds: longTermCreds, service: "sts", region: "us-east-1",
	},
}

func TestSDKSignedHeaderMode(t *testing.T) {
	srv := newCaptureServer(t)
	for _, c := range headerCases {
		t.Run(c.name, func(t *testing.T) {
			r := newSDKRequest(t, srv.URL, c)
			err := v4.NewSigner().SignHTTP(context.Background(), c.creds, r, hashHex([]byte(c.body)),
				c.service, c.region, sdkSignTime)
			if err != nil {
				t.Fatal(err)
			}
			got := srv.roundTrip(t, r)
			if got.Host != c.host {
				t.Fatalf("server saw Host %q, want %q", got.Host, c.host)
			}
			if got.Header.Get("Host") != "" {
				t.Fatal("expected Go's server to remove Host from the header map")
			}
			a := mustParse(t, got)
			if a.Mode != ModeHeader || a.AccessKeyID != c.creds.AccessKeyID || a.SecurityToken != c.creds.SessionToken ||
				a.Region != c.region || a.Service != c.service {
				t.Fatalf("parsed %+v", a)
			}
			if err := a.CheckScope(c.service, sdkNow); err != nil {
				t.Fatal(err)
			}
			if err := a.Verify(got, sdkSecret); err != nil {
				t.Fatalf("Verify: %v\nours:\n%s", err, CanonicalRequest(got, a))
			}

			// The same request with one byte of the body, path or query changed, or the wrong secret, fails.
			if err := a.Verify(got, flipLast(sdkSecret)); err == nil {
				t.Fatal("wrong secret accepted")
			}
			bad := *got
			bad.RawPath = flipLast(bad.RawPath)
			wantKind(t, a.Verify(&bad, sdkSecret), KindMismatch)
			bad = *got
			bad.RawQuery = bad.RawQuery + "&x=1"
			wantKind(t, a.Verify(&bad, sdkSecret), KindMismatch)
			bad = *got
			bad.Body = append([]byte(string(got.Body)), ' ')
			wantKind(t, a.Verify(&bad, sdkSecret), KindMismatch)
		})
	}
}

func TestSDKSignedContentLengthIsSigned(t *testing.T) {
	srv := newCaptureServer(t)
	c := headerCases[0]
	r := newSDKRequest(t, srv.URL, c)
	if err := v4.NewSigner().SignHTTP(context.Background(), c.creds, r, hashHex([]byte(c.body)), c.service, c.region, sdkSignTime); err != nil {
		t.Fatal(err)
	}
	got := srv.roundTrip(t, r)
	a := mustParse(t, got)
	if !strings.Contains(";"+strings.Join(a.SignedHeaders, ";")+";", ";content-length;") {
		t.Fatalf("SDK did not sign content-length: %v", a.SignedHeaders)
	}
	if err := a.Verify(got, sdkSecret); err != nil {
		t.Fatal(err)
	}
	got.Header.Set("Content-Length", "1")
	wantKind(t, a.Verify(got, sdkSecret), KindMismatch)
}

// A body swapped in transit fails even though headers, path and signature are untouched.
func TestSDKSignedBodyReplaced(t *testing.T) {
	srv := newCaptureServer(t)
	c := headerCases[0]
	r := newSDKRequest(t, srv.URL, c)
	if err := v4.NewSigner().SignHTTP(context.Background(), c.creds, r, hashHex([]byte(c.body)), c.service, c.region, sdkSignTime); err != nil {
		t.Fatal(err)
	}
	evil := strings.Replace(c.body, "RoleSessionName=s1", "RoleSessionName=s2", 1)
	r.Body = io.NopCloser(strings.NewReader(evil))
	got := srv.roundTrip(t, r)
	a := mustParse(t, got)
	wantKind(t, a.Verify(got, sdkSecret), KindMismatch)

	// Declaring the original hash in an unsigned X-Amz-Content-Sha256 must not help the attacker.
	got.Header.Set("X-Amz-Content-Sha256", hashHex([]byte(c.body)))
	a = mustParse(t, got)
	e := wantKind(t, a.Verify(got, sdkSecret), KindMismatch)
	if e.Message != msgPayloadHash {
		t.Fatalf("message = %q", e.Message)
	}
}

func TestSDKSignedDeclaredPayloadHash(t *testing.T) {
	srv := newCaptureServer(t)
	c := headerCases[0]
	c.headers = c.headers.Clone()
	c.headers.Set("X-Amz-Content-Sha256", hashHex([]byte(c.body)))
	r := newSDKRequest(t, srv.URL, c)
	if err := v4.NewSigner().SignHTTP(context.Background(), c.creds, r, hashHex([]byte(c.body)), c.service, c.region, sdkSignTime); err != nil {
		t.Fatal(err)
	}
	got := srv.roundTrip(t, r)
	a := mustParse(t, got)
	if err := a.Verify(got, sdkSecret); err != nil {
		t.Fatal(err)
	}
}

type presignCase struct {
	name    string
	method  string
	query   string // operation parameters
	expires string // X-Amz-Expires to add before presigning; "" for none
	creds   aws.Credentials
	header  http.Header // extra headers to sign (EKS adds x-k8s-aws-id)
}

var presignCases = []presignCase{
	{name: "GET long-term key", method: "GET", query: "Action=GetCallerIdentity&Version=2011-06-15", expires: "60", creds: longTermCreds},
	{name: "GET temporary key", method: "GET", query: "Action=GetCallerIdentity&Version=2011-06-15", expires: "900", creds: tempCreds},
	{name: "GET without X-Amz-Expires (PresignGetCallerIdentity)", method: "GET", query: "Action=GetCallerIdentity&Version=2011-06-15", creds: tempCreds},
	{name: "GET EKS style with x-k8s-aws-id", method: "GET", query: "Action=GetCallerIdentity&Version=2011-06-15", expires: "60",
		creds: tempCreds, header: http.Header{"X-K8s-Aws-Id": {"my-cluster"}}},
	{name: "POST botocore style, empty body", method: "POST", query: "Action=GetCallerIdentity&Version=2011-06-15", expires: "3600", creds: tempCreds},
}

func presign(t testing.TB, baseURL, host string, c presignCase) (string, http.Header) {
	t.Helper()
	rawURL := baseURL + "/?" + c.query
	if c.expires != "" {
		rawURL += "&X-Amz-Expires=" + c.expires
	}
	r, err := http.NewRequest(c.method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Host = host
	for k, vs := range c.header {
		r.Header[k] = vs
	}
	signed, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), c.creds, r, EmptySHA256, "sts", "us-east-1", sdkSignTime)
	if err != nil {
		t.Fatal(err)
	}
	return signed, hdr
}

func sendPresigned(t testing.TB, srv *captureServer, method, signedURL, host string, hdr http.Header) *Request {
	t.Helper()
	r, err := http.NewRequest(method, signedURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Host = host
	for k, vs := range hdr {
		if k != "Host" {
			r.Header[k] = vs
		}
	}
	return srv.roundTrip(t, r)
}

func TestSDKPresigned(t *testing.T) {
	srv := newCaptureServer(t)
	const host = "sts.example.test"
	for _, c := range presignCases {
		t.Run(c.name, func(t *testing.T) {
			signedURL, hdr := presign(t, srv.URL, host, c)
			got := sendPresigned(t, srv, c.method, signedURL, host, hdr)
			a := mustParse(t, got)
			if a.Mode != ModeQuery || a.AccessKeyID != c.creds.AccessKeyID || a.SecurityToken != c.creds.SessionToken {
				t.Fatalf("parsed %+v", a)
			}
			wantExpires := DefaultExpires
			if c.expires != "" {
				wantExpires = mustSeconds(t, c.expires)
			}
			if a.Expires != wantExpires {
				t.Fatalf("Expires = %v, want %v", a.Expires, wantExpires)
			}
			if err := a.CheckScope("sts", sdkSignTime.Add(30*time.Second)); err != nil {
				t.Fatal(err)
			}
			if err := a.Verify(got, sdkSecret); err != nil {
				t.Fatalf("Verify: %v\nours:\n%s", err, CanonicalRequest(got, a))
			}
			wantKind(t, a.CheckScope("sts", sdkSignTime.Add(wantExpires+time.Second)), KindExpired)

			// Sent with the other method, the URL must fail: the method is signed.
			other := map[string]string{"GET": "POST", "POST": "GET"}[c.method]
			got2 := sendPresigned(t, srv, other, signedURL, host, hdr)
			wantKind(t, mustParse(t, got2).Verify(got2, sdkSecret), KindMismatch)

			// A presigned request may not carry a body: it is not covered by the signature.
			withBody := *got
			withBody.Body = []byte("Action=AssumeRole")
			wantKind(t, a.Verify(&withBody, sdkSecret), KindMismatch)

			// Changing an operation parameter on the URL breaks the signature.
			tampered := *got
			tampered.RawQuery = strings.Replace(got.RawQuery, "Version=2011-06-15", "Version=2011-06-16", 1)
			wantKind(t, mustParse(t, &tampered).Verify(&tampered, sdkSecret), KindMismatch)

			wantKind(t, a.Verify(got, flipFirst(sdkSecret)), KindMismatch)
		})
	}
}

func mustSeconds(t testing.TB, s string) time.Duration {
	d, ok := parseExpires(s)
	if !ok {
		t.Fatalf("bad seconds %q", s)
	}
	return d
}

// The session token survives URL encoding: '/', '+' and '=' come back decoded.
func TestSDKPresignedTokenEncoding(t *testing.T) {
	signedURL, _ := presign(t, "https://sts.example.test", "sts.example.test", presignCases[1])
	u, err := url.Parse(signedURL)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(u.RawQuery, "+") || !strings.Contains(u.RawQuery, "%2B") {
		t.Fatalf("unexpected token encoding in %s", u.RawQuery)
	}
	req := &Request{Method: "GET", RawPath: u.EscapedPath(), RawQuery: u.RawQuery, Host: u.Host, Header: http.Header{}}
	a := mustParse(t, req)
	if a.SecurityToken != sessionToken {
		t.Fatalf("token = %q", a.SecurityToken)
	}
	if err := a.Verify(req, sdkSecret); err != nil {
		t.Fatal(err)
	}
}

// TestServerEndToEnd runs the verifier inside a handler the way the real server will: read the body
// once, verify, then parse the form from the same bytes.
func TestServerEndToEnd(t *testing.T) {
	secrets := map[string]string{"AKIAIOSFODNN7EXAMPLE": sdkSecret, "ASIAIOSFODNN7EXAMPLE": sdkSecret}
	tokens := map[string]string{"ASIAIOSFODNN7EXAMPLE": sessionToken}
	now := sdkNow
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := FromHTTP(r, body)
		a, err := Parse(req)
		if err == nil && a == nil {
			http.Error(w, "MissingAuthenticationToken", http.StatusForbidden)
			return
		}
		if err == nil {
			err = a.CheckScope("sts", now)
		}
		if err == nil {
			secret, ok := secrets[a.AccessKeyID]
			if !ok || tokens[a.AccessKeyID] != a.SecurityToken {
				http.Error(w, "InvalidClientTokenId", http.StatusForbidden)
				return
			}
			err = a.Verify(req, secret)
		}
		if err != nil {
			http.Error(w, err.(*Error).Message, http.StatusForbidden)
			return
		}
		form, _ := url.ParseQuery(string(body))
		if len(body) == 0 {
			form = r.URL.Query()
		}
		io.WriteString(w, "OK "+form.Get("Action"))
	}))
	defer srv.Close()

	do := func(r *http.Request) (int, string) {
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}

	c := headerCases[0]
	r := newSDKRequest(t, srv.URL, c)
	if err := v4.NewSigner().SignHTTP(context.Background(), c.creds, r, hashHex([]byte(c.body)), "sts", "us-east-1", sdkSignTime); err != nil {
		t.Fatal(err)
	}
	if code, msg := do(r); code != 200 || msg != "OK AssumeRole" {
		t.Fatalf("signed POST: %d %s", code, msg)
	}

	c = headerCases[1]
	c.service = "sts"
	r = newSDKRequest(t, srv.URL, c)
	if err := v4.NewSigner().SignHTTP(context.Background(), c.creds, r, hashHex([]byte(c.body)), "sts", "us-east-1", sdkSignTime); err != nil {
		t.Fatal(err)
	}
	r.Header.Set("User-Agent", "unsigned/1.0") // added after signing, like botocore's amz-sdk-* headers
	if code, msg := do(r); code != 200 || msg != "OK ListUsers" {
		t.Fatalf("signed POST with token: %d %s", code, msg)
	}

	signedURL, _ := presign(t, srv.URL, "sts.example.test", presignCases[1])
	r, _ = http.NewRequest("GET", signedURL, nil)
	r.Host = "sts.example.test"
	if code, msg := do(r); code != 200 || msg != "OK GetCallerIdentity" {
		t.Fatalf("presigned GET: %d %s", code, msg)
	}

	// Signed for another host: the Host a Go server sees is what gets verified.
	r, _ = http.NewRequest("GET", signedURL, nil)
	r.Host = "sts.example.test:8443"
	if code, msg := do(r); code != 403 || msg != MismatchMessage {
		t.Fatalf("wrong host: %d %s", code, msg)
	}

	// Signed for the wrong service.
	c = headerCases[0]
	r = newSDKRequest(t, srv.URL, c)
	if err := v4.NewSigner().SignHTTP(context.Background(), c.creds, r, hashHex([]byte(c.body)), "iam", "us-east-1", sdkSignTime); err != nil {
		t.Fatal(err)
	}
	if code, msg := do(r); code != 403 || msg != "Credential should be scoped to correct service: 'sts'" {
		t.Fatalf("wrong service: %d %s", code, msg)
	}

	// Unsigned.
	r, _ = http.NewRequest("POST", srv.URL+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if code, msg := do(r); code != 403 || msg != "MissingAuthenticationToken" {
		t.Fatalf("unsigned: %d %s", code, msg)
	}
}

package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Test vectors made with botocore at a frozen clock.
const vectorSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

var vectorClock = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

type vector struct {
	name      string
	service   string
	req       func() *Request
	canonical string
	sts       string // hash line of the string to sign, when the spec gives it
	signature string
}

func authHeader(cred, signed, sig string) string {
	return "AWS4-HMAC-SHA256 Credential=" + cred + ", SignedHeaders=" + signed + ", Signature=" + sig
}

var vectors = []vector{
	{
		name:    "TV1 STS GetCallerIdentity POST",
		service: "sts",
		req: func() *Request {
			h := http.Header{}
			h.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			h.Set("X-Amz-Date", "20261122T120000Z")
			h.Set("Authorization", authHeader("AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/sts/aws4_request",
				"content-type;host;x-amz-date", "efc7a9771b2fc5b804d23b7c094b76e114df76309dc71a6102e800b617e19ecd"))
			return &Request{Method: "POST", RawPath: "/", Host: "sts.example.test", Header: h,
				Body: []byte("Action=GetCallerIdentity&Version=2011-06-15")}
		},
		canonical: "POST\n/\n\n" +
			"content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:sts.example.test\nx-amz-date:20261122T120000Z\n\n" +
			"content-type;host;x-amz-date\n" +
			"ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843",
		sts:       "4f07ac74fd7ef7c8cd10fd59618abeb31733ea07152858c650499fc6443fc687",
		signature: "efc7a9771b2fc5b804d23b7c094b76e114df76309dc71a6102e800b617e19ecd",
	},
	{
		name:    "TV2 QuickSight DescribeUser temporary key, port, %2F %20",
		service: "quicksight",
		req: func() *Request {
			h := http.Header{}
			h.Set("X-Amz-Date", "20261122T120000Z")
			h.Set("X-Amz-Security-Token", "FQoG/with+slash=and==")
			h.Set("Authorization", authHeader("ASIAIOSFODNN7EXAMPLE/20261122/eu-west-1/quicksight/aws4_request",
				"host;x-amz-date;x-amz-security-token", "4c12e3a73cc815dd2d7bd3faf51e25ee03f534d6b77b7f914f7a013af1e54366"))
			return &Request{Method: "GET", RawPath: "/accounts/123456789012/namespaces/default/users/alice%2Fx%20y",
				Host: "qs.example.test:8443", Header: h}
		},
		canonical: "GET\n/accounts/123456789012/namespaces/default/users/alice%252Fx%2520y\n\n" +
			"host:qs.example.test:8443\nx-amz-date:20261122T120000Z\nx-amz-security-token:FQoG/with+slash=and==\n\n" +
			"host;x-amz-date;x-amz-security-token\n" + EmptySHA256,
		sts:       "f92db16646cb1d1543b5f81ce07fc86bea014fb4e7f52cd18445f0e2e46d6340",
		signature: "4c12e3a73cc815dd2d7bd3faf51e25ee03f534d6b77b7f914f7a013af1e54366",
	},
	{
		name:    "TV3 QuickSight ListUsers query needing encoding",
		service: "quicksight",
		req: func() *Request {
			h := http.Header{}
			h.Set("X-Amz-Date", "20261122T120000Z")
			h.Set("Authorization", authHeader("AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/quicksight/aws4_request",
				"host;x-amz-date", "2fb43448fda2b4d41762192f084b3b7f0f23592ba45ee4f5c5bc20dfa9edd5fe"))
			return &Request{Method: "GET", RawPath: "/accounts/123456789012/namespaces/default/users",
				RawQuery: "max-results=5&next-token=a%20b%2Fc%2Bd%3D", Host: "qs.example.test", Header: h}
		},
		canonical: "GET\n/accounts/123456789012/namespaces/default/users\nmax-results=5&next-token=a%20b%2Fc%2Bd%3D\n" +
			"host:qs.example.test\nx-amz-date:20261122T120000Z\n\nhost;x-amz-date\n" + EmptySHA256,
		signature: "2fb43448fda2b4d41762192f084b3b7f0f23592ba45ee4f5c5bc20dfa9edd5fe",
	},
	{
		name:    "TV4 presigned GET STS GetCallerIdentity with token",
		service: "sts",
		req: func() *Request {
			return &Request{Method: "GET", RawPath: "/", Host: "sts.example.test", Header: http.Header{},
				RawQuery: "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256" +
					"&X-Amz-Credential=ASIAIOSFODNN7EXAMPLE%2F20261122%2Fus-east-1%2Fsts%2Faws4_request" +
					"&X-Amz-Date=20261122T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host" +
					"&X-Amz-Security-Token=FQoG%2Fwith%2Bslash%3Dand%3D%3D" +
					"&X-Amz-Signature=7b1a8551e451bd7315e7ae0905703e5088123417e80d07d92e34a1e6cef53cc1"}
		},
		canonical: "GET\n/\n" +
			"Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256" +
			"&X-Amz-Credential=ASIAIOSFODNN7EXAMPLE%2F20261122%2Fus-east-1%2Fsts%2Faws4_request" +
			"&X-Amz-Date=20261122T120000Z&X-Amz-Expires=60" +
			"&X-Amz-Security-Token=FQoG%2Fwith%2Bslash%3Dand%3D%3D&X-Amz-SignedHeaders=host\n" +
			"host:sts.example.test\n\nhost\n" + EmptySHA256,
		signature: "7b1a8551e451bd7315e7ae0905703e5088123417e80d07d92e34a1e6cef53cc1",
	},
}

func mustParse(t testing.TB, req *Request) *Auth {
	t.Helper()
	a, err := Parse(req)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if a == nil {
		t.Fatal("Parse found no auth data")
	}
	return a
}

func wantKind(t testing.TB, err error, kind ErrorKind) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error of kind %v", err, err, kind)
	}
	if e.Kind != kind {
		t.Fatalf("error kind = %v (%q), want %v", e.Kind, e.Message, kind)
	}
	return e
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			req := v.req()
			a := mustParse(t, req)
			cr := CanonicalRequest(req, a)
			if cr != v.canonical {
				t.Fatalf("canonical request:\n%s\nwant:\n%s", cr, v.canonical)
			}
			sts := StringToSign(a, cr)
			lines := strings.Split(sts, "\n")
			if len(lines) != 4 || lines[0] != Algorithm || lines[1] != a.AmzDate ||
				lines[2] != a.Date+"/"+a.Region+"/"+a.Service+"/aws4_request" {
				t.Fatalf("string to sign malformed:\n%s", sts)
			}
			if v.sts != "" && lines[3] != v.sts {
				t.Fatalf("string to sign hash = %s, want %s", lines[3], v.sts)
			}
			sum := sha256.Sum256([]byte(cr))
			if lines[3] != hex.EncodeToString(sum[:]) {
				t.Fatal("string to sign does not hash the canonical request")
			}
			got := hex.EncodeToString(hmacSHA256(SigningKey(vectorSecret, a.Date, a.Region, a.Service), sts))
			if got != v.signature {
				t.Fatalf("signature = %s, want %s", got, v.signature)
			}
			if err := a.CheckScope(v.service, vectorClock); err != nil {
				t.Fatalf("CheckScope: %v", err)
			}
			if err := a.Verify(req, vectorSecret); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestVectorPayloadHash(t *testing.T) {
	sum := sha256.Sum256([]byte("Action=GetCallerIdentity&Version=2011-06-15"))
	if got := hex.EncodeToString(sum[:]); got != "ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843" {
		t.Fatalf("TV1 body hash = %s", got)
	}
	if got := bodySHA256(nil); got != EmptySHA256 {
		t.Fatalf("empty body hash = %s", got)
	}
	sum = sha256.Sum256(nil)
	if hex.EncodeToString(sum[:]) != EmptySHA256 {
		t.Fatal("EmptySHA256 constant is wrong")
	}
}

func flipLast(s string) string {
	if s == "" {
		return "x"
	}
	return s[:len(s)-1] + string(s[len(s)-1]^1)
}

func flipFirst(s string) string {
	if s == "" {
		return "x"
	}
	return string(s[0]^1) + s[1:]
}

// TestVectorsTampered changes one byte of each part a signature covers; every change must be caught.
func TestVectorsTampered(t *testing.T) {
	tamper := []struct {
		name   string
		mutate func(r *Request) // on the request after Parse
		secret string
	}{
		{"body", func(r *Request) { r.Body = []byte(flipLast(string(r.Body))) }, ""},
		{"host header", func(r *Request) { r.Host = flipLast(r.Host) }, ""},
		{"method", func(r *Request) { r.Method = flipLast(r.Method) }, ""},
		{"path", func(r *Request) {
			if r.RawPath == "/" {
				r.RawPath = "/x"
			} else {
				r.RawPath = flipLast(r.RawPath)
			}
		}, ""},
		{"query", func(r *Request) {
			if r.RawQuery == "" {
				r.RawQuery = "x"
			} else {
				r.RawQuery = flipFirst(r.RawQuery)
			}
		}, ""},
		{"secret", func(*Request) {}, flipLast(vectorSecret)},
		{"secret first byte", func(*Request) {}, flipFirst(vectorSecret)},
	}
	for _, v := range vectors {
		for _, tc := range tamper {
			t.Run(v.name+"/"+tc.name, func(t *testing.T) {
				req := v.req()
				a := mustParse(t, req)
				tc.mutate(req)
				secret := vectorSecret
				if tc.secret != "" {
					secret = tc.secret
				}
				e := wantKind(t, a.Verify(req, secret), KindMismatch)
				want := MismatchMessage
				if a.Mode == ModeQuery && tc.name == "body" {
					want = msgPresignedBody // refused before the HMAC: a presigned URL has no body
				}
				if e.Message != want {
					t.Fatalf("message = %q", e.Message)
				}
			})
		}
	}
}

// Signed header values are covered too: one byte changed in each of them must fail.
func TestVectorsTamperedSignedHeaders(t *testing.T) {
	for _, v := range vectors {
		a := mustParse(t, v.req())
		for _, name := range a.SignedHeaders {
			if name == "host" {
				continue // covered by TestVectorsTampered
			}
			t.Run(v.name+"/"+name, func(t *testing.T) {
				req := v.req()
				a := mustParse(t, req)
				req.Header.Set(name, flipLast(req.Header.Get(name)))
				wantKind(t, a.Verify(req, vectorSecret), KindMismatch)
			})
		}
	}
}

// Headers outside SignedHeaders may change freely (botocore adds amz-sdk-* after signing).
func TestVectorsUnsignedHeadersIgnored(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			req := v.req()
			a := mustParse(t, req)
			req.Header.Set("User-Agent", "Boto3/1.43.11")
			req.Header.Set("Amz-Sdk-Invocation-Id", "f1d9c2c0-0000-0000-0000-000000000000")
			req.Header.Set("Amz-Sdk-Request", "attempt=1")
			req.Header.Set("Accept-Encoding", "identity")
			if err := a.Verify(req, vectorSecret); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestVectorFieldsParsed(t *testing.T) {
	a := mustParse(t, vectors[3].req())
	want := Auth{
		Mode: ModeQuery, AccessKeyID: "ASIAIOSFODNN7EXAMPLE", Date: "20261122", Region: "us-east-1",
		Service: "sts", Terminator: "aws4_request", Signature: vectors[3].signature, AmzDate: "20261122T120000Z",
		Time: vectorClock, Expires: 60 * time.Second, SecurityToken: "FQoG/with+slash=and==",
	}
	if strings.Join(a.SignedHeaders, ";") != "host" {
		t.Fatalf("SignedHeaders = %v", a.SignedHeaders)
	}
	a.SignedHeaders = nil
	if !reflect.DeepEqual(*a, want) {
		t.Fatalf("TV4 parsed as\n%+v\nwant\n%+v", *a, want)
	}

	a = mustParse(t, vectors[1].req())
	if a.Mode != ModeHeader || a.AccessKeyID != "ASIAIOSFODNN7EXAMPLE" || a.Region != "eu-west-1" ||
		a.Service != "quicksight" || a.SecurityToken != "FQoG/with+slash=and==" || !a.Time.Equal(vectorClock) ||
		strings.Join(a.SignedHeaders, ";") != "host;x-amz-date;x-amz-security-token" || a.Expires != 0 {
		t.Fatalf("TV2 parsed as %+v", *a)
	}
}

// AWS's published key-derivation example ("Examples of how to derive a signing key").
func TestSigningKeyAWSExample(t *testing.T) {
	got := hex.EncodeToString(SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam"))
	if got != "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d" {
		t.Fatalf("SigningKey = %s", got)
	}
}

func TestCanonicalURI(t *testing.T) {
	for raw, want := range map[string]string{
		"":                          "/",
		"/":                         "/",
		"/a/b":                      "/a/b",
		"/users/alice%2Fx%20y":      "/users/alice%252Fx%2520y",
		"/users/caf%C3%A9":          "/users/caf%25C3%25A9",
		"/a+b~c!$":                  "/a%2Bb~c%21%24",
		"/a%2B%7E":                  "/a%252B%257E",
		"/users/caf\xc3\xa9":        "/users/caf%C3%A9",
		"/a:b@c;d=e,f'g(h)i*j&k%5B": "/a%3Ab%40c%3Bd%3De%2Cf%27g%28h%29i%2Aj%26k%255B",
	} {
		var b strings.Builder
		writeCanonicalURI(&b, raw)
		if b.String() != want {
			t.Errorf("canonical URI of %q = %q, want %q", raw, b.String(), want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	cases := []struct {
		raw, want string
		query     bool
	}{
		{"", "", false},
		{"a=1", "a=1", false},
		{"b=2&a=1", "a=1&b=2", false},
		{"a=2&a=1&a=10", "a=1&a=10&a=2", false},
		{"a+b=c+d", "a%20b=c%20d", false}, // form encoding: '+' is a space, as the codecs read it
		{"a%2Bb=c%2bd", "a%2Bb=c%2Bd", false},
		{"k=+%20+", "k=%20%20%20", false},
		{"a%20b=c%20d", "a%20b=c%20d", false},
		{"k=a%2fb", "k=a%2Fb", false}, // lowercase escapes are normalised
		{"k=%41%7e", "k=A~", false},   // unreserved characters are decoded
		{"k=a/b:c", "k=a%2Fb%3Ac", false},
		{"k", "k=", false},
		{"k=", "k=", false},
		{"k=a=b", "k=a%3Db", false}, // split at the first '='
		{"a=1&&b=2&", "a=1&b=2", false},
		{"k=caf\xc3\xa9", "k=caf%C3%A9", false},
		{"k=%C3%A9", "k=%C3%A9", false},
		{"k=%zz", "k=%25zz", false},
		// Sorting happens after encoding: '%' (0x25) sorts before '-' (0x2D).
		{"k=a-b&k=a/b", "k=a%2Fb&k=a-b", false},
		{"X-Amz-Signature=abc&a=1", "X-Amz-Signature=abc&a=1", false},
		{"X-Amz-Signature=abc&a=1", "a=1", true},
		{"X%2DAmz-Signature=abc&a=1", "a=1", true},
	}
	for _, c := range cases {
		var b strings.Builder
		writeCanonicalQuery(&b, c.raw, c.query)
		if b.String() != c.want {
			t.Errorf("canonical query of %q (query mode %v) = %q, want %q", c.raw, c.query, b.String(), c.want)
		}
	}
}

func TestCanonicalHeaderValues(t *testing.T) {
	h := http.Header{}
	h["X-Multi"] = []string{"  a   b  ", "c", "\td\t \te "}
	h.Set("Content-Length", "42")
	req := &Request{Method: "GET", RawPath: "/", Host: "h.example:8443", Header: h}
	a := &Auth{Mode: ModeHeader, SignedHeaders: []string{"content-length", "host", "x-missing", "x-multi"}}
	got := CanonicalRequest(req, a)
	want := "GET\n/\n\ncontent-length:42\nhost:h.example:8443\nx-missing:\nx-multi:a b,c,d e\n\n" +
		"content-length;host;x-missing;x-multi\n" + EmptySHA256
	if got != want {
		t.Fatalf("canonical request:\n%q\nwant\n%q", got, want)
	}
	// A Host left in the header map (not how Go servers deliver it) is ignored: Request.Host is authoritative.
	h.Set("Host", "evil.example")
	if CanonicalRequest(req, a) != want {
		t.Fatal("Host header in the map changed the canonical request")
	}
}

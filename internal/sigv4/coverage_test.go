package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The tests in this file prove what a signature covers: the body, every x-amz-* header, and the
// query string with the meaning the codecs give it. Each attack is signed by the real SDK signer,
// and where it matters the test first shows that the forged request carries a signature that is
// valid over what was signed, so only the rule under test stands between it and acceptance.

// hmacOver reports whether a's signature is valid for req with the payload line set to payload,
// i.e. what Verify would decide without checkCoverage.
func hmacOver(a *Auth, req *Request, secret, payload string) bool {
	var b strings.Builder
	writeCanonicalRequest(&b, req, a, payload)
	mac := hmac.New(sha256.New, SigningKey(secret, a.Date, a.Region, a.Service))
	mac.Write([]byte(StringToSign(a, b.String())))
	want, err := hex.DecodeString(a.Signature)
	return err == nil && hmac.Equal(mac.Sum(nil), want)
}

const (
	gciBody = "Action=GetCallerIdentity&Version=2011-06-15"
	// Same length as gciBody, so a signed Content-Length does not give the replay away.
	gstBody = "Action=GetSessionToken&Version=2011-06-15&x"
)

// TestPayloadCoverage: the payload hash is always the hash of the received body.
func TestPayloadCoverage(t *testing.T) {
	if len(gciBody) != len(gstBody) {
		t.Fatal("replay bodies must have the same length")
	}
	srv := newCaptureServer(t)
	cases := []struct {
		name     string
		signHash string // payload hash handed to the SDK signer
		declared string // X-Amz-Content-Sha256 set before signing (so signed); "" for none
		late     string // X-Amz-Content-Sha256 set after signing (unsigned); "" for none
		send     string // body actually sent
		wantMsg  string // "" when the request must verify
		// attack: the signature is valid over what was signed, so without the rule it would pass.
		attack bool
	}{
		{name: "absent header: hash of the body", signHash: hashHex([]byte(gciBody)), send: gciBody},
		{name: "declared hash equals body", signHash: hashHex([]byte(gciBody)), declared: hashHex([]byte(gciBody)), send: gciBody},
		{name: "declared hash in uppercase hex equals body", signHash: hashHex([]byte(gciBody)),
			declared: strings.ToUpper(hashHex([]byte(gciBody))), send: gciBody},
		{name: "correct hash declared after signing", signHash: hashHex([]byte(gciBody)),
			late: hashHex([]byte(gciBody)), send: gciBody, wantMsg: msgNotSigned + "x-amz-content-sha256"},
		{name: "empty body, absent header", signHash: EmptySHA256, send: ""},
		{name: "declared hash differs from body (signed)", signHash: hashHex([]byte(gciBody)), declared: hashHex([]byte(gciBody)),
			send: gstBody, wantMsg: msgPayloadHash},
		{name: "replay: unsigned declared hash of the old body", signHash: hashHex([]byte(gciBody)),
			late: hashHex([]byte(gciBody)), send: gstBody, wantMsg: msgPayloadHash},
		{name: "UNSIGNED-PAYLOAD with the body it was made for", signHash: UnsignedPayload, declared: UnsignedPayload,
			send: gciBody, wantMsg: msgUnsignedPayload, attack: true},
		{name: "replay: UNSIGNED-PAYLOAD GetCallerIdentity sent as GetSessionToken", signHash: UnsignedPayload,
			declared: UnsignedPayload, send: gstBody, wantMsg: msgUnsignedPayload, attack: true},
		{name: "UNSIGNED-PAYLOAD with an empty body", signHash: UnsignedPayload, declared: UnsignedPayload,
			send: "", wantMsg: msgUnsignedPayload, attack: true},
		{name: "UNSIGNED-PAYLOAD signed but header dropped", signHash: UnsignedPayload, send: gstBody, wantMsg: MismatchMessage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := signCase{method: "POST", path: "/", host: "sts.example.test", body: gciBody,
				headers: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}, creds: longTermCreds}
			if c.send == "" {
				sc.body = ""
			}
			if c.declared != "" {
				sc.headers.Set("X-Amz-Content-Sha256", c.declared)
			}
			r := newSDKRequest(t, srv.URL, sc)
			if err := v4.NewSigner().SignHTTP(context.Background(), sc.creds, r, c.signHash, "sts", "us-east-1", sdkSignTime); err != nil {
				t.Fatal(err)
			}
			if c.late != "" {
				r.Header.Set("X-Amz-Content-Sha256", c.late)
			}
			if c.send != sc.body {
				r.Body = io.NopCloser(strings.NewReader(c.send))
			}
			got := srv.roundTrip(t, r)
			a := mustParse(t, got)
			if c.attack && !hmacOver(a, got, sdkSecret, c.signHash) {
				t.Fatal("precondition: the forged request should carry a signature valid over what was signed")
			}
			err := a.Verify(got, sdkSecret)
			if c.wantMsg == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if e := wantKind(t, err, KindMismatch); e.Message != c.wantMsg {
				t.Fatalf("message = %q, want %q", e.Message, c.wantMsg)
			}
		})
	}
}

// TestPresignedBodyRefused: a presigned request is read from its signed query only; a body is
// refused even when the presigner happened to sign its hash.
func TestPresignedBodyRefused(t *testing.T) {
	srv := newCaptureServer(t)
	const host = "sts.example.test"
	cases := []struct {
		name     string
		method   string
		signHash string
		body     string
		wantMsg  string
		attack   bool
	}{
		{name: "GET, empty body", method: "GET", signHash: EmptySHA256},
		{name: "POST botocore style, empty body", method: "POST", signHash: EmptySHA256},
		{name: "POST with body parameters next to a signed query", method: "POST", signHash: EmptySHA256,
			body: "Action=GetSessionToken&Version=2011-06-15", wantMsg: msgPresignedBody},
		{name: "POST whose body hash the presigner signed", method: "POST", signHash: hashHex([]byte(gstBody)),
			body: gstBody, wantMsg: msgPresignedBody, attack: true},
		{name: "S3-style UNSIGNED-PAYLOAD presign with a body", method: "POST", signHash: UnsignedPayload,
			body: gstBody, wantMsg: msgPresignedBody, attack: true},
		{name: "S3-style UNSIGNED-PAYLOAD presign without a body", method: "GET", signHash: UnsignedPayload,
			wantMsg: MismatchMessage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := http.NewRequest(c.method, srv.URL+"/?"+gciBody+"&X-Amz-Expires=60", nil)
			if err != nil {
				t.Fatal(err)
			}
			r.Host = host
			signed, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), tempCreds, r, c.signHash, "sts", "us-east-1", sdkSignTime)
			if err != nil {
				t.Fatal(err)
			}
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			send, _ := http.NewRequest(c.method, signed, body)
			send.Host = host
			for k, vs := range hdr {
				if k != "Host" {
					send.Header[k] = vs
				}
			}
			if c.body != "" {
				send.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			got := srv.roundTrip(t, send)
			a := mustParse(t, got)
			if c.attack && !hmacOver(a, got, sdkSecret, c.signHash) {
				t.Fatal("precondition: the forged request should carry a signature valid over what was signed")
			}
			err = a.Verify(got, sdkSecret)
			if c.wantMsg == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if e := wantKind(t, err, KindMismatch); e.Message != c.wantMsg {
				t.Fatalf("message = %q, want %q", e.Message, c.wantMsg)
			}
		})
	}
}

// TestAmzHeadersMustBeSigned: every x-amz-* header is part of the request and must be signed
// ("Create a signed AWS API request"); only the session token may be added after signing.
func TestAmzHeadersMustBeSigned(t *testing.T) {
	srv := newCaptureServer(t)
	cognito := headerCases[2] // Cognito ListIdentityPools, X-Amz-Target signed by the SDK
	cases := []struct {
		name    string
		sc      signCase
		before  func(r *http.Request) // before signing
		after   func(r *http.Request) // after signing: unsigned
		presign bool
		wantMsg string
		attack  bool
	}{
		{name: "X-Amz-Target signed", sc: cognito},
		{name: "X-Amz-Target swapped after signing without it", sc: cognito,
			before: func(r *http.Request) { r.Header.Del("X-Amz-Target") },
			after: func(r *http.Request) {
				r.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.DeleteIdentityPool")
			},
			wantMsg: msgNotSigned + "x-amz-target", attack: true},
		{name: "unknown x-amz header added after signing", sc: headerCases[0],
			after:   func(r *http.Request) { r.Header.Set("X-Amz-Meta-Note", "x") },
			wantMsg: msgNotSigned + "x-amz-meta-note", attack: true},
		{name: "several unsigned, listed sorted", sc: headerCases[0],
			after: func(r *http.Request) {
				r.Header.Set("X-Amz-Target", "t")
				r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte(headerCases[0].body)))
			},
			wantMsg: msgNotSigned + "x-amz-content-sha256, x-amz-target", attack: true},
		{name: "session token added after signing (header form)", sc: func() signCase {
			c := headerCases[0]
			c.creds.AccessKeyID = tempCreds.AccessKeyID
			return c
		}(), after: func(r *http.Request) { r.Header.Set("X-Amz-Security-Token", sessionToken) }},
		{name: "x-amzn-trace-id is not x-amz-*", sc: headerCases[0],
			after: func(r *http.Request) { r.Header.Set("X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000") }},
		{name: "presigned: unsigned X-Amz-Target header", presign: true,
			after:   func(r *http.Request) { r.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.ListIdentityPools") },
			wantMsg: msgNotSigned + "x-amz-target", attack: true},
		{name: "presigned: unsigned X-Amz-Date header", presign: true,
			after:   func(r *http.Request) { r.Header.Set("X-Amz-Date", "20261122T120000Z") },
			wantMsg: msgNotSigned + "x-amz-date", attack: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r *http.Request
			if c.presign {
				signedURL, hdr := presign(t, srv.URL, "sts.example.test", presignCases[0])
				r, _ = http.NewRequest("GET", signedURL, nil)
				r.Host = "sts.example.test"
				for k, vs := range hdr {
					if k != "Host" {
						r.Header[k] = vs
					}
				}
			} else {
				c.sc.headers = c.sc.headers.Clone()
				r = newSDKRequest(t, srv.URL, c.sc)
				if c.before != nil {
					c.before(r)
				}
				if err := v4.NewSigner().SignHTTP(context.Background(), c.sc.creds, r, hashHex([]byte(c.sc.body)),
					c.sc.service, c.sc.region, sdkSignTime); err != nil {
					t.Fatal(err)
				}
			}
			if c.after != nil {
				c.after(r)
			}
			got := srv.roundTrip(t, r)
			a := mustParse(t, got)
			if c.attack && !hmacOver(a, got, sdkSecret, bodySHA256(got.Body)) {
				t.Fatal("precondition: the forged request should carry a signature valid over what was signed")
			}
			err := a.Verify(got, sdkSecret)
			if c.wantMsg == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if e := wantKind(t, err, KindMismatch); e.Message != c.wantMsg {
				t.Fatalf("message = %q, want %q", e.Message, c.wantMsg)
			}
		})
	}

	// A Request built by hand may spell header names in any case.
	req := vectors[0].req()
	a := mustParse(t, req)
	req.Header["x-amz-target"] = []string{"AWSCognitoIdentityService.DeleteIdentityPool"}
	if e := wantKind(t, a.Verify(req, vectorSecret), KindMismatch); e.Message != msgNotSigned+"x-amz-target" {
		t.Fatalf("message = %q", e.Message)
	}
}

// TestQueryPlusMeaning: the signature and the codecs read one value from the same query bytes.
// A URL is signed (header form and presigned) over a parameter value; the wire form of that value
// is then swapped between %2B, '+', %20 and lowercase escapes. The request must verify exactly when
// url.ParseQuery, which every codec uses, reads the value that was signed.
func TestQueryPlusMeaning(t *testing.T) {
	srv := newCaptureServer(t)
	cases := []struct {
		value string   // the value signed; the SDK sends it RFC 3986 encoded
		wire  []string // other wire forms of the value to try
	}{
		{"a+b", []string{"a%2Bb", "a%2bb", "a+b", "a%20b"}},
		{"a b", []string{"a%20b", "a+b", "a%2Bb", "a%2bb"}},
		{"a++b", []string{"a%2B%2Bb", "a++b", "a+%2Bb", "a%20%20b"}},
		{"a  b", []string{"a%20%20b", "a++b", "a+%20b", "a%2B%2Bb"}},
		{"x/y=z", []string{"x%2Fy%3Dz", "x/y%3Dz", "x%2fy%3dz", "x/y=z"}},
	}
	for _, presigned := range []bool{false, true} {
		for _, c := range cases {
			encoded := strings.ReplaceAll(url.QueryEscape(c.value), "+", "%20")
			base := "Action=GetCallerIdentity&Version=2011-06-15&Tag=" + encoded
			for _, wire := range c.wire {
				name := map[bool]string{false: "header", true: "presigned"}[presigned] + "/" + c.value + "/" + wire
				t.Run(name, func(t *testing.T) {
					r, err := http.NewRequest("GET", srv.URL+"/?"+base, nil)
					if err != nil {
						t.Fatal(err)
					}
					r.Host = "sts.example.test"
					var sendURL string
					if presigned {
						sendURL, _, err = v4.NewSigner().PresignHTTP(context.Background(), tempCreds, r, EmptySHA256, "sts", "us-east-1", sdkSignTime)
					} else {
						err = v4.NewSigner().SignHTTP(context.Background(), tempCreds, r, EmptySHA256, "sts", "us-east-1", sdkSignTime)
						sendURL = r.URL.String()
					}
					if err != nil {
						t.Fatal(err)
					}
					if !strings.Contains(sendURL, "Tag="+encoded+"&") && !strings.HasSuffix(sendURL, "Tag="+encoded) {
						t.Fatalf("SDK encoded the value differently than expected: %s", sendURL)
					}
					sendURL = strings.Replace(sendURL, "Tag="+encoded, "Tag="+wire, 1)
					send, err := http.NewRequest("GET", sendURL, nil)
					if err != nil {
						t.Fatal(err)
					}
					send.Host = "sts.example.test"
					for k, vs := range r.Header {
						send.Header[k] = vs
					}
					got := srv.roundTrip(t, send)

					q, err := url.ParseQuery(got.RawQuery)
					if err != nil {
						t.Fatalf("the codec cannot read %q: %v", got.RawQuery, err)
					}
					sameMeaning := q.Get("Tag") == c.value
					a := mustParse(t, got)
					err = a.Verify(got, sdkSecret)
					if sameMeaning && err != nil {
						t.Fatalf("codec reads the signed value %q, but Verify refused: %v", c.value, err)
					}
					if !sameMeaning {
						if err == nil {
							t.Fatalf("codec reads %q, not the signed %q, yet the signature verified", q.Get("Tag"), c.value)
						}
						wantKind(t, err, KindMismatch)
					}
				})
			}
		}
	}
}

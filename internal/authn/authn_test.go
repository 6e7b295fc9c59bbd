package authn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/sigv4"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

const (
	account    = "123456789012"
	rootKey    = "AKIAIOSFODNN7EXAMPLE"
	rootSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	sessKey    = "ASIAIOSFODNN7EXAMPLE"
	sessSecret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
	sessToken  = "FQoGZXIvYXdzE+/sealed+token=="
)

var signTime = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// fakeKeys is an in-memory KeyStore holding the account root's key.
type fakeKeys struct{ root store.AccessKey }

func (f *fakeKeys) GetAccessKey(_ context.Context, id string) (store.AccessKey, error) {
	if id == f.root.AccessKeyID {
		return f.root, nil
	}
	return store.AccessKey{}, store.ErrNotFound
}
func (f *fakeKeys) GetUserByID(context.Context, string) (store.User, error) {
	return store.User{}, store.ErrNotFound
}
func (f *fakeKeys) RecordAccessKeyUse(context.Context, string, time.Time, string, string) error {
	return nil
}

// fakeSessions opens exactly one session token, as the sealed-token opener would.
type fakeSessions struct{}

func (fakeSessions) Open(_ context.Context, id, tok string) (*principal.Principal, string, error) {
	if id != sessKey || tok != sessToken {
		return nil, "", token.ErrInvalid
	}
	return &principal.Principal{AccountID: account, AccessKeyID: sessKey, ARN: "arn:aws:sts::" + account + ":federated-user/bob",
		Expires: signTime.Add(time.Hour)}, sessSecret, nil
}

func newAuthenticator(t *testing.T) *Authenticator {
	t.Helper()
	mk, err := keys.NewMasterKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	ks := &fakeKeys{root: store.AccessKey{AccessKeyID: rootKey, AccountID: account, Status: "Active",
		SecretCiphertext: mk.Seal([]byte(rootSecret), SecretAAD(rootKey))}}
	return New(ks, mk, fakeSessions{}, Options{Now: func() time.Time { return signTime.Add(time.Minute) }})
}

func hexHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// wire turns a client request into what a Go server hands the verifier: Content-Length in the
// header map, Host out of it, the body read once.
func wire(t *testing.T, r *http.Request) *sigv4.Request {
	t.Helper()
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	h := r.Header.Clone()
	if len(body) > 0 {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	return &sigv4.Request{Method: r.Method, RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Host: r.Host, Header: h, Body: body}
}

const (
	gci = "Action=GetCallerIdentity&Version=2011-06-15"
	gst = "Action=GetSessionToken&Version=2011-06-15&x" // same length as gci
)

// TestAuthenticateCoverage runs the signature-coverage rules through the authenticator, with the
// account root and with temporary credentials, so each refusal reaches the server as the
// protocol's signature error (Mismatch) and never as a principal.
func TestAuthenticateCoverage(t *testing.T) {
	root := aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: rootSecret}
	sess := aws.Credentials{AccessKeyID: sessKey, SecretAccessKey: sessSecret, SessionToken: sessToken}
	type req struct {
		service string
		build   func(t *testing.T) *sigv4.Request
	}
	header := func(creds aws.Credentials, service, body, payloadHash string, hdr map[string]string, send string, after map[string]string) func(t *testing.T) *sigv4.Request {
		return func(t *testing.T) *sigv4.Request {
			r, _ := http.NewRequest("POST", "https://"+service+".example.test/", strings.NewReader(body))
			for k, v := range hdr {
				r.Header.Set(k, v)
			}
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, payloadHash, service, "us-east-1", signTime); err != nil {
				t.Fatal(err)
			}
			for k, v := range after {
				r.Header.Set(k, v)
			}
			if send != "" {
				r.Body = io.NopCloser(strings.NewReader(send))
			}
			return wire(t, r)
		}
	}
	presigned := func(creds aws.Credentials, query, body string, alter func(string) string) func(t *testing.T) *sigv4.Request {
		return func(t *testing.T) *sigv4.Request {
			r, _ := http.NewRequest("GET", "https://sts.example.test/?"+query, nil)
			u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, hexHash(""), "sts", "us-east-1", signTime)
			if err != nil {
				t.Fatal(err)
			}
			if alter != nil {
				u = alter(u)
			}
			var b io.Reader
			if body != "" {
				b = strings.NewReader(body)
			}
			r, _ = http.NewRequest("GET", u, b)
			return wire(t, r)
		}
	}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	unsigned := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Amz-Content-Sha256": sigv4.UnsignedPayload}
	tagged := "Action=GetFederationToken&Version=2011-06-15&Name=bob&Tags.member.1.Key=team&Tags.member.1.Value=x%2By"
	cases := []struct {
		name    string
		req     req
		want    Kind // 0: authenticated
		wantARN string
	}{
		{"root, body hash signed", req{"sts", header(root, "sts", gci, hexHash(gci), form, "", nil)}, 0, principal.RootARN(account)},
		{"session, body hash signed", req{"sts", header(sess, "sts", gci, hexHash(gci), form, "", nil)}, 0, "arn:aws:sts::" + account + ":federated-user/bob"},
		{"root, UNSIGNED-PAYLOAD", req{"sts", header(root, "sts", gci, sigv4.UnsignedPayload, unsigned, "", nil)}, Mismatch, ""},
		{"root, UNSIGNED-PAYLOAD replayed as GetSessionToken", req{"sts", header(root, "sts", gci, sigv4.UnsignedPayload, unsigned, gst, nil)}, Mismatch, ""},
		{"session, UNSIGNED-PAYLOAD replayed as GetSessionToken", req{"sts", header(sess, "sts", gci, sigv4.UnsignedPayload, unsigned, gst, nil)}, Mismatch, ""},
		{"root, old body hash declared after signing", req{"sts", header(root, "sts", gci, hexHash(gci), form, gst,
			map[string]string{"X-Amz-Content-Sha256": hexHash(gci)})}, Mismatch, ""},
		{"root, X-Amz-Target added after signing", req{"cognito-identity", header(root, "cognito-identity", `{"IdentityPoolId":"p"}`,
			hexHash(`{"IdentityPoolId":"p"}`), map[string]string{"Content-Type": "application/x-amz-json-1.1"}, "",
			map[string]string{"X-Amz-Target": "AWSCognitoIdentityService.DeleteIdentityPool"})}, Mismatch, ""},
		{"root, presigned", req{"sts", presigned(root, tagged, "", nil)}, 0, principal.RootARN(account)},
		{"root, presigned with a body", req{"sts", presigned(root, gci, "Tags.member.1.Key=k", nil)}, Mismatch, ""},
		{"root, presigned value %2B turned into +", req{"sts", presigned(root, tagged, "", func(u string) string {
			return strings.Replace(u, "x%2By", "x+y", 1)
		})}, Mismatch, ""},
		{"session, presigned", req{"sts", presigned(sess, gci, "", nil)}, 0, "arn:aws:sts::" + account + ":federated-user/bob"},
	}
	a := newAuthenticator(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, _, err := a.Authenticate(context.Background(), c.req.build(t), c.req.service)
			if c.want == 0 {
				if err != nil {
					t.Fatalf("Authenticate: %v", err)
				}
				if p.ARN != c.wantARN {
					t.Fatalf("principal %s, want %s", p.ARN, c.wantARN)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != c.want {
				t.Fatalf("Authenticate = %+v, %v; want kind %v", p, err, c.want)
			}
			if p != nil {
				t.Fatalf("a principal came back with the refusal: %+v", p)
			}
			if strings.Contains(e.Message, rootSecret) || strings.Contains(e.Message, sessSecret) {
				t.Fatal("the message leaks a secret")
			}
		})
	}
}

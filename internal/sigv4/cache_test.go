package sigv4

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// A secret that changes for the same access key id must never be served the old signing key.
func TestKeyCacheSecretRotation(t *testing.T) {
	req := vectors[0].req()
	a := mustParse(t, req)
	if err := a.Verify(req, vectorSecret); err != nil { // warms the cache
		t.Fatal(err)
	}
	rotated := "rotatedSecretKeyrotatedSecretKeyrotated0"
	wantKind(t, a.Verify(req, rotated), KindMismatch)

	// Re-sign the same request with the rotated secret: now only the new secret verifies.
	sig := hmacSHA256(SigningKey(rotated, a.Date, a.Region, a.Service), StringToSign(a, CanonicalRequest(req, a)))
	a.Signature = fmt.Sprintf("%x", sig)
	if err := a.Verify(req, rotated); err != nil {
		t.Fatal(err)
	}
	wantKind(t, a.Verify(req, vectorSecret), KindMismatch)
}

func TestKeyCacheBounded(t *testing.T) {
	c := newKeyCache(8)
	for i := range 100 {
		region := fmt.Sprintf("region-%d", i)
		got := c.get(vectorSecret, "20261122", region, "sts")
		if !bytes.Equal(got, SigningKey(vectorSecret, "20261122", region, "sts")) {
			t.Fatalf("cached key for %s differs from SigningKey", region)
		}
		if n := c.len(); n > 8 {
			t.Fatalf("cache grew to %d entries", n)
		}
	}
	// Hits return the same key as a fresh derivation.
	for range 3 {
		if !bytes.Equal(c.get(vectorSecret, "20261122", "region-99", "sts"), SigningKey(vectorSecret, "20261122", "region-99", "sts")) {
			t.Fatal("cache hit returned a different key")
		}
	}
	// Oversized, attacker-chosen scope fields are derived but never stored.
	before := c.len()
	long := strings.Repeat("r", 10000)
	if !bytes.Equal(c.get(vectorSecret, "20261122", long, "sts"), SigningKey(vectorSecret, "20261122", long, "sts")) {
		t.Fatal("long region key differs")
	}
	if c.len() > before || c.len() > 8 {
		t.Fatal("long region was cached")
	}
	// Keys differ per secret, date, region and service.
	base := c.get("s1", "20261122", "us-east-1", "sts")
	for _, other := range [][]byte{
		c.get("s2", "20261122", "us-east-1", "sts"),
		c.get("s1", "20261123", "us-east-1", "sts"),
		c.get("s1", "20261122", "us-east-2", "sts"),
		c.get("s1", "20261122", "us-east-1", "iam"),
	} {
		if bytes.Equal(base, other) {
			t.Fatal("distinct scopes share a signing key")
		}
	}
}

// Run with -race: many goroutines verifying different keys and secrets through the shared cache.
func TestVerifyConcurrent(t *testing.T) {
	type job struct {
		req    *Request
		secret string
		ok     bool
	}
	var jobs []job
	for i := range 40 {
		secret := fmt.Sprintf("secret-%02d-wJalrXUtnFEMI/K7MDENG/bPxRfiCY", i%10)
		r, _ := http.NewRequest("POST", "https://sts.example.test/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		creds := aws.Credentials{AccessKeyID: fmt.Sprintf("AKIA%016d", i%5), SecretAccessKey: secret}
		region := fmt.Sprintf("us-east-%d", i%3)
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hashHex([]byte("Action=GetCallerIdentity&Version=2011-06-15")),
			"sts", region, sdkSignTime); err != nil {
			t.Fatal(err)
		}
		req := toServerRequest(r, []byte("Action=GetCallerIdentity&Version=2011-06-15"))
		jobs = append(jobs, job{req, secret, true}, job{req, secret + "x", false})
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				j := jobs[(g*7+i)%len(jobs)]
				a, err := Parse(j.req)
				if err != nil {
					t.Error(err)
					return
				}
				err = a.Verify(j.req, j.secret)
				if (err == nil) != j.ok {
					t.Errorf("job ok=%v: Verify = %v", j.ok, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// toServerRequest converts a client request without a network hop, doing what net/http's server
// does to it: Host moves out of the header map and Content-Length comes from the request length.
func toServerRequest(r *http.Request, body []byte) *Request {
	h := r.Header.Clone()
	if r.ContentLength > 0 {
		h.Set("Content-Length", fmt.Sprint(r.ContentLength))
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return &Request{Method: r.Method, RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Host: host, Header: h, Body: body}
}

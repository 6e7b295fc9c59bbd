package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// BenchmarkGetCallerIdentityHandler measures the server's own cost of a signed GetCallerIdentity:
// routing, SigV4 verification, the cached key lookup and the XML response, without the network.
func BenchmarkGetCallerIdentityHandler(b *testing.B) {
	ts := startServer(b)
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret}, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	// A Go server keeps Content-Length in the header map, and the SDK signs it.
	header := req.Header.Clone()
	header.Set("Content-Length", strconv.Itoa(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Host = req.Host
		r.Header = header
		w := httptest.NewRecorder()
		ts.App.Handler.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	}
}

// BenchmarkGetCallerIdentitySDK is the full round trip a user sees: SDK signing, loopback HTTP and the server.
func BenchmarkGetCallerIdentitySDK(b *testing.B) {
	ts := startServer(b)
	c := ts.rootSTS()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			b.Fatal(err)
		}
	}
}

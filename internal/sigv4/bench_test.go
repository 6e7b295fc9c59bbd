package sigv4

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// benchHeaderRequest is a typical SDK Go v2 awsQuery POST (AssumeRole with temporary credentials,
// the Go SDK's full signed header set).
func benchHeaderRequest(b *testing.B) *Request {
	body := "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo" +
		"&RoleSessionName=session-1&DurationSeconds=3600"
	r, _ := http.NewRequest("POST", "https://sts.us-east-1.amazonaws.com/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("Amz-Sdk-Invocation-Id", "6a3f2b7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	if err := v4.NewSigner().SignHTTP(context.Background(), tempCreds, r, hashHex([]byte(body)), "sts", "us-east-1", sdkSignTime); err != nil {
		b.Fatal(err)
	}
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0")
	r.Header.Set("Accept-Encoding", "gzip")
	return toServerRequest(r, []byte(body))
}

func benchPresignedRequest(b *testing.B) *Request {
	r, _ := http.NewRequest("GET", "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60", nil)
	r.Header.Set("X-K8s-Aws-Id", "my-cluster")
	signed, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), tempCreds, r, EmptySHA256, "sts", "us-east-1", sdkSignTime)
	if err != nil {
		b.Fatal(err)
	}
	r2, _ := http.NewRequest("GET", signed, nil)
	for k, v := range hdr {
		if k != "Host" {
			r2.Header[k] = v
		}
	}
	return toServerRequest(r2, nil)
}

// benchVerify measures what a server does per request: Parse, CheckScope and Verify.
func benchVerify(b *testing.B, req *Request) {
	now := sdkSignTime.Add(10 * time.Second)
	a := mustParse(b, req)
	if err := a.CheckScope("sts", now); err != nil {
		b.Fatal(err)
	}
	if err := a.Verify(req, sdkSecret); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		a, err := Parse(req)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.CheckScope("sts", now); err != nil {
			b.Fatal(err)
		}
		if err := a.Verify(req, sdkSecret); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyHeader(b *testing.B)    { benchVerify(b, benchHeaderRequest(b)) }
func BenchmarkVerifyPresigned(b *testing.B) { benchVerify(b, benchPresignedRequest(b)) }

// BenchmarkSigningKey is the cost the key cache saves on every request.
func BenchmarkSigningKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		SigningKey(sdkSecret, "20261122", "us-east-1", "sts")
	}
}

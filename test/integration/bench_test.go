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
	"github.com/aws/aws-sdk-go-v2/service/iam"
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

// BenchmarkAssumeRoleSDK is AssumeRole end to end: SDK signing, SigV4 verification, trust and
// identity evaluation, sealing the session token, and the XML response.
func BenchmarkAssumeRoleSDK(b *testing.B) {
	ts := startServer(b)
	root := ts.rootIAM()
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		b.Fatal(err)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		b.Fatal(err)
	}
	role, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trustUsers(userARN("alice")))})
	if err != nil {
		b.Fatal(err)
	}
	c := ts.sts(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("bench")}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionGetCallerIdentityHandler measures a request signed with temporary credentials:
// the session token is opened and verified without any store read.
func BenchmarkSessionGetCallerIdentityHandler(b *testing.B) {
	ts := startServer(b)
	out, err := ts.rootSTS().GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey), SessionToken: aws.ToString(out.Credentials.SessionToken)}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
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

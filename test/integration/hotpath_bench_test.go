package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/golang-jwt/jwt/v5"
)

// The BenchmarkHotPath… benchmarks (with BenchmarkSessionGetCallerIdentityHandler) measure the server's own cost of each credential operation of
// docs/performance.md (routing, verification, authorization, the store or its caches, minting and
// the answer) without the network or the SDK, with allocations reported.

// hotRequest is one prepared request, served as often as the benchmark asks.
type hotRequest struct {
	method, target, host string
	body                 []byte
	header               http.Header
}

func (h hotRequest) serve(b *testing.B, ts *testServer) {
	if err := h.try(ts); err != nil {
		b.Fatal(err)
	}
}

// try serves h once and says why it failed; unlike serve it may run on any goroutine.
func (h hotRequest) try(ts *testServer) error {
	r := httptest.NewRequest(h.method, h.target, bytes.NewReader(h.body))
	if h.host != "" {
		r.Host = h.host
	}
	r.Header = h.header
	w := httptest.NewRecorder()
	ts.App.Handler.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		return fmt.Errorf("status %d: %s", w.Code, w.Body.String())
	}
	return nil
}

// benchHot serves req once to warm the server, then b.N times under the timer.
func benchHot(b *testing.B, ts *testServer, req hotRequest) {
	req.serve(b, ts) // warm: caches and key sets, as under load
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req.serve(b, ts)
	}
}

func formRequest(action string, kv ...string) hotRequest {
	v := url.Values{"Action": {action}, "Version": {"2011-06-15"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return hotRequest{method: http.MethodPost, target: "/", body: []byte(v.Encode()),
		header: http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}}
}

func cognitoRequest(b *testing.B, op string, in any) hotRequest {
	body, err := json.Marshal(in)
	if err != nil {
		b.Fatal(err)
	}
	return hotRequest{method: http.MethodPost, target: "/", body: body,
		header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {"AWSCognitoIdentityService." + op}}}
}

// signedForm signs a form request to STS with creds, once.
func signedForm(b *testing.B, ts *testServer, creds aws.Credentials, h hotRequest) hotRequest {
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/", bytes.NewReader(h.body))
	req.Header = h.header.Clone()
	sum := sha256.Sum256(h.body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	h.header, h.host = req.Header.Clone(), req.Host
	// A Go server keeps Content-Length in the header map, and the SDK signs it.
	h.header.Set("Content-Length", strconv.Itoa(len(h.body)))
	return h
}

func BenchmarkHotPathAssumeRoleWithWebIdentity(b *testing.B) {
	ts := startServer(b)
	e := newCognitoEnv(b, ts, "bench", nil)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + e.providerARN + `"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`
	role, err := ts.rootIAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("web"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		b.Fatal(err)
	}
	tok := e.token(b, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()})
	benchHot(b, ts, formRequest("AssumeRoleWithWebIdentity", "RoleArn", aws.ToString(role.Role.Arn), "RoleSessionName", "bench", "WebIdentityToken", tok))
}

func BenchmarkHotPathGetIdExisting(b *testing.B) {
	ts := startServer(b)
	e := newCognitoEnv(b, ts, "bench", nil)
	logins := e.logins(b, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()})
	e.getID(b, logins)
	benchHot(b, ts, cognitoRequest(b, "GetId", map[string]any{"IdentityPoolId": e.pool, "Logins": logins}))
}

func BenchmarkHotPathGetCredentialsForIdentity(b *testing.B) {
	ts := startServer(b)
	e := newCognitoEnv(b, ts, "bench", nil)
	logins := e.logins(b, jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()})
	id := e.getID(b, logins)
	benchHot(b, ts, cognitoRequest(b, "GetCredentialsForIdentity", map[string]any{"IdentityId": id, "Logins": logins}))
}

func BenchmarkHotPathAssumeRole(b *testing.B) {
	ts := startServer(b)
	key, role := userAndRole(b, ts)
	benchHot(b, ts, signedForm(b, ts, key, formRequest("AssumeRole", "RoleArn", role, "RoleSessionName", "bench")))
}

// sessionCredentials are temporary credentials of the account root.
func sessionCredentials(b *testing.B, ts *testServer) aws.Credentials {
	out, err := ts.rootSTS().GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		b.Fatal(err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}
}

// The header form is BenchmarkSessionGetCallerIdentityHandler.

func BenchmarkHotPathGetCallerIdentitySessionPresigned(b *testing.B) {
	ts := startServer(b)
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	empty := sha256.Sum256(nil)
	u, hdr, err := v4.NewSigner().PresignHTTP(ctx, sessionCredentials(b, ts), req, hex.EncodeToString(empty[:]), "sts", "us-east-1", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	parsed, err := url.Parse(u)
	if err != nil {
		b.Fatal(err)
	}
	hdr.Del("Host")
	benchHot(b, ts, hotRequest{method: http.MethodGet, target: parsed.RequestURI(), host: parsed.Host, header: hdr})
}

// BenchmarkHotPathGetIdNew creates an identity per request (a durable write) one at a time, so
// every request waits for its own commit; the tokens, one per subject, are signed before the timer
// starts.
func BenchmarkHotPathGetIdNew(b *testing.B) {
	ts, reqs := newIdentityRequests(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		reqs[i].serve(b, ts)
	}
}

// BenchmarkHotPathGetIdNewConcurrent is BenchmarkHotPathGetIdNew from 16 concurrent callers, as
// the load tool drives it, so that concurrent creations share commits (the group commit). It
// reports req/s: the server's own write throughput, with no HTTP client competing for the CPUs.
func BenchmarkHotPathGetIdNewConcurrent(b *testing.B) {
	ts, reqs := newIdentityRequests(b)
	var next atomic.Int64
	benchConcurrent(b, func() error { return reqs[next.Add(1)-1].try(ts) })
}

// newIdentityRequests starts a server with an identity pool and prepares b.N GetId requests, each
// for a subject never seen before (the tokens signed on every CPU before the timer starts), after
// serving one more to warm the server.
func newIdentityRequests(b *testing.B) (*testServer, []hotRequest) {
	ts := startServer(b)
	e := newCognitoEnv(b, ts, "bench", nil)
	reqs := make([]hotRequest, b.N+1)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(reqs); i += workers {
				logins := e.logins(b, jwt.MapClaims{"sub": fmt.Sprintf("new-%d", i), "exp": time.Now().Add(time.Hour).Unix()})
				reqs[i] = cognitoRequest(b, "GetId", map[string]any{"IdentityPoolId": e.pool, "Logins": logins})
			}
		})
	}
	wg.Wait()
	reqs[b.N].serve(b, ts)
	return ts, reqs[:b.N]
}

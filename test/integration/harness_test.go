package integration

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/store"
)

const (
	rootKeyID  = "AKIAIOSFODNN7EXAMPLE"
	rootSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	accountID  = "123456789012"
)

type testServer struct {
	URL    string
	App    *app.App
	Config config.Config
	srv    *http.Server
}

type serverOption func(*config.Config, *app.Options)

func withClock(now func() time.Time) serverOption {
	return func(_ *config.Config, o *app.Options) { o.Now = now }
}

// startServer runs a node on 127.0.0.1:0 with known root credentials and a fresh data dir.
func startServer(t testing.TB, opts ...serverOption) *testServer {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.AccountID = accountID
	cfg.RootAccessKeyID = rootKeyID
	cfg.RootSecretAccessKey = rootSecret
	// In-process IdPs serve plain http on loopback.
	cfg.AllowHTTPIssuers = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = ln.Addr().String()
	cfg.IssuerURL = "http://" + cfg.Addr
	ao := app.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&cfg, &ao)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, ao)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	ts := &testServer{URL: "http://" + ln.Addr().String(), App: a, Config: cfg, srv: srv}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = a.Close()
	})
	return ts
}

func (ts *testServer) awsConfig(keyID, secret, token string) aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, token),
		Retryer:     transportRetryer,
	}
}

// transportRetryer retries only a request whose connection failed under it, as the SDK's default retryer
// does: on a loaded machine Go's transport occasionally closes a kept-alive connection while a response
// body is read. API errors are never retried, so every asserted error code is the first answer.
func transportRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
		o.RateLimiter = ratelimit.None
	})
}

func (ts *testServer) sts(keyID, secret string) *sts.Client {
	return sts.NewFromConfig(ts.awsConfig(keyID, secret, ""), func(o *sts.Options) { o.BaseEndpoint = aws.String(ts.URL) })
}

func (ts *testServer) iam(keyID, secret string) *iam.Client {
	return iam.NewFromConfig(ts.awsConfig(keyID, secret, ""), func(o *iam.Options) { o.BaseEndpoint = aws.String(ts.URL) })
}

func (ts *testServer) rootSTS() *sts.Client { return ts.sts(rootKeyID, rootSecret) }
func (ts *testServer) rootIAM() *iam.Client { return ts.iam(rootKeyID, rootSecret) }

// wantAPIError asserts err is an AWS API error with this code and HTTP status.
func wantAPIError(t testing.TB, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s (%d), got success", code, status)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want API error %s, got %T: %v", code, err, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want code %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if status != 0 {
		var re interface{ HTTPStatusCode() int }
		if errors.As(err, &re) && re.HTTPStatusCode() != status {
			t.Fatalf("%s: want HTTP %d, got %d", code, status, re.HTTPStatusCode())
		}
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// secondAccount creates another account of the deployment and returns its root access key, for
// cross-account scenarios.
func (ts *testServer) secondAccount(t testing.TB, id string) (keyID, secret string) {
	t.Helper()
	if err := ts.App.Store.CreateAccount(ctx, store.Account{ID: id, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	keyID, secret, err := app.CreateRootKey(ctx, ts.App.Store, ts.App.Master, id, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return keyID, secret
}

package integration

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

// slogCapture is a slog.Handler that keeps every record, with its attributes as text.
type slogCapture struct {
	mu      *sync.Mutex
	records *[]slogRecord
}

type slogRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func newSlogCapture() slogCapture { return slogCapture{mu: &sync.Mutex{}, records: &[]slogRecord{}} }

func (c slogCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c slogCapture) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c slogCapture) WithGroup(string) slog.Handler            { return c }
func (c slogCapture) Handle(_ context.Context, r slog.Record) error {
	rec := slogRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool { rec.attrs[a.Key] = a.Value.String(); return true })
	c.mu.Lock()
	defer c.mu.Unlock()
	*c.records = append(*c.records, rec)
	return nil
}

func (c slogCapture) all() []slogRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]slogRecord(nil), *c.records...)
}

// request is the request log's line for op, or fails the test.
func (c slogCapture) request(t *testing.T, op string) slogRecord {
	t.Helper()
	for _, r := range c.all() {
		if r.attrs["operation"] == op && strings.HasPrefix(r.msg, "request") && r.attrs["status"] != "" {
			return r
		}
	}
	t.Fatalf("no request log line for %s in %v", op, c.all())
	return slogRecord{}
}

// TestRequestLog: every API request gets one structured line at info — successes and the
// caller's refusals (access denied, a bad token, a bad signature) alike; nothing the caller
// caused is logged at error, and no secret is logged.
func TestRequestLog(t *testing.T) {
	logs := newSlogCapture()
	ts := startServer(t, func(_ *config.Config, o *app.Options) { o.Logger = slog.New(logs) })
	ctx := context.Background()
	if _, err := ts.rootSTS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	aliceID, aliceSecret := createUserWithKey(t, ts, "alice")
	// A broad identity, the account root's key with a wrong secret, is refused by the signature.
	wrongSecret := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGKEYX"
	_, sigErr := ts.sts(rootKeyID, wrongSecret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	_, denyErr := ts.iam(aliceID, aliceSecret).ListRoles(ctx, &iam.ListRolesInput{})
	_, tokErr := ts.rootSTS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String("arn:aws:iam::" + accountID + ":role/r"), RoleSessionName: aws.String("s"), WebIdentityToken: aws.String("not-a-jwt.at-all.x")})
	if sigErr == nil || denyErr == nil || tokErr == nil {
		t.Fatalf("refusals expected: %v / %v / %v", sigErr, denyErr, tokErr)
	}

	ok := logs.request(t, "GetCallerIdentity")
	for k, want := range map[string]string{"service": "sts", "principal": "arn:aws:iam::" + accountID + ":root", "code": "OK", "status": "200"} {
		if ok.attrs[k] != want {
			t.Errorf("success line %s = %q, want %q (%v)", k, ok.attrs[k], want, ok.attrs)
		}
	}
	if ok.level != slog.LevelInfo || ok.attrs["request_id"] == "" || ok.attrs["latency"] == "" {
		t.Errorf("success line: %v %v", ok.level, ok.attrs)
	}
	denied := logs.request(t, "ListRoles")
	if denied.level != slog.LevelInfo || denied.attrs["code"] != "AccessDenied" || denied.attrs["status"] != "403" ||
		denied.attrs["principal"] != "arn:aws:iam::"+accountID+":user/alice" {
		t.Errorf("access denied line: %v %v", denied.level, denied.attrs)
	}
	token := logs.request(t, "AssumeRoleWithWebIdentity")
	if token.level != slog.LevelInfo || token.attrs["code"] == "OK" || !strings.HasPrefix(token.attrs["status"], "4") {
		t.Errorf("token refusal line: %v %v", token.level, token.attrs)
	}
	var sig bool
	for _, r := range logs.all() {
		if r.level >= slog.LevelError {
			t.Errorf("a caller's refusal logged at error: %s %v", r.msg, r.attrs)
		}
		line := fmt.Sprint(r.msg, r.attrs)
		for _, secret := range []string{rootSecret, wrongSecret, aliceSecret} {
			if strings.Contains(line, secret) {
				t.Errorf("a secret is logged: %s", line)
			}
		}
		sig = sig || r.attrs["code"] == "SignatureDoesNotMatch"
	}
	if !sig {
		t.Error("the bad signature was not logged")
	}
}

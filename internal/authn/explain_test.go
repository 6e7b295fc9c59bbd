package authn

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/explain/explaintest"
	"github.com/latchkey/latchkey/internal/sigv4"
)

// TestRefusalsAreExplained: each refusal of a signature or a key names the failed check and its
// values; its JSON holds no secret, session token, signature or signing key.
func TestRefusalsAreExplained(t *testing.T) {
	root := aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: rootSecret}
	sess := aws.Credentials{AccessKeyID: sessKey, SecretAccessKey: sessSecret, SessionToken: sessToken}
	signed := func(creds aws.Credentials, service string, at time.Time, hdr, after map[string]string) (*sigv4.Request, string) {
		r, _ := http.NewRequest("POST", "https://sts.example.test/", strings.NewReader(gci))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hexHash(gci), service, "us-east-1", at); err != nil {
			t.Fatal(err)
		}
		for k, v := range after {
			r.Header.Set(k, v)
		}
		authz := r.Header.Get("Authorization")
		return wire(t, r), authz[strings.LastIndex(authz, "=")+1:]
	}
	// The signature the server computes for the root's request: it must never be shown.
	_, expected := signed(root, "sts", signTime, nil, nil)
	wrongRoot := aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: "not-the-secret"}
	wrongSess := sess
	wrongSess.SecretAccessKey = "not-the-secret"
	badToken := sess
	badToken.SessionToken = "forged-session-token"
	cases := []struct {
		name    string
		creds   aws.Credentials
		service string
		at      time.Time
		now     time.Time
		after   map[string]string
		kind    Kind
		outcome explain.Outcome
		check   string
		values  []string
	}{
		{name: "wrong secret", creds: wrongRoot, kind: Mismatch, outcome: explain.InvalidSignature, check: "signature",
			values: []string{"POST\n/\n\ncontent-length:43\ncontent-type:application/x-www-form-urlencoded", "AWS4-HMAC-SHA256\n20261122T120000Z\n20261122/us-east-1/sts/aws4_request"}},
		{name: "session, wrong secret", creds: wrongSess, kind: Mismatch, outcome: explain.InvalidSignature, check: "signature", values: []string{"x-amz-security-token:<redacted>"}},
		{name: "signed for another service", creds: root, service: "iam", kind: Mismatch, outcome: explain.InvalidSignature,
			check: "credential scope service", values: []string{"sts", "iam"}},
		{name: "clock skew", creds: root, at: signTime.Add(-time.Hour), kind: Skewed, outcome: explain.InvalidSignature,
			check: "request date", values: []string{"20261122T110000Z", "from 20261122T114600Z to 20261122T121600Z"}},
		{name: "x-amz header not signed", creds: root, after: map[string]string{"X-Amz-Target": "x"}, kind: Mismatch, outcome: explain.InvalidSignature,
			check: "signed headers", values: []string{"x-amz-target", "host"}},
		{name: "body hash differs", creds: root, after: map[string]string{"X-Amz-Content-Sha256": hexHash("other")}, kind: Mismatch, outcome: explain.InvalidSignature,
			check: "payload hash", values: []string{hexHash("other"), hexHash(gci)}},
		{name: "session token does not open", creds: badToken, kind: InvalidToken, outcome: explain.InvalidToken, check: "session token", values: []string{sessKey}},
		{name: "session expired", creds: sess, at: signTime.Add(2 * time.Hour), now: signTime.Add(2 * time.Hour), kind: ExpiredToken, outcome: explain.ExpiredToken,
			check: "session token expiry", values: []string{"2026-11-22T13:00:00Z", "after 2026-11-22T14:00:00Z"}},
		{name: "unknown access key", creds: aws.Credentials{AccessKeyID: "AKIAUNKNOWNKEY000000", SecretAccessKey: rootSecret}, kind: InvalidToken,
			outcome: explain.InvalidToken, check: "access key id", values: []string{"AKIAUNKNOWNKEY000000"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newAuthenticator(t)
			if !c.now.IsZero() {
				a.opts.Now = func() time.Time { return c.now }
			}
			service, at := c.service, c.at
			if service == "" {
				service = "sts"
			}
			if at.IsZero() {
				at = signTime
			}
			req, provided := signed(c.creds, service, at, nil, c.after)
			_, _, err := a.Authenticate(context.Background(), req, "sts")
			var e *Error
			if !errors.As(err, &e) || e.Kind != c.kind {
				t.Fatalf("Authenticate = %v, want kind %v", err, c.kind)
			}
			key := hex.EncodeToString(sigv4.SigningKey(c.creds.SecretAccessKey, at.Format("20060102"), "us-east-1", service))
			secrets := []string{rootSecret, sessSecret, "not-the-secret", sessToken, "forged-session-token", expected, provided, key}
			explaintest.FailedCheck(t, err, c.outcome, c.check, c.values, secrets)
		})
	}
}

// TestMalformedSignatureIsExplained: a refusal of Parse still says what was malformed.
func TestMalformedSignatureIsExplained(t *testing.T) {
	r, _ := http.NewRequest("POST", "https://sts.example.test/", strings.NewReader(gci))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/20261122/us-east-1/sts/aws4_request")
	r.Header.Set("X-Amz-Date", "20261122T120000Z")
	_, _, err := newAuthenticator(t).Authenticate(context.Background(), wire(t, r), "sts")
	x := explain.Of(err)
	if x == nil || x.Checks[0].Name != "signature format" || !strings.Contains(x.Summary, "requires 'Signature'") {
		t.Fatalf("explanation %+v of %v", x, err)
	}
}

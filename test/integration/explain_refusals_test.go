package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/latchkey/latchkey/internal/principal"
	lkqs "github.com/latchkey/latchkey/internal/quicksight"
)

// lastCheck is the name of the failed (last) check of the recorded decision id, read through
// the admin API as the account root, and the decision's summary.
func lastCheck(t *testing.T, ts *testServer, id string) (string, string) {
	t.Helper()
	status, body := adminGet(t, ts, rootKeyID, rootSecret, "/latchkey/v1/decisions/"+id)
	if status != 200 {
		t.Fatalf("decision %s: %d %v", id, status, body)
	}
	x, _ := body["explanation"].(map[string]any)
	checks, _ := x["checks"].([]any)
	summary, _ := x["summary"].(string)
	if len(checks) == 0 {
		return "", summary
	}
	name, _ := checks[len(checks)-1].(map[string]any)["name"].(string)
	return name, summary
}

// TestQuickSightContextRefusalsExplained: each refused identity context of AssumeRole's
// ProvidedContexts — altered, expired, another token of the same issuer, a user of another
// account — is explained in development mode's message and by the admin API, naming the check
// and its values and never the assertion.
func TestQuickSightContextRefusalsExplained(t *testing.T) {
	ts := startServer(t, withExplainDenials)
	aliceID, aliceSecret := createUserWithKey(t, ts, "alice")
	alice := ts.sts(aliceID, aliceSecret)
	role := mustRole(t, ts.rootIAM(), "reports", trustWithContext(userARN("alice"), "sts:AssumeRole", "sts:SetContext"))
	sign := func(ic principal.IdentityContext, typ string) string {
		claims := lkqs.ContextClaims(ic, time.Now(), "test")
		if typ != "" {
			claims["typ"] = typ
		}
		tok, err := ts.App.Issuer.Sign(ctx, "ES384", claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := principal.IdentityContext{AccountID: accountID, Namespace: "default", UserARN: "arn:aws:quicksight:us-east-1:" + accountID + ":user/default/bob",
		PrincipalID: "p-bob", Region: "us-east-1", Expires: time.Now().Add(time.Minute)}
	if _, err := assumeWithContext(ts, alice, aws.ToString(role.Arn), qsProvider, sign(good, "")); err != nil {
		t.Fatalf("a valid context: %v", err)
	}
	expired, foreign := good, good
	expired.Expires = time.Now().Add(-time.Hour)
	foreign.AccountID, foreign.UserARN = "111111111111", "arn:aws:quicksight:us-east-1:111111111111:user/default/bob"
	valid := sign(good, "")
	parts := strings.Split(valid, ".")
	altered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	for _, tc := range []struct {
		name, assertion, code string
		status                int
		check                 string
		values                []string
	}{
		{"altered signature", altered, "ValidationError", 400, "signature", []string{"ES384"}},
		{"not a JWS", "not-a-token", "ValidationError", 400, "format", []string{"not a compact JWS"}},
		{"expired", sign(expired, ""), "ExpiredTokenException", 400, "exp", []string{"expired at " + expired.Expires.UTC().Format(time.RFC3339)}},
		{"another token of the issuer", sign(good, "JWT"), "ValidationError", 400, "typ", []string{`typ "JWT"`}},
		{"a user of another account", sign(foreign, ""), "AccessDenied", 403, "account", []string{"account 111111111111", "account " + accountID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := assumeWithContext(ts, alice, aws.ToString(role.Arn), qsProvider, tc.assertion)
			wantAPIError(t, err, tc.code, tc.status)
			msg := apiMessage(t, err)
			for _, v := range tc.values {
				if !strings.Contains(msg, "(Latchkey: ") || !strings.Contains(msg, v) {
					t.Fatalf("message %q does not explain %q", msg, v)
				}
			}
			name, summary := lastCheck(t, ts, requestID(t, err))
			if name != tc.check || summary == "" {
				t.Fatalf("recorded check %q, summary %q; want %s", name, summary, tc.check)
			}
			for _, secret := range []string{parts[1], parts[2], tc.assertion} {
				if len(secret) > 8 && strings.Contains(msg+summary, secret) {
					t.Fatalf("the assertion leaks into the explanation: %q", msg)
				}
			}
		})
	}
}

package quicksight

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/explain/explaintest"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/token"
)

// fakeTokens verifies the assertions it knows, with their claims; any other is invalid.
type fakeTokens map[string]map[string]any

func (f fakeTokens) Verify(_ context.Context, tok string) (map[string]any, error) {
	if c, ok := f[tok]; ok {
		return c, nil
	}
	return nil, token.ErrTokenInvalid
}

func jws(header string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(header)) + ".eyJzZWNyZXQiOiJwYXlsb2FkIn0.c2lnbmF0dXJlLXNlY3JldA"
}

// TestVerifyContextExplained: each check VerifyContext runs refuses with an explanation naming
// the check and its values, and never the assertion or its signature.
func TestVerifyContextExplained(t *testing.T) {
	ic := principal.IdentityContext{AccountID: acct, Namespace: "default", UserARN: "arn:aws:quicksight:us-east-1:" + acct + ":user/default/app/s1",
		PrincipalID: "federated/iam/AROAAPP:s1", Region: "us-east-1", Expires: now.Add(time.Hour)}
	valid := ContextClaims(ic, now, "jti1")
	// As decoded from the token's JSON: numbers are float64.
	valid["exp"], valid["iat"], valid["v"] = float64(ic.Expires.Unix()), float64(now.Unix()), float64(1)
	with := func(k string, v any) map[string]any {
		c := map[string]any{}
		for ck, cv := range valid {
			c[ck] = cv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	// A Cognito identity token verifies with the same issuer but is no identity context.
	toks := fakeTokens{
		"valid": valid, "cognito": with("typ", nil), "other-typ": with("typ", "web-identity"),
		"no-exp": with("exp", nil), "expired": with("exp", float64(now.Add(-90*time.Second).Unix())),
		"no-user": with("arn", nil), "no-acct": with("acct", ""),
	}
	altered := jws(`{"alg":"ES384","kid":"k-retired"}`)
	v := ContextVerifier{Tokens: toks, Now: func() time.Time { return now }}
	if got, err := v.VerifyContext(t.Context(), "valid"); err != nil || got.UserARN != ic.UserARN {
		t.Fatalf("valid context: %+v, %v", got, err)
	}
	for _, tc := range []struct {
		name, assertion, code string
		outcome               explain.Outcome
		check                 string
		values                []string
	}{
		{"not a JWS", "garbage", "ValidationError", explain.InvalidToken, "format", []string{"1 dot-separated parts"}},
		{"header not base64", "!!.x.y", "ValidationError", explain.InvalidToken, "format", []string{"base64url"}},
		{"altered or unknown kid", altered, "ValidationError", explain.InvalidToken, "signature", []string{"k-retired", "ES384"}},
		{"cognito token", "cognito", "ValidationError", explain.InvalidToken, "typ", []string{ContextType, "absent"}},
		{"other typ", "other-typ", "ValidationError", explain.InvalidToken, "typ", []string{ContextType, "web-identity"}},
		{"no exp", "no-exp", "ValidationError", explain.InvalidToken, "exp", []string{"absent"}},
		{"expired", "expired", "ExpiredTokenException", explain.ExpiredToken, "exp", []string{"2026-01-02T03:02:35Z", "after 2026-01-02T03:04:05Z"}},
		{"no user arn", "no-user", "ValidationError", explain.InvalidToken, "user", []string{"arn absent", `acct "` + acct + `"`}},
		{"no account", "no-acct", "ValidationError", explain.InvalidToken, "user", []string{"acct absent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.VerifyContext(t.Context(), tc.assertion)
			wantCode(t, err, tc.code, 400)
			x := explaintest.FailedCheck(t, err, tc.outcome, tc.check, tc.values, []string{"c2lnbmF0dXJlLXNlY3JldA", "eyJzZWNyZXQiOiJwYXlsb2FkIn0"})
			if x.Summary == "" {
				t.Fatal("no summary")
			}
			for _, c := range x.Checks[:len(x.Checks)-1] {
				if !c.Passed {
					t.Fatalf("check %s before the failed one is not passed: %+v", c.Name, x.Checks)
				}
			}
		})
	}
}

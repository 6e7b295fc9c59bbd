package cognito

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/explain/explaintest"
	"github.com/latchkey/latchkey/internal/token"
)

// TestCognitoTokenRefusalsExplained: each refusal of a Cognito token — in the classic flow
// (AssumeRoleWithWebIdentity) and under the cognito-identity.amazonaws.com Logins key of
// GetCredentialsForIdentity — names the failed check and its values, and never the token. The
// attack cases are valid tokens of this issuer: for another pool, for a deleted pool, for a pool
// that disabled the classic flow.
func TestCognitoTokenRefusalsExplained(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, nil)
	other := f.pool(t, nil)
	guest, err := f.svc.GetId(ctx, p.ID, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(claims map[string]any) string {
		base := map[string]any{"iss": testIssuer, "aud": p.ID, "sub": guest, "amr": []string{"unauthenticated"},
			"iat": f.now.Unix(), "exp": f.now.Add(time.Minute).Unix()}
		for k, v := range claims {
			if v == nil {
				delete(base, k)
			} else {
				base[k] = v
			}
		}
		tok, err := f.svc.Tokens.Sign(ctx, token.RS256, base)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	valid := sign(nil)
	forged := valid[:len(valid)-4] + "AAAA"
	expired := sign(map[string]any{"exp": f.now.Add(-time.Minute).Unix()})
	const gone = "us-east-1:00000000-0000-4000-8000-000000000000"
	secrets := []string{valid[len(valid)-20:], forged[len(forged)-20:]}

	classic := f.svc.ClassicFlow()
	if _, err := classic.VerifyCognitoToken(ctx, valid); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	if _, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: guest, Logins: map[string]string{CognitoProvider: valid}}); err != nil {
		t.Fatalf("valid token under the Cognito key: %v", err)
	}
	for _, tc := range []struct {
		name, tok, code string
		outcome         explain.Outcome
		check           string
		values          []string
	}{
		{"not a JWS", "garbage", "InvalidIdentityToken", explain.InvalidToken, "format", []string{"1 dot-separated parts"}},
		{"forged signature", forged, "InvalidIdentityToken", explain.InvalidToken, "signature", []string{"alg RS256"}},
		{"no exp", sign(map[string]any{"exp": nil}), "InvalidIdentityToken", explain.InvalidToken, "exp", []string{"absent"}},
		{"expired", expired, "ExpiredTokenException", explain.ExpiredToken, "exp", []string{time.Unix(f.now.Add(-time.Minute).Unix(), 0).UTC().Format(time.RFC3339)}},
		{"no aud", sign(map[string]any{"aud": nil}), "InvalidIdentityToken", explain.InvalidToken, "aud", []string{"absent"}},
		{"no sub", sign(map[string]any{"sub": nil}), "InvalidIdentityToken", explain.InvalidToken, "sub", []string{"absent"}},
		{"deleted pool", sign(map[string]any{"aud": gone}), "InvalidIdentityToken", explain.InvalidToken, "aud", []string{gone, "no identity pool"}},
	} {
		t.Run("classic/"+tc.name, func(t *testing.T) {
			_, err := classic.VerifyCognitoToken(ctx, tc.tok)
			wantCode(t, err, tc.code)
			explaintest.FailedCheck(t, err, tc.outcome, tc.check, tc.values, secrets)
		})
	}
	for _, tc := range []struct {
		name, tok string
		outcome   explain.Outcome
		check     string
		values    []string
	}{
		{"forged signature", forged, explain.InvalidToken, "signature", []string{"alg RS256"}},
		{"another pool's token", sign(map[string]any{"aud": other.ID}), explain.InvalidToken, "aud", []string{p.ID, other.ID}},
		{"another issuer", sign(map[string]any{"iss": "https://evil.example.com"}), explain.InvalidToken, "iss", []string{testIssuer, "https://evil.example.com"}},
		{"no exp", sign(map[string]any{"exp": nil}), explain.InvalidToken, "exp", []string{"absent"}},
		{"expired", expired, explain.ExpiredToken, "exp", []string{"after " + f.now.UTC().Format(time.RFC3339)}},
	} {
		t.Run("logins/"+tc.name, func(t *testing.T) {
			_, err := f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: guest, Logins: map[string]string{CognitoProvider: tc.tok}})
			wantCode(t, err, "NotAuthorizedException")
			explaintest.FailedCheck(t, err, tc.outcome, tc.check, tc.values, secrets)
		})
	}

	no := false
	if _, err := f.svc.UpdateIdentityPool(ctx, f.root, PoolInput{ID: p.ID, Name: "app", AllowUnauthenticated: true, AllowClassicFlow: &no}); err != nil {
		t.Fatal(err)
	}
	_, err = classic.VerifyCognitoToken(ctx, valid)
	wantCode(t, err, "InvalidIdentityToken")
	explaintest.FailedCheck(t, err, explain.InvalidToken, "AllowClassicFlow", []string{"true", "false", p.ID}, secrets)
}

// TestLoginRefusalsExplained: a Logins entry refused before or after the verifier names the
// provider or claim that decided; the OIDC verifier's own explanation is kept in the cause.
func TestLoginRefusalsExplained(t *testing.T) {
	f := newFixture(t)
	p := f.pool(t, func(in *PoolInput) { in.SupportedLoginProviders = map[string]string{"graph.facebook.com": "fb-app"} })
	for _, tc := range []struct {
		name   string
		logins map[string]string
		check  string
		values []string
	}{
		{"unknown provider", map[string]string{"unknown.example.com": "t"}, "provider", []string{"unknown.example.com"}},
		{"developer provider", map[string]string{devProvider: "user-1"}, "provider", []string{devProvider}},
		{"cognito token in GetId", map[string]string{CognitoProvider: "t"}, "provider", []string{"GetCredentialsForIdentity"}},
		{"online provider", map[string]string{"graph.facebook.com": "t"}, "provider", []string{"online call"}},
		{"token of another issuer", map[string]string{oidcName: f.upstream(map[string]any{"iss": "https://evil.example.com"})}, "iss", []string{oidcURL, "https://evil.example.com"}},
		{"user pool token of another issuer", map[string]string{userPoolKey: f.upstream(nil)}, "iss", []string{"https://" + userPoolKey, oidcURL}},
		{"user pool access token", map[string]string{userPoolKey: f.upstream(map[string]any{"iss": "https://" + userPoolKey, "aud": "upclient", "token_use": "access"})}, "token_use", []string{"id", "access"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.GetId(ctx, p.ID, "", tc.logins)
			wantCode(t, err, "NotAuthorizedException")
			explaintest.FailedCheck(t, err, explain.InvalidToken, tc.check, tc.values, nil)
		})
	}
}

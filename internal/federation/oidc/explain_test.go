package oidc

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/explain/explaintest"
)

// TestRefusalsAreExplained: each refusal names the check that failed, last, with the values a
// person needs, and its JSON holds no part of the token.
func TestRefusalsAreExplained(t *testing.T) {
	f := newFixture(t, Options{})
	iss := f.idp.issuer()
	claims := baseClaims(iss)
	now := fixedNow.Unix()
	valid := sign(t, jose.RS256, rsaKey, "rsa1", claims)
	parts := strings.Split(valid, ".")
	httpIss := strings.Replace(iss, "https://", "http://", 1)
	cases := []struct {
		name    string
		token   string
		outcome explain.Outcome
		check   string
		values  []string // each must appear in the failed check's Expected or Actual
		summary string   // must appear in the summary
		anyIss  bool     // the lookup ignores the scheme, as the provider's ARN does
	}{
		{name: "wrong audience", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "aud", "someone-else")), outcome: explain.InvalidToken,
			check: "aud", values: []string{"someone-else", testAud, "other-client"}, summary: `aud "someone-else"`},
		{name: "azp not registered", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "azp", "rogue")), outcome: explain.InvalidToken,
			check: "aud", values: []string{"rogue", testAud}, summary: `azp "rogue"`},
		{name: "unknown issuer", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "iss", "https://evil.example")), outcome: explain.InvalidToken,
			check: "iss", values: []string{"https://evil.example"}, summary: "CreateOpenIDConnectProvider"},
		{name: "provider registered with the other scheme", token: valid, outcome: explain.InvalidToken,
			check: "iss", values: []string{httpIss, iss}, summary: "differ in scheme", anyIss: true},
		{name: "expired", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "exp", now-90)), outcome: explain.ExpiredToken,
			check: "exp", values: []string{fmt.Sprint(now - 90), fmt.Sprint(now)}, summary: "1m30s before now"},
		{name: "nbf in the future", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "nbf", now+600)), outcome: explain.InvalidToken,
			check: "nbf", values: []string{fmt.Sprint(now + 600), fmt.Sprint(now + 300)}, summary: "leeway of 5m0s"},
		{name: "iat in the future", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "iat", now+900)), outcome: explain.InvalidToken,
			check: "iat", values: []string{fmt.Sprint(now + 900)}, summary: "iat"},
		{name: "unknown kid", token: sign(t, jose.RS256, rsaKey, "rotated", claims), outcome: explain.InvalidToken,
			check: "kid", values: []string{"rotated", "rsa1 [RSA, RS256]", "ec384 [EC 384, ES384]"}, summary: `kid "rotated"`},
		{name: "signed by another key", token: sign(t, jose.RS256, rsaKey2, "rsa1", claims), outcome: explain.InvalidToken,
			check: "signature", values: []string{"rsa1 [RSA, RS256]"}, summary: "altered or signed by another key"},
		{name: "unsupported alg", token: sign(t, jose.HS256, []byte("a-shared-secret-of-32-bytes-long"), "rsa1", claims), outcome: explain.InvalidToken,
			check: "alg", values: []string{"HS256", "RS256"}, summary: `"HS256"`},
		{name: "sub missing", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "sub", nil)), outcome: explain.InvalidToken,
			check: "sub", summary: "no sub claim"},
		{name: "not a JWT", token: parts[0] + "." + parts[1], outcome: explain.InvalidToken,
			check: "format", summary: "2 parts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lookup := lookupOne(f.prov)
			if c.anyIss {
				lookup = func(string) (Provider, bool) { return Provider{URL: httpIss, ClientIDs: f.prov.ClientIDs}, true }
			}
			_, err := f.v.Verify(verifyCtx(t), c.token, lookup)
			if err == nil {
				t.Fatal("accepted")
			}
			x := explaintest.FailedCheck(t, err, c.outcome, c.check, c.values, tokenParts(c.token))
			if !strings.Contains(x.Summary, c.summary) {
				t.Fatalf("summary %q does not say %q", x.Summary, c.summary)
			}
			for _, prior := range x.Checks[:len(x.Checks)-1] {
				if !prior.Passed {
					t.Fatalf("check %s before the failed one is not marked passed", prior.Name)
				}
			}
		})
	}
}

// tokenParts is the token and its segments long enough to be recognised.
func tokenParts(token string) []string {
	var out []string
	for _, p := range append([]string{token}, strings.Split(token, ".")...) {
		if len(p) >= 8 {
			out = append(out, p)
		}
	}
	return out
}

// TestThumbprintRefusalIsExplained: an untrusted chain names the fingerprints it presented
// and the registered ones, while the caller's message stays MsgCommunication.
func TestThumbprintRefusalIsExplained(t *testing.T) {
	testKeys(t)
	idp := newTLSIdP(t, "", jwk(rsaKey, "rsa1", "RS256"))
	seen := thumbprint(idp.srv.Certificate())
	registered := strings.Repeat("ab", 20)
	v := NewVerifier(Options{Now: newClock().Now, AllowedNetworks: localNets})
	prov := Provider{URL: idp.issuer(), ClientIDs: []string{testAud}, Thumbprints: []string{registered}}
	tok := sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(idp.issuer()))
	_, err := v.Verify(verifyCtx(t), tok, lookupOne(prov))
	wantErr(t, err, Communication, MsgCommunication)
	explaintest.FailedCheck(t, err, explain.InvalidToken, "thumbprint", []string{seen, registered}, tokenParts(tok))

	// Without thumbprints a failed fetch says nothing about the network.
	v = NewVerifier(Options{Now: newClock().Now, AllowedNetworks: localNets})
	_, err = v.Verify(verifyCtx(t), tok, lookupOne(Provider{URL: idp.issuer(), ClientIDs: []string{testAud}}))
	explaintest.FailedCheck(t, err, explain.InvalidToken, "keyset", nil, append(tokenParts(tok), "127.0.0.1", "certificate"))
	var oe *Error
	if !errors.As(err, &oe) || oe.Message != MsgCommunication {
		t.Fatalf("error %v", err)
	}
}

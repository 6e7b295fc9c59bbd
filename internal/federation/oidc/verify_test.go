package oidc

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// fixture is a TLS IdP publishing RSA and EC keys, and a verifier trusting it.
type fixture struct {
	idp   *testIdP
	clock *clock
	v     *Verifier
	prov  Provider
}

func newFixture(t testing.TB, opts Options) *fixture {
	testKeys(t)
	idp := newTLSIdP(t, "",
		jwk(rsaKey, "rsa1", "RS256"),
		jwk(rsaKey2, "rsa2", ""), // no alg: usable for RS256/384/512
		jwk(ecKey256, "ec256", "ES256"),
		jwk(ecKey384, "ec384", "ES384"),
		jwk(ec521, "ec521", "ES512"),
	)
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	if opts.RootCAs == nil {
		opts.RootCAs = rootsFor(idp.srv)
	}
	if opts.AllowedNetworks == nil {
		opts.AllowedNetworks = localNets
	}
	return &fixture{
		idp:   idp,
		clock: c,
		v:     NewVerifier(opts),
		prov:  Provider{URL: idp.issuer(), ClientIDs: []string{"other-client", testAud}},
	}
}

func (f *fixture) verify(t testing.TB, token string) (*Claims, error) {
	return f.v.Verify(verifyCtx(t), token, lookupOne(f.prov))
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestVerifyMatrix(t *testing.T) {
	f := newFixture(t, Options{})
	iss := f.idp.issuer()
	claims := baseClaims(iss)
	valid := sign(t, jose.RS256, rsaKey, "rsa1", claims)
	parts := strings.Split(valid, ".")

	esParts := strings.Split(sign(t, jose.ES256, ecKey256, "ec256", claims), ".")
	esSig, err := base64.RawURLEncoding.DecodeString(esParts[2])
	if err != nil {
		t.Fatal(err)
	}

	pubDER, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	exp := fixedNow.Unix() - 1
	now := fixedNow.Unix()

	type tc struct {
		name  string
		token string
		kind  ErrorKind // 0: success
		msg   string    // "" with kind: any message
	}
	cases := []tc{
		{name: "valid RS256", token: valid},
		{name: "valid RS384 with alg-less JWK", token: sign(t, jose.RS384, rsaKey2, "rsa2", claims)},
		{name: "valid RS512 with alg-less JWK", token: sign(t, jose.RS512, rsaKey2, "rsa2", claims)},
		{name: "valid ES256", token: sign(t, jose.ES256, ecKey256, "ec256", claims)},
		{name: "valid ES384", token: sign(t, jose.ES384, ecKey384, "ec384", claims)},
		{name: "valid ES512", token: sign(t, jose.ES512, ec521, "ec521", claims)},
		{name: "no kid RS256", token: sign(t, jose.RS256, rsaKey, "", claims)},
		{name: "no kid RS256 second key", token: sign(t, jose.RS256, rsaKey2, "", claims)},
		{name: "no kid ES384", token: sign(t, jose.ES384, ecKey384, "", claims)},
		{name: "no kid, unknown key", token: sign(t, jose.RS256, rsaKey1024, "", claims), kind: InvalidToken, msg: MsgInvalidSignature},

		{name: "alg none, empty signature", token: b64(`{"alg":"none"}`) + "." + parts[1] + ".", kind: InvalidToken, msg: MsgNotJWT},
		{name: "alg none, with signature", token: b64(`{"alg":"none","kid":"rsa1"}`) + "." + parts[1] + "." + parts[2], kind: InvalidToken},
		{name: "HS256 keyed with RSA public key PEM", token: sign(t, jose.HS256, pubPEM, "rsa1", claims), kind: InvalidToken},
		{name: "HS256 keyed with RSA public key DER", token: sign(t, jose.HS256, pubDER, "rsa1", claims), kind: InvalidToken},
		{name: "PS256", token: sign(t, jose.PS256, rsaKey, "rsa1", claims), kind: InvalidToken},
		{name: "EdDSA alg header", token: b64(`{"alg":"EdDSA","kid":"rsa1"}`) + "." + parts[1] + "." + parts[2], kind: InvalidToken},
		{name: "ES256 header with RSA kid", token: sign(t, jose.ES256, ecKey256, "rsa1", claims), kind: InvalidToken, msg: MsgKeyRetrieval},
		{name: "RS384 header, JWK pinned to RS256", token: sign(t, jose.RS384, rsaKey, "rsa1", claims), kind: InvalidToken, msg: MsgKeyRetrieval},
		{name: "ES256 header, kid of a P-384 key", token: sign(t, jose.ES256, ecKey256, "ec384", claims), kind: InvalidToken, msg: MsgKeyRetrieval},
		{name: "unknown kid", token: sign(t, jose.RS256, rsaKey, "nope", claims), kind: InvalidToken, msg: MsgKeyRetrieval},
		{name: "signed by another key under a known kid", token: sign(t, jose.RS256, rsaKey2, "rsa1", claims), kind: InvalidToken, msg: MsgInvalidSignature},

		{name: "tampered payload", token: parts[0] + "." + b64(mustJSON(with(claims, "sub", "admin"))) + "." + parts[2], kind: InvalidToken, msg: MsgInvalidSignature},
		{name: "tampered signature", token: parts[0] + "." + parts[1] + "." + flipLast(parts[2]), kind: InvalidToken},
		{name: "ES256 signature in ASN.1 DER form", token: derES256(t, claims), kind: InvalidToken, msg: MsgInvalidSignature},
		{name: "ES256 signature one byte short", token: esParts[0] + "." + esParts[1] + "." + b64raw(esSig[:63]), kind: InvalidToken, msg: MsgInvalidSignature},
		{name: "ES256 signature with R and S swapped", token: esParts[0] + "." + esParts[1] + "." + b64raw(append(append([]byte{}, esSig[32:]...), esSig[:32]...)), kind: InvalidToken, msg: MsgInvalidSignature},
		{name: "header swapped to RS512", token: b64(`{"alg":"RS512","kid":"rsa1"}`) + "." + parts[1] + "." + parts[2], kind: InvalidToken, msg: MsgKeyRetrieval},

		{name: "not a JWT", token: "not-a-token", kind: InvalidToken, msg: MsgNotJWT},
		{name: "empty", token: "", kind: InvalidToken, msg: MsgNotJWT},
		{name: "JWE five parts", token: b64(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + ".a.b.c.d", kind: InvalidToken, msg: MsgNotJWT},
		{name: "JWE-looking three parts", token: b64(`{"alg":"RS256","enc":"A256GCM"}`) + "." + parts[1] + "." + parts[2], kind: InvalidToken, msg: MsgNotJWT},
		{name: "JSON serialization", token: `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`, kind: InvalidToken, msg: MsgNotJWT},
		{name: "padded base64", token: parts[0] + "=." + parts[1] + "." + parts[2], kind: InvalidToken, msg: MsgNotJWT},
		{name: "whitespace", token: " " + valid, kind: InvalidToken, msg: MsgNotJWT},
		{name: "crit header", token: b64(`{"alg":"RS256","kid":"rsa1","crit":["exp"],"exp":1}`) + "." + parts[1] + "." + parts[2], kind: InvalidToken, msg: MsgNotJWT},
		{name: "duplicate claim", token: signRaw(t, `{"iss":"`+iss+`","sub":"a","sub":"b","aud":"`+testAud+`","exp":`+fmt.Sprint(now+60)+`}`), kind: InvalidToken, msg: MsgNotJWT},
		{name: "duplicate claim, one name escaped", token: signRaw(t, `{"iss":"`+iss+`","sub":"a","s\u0075b":"b","aud":"`+testAud+`","exp":`+fmt.Sprint(now+60)+`}`), kind: InvalidToken, msg: MsgNotJWT},
		{name: "trailing data after the claims", token: signRaw(t, `{"iss":"`+iss+`","sub":"a","aud":"`+testAud+`","exp":`+fmt.Sprint(now+60)+`} {}`), kind: InvalidToken, msg: MsgNotJWT},
		{name: "claims null", token: signRaw(t, `null`), kind: InvalidToken, msg: MsgNotJWT},
		{name: "payload not an object", token: signRaw(t, `["iss"]`), kind: InvalidToken, msg: MsgNotJWT},
		{name: "oversized token", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "pad", strings.Repeat("x", 20000))), kind: InvalidToken, msg: MsgNotJWT},

		{name: "expired", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "exp", exp)), kind: Expired,
			msg: fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time%d", now, exp)},
		{name: "exp equals now", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "exp", now)), kind: Expired,
			msg: fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time%d", now, now)},
		{name: "exp one second ahead", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "exp", now+1))},
		{name: "exp missing", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "exp", nil)), kind: InvalidToken, msg: "Missing a required claim: exp"},
		{name: "exp as string", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "exp", fmt.Sprint(now+60))), kind: InvalidToken, msg: MsgNotJWT},
		{name: "exp fractional", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "exp", float64(now)+60.5))},
		{name: "nbf far future", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "nbf", now+600)), kind: InvalidToken},
		{name: "nbf within leeway", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "nbf", now+240))},
		{name: "nbf as string", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "nbf", "0")), kind: InvalidToken, msg: MsgNotJWT},
		{name: "iat far future", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "iat", now+600)), kind: InvalidToken},
		{name: "iat within leeway", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "iat", now+240))},
		{name: "iat missing is fine", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "iat", nil, "nbf", nil))},

		{name: "wrong iss", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "iss", "https://evil.example")), kind: InvalidToken,
			msg: "No OpenIDConnect provider found in your account for https://evil.example"},
		{name: "iss missing", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "iss", nil)), kind: InvalidToken, msg: "Missing a required claim: iss"},
		{name: "iss not a string", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "iss", 7)), kind: InvalidToken, msg: MsgNotJWT},
		{name: "aud not registered", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "aud", "someone-else")), kind: InvalidToken, msg: MsgIncorrectAudience},
		{name: "aud array, one registered", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "aud", []string{"x", testAud}))},
		{name: "aud array, none registered", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "aud", []string{"x", "y"})), kind: InvalidToken, msg: MsgIncorrectAudience},
		{name: "aud array with a number", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "aud", []any{testAud, 3})), kind: InvalidToken, msg: MsgNotJWT},
		{name: "azp registered, aud not", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "aud", "someone-else", "azp", testAud))},
		{name: "aud registered, azp not", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "azp", "someone-else")), kind: InvalidToken, msg: MsgIncorrectAudience},
		{name: "sub missing", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "sub", nil)), kind: InvalidToken, msg: "Missing a required claim: sub"},
		{name: "sub empty", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "sub", "")), kind: InvalidToken, msg: "Missing a required claim: sub"},
		{name: "aud missing", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "aud", nil)), kind: InvalidToken, msg: "Missing a required claim: aud"},
		{name: "aud empty array", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "aud", []string{})), kind: InvalidToken, msg: "Missing a required claim: aud"},
		{name: "amr malformed", token: sign(t, jose.RS256, rsaKey, "rsa1", with(claims, "amr", map[string]any{"a": 1})), kind: InvalidToken, msg: MsgNotJWT},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := f.verify(t, c.token)
			if c.kind == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if got.Subject == "" || got.Issuer != iss {
					t.Fatalf("claims = %+v", got)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted; claims = %+v", got)
			}
			wantErr(t, err, c.kind, c.msg)
		})
	}
	// The clock never moved: the set was fetched once, the first unknown kid refetched it once,
	// and no later unknown-kid case could force another refetch inside the interval.
	if d, j := f.idp.discoHits.Load(), f.idp.jwksHits.Load(); d != 2 || j != 2 {
		t.Fatalf("discovery fetched %d times, JWKS %d times", d, j)
	}
}

func TestClaimsContent(t *testing.T) {
	f := newFixture(t, Options{})
	tags := map[string]any{"principal_tags": map[string]any{"team": []string{"infra"}}}
	big := "123456789012345678901234567890"
	tok := sign(t, jose.RS256, rsaKey, "rsa1", with(baseClaims(f.idp.issuer()),
		"azp", testAud, "amr", []string{"pwd", "mfa"}, "https://aws.amazon.com/tags", tags, "repository_id", json.Number(big)))
	c, err := f.verify(t, tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.AZP != testAud || len(c.AMR) != 2 || c.AMR[1] != "mfa" {
		t.Fatalf("claims = %+v", c)
	}
	if !c.Expiry.Equal(fixedNow.Add(time.Hour)) || !c.NotBefore.Equal(fixedNow.Add(-time.Minute)) || !c.IssuedAt.Equal(fixedNow.Add(-time.Minute)) {
		t.Fatalf("times = %v %v %v", c.Expiry, c.NotBefore, c.IssuedAt)
	}
	if n, ok := c.Raw["repository_id"].(json.Number); !ok || string(n) != big {
		t.Fatalf("large number = %#v", c.Raw["repository_id"])
	}
	if _, ok := c.Raw["https://aws.amazon.com/tags"].(map[string]any); !ok {
		t.Fatalf("tags claim = %#v", c.Raw["https://aws.amazon.com/tags"])
	}
}

func TestLeewayIsConfigurable(t *testing.T) {
	f := newFixture(t, Options{Leeway: 30 * time.Second})
	now := fixedNow.Unix()
	_, err := f.verify(t, sign(t, jose.RS256, rsaKey, "rsa1", with(baseClaims(f.idp.issuer()), "nbf", now+60)))
	wantErr(t, err, InvalidToken, "")
	if _, err := f.verify(t, sign(t, jose.RS256, rsaKey, "rsa1", with(baseClaims(f.idp.issuer()), "nbf", now+20))); err != nil {
		t.Fatal(err)
	}
	strict := newFixture(t, Options{Leeway: -1})
	_, err = strict.verify(t, sign(t, jose.RS256, rsaKey, "rsa1", with(baseClaims(strict.idp.issuer()), "iat", now+1)))
	wantErr(t, err, InvalidToken, "")
	if _, err := strict.verify(t, sign(t, jose.RS256, rsaKey, "rsa1", with(baseClaims(strict.idp.issuer()), "iat", now))); err != nil {
		t.Fatal(err)
	}
}

// TestNoClientIDs: a provider registered without client ids accepts nothing.
func TestNoClientIDs(t *testing.T) {
	f := newFixture(t, Options{})
	f.prov.ClientIDs = nil
	_, err := f.verify(t, sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(f.idp.issuer())))
	wantErr(t, err, InvalidToken, MsgIncorrectAudience)
}

func TestIssuerWithTrailingSlashAndPath(t *testing.T) {
	testKeys(t)
	idp := newTLSIdP(t, "/tenant/", jwk(rsaKey, "k", "RS256"))
	v := NewVerifier(Options{RootCAs: rootsFor(idp.srv), Now: newClock().Now, AllowedNetworks: localNets})
	prov := Provider{URL: idp.issuer(), ClientIDs: []string{testAud}}
	if _, err := v.Verify(verifyCtx(t), sign(t, jose.RS256, rsaKey, "k", baseClaims(idp.issuer())), lookupOne(prov)); err != nil {
		t.Fatal(err)
	}
	if paths := idp.paths(); len(paths) != 1 || paths[0] != "/tenant/.well-known/openid-configuration" {
		t.Fatalf("discovery paths = %q", paths)
	}
}

func TestErrorFormatting(t *testing.T) {
	e := &Error{Kind: Communication, Message: MsgCommunication, Cause: fmt.Errorf("dial: refused")}
	if got := e.Error(); !strings.HasPrefix(got, "IDPCommunicationError: ") || !strings.HasSuffix(got, "dial: refused") {
		t.Fatalf("Error() = %q", got)
	}
	for k, want := range map[ErrorKind]string{InvalidToken: "InvalidIdentityToken", Expired: "ExpiredTokenException", Communication: "IDPCommunicationError", 0: "ErrorKind(0)"} {
		if k.String() != want {
			t.Fatalf("%d.String() = %q", int(k), k.String())
		}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func flipLast(s string) string {
	b := []byte(s)
	i := len(b) - 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// signRaw signs an exact payload, for JSON a map cannot express.
func signRaw(t testing.TB, payload string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: rsaKey}, (&jose.SignerOptions{}).WithHeader("kid", "rsa1"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func BenchmarkVerifyRS256(b *testing.B) {
	f := newFixture(b, Options{})
	tok := sign(b, jose.RS256, rsaKey, "rsa1", baseClaims(f.idp.issuer()))
	ctx := verifyCtx(b)
	lookup := lookupOne(f.prov)
	if _, err := f.v.Verify(ctx, tok, lookup); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.v.Verify(ctx, tok, lookup); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyES256(b *testing.B) {
	f := newFixture(b, Options{})
	tok := sign(b, jose.ES256, ecKey256, "ec256", baseClaims(f.idp.issuer()))
	ctx := verifyCtx(b)
	lookup := lookupOne(f.prov)
	if _, err := f.v.Verify(ctx, tok, lookup); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.v.Verify(ctx, tok, lookup); err != nil {
			b.Fatal(err)
		}
	}
}

// An IAM OIDC provider's ARN leaves the scheme out, so a lookup by ARN finds an https provider for
// an http issuer of the same host. The token's issuer must still be the URL the provider
// registered: an http:// token is not one of an https:// provider's, and its keys are never
// fetched over http (found by an adversarial review; only reachable with AllowHTTP).
func TestIssuerSchemeMustMatchProvider(t *testing.T) {
	testKeys(t)
	idp := newPlainIdP(t, "", jwk(rsaKey, "rsa1", "RS256"))
	v := NewVerifier(Options{AllowHTTP: true, AllowedNetworks: localNets, Now: newClock().Now})
	httpIss := idp.issuer()
	httpsURL := "https://" + strings.TrimPrefix(httpIss, "http://")
	schemeless := func(p Provider) func(string) (Provider, bool) {
		return func(iss string) (Provider, bool) {
			strip := func(s string) string { return strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://") }
			if strip(iss) == strip(p.URL) {
				return p, true
			}
			return Provider{}, false
		}
	}
	tok := sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(httpIss))
	_, err := v.Verify(verifyCtx(t), tok, schemeless(Provider{URL: httpsURL, ClientIDs: []string{testAud}}))
	wantErr(t, err, InvalidToken, msgNoProvider+httpIss)
	if n := len(idp.paths()); n != 0 {
		t.Fatalf("the http issuer was fetched %d times", n)
	}
	// The same token against the http provider it names is accepted (the legitimate path).
	if _, err := v.Verify(verifyCtx(t), tok, schemeless(Provider{URL: httpIss, ClientIDs: []string{testAud}})); err != nil {
		t.Fatalf("http provider refused its own token: %v", err)
	}
}

func b64raw(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// derES256 is a token whose ES256 signature is the ASN.1 DER encoding of (R, S), which JWS does
// not use (RFC 7518 §3.4): a verifier that accepted it would accept signatures made for another format.
func derES256(t *testing.T, claims map[string]any) string {
	t.Helper()
	input := b64(`{"alg":"ES256","kid":"ec256"}`) + "." + b64(mustJSON(claims))
	sum := sha256.Sum256([]byte(input))
	sig, err := ecdsa.SignASN1(rand.Reader, ecKey256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64raw(sig)
}

func TestTopLevelNames(t *testing.T) {
	for _, c := range []struct {
		json string
		want int
	}{
		{`{}`, 0},
		{`{"a":1}`, 1},
		{`{"a":"b","c":"d"}`, 2},
		{`{"a":{"b":1,"c":[{"d":2}]},"e":"}"}`, 2},
		{`{"a\"b":"x,\"y\":1","c":[1,"{",2]}`, 2},
		{`{"a":1,"a":2}`, 2},
		{` { "a" : [ ] , "b" : { } } `, 2},
	} {
		if got := topLevelNames([]byte(c.json)); got != c.want {
			t.Errorf("topLevelNames(%s) = %d, want %d", c.json, got, c.want)
		}
	}
}

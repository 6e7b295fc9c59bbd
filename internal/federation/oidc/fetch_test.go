package oidc

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func randomKid(t testing.TB) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestUnknownKidRefetchBound: a flood of random kids within one interval costs at most one
// extra JWKS fetch, whether the tokens arrive one by one or all at once, and concurrent
// callers share it.
func TestUnknownKidRefetchBound(t *testing.T) {
	f := newFixture(t, Options{RefetchInterval: time.Minute})
	claims := baseClaims(f.idp.issuer())
	if _, err := f.verify(t, sign(t, jose.RS256, rsaKey, "rsa1", claims)); err != nil {
		t.Fatal(err)
	}
	if got := f.idp.jwksHits.Load(); got != 1 {
		t.Fatalf("warm-up JWKS fetches = %d", got)
	}
	// Past the interval, so the first unknown kid may refetch once.
	f.clock.Advance(time.Minute)

	tokens := make([]string, 100)
	for i := range tokens {
		tokens[i] = sign(t, jose.RS256, rsaKey, randomKid(t), claims)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(tokens))
	for i, tok := range tokens[:50] {
		wg.Go(func() { _, errs[i] = f.verify(t, tok) })
	}
	wg.Wait()
	for i, tok := range tokens[50:] {
		_, errs[50+i] = f.verify(t, tok)
		f.clock.Advance(time.Second / 2) // 25s in all: still inside the interval
	}
	for _, err := range errs {
		wantErr(t, err, InvalidToken, MsgKeyRetrieval)
	}
	if got := f.idp.jwksHits.Load(); got != 2 {
		t.Fatalf("JWKS fetches = %d, want 2 (warm-up + one refetch)", got)
	}
	// Known keys kept working throughout.
	if _, err := f.verify(t, sign(t, jose.ES256, ecKey256, "ec256", claims)); err != nil {
		t.Fatal(err)
	}

	// The IdP rotates in a new key: inside the interval it is not seen, after it it is.
	f.idp.setKeys(t, jwk(rsaKey, "rsa1", "RS256"), jwk(rsaKey2, "rotated", "RS256"))
	rotated := sign(t, jose.RS256, rsaKey2, "rotated", claims)
	_, err := f.verify(t, rotated)
	wantErr(t, err, InvalidToken, MsgKeyRetrieval)
	f.clock.Advance(time.Minute)
	if _, err := f.verify(t, rotated); err != nil {
		t.Fatal(err)
	}
	if got := f.idp.jwksHits.Load(); got != 3 {
		t.Fatalf("JWKS fetches = %d, want 3", got)
	}
	// The refetch replaced the set: keys the IdP dropped are gone.
	_, err = f.verify(t, sign(t, jose.ES256, ecKey256, "ec256", claims))
	wantErr(t, err, InvalidToken, MsgKeyRetrieval)
}

// TestKidRefetchBudget: a token whose kid the cached set lacks refetches the set at once,
// unless an unknown-kid refetch already started within RefetchInterval; regular fetches (cold
// cache, expired TTL) never use up that budget. Counted by the IdP's JWKS requests.
func TestKidRefetchBudget(t *testing.T) {
	testKeys(t)
	keys := map[string]struct {
		alg jose.SignatureAlgorithm
		key any
	}{
		"k1": {jose.RS256, rsaKey},
		"k2": {jose.RS256, rsaKey2},
		"k3": {jose.ES256, ecKey256},
		"k4": {jose.ES384, ecKey384},
	}
	type step struct {
		advance time.Duration
		publish []string // the IdP's key set from this step on; nil leaves it
		kid     string   // the token's kid; "random" is a fresh random one
		ok      bool
		jwks    int32 // JWKS requests so far
	}
	const interval, ttl = time.Minute, 10 * time.Minute
	cases := []struct {
		name  string
		steps []step
	}{
		{name: "key published a second after the first fetch", steps: []step{
			{publish: []string{"k1"}, kid: "k1", ok: true, jwks: 1},
			{advance: time.Second, publish: []string{"k1", "k2"}, kid: "k2", ok: true, jwks: 2},
			{kid: "k1", ok: true, jwks: 2},
		}},
		{name: "IdP restarted with only a fresh key", steps: []step{
			{publish: []string{"k1"}, kid: "k1", ok: true, jwks: 1},
			{advance: time.Millisecond, publish: []string{"k2"}, kid: "k2", ok: true, jwks: 2},
			{kid: "k1", jwks: 2}, // gone from the IdP, and the budget is spent
		}},
		{name: "second rotation inside the interval waits for it", steps: []step{
			{publish: []string{"k1"}, kid: "k1", ok: true, jwks: 1},
			{advance: time.Second, publish: []string{"k1", "k2"}, kid: "k2", ok: true, jwks: 2},
			{advance: time.Second, publish: []string{"k1", "k2", "k3"}, kid: "k3", jwks: 2},
			{advance: interval - 2*time.Second, kid: "k3", jwks: 2},
			{advance: time.Second, kid: "k3", ok: true, jwks: 3},
		}},
		{name: "TTL refetch does not use the budget", steps: []step{
			{publish: []string{"k1"}, kid: "k1", ok: true, jwks: 1},
			{advance: time.Second, kid: "random", jwks: 2}, // spends the budget
			{advance: ttl, kid: "k1", ok: true, jwks: 3},   // regular refetch: expired TTL
			{advance: time.Second, publish: []string{"k1", "k4"}, kid: "k4", ok: true, jwks: 4},
		}},
		{name: "random kids: one refetch per interval", steps: []step{
			{publish: []string{"k1"}, kid: "k1", ok: true, jwks: 1},
			{advance: time.Second, kid: "random", jwks: 2},
			{advance: time.Second, kid: "random", jwks: 2},
			{advance: interval - 2*time.Second, kid: "random", jwks: 2},
			{advance: time.Second, kid: "random", jwks: 3},
			{kid: "random", jwks: 3},
			{kid: "k1", ok: true, jwks: 3},
		}},
		{name: "unknown kid on a cold cache costs one fetch", steps: []step{
			{publish: []string{"k1"}, kid: "random", jwks: 1},
			{kid: "random", jwks: 2}, // the cold fetch was regular: the budget was still there
			{kid: "random", jwks: 2},
			{kid: "k1", ok: true, jwks: 2},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Options{RefetchInterval: interval, KeyTTL: ttl})
			claims := baseClaims(f.idp.issuer())
			for i, s := range c.steps {
				f.clock.Advance(s.advance)
				claims["exp"] = f.clock.Now().Add(time.Hour).Unix()
				if s.publish != nil {
					var set []jose.JSONWebKey
					for _, kid := range s.publish {
						set = append(set, jwk(keys[kid].key, kid, string(keys[kid].alg)))
					}
					f.idp.setKeys(t, set...)
				}
				kid, k := s.kid, keys[s.kid]
				if kid == "random" {
					kid, k = randomKid(t), keys["k1"]
				}
				_, err := f.verify(t, sign(t, k.alg, k.key, kid, claims))
				switch {
				case s.ok && err != nil:
					t.Fatalf("step %d: %v", i, err)
				case !s.ok:
					wantErr(t, err, InvalidToken, MsgKeyRetrieval)
				}
				if got := f.idp.jwksHits.Load(); got != s.jwks {
					t.Fatalf("step %d: %d JWKS requests, want %d", i, got, s.jwks)
				}
			}
		})
	}
}

// TestColdCacheSharedFetch: concurrent first verifications of one issuer share one fetch.
func TestColdCacheSharedFetch(t *testing.T) {
	f := newFixture(t, Options{})
	f.idp.set(func() { f.idp.delay = 100 * time.Millisecond })
	tok := sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(f.idp.issuer()))
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			if _, err := f.verify(t, tok); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if d, j := f.idp.discoHits.Load(), f.idp.jwksHits.Load(); d != 1 || j != 1 {
		t.Fatalf("discovery %d, JWKS %d fetches; want 1 each", d, j)
	}
}

func TestKeyTTL(t *testing.T) {
	f := newFixture(t, Options{KeyTTL: 10 * time.Minute})
	tok := sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(f.idp.issuer()))
	for range 3 {
		if _, err := f.verify(t, tok); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(4 * time.Minute)
	}
	// 12 minutes: the third verification (at 8 min) still used the first set.
	if got := f.idp.jwksHits.Load(); got != 1 {
		t.Fatalf("JWKS fetches = %d", got)
	}
	if _, err := f.verify(t, tok); err != nil {
		t.Fatal(err)
	}
	if got := f.idp.jwksHits.Load(); got != 2 {
		t.Fatalf("JWKS fetches after TTL = %d", got)
	}
	// A stale set is not used when the IdP stops answering: fail closed.
	f.clock.Advance(11 * time.Minute)
	f.idp.set(func() { f.idp.jwksStatus = http.StatusServiceUnavailable })
	_, err := f.verify(t, tok)
	wantErr(t, err, Communication, MsgCommunication)
}

func TestIdPDown(t *testing.T) {
	testKeys(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	iss := "https://" + ln.Addr().String()
	ln.Close()
	v := NewVerifier(Options{Now: newClock().Now, FetchTimeout: 2 * time.Second, AllowedNetworks: localNets})
	prov := Provider{URL: iss, ClientIDs: []string{testAud}}
	_, err = v.Verify(verifyCtx(t), sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(iss)), lookupOne(prov))
	wantErr(t, err, Communication, MsgCommunication)
}

func TestIdPSlow(t *testing.T) {
	f := newFixture(t, Options{FetchTimeout: 300 * time.Millisecond})
	f.idp.set(func() { f.idp.delay = 10 * time.Second })
	start := time.Now()
	_, err := f.verify(t, sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(f.idp.issuer())))
	wantErr(t, err, Communication, MsgCommunication)
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("took %v with a 300ms fetch timeout", el)
	}
}

// TestCallerCancellation: a caller that gives up returns at once; the shared fetch carries on
// for whoever else needs it.
func TestCallerCancellation(t *testing.T) {
	f := newFixture(t, Options{FetchTimeout: 5 * time.Second})
	f.idp.set(func() { f.idp.delay = 500 * time.Millisecond })
	tok := sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(f.idp.issuer()))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.v.Verify(ctx, tok, lookupOne(f.prov))
	wantErr(t, err, Communication, MsgCommunication)
	if el := time.Since(start); el > 400*time.Millisecond {
		t.Fatalf("cancelled caller waited %v", el)
	}
	// The detached fetch completes and warms the cache.
	if _, err := f.verify(t, tok); err != nil {
		t.Fatal(err)
	}
	if got := f.idp.jwksHits.Load(); got != 1 {
		t.Fatalf("JWKS fetches = %d", got)
	}
}

// TestFetchFailuresLookAlike: whatever goes wrong while fetching the discovery document or the
// JWKS — an address the policy refuses, a closed port, a timeout, an untrusted certificate, an
// error status, a document that does not parse or does not fit — the caller sees the same
// IDPCommunicationError with the same message, so a provider pointed at an internal host
// cannot tell anyone whether something listens there. The precise cause stays in Cause, for
// the log.
func TestFetchFailuresLookAlike(t *testing.T) {
	bigJWKS := []byte(`{"keys":[],"pad":"` + strings.Repeat("x", 600<<10) + `"}`)
	cases := []struct {
		name  string
		setup func(t *testing.T, p *testIdP, o *Options)
		cause string // a piece of the precise cause the log gets
	}{
		{name: "issuer on loopback, not allowed", setup: func(t *testing.T, p *testIdP, o *Options) { o.AllowedNetworks = nil }, cause: "loopback"},
		{name: "issuer port closed", setup: func(t *testing.T, p *testIdP, o *Options) { p.srv.Close() }, cause: "connection refused"},
		{name: "timeout", setup: func(t *testing.T, p *testIdP, o *Options) {
			o.FetchTimeout = 200 * time.Millisecond
			p.set(func() { p.delay = 5 * time.Second })
		}, cause: "deadline exceeded"},
		{name: "untrusted certificate", setup: func(t *testing.T, p *testIdP, o *Options) { o.RootCAs = x509.NewCertPool() }, cause: "certificate"},
		{name: "discovery 500", setup: func(t *testing.T, p *testIdP, o *Options) { p.set(func() { p.discoStatus = 500 }) }, cause: "status 500"},
		{name: "discovery 404", setup: func(t *testing.T, p *testIdP, o *Options) { p.set(func() { p.discoStatus = 404 }) }, cause: "status 404"},
		{name: "JWKS 503", setup: func(t *testing.T, p *testIdP, o *Options) { p.set(func() { p.jwksStatus = 503 }) }, cause: "status 503"},
		{name: "JWKS 302 to nowhere", setup: func(t *testing.T, p *testIdP, o *Options) { p.set(func() { p.jwksStatus = 302 }) }, cause: "status 302"},
		{name: "JWKS redirects to the metadata service", setup: func(t *testing.T, p *testIdP, o *Options) {
			p.set(func() { p.jwksRedirect = "https://169.254.169.254/latest/meta-data/" })
		}, cause: "169.254.169.254"},
		{name: "JWKS redirects to plain http", setup: func(t *testing.T, p *testIdP, o *Options) {
			p.set(func() { p.jwksRedirect = strings.Replace(p.srv.URL, "https", "http", 1) + "/keys" })
		}, cause: "redirect"},
		{name: "jwks_uri on a private address", setup: func(t *testing.T, p *testIdP, o *Options) {
			s := "https://10.20.30.40/keys"
			p.set(func() { p.jwksURI = &s })
		}, cause: "private use"},
		{name: "jwks_uri on IPv4-mapped loopback, not allowed", setup: func(t *testing.T, p *testIdP, o *Options) {
			o.AllowedNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
			s := "https://[::ffff:127.0.0.2]/keys"
			p.set(func() { p.jwksURI = &s })
		}, cause: "loopback"},
		{name: "JWKS over the default 512 KiB", setup: func(t *testing.T, p *testIdP, o *Options) { p.setJWKS(bigJWKS) }, cause: "larger than"},
		{name: "JWKS over a configured limit", setup: func(t *testing.T, p *testIdP, o *Options) { o.MaxDocumentSize = 100 }, cause: "larger than"},
		{name: "discovery not JSON", setup: func(t *testing.T, p *testIdP, o *Options) {
			s := "<html>"
			p.set(func() { p.discoIssuer = &s; p.discoRaw = true })
		}, cause: "discovery document"},
		{name: "discovery issuer mismatch", setup: func(t *testing.T, p *testIdP, o *Options) {
			s := "https://other.example"
			p.set(func() { p.discoIssuer = &s })
		}, cause: "names issuer"},
		{name: "discovery issuer with extra slash", setup: func(t *testing.T, p *testIdP, o *Options) {
			s := p.issuer() + "/"
			p.set(func() { p.discoIssuer = &s })
		}, cause: "names issuer"},
		{name: "jwks_uri over http", setup: func(t *testing.T, p *testIdP, o *Options) {
			s := strings.Replace(p.srv.URL, "https", "http", 1) + "/keys"
			p.set(func() { p.jwksURI = &s })
		}, cause: "http issuers are not allowed"},
		{name: "jwks_uri missing", setup: func(t *testing.T, p *testIdP, o *Options) { s := ""; p.set(func() { p.jwksURI = &s }) }, cause: "unusable jwks_uri"},
		{name: "JWKS not JSON", setup: func(t *testing.T, p *testIdP, o *Options) { p.setJWKS([]byte("<html>")) }, cause: "JWKS"},
		{name: "JWKS empty", setup: func(t *testing.T, p *testIdP, o *Options) { p.setJWKS([]byte(`{"keys":[]}`)) }, cause: "no keys"},
		{name: "JWKS symmetric key only", setup: func(t *testing.T, p *testIdP, o *Options) {
			p.setJWKS([]byte(`{"keys":[{"kty":"oct","kid":"rsa1","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI"}]}`))
		}, cause: "no usable keys"},
		{name: "JWKS 1024-bit RSA only", setup: func(t *testing.T, p *testIdP, o *Options) {
			p.setKeys(t, jwk(rsaKey1024, "rsa1", "RS256"))
		}, cause: "1024 bits"},
		{name: "JWKS publishes the private key", setup: func(t *testing.T, p *testIdP, o *Options) {
			p.setKeys(t, jose.JSONWebKey{Key: rsaKey, KeyID: "rsa1", Algorithm: "RS256"})
		}, cause: "private member"},
		{name: "JWKS key for encryption", setup: func(t *testing.T, p *testIdP, o *Options) {
			p.setKeys(t, jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: "rsa1", Use: "enc"})
		}, cause: `use is "enc"`},
	}
	seen := map[string]string{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			testKeys(t)
			p := newTLSIdP(t, "", jwk(rsaKey, "rsa1", "RS256"))
			opts := Options{RootCAs: rootsFor(p.srv), Now: newClock().Now, AllowedNetworks: localNets}
			iss := p.issuer()
			c.setup(t, p, &opts)
			v := NewVerifier(opts)
			prov := Provider{URL: iss, ClientIDs: []string{testAud}}
			_, err := v.Verify(verifyCtx(t), sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(iss)), lookupOne(prov))
			wantErr(t, err, Communication, MsgCommunication)
			e := err.(*Error)
			if e.Cause == nil || !strings.Contains(e.Cause.Error(), c.cause) {
				t.Fatalf("cause %v does not say %q", e.Cause, c.cause)
			}
			seen[e.Kind.String()+"\x00"+e.Message] = c.name
		})
	}
	if len(seen) != 1 {
		t.Fatalf("callers can tell failures apart: %d distinct answers %v", len(seen), seen)
	}
}

// TestLoopbackRefusedBeforeConnecting: by default the verifier does not connect to a loopback
// IdP at all, so the IdP sees no request; the operator's allowed networks open it, and
// LATCHKEY_ALLOW_HTTP_ISSUERS opens loopback (only loopback) for development.
func TestLoopbackRefusedBeforeConnecting(t *testing.T) {
	testKeys(t)
	cases := []struct {
		name string
		opts Options
		ok   bool
	}{
		{name: "default"},
		{name: "allowed networks elsewhere", opts: Options{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}},
		{name: "allowed network 127.0.0.1/32", opts: Options{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, ok: true},
		{name: "allowed network in mapped form", opts: Options{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("::ffff:127.0.0.0/104")}}, ok: true},
		{name: "allow HTTP issuers", opts: Options{AllowHTTP: true}, ok: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newTLSIdP(t, "", jwk(rsaKey, "rsa1", "RS256"))
			opts := c.opts
			opts.RootCAs, opts.Now = rootsFor(p.srv), newClock().Now
			prov := Provider{URL: p.issuer(), ClientIDs: []string{testAud}}
			_, err := NewVerifier(opts).Verify(verifyCtx(t), sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(p.issuer())), lookupOne(prov))
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, Communication, MsgCommunication)
			if n := p.accepted.Load(); n != 0 {
				t.Fatalf("the IdP accepted %d connections", n)
			}
		})
	}
}

// TestBadKeysAreSkipped: unusable entries do not spoil the usable ones (RFC 7517 §5).
func TestBadKeysAreSkipped(t *testing.T) {
	f := newFixture(t, Options{})
	f.idp.setJWKS([]byte(`{"keys":[{"kty":"OKP","crv":"X448","x":"AA"},{"kty":"oct","k":"AAAA"},{"kty":"RSA","n":"!!"},` +
		mustJSON(jwk(rsaKey, "rsa1", "RS256")) + `]}`))
	if _, err := f.verify(t, sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(f.idp.issuer()))); err != nil {
		t.Fatal(err)
	}
}

// TestFailureBackoff: a failing IdP is asked again only after FailureBackoff, not on every
// request.
func TestFailureBackoff(t *testing.T) {
	f := newFixture(t, Options{FailureBackoff: 5 * time.Second})
	f.idp.set(func() { f.idp.discoStatus = http.StatusBadGateway })
	tok := sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(f.idp.issuer()))
	for range 20 {
		_, err := f.verify(t, tok)
		wantErr(t, err, Communication, MsgCommunication)
	}
	if got := f.idp.discoHits.Load(); got != 1 {
		t.Fatalf("discovery fetches = %d", got)
	}
	f.idp.set(func() { f.idp.discoStatus = 0 })
	f.clock.Advance(5 * time.Second)
	if _, err := f.verify(t, tok); err != nil {
		t.Fatal(err)
	}
	if got := f.idp.discoHits.Load(); got != 2 {
		t.Fatalf("discovery fetches = %d", got)
	}
}

func TestHTTPIssuer(t *testing.T) {
	testKeys(t)
	p := newPlainIdP(t, "", jwk(rsaKey, "rsa1", "RS256"))
	prov := Provider{URL: p.issuer(), ClientIDs: []string{testAud}}
	tok := sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(p.issuer()))
	_, err := NewVerifier(Options{Now: newClock().Now}).Verify(verifyCtx(t), tok, lookupOne(prov))
	wantErr(t, err, InvalidToken, MsgKeyRetrieval)
	if p.discoHits.Load() != 0 {
		t.Fatal("an http issuer was contacted without AllowHTTP")
	}
	if _, err := NewVerifier(Options{Now: newClock().Now, AllowHTTP: true}).Verify(verifyCtx(t), tok, lookupOne(prov)); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownIssuerIsNeverContacted(t *testing.T) {
	f := newFixture(t, Options{})
	_, err := f.v.Verify(verifyCtx(t), sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(f.idp.issuer())),
		func(string) (Provider, bool) { return Provider{}, false })
	wantErr(t, err, InvalidToken, "No OpenIDConnect provider found in your account for "+f.idp.issuer())
	if f.idp.discoHits.Load() != 0 {
		t.Fatal("discovery was fetched for an unregistered issuer")
	}
}

func TestIssuerURLShapes(t *testing.T) {
	f := newFixture(t, Options{})
	for _, iss := range []string{"ftp://x.example", "https://user@x.example", "https://x.example?q=1", "https://", "file:///etc/passwd"} {
		prov := Provider{URL: iss, ClientIDs: []string{testAud}}
		_, err := f.v.Verify(verifyCtx(t), sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(iss)), lookupOne(prov))
		wantErr(t, err, InvalidToken, MsgKeyRetrieval)
	}
}

// TestCacheIsBounded: the number of cached issuers never exceeds MaxIssuers, and the least
// recently used one goes first.
func TestCacheIsBounded(t *testing.T) {
	testKeys(t)
	c := newClock()
	v := NewVerifier(Options{MaxIssuers: 3, Now: c.Now, AllowHTTP: true})
	var idps []*testIdP
	for range 5 {
		idps = append(idps, newPlainIdP(t, "", jwk(rsaKey, "rsa1", "RS256")))
	}
	verify := func(p *testIdP) {
		t.Helper()
		prov := Provider{URL: p.issuer(), ClientIDs: []string{testAud}}
		if _, err := v.Verify(verifyCtx(t), sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(p.issuer())), lookupOne(prov)); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Second)
	}
	for _, p := range idps[:3] {
		verify(p)
	}
	verify(idps[0]) // idps[1] is now the least recently used
	verify(idps[3])
	verify(idps[4])
	v.mu.Lock()
	n := len(v.entries)
	_, has0 := v.entries[idps[0].issuer()]
	_, has1 := v.entries[idps[1].issuer()]
	v.mu.Unlock()
	if n != 3 || !has0 || has1 {
		t.Fatalf("entries = %d, has idp0 %v, has idp1 %v", n, has0, has1)
	}
	verify(idps[0])
	if got := idps[0].jwksHits.Load(); got != 1 {
		t.Fatalf("idp0 refetched %d times though it stayed cached", got)
	}
}

// TestSchemelessIssuer: Google issues "accounts.google.com" without a scheme; discovery is
// fetched over https and may publish the issuer with the scheme.
func TestSchemelessIssuer(t *testing.T) {
	f := newFixture(t, Options{})
	iss := strings.TrimPrefix(f.idp.issuer(), "https://")
	prov := Provider{URL: iss, ClientIDs: []string{testAud}}
	c, err := f.v.Verify(verifyCtx(t), sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(iss)), lookupOne(prov))
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != iss {
		t.Fatalf("issuer = %q", c.Issuer)
	}
}

package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Keys are generated once: RSA generation dominates the test time otherwise.
var (
	keysOnce                  sync.Once
	rsaKey, rsaKey2           *rsa.PrivateKey
	rsaKey1024                *rsa.PrivateKey
	ecKey256, ecKey384, ec521 *ecdsa.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		must := func(err error) {
			if err != nil {
				panic(err)
			}
		}
		var err error
		rsaKey, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
		rsaKey1024, err = rsa.GenerateKey(rand.Reader, 1024)
		must(err)
		ecKey256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		ecKey384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		must(err)
		ec521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		must(err)
	})
}

var quietLog = log.New(io.Discard, "", 0)

// localNets admits the loopback addresses the test IdPs listen on, as an operator's
// LATCHKEY_OIDC_ALLOWED_NETWORKS would for an internal IdP.
var localNets = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// fixedNow is well inside the validity of the test certificates, which are checked against
// the real clock by crypto/tls.
var fixedNow = time.Unix(1_800_000_000, 0)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: fixedNow} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testIdP is an OIDC provider whose every response a test can bend.
type testIdP struct {
	srv        *httptest.Server
	issuerPath string

	mu          sync.Mutex
	jwks        []byte
	discoIssuer *string
	jwksURI     *string
	discoStatus int
	jwksStatus  int
	// jwksRedirect, when set, answers the JWKS request with a redirect there.
	jwksRedirect string
	// discoRaw serves *discoIssuer as the whole discovery body.
	discoRaw bool
	// accepted counts the TCP connections the server accepted.
	accepted   atomic.Int32
	delay      time.Duration
	discoPaths []string
	discoHits  atomic.Int32
	jwksHits   atomic.Int32
}

// newTLSIdP starts an IdP over TLS with httptest's self-signed certificate. issuerPath is
// appended to the server URL to make the issuer (e.g. "", "/tenant/").
func newTLSIdP(t testing.TB, issuerPath string, keys ...jose.JSONWebKey) *testIdP {
	p := &testIdP{issuerPath: issuerPath}
	p.setKeys(t, keys...)
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.Config.ErrorLog = quietLog // refused handshakes are what several tests are about
	p.srv.Config.ConnState = p.countConn
	p.srv.StartTLS()
	t.Cleanup(p.srv.Close)
	return p
}

func newPlainIdP(t testing.TB, issuerPath string, keys ...jose.JSONWebKey) *testIdP {
	p := &testIdP{issuerPath: issuerPath}
	p.setKeys(t, keys...)
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testIdP) countConn(_ net.Conn, s http.ConnState) {
	if s == http.StateNew {
		p.accepted.Add(1)
	}
}

func (p *testIdP) issuer() string { return p.srv.URL + p.issuerPath }

func (p *testIdP) setKeys(t testing.TB, keys ...jose.JSONWebKey) {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.jwks = b
	p.mu.Unlock()
}

// set changes the IdP's behaviour under its lock; the handler reads it concurrently.
func (p *testIdP) set(fn func()) {
	p.mu.Lock()
	fn()
	p.mu.Unlock()
}

func (p *testIdP) paths() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.discoPaths...)
}

func (p *testIdP) setJWKS(b []byte) {
	p.mu.Lock()
	p.jwks = b
	p.mu.Unlock()
}

func (p *testIdP) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	delay, discoStatus, jwksStatus, jwks, redirect, discoRaw := p.delay, p.discoStatus, p.jwksStatus, p.jwks, p.jwksRedirect, p.discoRaw
	issuer := p.issuer()
	if p.discoIssuer != nil {
		issuer = *p.discoIssuer
	}
	jwksURI := p.srv.URL + "/keys"
	if p.jwksURI != nil {
		jwksURI = *p.jwksURI
	}
	p.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			panic(http.ErrAbortHandler) // drop the connection rather than answer 200
		}
	}
	switch {
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		p.discoHits.Add(1)
		p.mu.Lock()
		p.discoPaths = append(p.discoPaths, r.URL.Path)
		p.mu.Unlock()
		if discoStatus != 0 {
			w.WriteHeader(discoStatus)
			return
		}
		if discoRaw {
			_, _ = w.Write([]byte(issuer))
			return
		}
		doc, _ := json.Marshal(map[string]any{
			"issuer":                                issuer,
			"jwks_uri":                              jwksURI,
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	case r.URL.Path == "/keys":
		p.jwksHits.Add(1)
		if redirect != "" {
			http.Redirect(w, r, redirect, http.StatusFound)
			return
		}
		if jwksStatus != 0 {
			w.WriteHeader(jwksStatus)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	default:
		http.NotFound(w, r)
	}
}

// rootsFor trusts the server's certificate, as LATCHKEY_OIDC_CA_FILE would.
func rootsFor(srv *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}

func jwk(key any, kid, alg string) jose.JSONWebKey {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		key = &k.PublicKey
	case *ecdsa.PrivateKey:
		key = &k.PublicKey
	}
	return jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: "sig"}
}

func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const testAud = "sts.amazonaws.com"

func baseClaims(iss string) map[string]any {
	return map[string]any{
		"iss": iss,
		"sub": "repo:latchkey/latchkey:ref:refs/heads/main",
		"aud": testAud,
		"exp": fixedNow.Add(time.Hour).Unix(),
		"iat": fixedNow.Add(-time.Minute).Unix(),
		"nbf": fixedNow.Add(-time.Minute).Unix(),
	}
}

func with(c map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(c))
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func lookupOne(p Provider) func(string) (Provider, bool) {
	return func(iss string) (Provider, bool) {
		if iss == p.URL {
			return p, true
		}
		return Provider{}, false
	}
}

func wantErr(t testing.TB, err error, kind ErrorKind, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want *Error kind %v", err, kind)
	}
	if e.Kind != kind {
		t.Fatalf("kind = %v, want %v (error %v)", e.Kind, kind, err)
	}
	if msg != "" && e.Message != msg {
		t.Fatalf("message = %q, want %q (cause %v)", e.Message, msg, e.Cause)
	}
}

// certificates for TLS tests, generated on demand.

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// leaf issues a server certificate for 127.0.0.1; the chain served includes extra certs.
func (ca *testCA) leaf(t testing.TB, extra ...*x509.Certificate) tls.Certificate {
	return ca.leafFor(t, "", extra...)
}

// leafFor issues a server certificate for dnsName, or for 127.0.0.1 when dnsName is "".
func (ca *testCA) leafFor(t testing.TB, dnsName string, extra ...*x509.Certificate) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if dnsName == "" {
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.DNSNames = []string{dnsName}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	chain := [][]byte{der}
	for _, c := range extra {
		chain = append(chain, c.Raw)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key}
}

func verifyCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

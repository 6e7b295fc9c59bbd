package oidc

import (
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func thumbprint(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw)
	return hex.EncodeToString(sum[:])
}

// newIdPWithCert starts a TLS IdP serving the given certificate chain.
func newIdPWithCert(t *testing.T, cert tls.Certificate) *testIdP {
	testKeys(t)
	p := &testIdP{}
	p.setKeys(t, jwk(rsaKey, "rsa1", "RS256"))
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	p.srv.Config.ErrorLog = quietLog
	p.srv.StartTLS()
	t.Cleanup(p.srv.Close)
	return p
}

func TestThumbprints(t *testing.T) {
	testKeys(t)
	// httptest's certificate is self-signed and chains to nothing the verifier trusts.
	selfSigned := newTLSIdP(t, "", jwk(rsaKey, "rsa1", "RS256"))
	ssPrint := thumbprint(selfSigned.srv.Certificate())

	// A private CA: the server sends leaf + CA, the CA's thumbprint is registered.
	privCA := newCA(t, "private CA")
	privIdP := newIdPWithCert(t, privCA.leaf(t, privCA.cert))

	// A public-looking CA in RootCAs.
	trustedCA := newCA(t, "trusted CA")
	trustedIdP := newIdPWithCert(t, trustedCA.leaf(t))

	// The attack: certificates are public, so an attacker can staple the registered CA's
	// certificate to a chain it did not sign.
	rogueCA := newCA(t, "rogue CA")
	rogueIdP := newIdPWithCert(t, rogueCA.leaf(t, rogueCA.cert, privCA.cert))

	// A leaf from the private CA that names another host.
	wrongHost := newCA(t, "private CA 2")
	wrongHostIdP := newIdPWithCert(t, wrongHost.leafFor(t, "idp.example", wrongHost.cert))

	cases := []struct {
		name        string
		idp         *testIdP
		thumbprints []string
		roots       bool // trust trustedCA
		ok          bool
	}{
		{name: "self-signed, right thumbprint", idp: selfSigned, thumbprints: []string{ssPrint}, ok: true},
		{name: "self-signed, right thumbprint in upper case among others", idp: selfSigned, thumbprints: []string{strings.Repeat("ab", 20), strings.ToUpper(ssPrint)}, ok: true},
		{name: "self-signed, wrong thumbprint", idp: selfSigned, thumbprints: []string{strings.Repeat("ab", 20)}},
		{name: "self-signed, no thumbprints", idp: selfSigned},
		{name: "private CA, CA thumbprint", idp: privIdP, thumbprints: []string{thumbprint(privCA.cert)}, ok: true},
		{name: "private CA, no thumbprints", idp: privIdP},
		{name: "chains to RootCAs, wrong thumbprint", idp: trustedIdP, thumbprints: []string{strings.Repeat("ab", 20)}, roots: true, ok: true},
		{name: "chains to RootCAs, no thumbprints", idp: trustedIdP, roots: true, ok: true},
		{name: "chains to RootCAs not configured", idp: trustedIdP, thumbprints: []string{strings.Repeat("ab", 20)}},
		{name: "registered CA stapled to a rogue chain", idp: rogueIdP, thumbprints: []string{thumbprint(privCA.cert)}},
		{name: "thumbprinted CA, leaf for another host", idp: wrongHostIdP, thumbprints: []string{thumbprint(wrongHost.cert)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := Options{Now: newClock().Now, AllowedNetworks: localNets}
			if c.roots {
				opts.RootCAs = trustedCA.pool()
			}
			v := NewVerifier(opts)
			prov := Provider{URL: c.idp.issuer(), ClientIDs: []string{testAud}, Thumbprints: c.thumbprints}
			_, err := v.Verify(verifyCtx(t), sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(c.idp.issuer())), lookupOne(prov))
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, Communication, MsgCommunication)
			var ue *untrustedCertError
			var ce *tls.CertificateVerificationError
			if !errors.As(err, &ue) && !errors.As(err, &ce) {
				t.Fatalf("cause %v is not a certificate error", err)
			}
		})
	}
}

// TestThumbprintCacheIsolation: keys fetched under one provider's thumbprints do not serve a
// provider for the same issuer that lacks them.
func TestThumbprintCacheIsolation(t *testing.T) {
	testKeys(t)
	idp := newTLSIdP(t, "", jwk(rsaKey, "rsa1", "RS256"))
	v := NewVerifier(Options{Now: newClock().Now, AllowedNetworks: localNets})
	tok := sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(idp.issuer()))
	withPrint := Provider{URL: idp.issuer(), ClientIDs: []string{testAud}, Thumbprints: []string{thumbprint(idp.srv.Certificate())}}
	if _, err := v.Verify(verifyCtx(t), tok, lookupOne(withPrint)); err != nil {
		t.Fatal(err)
	}
	without := Provider{URL: idp.issuer(), ClientIDs: []string{testAud}}
	_, err := v.Verify(verifyCtx(t), tok, lookupOne(without))
	wantErr(t, err, Communication, MsgCommunication)
}

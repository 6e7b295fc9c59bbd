package oidc

import (
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

func tlsConfigWithRoots(base *tls.Config, roots *x509.CertPool) *tls.Config {
	var c *tls.Config
	if base != nil {
		c = base.Clone()
	} else {
		c = &tls.Config{}
	}
	if roots != nil {
		c.RootCAs = roots
	}
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	return c
}

// thumbprintTransport is a one-use transport for a provider with thumbprints. AWS trusts public
// CAs first and the provider's thumbprints only as a fallback for chains that do not verify,
// so verification is done here: first the normal way, then against the certificates whose
// thumbprint is listed. A fresh transport per request lets the check know the host even when
// it is an IP address, which TLS does not send as SNI.
func (v *Verifier) thumbprintTransport(host string, thumbprints []string) *http.Transport {
	t := v.baseTransport.Clone()
	t.DisableKeepAlives = true
	c := tlsConfigWithRoots(t.TLSClientConfig, v.opts.RootCAs)
	c.ClientSessionCache = nil
	// Verification is not skipped: VerifyConnection below does it, and runs regardless.
	c.InsecureSkipVerify = true
	c.VerifyConnection = verifyWithThumbprints(c.RootCAs, thumbprints, host)
	t.TLSClientConfig = c
	return t
}

func verifyWithThumbprints(roots *x509.CertPool, thumbprints []string, fallbackHost string) func(tls.ConnectionState) error {
	want := make(map[string]bool, len(thumbprints))
	for _, t := range thumbprints {
		want[strings.ToLower(t)] = true
	}
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return &untrustedCertError{err: errors.New("server presented no certificate")}
		}
		host := cs.ServerName
		if host == "" {
			// TLS sends no SNI for IP addresses; the connection is to the request's host.
			host = fallbackHost
		}
		leaf := cs.PeerCertificates[0]
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		opts := x509.VerifyOptions{
			Roots:         roots, // nil: system roots
			Intermediates: inter,
			DNSName:       host,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		_, normalErr := leaf.Verify(opts)
		if normalErr == nil {
			return nil
		}
		// Certificates are public, so a matching thumbprint alone proves nothing: the matching
		// certificate becomes the only trust anchor, and the leaf must still chain to it and
		// name the host. A self-signed leaf can be its own anchor.
		anchors := x509.NewCertPool()
		matched := false
		for _, c := range cs.PeerCertificates {
			sum := sha1.Sum(c.Raw)
			if want[hex.EncodeToString(sum[:])] {
				anchors.AddCert(c)
				matched = true
			}
		}
		if !matched {
			return &untrustedCertError{err: fmt.Errorf("certificate chain is not trusted and matches no thumbprint: %w", normalErr),
				seen: chainThumbprints(cs.PeerCertificates), reason: "no certificate of it matches a registered thumbprint"}
		}
		opts.Roots = anchors
		if _, err := leaf.Verify(opts); err != nil {
			return &untrustedCertError{err: fmt.Errorf("certificate chain matches a thumbprint but does not verify against it: %w", err),
				seen: chainThumbprints(cs.PeerCertificates), reason: "the server certificate does not verify against the certificate whose thumbprint is registered (" + err.Error() + ")"}
		}
		return nil
	}
}

// untrustedCertError is a chain the verifier refused; seen, when set, are the thumbprints of
// the certificates the server presented (certificates are public) and reason says why the
// registered thumbprints did not help.
type untrustedCertError struct {
	err    error
	seen   []string
	reason string
}

func chainThumbprints(chain []*x509.Certificate) []string {
	out := make([]string, len(chain))
	for i, c := range chain {
		sum := sha1.Sum(c.Raw)
		out[i] = hex.EncodeToString(sum[:])
	}
	return out
}

func (e *untrustedCertError) Error() string { return "oidc: " + e.err.Error() }
func (e *untrustedCertError) Unwrap() error { return e.err }

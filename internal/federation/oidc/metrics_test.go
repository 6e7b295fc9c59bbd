package oidc

import (
	"crypto/x509"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

type fetchRecord struct{ issuer, outcome string }

type fakeFetchRecorder struct {
	mu  sync.Mutex
	got []fetchRecord
}

func (r *fakeFetchRecorder) IdPFetch(issuer, outcome string, _ time.Time) {
	r.mu.Lock()
	r.got = append(r.got, fetchRecord{issuer, outcome})
	r.mu.Unlock()
}

// TestFetchMetrics: every key-set fetch is recorded once with its issuer and the class of its
// outcome; a verification answered from the cache records nothing.
func TestFetchMetrics(t *testing.T) {
	cases := []struct {
		name    string
		opts    Options
		bend    func(p *testIdP)
		outcome string
	}{
		{"success", Options{}, nil, "success"},
		{"untrusted certificate", Options{RootCAs: x509.NewCertPool()}, nil, "tls"},
		{"address outside the allowed networks", Options{AllowedNetworks: []netip.Prefix{}}, nil, "refused_network"},
		{"discovery answers 500", Options{}, func(p *testIdP) { p.set(func() { p.discoStatus = http.StatusInternalServerError }) }, "error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &fakeFetchRecorder{}
			c.opts.Metrics = rec
			f := newFixture(t, c.opts)
			if c.bend != nil {
				c.bend(f.idp)
			}
			tok := sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(f.idp.issuer()))
			_, _ = f.verify(t, tok)
			_, _ = f.verify(t, tok) // cached keys, or the remembered failure: no second fetch
			want := []fetchRecord{{f.idp.issuer(), c.outcome}}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.got) != 1 || rec.got[0] != want[0] {
				t.Fatalf("recorded %v, want %v", rec.got, want)
			}
		})
	}
}

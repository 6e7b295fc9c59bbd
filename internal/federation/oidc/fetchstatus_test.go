package oidc

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// TestLastFetch: the verifier keeps, per issuer, its last fetch's time, outcome, published key
// ids and error text; an issuer never fetched has none.
func TestLastFetch(t *testing.T) {
	for _, c := range []struct {
		name    string
		bend    func(p *testIdP)
		outcome string
		kids    bool
		errText string
	}{
		{"success", nil, "success", true, ""},
		{"discovery answers 500", func(p *testIdP) { p.set(func() { p.discoStatus = http.StatusInternalServerError }) }, "error", false, "HTTP status 500"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			if _, ok := f.v.LastFetch(f.idp.issuer()); ok {
				t.Fatal("a last fetch before any")
			}
			if c.bend != nil {
				c.bend(f.idp)
			}
			_, _ = f.verify(t, sign(t, jose.RS256, rsaKey, "rsa1", baseClaims(f.idp.issuer())))
			s, ok := f.v.LastFetch(f.idp.issuer())
			if !ok || s.Outcome != c.outcome || s.At.IsZero() || s.Issuer != f.idp.issuer() {
				t.Fatalf("LastFetch = %+v, %v; want outcome %s", s, ok, c.outcome)
			}
			if c.kids != slices.Contains(s.Kids, "rsa1") || !slices.IsSorted(s.Kids) {
				t.Errorf("kids %v", s.Kids)
			}
			if c.errText == "" && s.Error != "" || !strings.Contains(s.Error, c.errText) {
				t.Errorf("error %q, want %q", s.Error, c.errText)
			}
			if _, ok := f.v.LastFetch("https://other.example.com"); ok {
				t.Error("a last fetch of an issuer never fetched")
			}
		})
	}
}

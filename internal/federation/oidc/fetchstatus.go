package oidc

import (
	"slices"
	"time"
)

// FetchStatus is this node's last fetch of an issuer's key set (discovery document, then JWKS),
// kept for display: the console's Providers page. Each node fetches on its own, so another node's
// last fetch may differ.
type FetchStatus struct {
	// Issuer is the issuer URL fetched, with its scheme (https:// for an iss without one).
	Issuer string
	At     time.Time // when the fetch ended
	// Outcome is "success" or FetchOutcome's failure class (refused_network, tls, timeout, error).
	Outcome string
	// Kids are the key ids the fetched set published (a successful fetch), sorted.
	Kids []string
	// Error is the failure's cause (URLs redacted; a key set holds no secrets), "" on success.
	Error string
}

// OutcomeLocal is the Outcome LastFetch reports for an issuer this server runs itself
// (Options.Local): its keys are read in process and never fetched.
const OutcomeLocal = "local"

// LastFetch returns this node's last key-set fetch of issuerURL (a provider's URL, with its
// scheme); false when this node has not fetched it since it started. An issuer served by this
// server itself is never fetched: its status is OutcomeLocal, with no time.
func (v *Verifier) LastFetch(issuerURL string) (FetchStatus, bool) {
	if v.local(issuerURL) {
		return FetchStatus{Issuer: issuerURL, Outcome: OutcomeLocal}, true
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	s, ok := v.fetches[issuerURL]
	if ok {
		s.Kids = slices.Clone(s.Kids)
	}
	return s, ok
}

// recordFetchLocked keeps the outcome of a fetch of issuerURL, holding v.mu. The map is bounded
// by MaxIssuers: a new issuer past the bound replaces the one fetched longest ago.
func (v *Verifier) recordFetchLocked(issuerURL string, keys []verificationKey, err error) {
	s := FetchStatus{Issuer: issuerURL, At: v.opts.Now(), Outcome: FetchOutcome(err)}
	if err != nil {
		s.Error = err.Error()
	}
	for _, k := range keys {
		s.Kids = append(s.Kids, k.kid)
	}
	slices.Sort(s.Kids)
	if v.fetches == nil {
		v.fetches = make(map[string]FetchStatus)
	}
	if _, ok := v.fetches[issuerURL]; !ok && len(v.fetches) >= v.opts.MaxIssuers {
		oldest := ""
		for k, f := range v.fetches {
			if oldest == "" || f.At.Before(v.fetches[oldest].At) {
				oldest = k
			}
		}
		delete(v.fetches, oldest)
	}
	v.fetches[issuerURL] = s
}

package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

type verificationKey struct {
	kid string
	alg string // the JWK's alg, "" when it has none
	key any    // *rsa.PublicKey or *ecdsa.PublicKey
}

// cacheEntry is one issuer's key set, for one set of thumbprints: keys fetched under one
// provider's thumbprints must not serve another account that registered the same issuer URL
// without them (or with others), or a thumbprint-trusted MITM could poison both.
type cacheEntry struct {
	keys      []verificationKey
	fetchedAt time.Time // when the fetch that got keys started; zero when never
	// kidRefetchAt is when the last fetch caused by an unknown kid started, successful or
	// not. Only such fetches use up the refetch budget: a regular fetch (cold cache, expired
	// TTL) must not, or a key the IdP publishes just after it would be refused for a whole
	// RefetchInterval.
	kidRefetchAt time.Time
	lastErr      *Error
	lastErrAt    time.Time
	lastUsed     time.Time
	flight       *flight
}

// flight is one fetch in progress; everyone who needs it waits on done.
type flight struct {
	started time.Time
	done    chan struct{}
	err     *Error
}

func cacheKey(iss string, thumbprints []string) string {
	if len(thumbprints) == 0 {
		return iss
	}
	t := make([]string, len(thumbprints))
	for i, s := range thumbprints {
		t[i] = strings.ToLower(s)
	}
	slices.Sort(t)
	t = slices.Compact(t)
	return iss + "\x00" + strings.Join(t, ",")
}

// LocalKeySource is the key set of issuers served by this very server.
type LocalKeySource interface {
	// Owns reports whether iss is exactly one of its issuers.
	Owns(iss string) bool
	// VerificationKeys returns the public keys with kid (every key when kid is empty); none
	// when the kid is unknown.
	VerificationKeys(ctx context.Context, iss, kid string) ([]jose.JSONWebKey, error)
}

func (v *Verifier) local(iss string) bool { return v.opts.Local != nil && v.opts.Local.Owns(iss) }

// localKeys answers keysFor for a local issuer: no cache, no fetch; the source reads its own
// key ring, which bounds reloads on unknown kids itself.
func (v *Verifier) localKeys(ctx context.Context, iss, kid, alg string) ([]verificationKey, error) {
	jwks, err := v.opts.Local.VerificationKeys(ctx, iss, kid)
	if err != nil {
		return nil, commErr(err)
	}
	keys := make([]verificationKey, 0, len(jwks))
	for _, k := range jwks {
		keys = append(keys, verificationKey{kid: k.KeyID, alg: k.Algorithm, key: k.Key})
	}
	cands := matchKeys(keys, kid, alg)
	if len(cands) == 0 {
		return nil, invalid(MsgKeyRetrieval, fmt.Errorf("no %s key with kid %q in the key set of %s", alg, kid, iss))
	}
	return cands, nil
}

// issuerBase turns iss into the URL that discovery hangs off. Google issues tokens whose iss
// has no scheme ("accounts.google.com"); those are fetched over https.
func (v *Verifier) issuerBase(iss string, prov Provider) (*url.URL, error) {
	raw := iss
	if !strings.Contains(iss, "://") {
		raw = "https://" + iss
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, invalid(MsgKeyRetrieval, fmt.Errorf("issuer %q is not a usable URL", iss))
	}
	if !v.local(iss) {
		if err := v.checkScheme(u); err != nil {
			return nil, err
		}
	}
	// The provider's ARN leaves the scheme out, so lookup matches http://host and https://host
	// alike; the token's issuer must be the very URL the provider registered, or an http issuer
	// would be fetched in place of an https provider's keys.
	provScheme := "https"
	if strings.HasPrefix(prov.URL, "http://") {
		provScheme = "http"
	}
	if u.Scheme != provScheme {
		return nil, invalid(msgNoProvider+iss, nil)
	}
	// An http provider is thus reached only with an http issuer, which checkScheme refused
	// unless AllowHTTP.
	return u, nil
}

func (v *Verifier) checkScheme(u *url.URL) *Error {
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && v.opts.AllowHTTP:
		return nil
	case u.Scheme == "http":
		return invalid(MsgKeyRetrieval, fmt.Errorf("%s is http and http issuers are not allowed (LATCHKEY_ALLOW_HTTP_ISSUERS)", u.Redacted()))
	}
	return invalid(MsgKeyRetrieval, fmt.Errorf("%s: scheme %q is not supported", u.Redacted(), u.Scheme))
}

// keysFor returns the cached keys that could have signed a token with this kid and alg,
// fetching the issuer's key set when it is missing or stale. An unknown kid refetches the set
// at once, unless an unknown-kid refetch of this issuer already started within
// RefetchInterval: a key rotation is seen by the first token that uses the new key, and a
// flood of invented kids costs at most one fetch per interval.
func (v *Verifier) keysFor(ctx context.Context, iss string, base *url.URL, prov Provider, kid, alg string) ([]verificationKey, error) {
	if v.local(iss) {
		return v.localKeys(ctx, iss, kid, alg)
	}
	key := cacheKey(iss, prov.Thumbprints)
	waited := false
	for {
		v.mu.Lock()
		now := v.opts.Now()
		e := v.entryLocked(key, now)
		if f := e.flight; f != nil {
			v.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return nil, commErr(ctx.Err())
			}
			if f.err != nil {
				return nil, f.err
			}
			waited = true
			continue
		}
		kidRefetch := false
		fresh := !e.fetchedAt.IsZero() && now.Sub(e.fetchedAt) < v.opts.KeyTTL
		if fresh {
			cands := matchKeys(e.keys, kid, alg)
			if len(cands) > 0 {
				v.mu.Unlock()
				return cands, nil
			}
			// A set fetched while this caller waited is as new as a refetch would be.
			if waited || (!e.kidRefetchAt.IsZero() && now.Sub(e.kidRefetchAt) < v.opts.RefetchInterval) {
				v.mu.Unlock()
				return nil, unknownKid(iss, kid, alg, e.keys)
			}
			kidRefetch = true
		} else {
			if waited {
				// The fetch we waited for succeeded yet the set is already stale: only a
				// KeyTTL shorter than the fetch itself does that.
				v.mu.Unlock()
				return nil, invalid(MsgKeyRetrieval, errors.New("key set expired as soon as it was fetched"))
			}
			if e.lastErr != nil && now.Sub(e.lastErrAt) < v.opts.FailureBackoff {
				err := e.lastErr
				v.mu.Unlock()
				return nil, err
			}
		}
		f := &flight{started: now, done: make(chan struct{})}
		e.flight = f
		if kidRefetch {
			e.kidRefetchAt = now
		}
		v.mu.Unlock()
		// The fetch is detached from this caller's cancellation: other callers wait on it, and
		// a result nobody awaits still warms the cache. FetchTimeout bounds it.
		go v.runFetch(context.WithoutCancel(ctx), e, f, iss, base, prov)
	}
}

// entryLocked finds or creates the cache entry, evicting the least recently used one when
// the cache is full.
func (v *Verifier) entryLocked(key string, now time.Time) *cacheEntry {
	e, ok := v.entries[key]
	if !ok {
		if len(v.entries) >= v.opts.MaxIssuers {
			var oldestKey string
			var oldest *cacheEntry
			for k, c := range v.entries {
				if oldest == nil || c.lastUsed.Before(oldest.lastUsed) {
					oldestKey, oldest = k, c
				}
			}
			// An evicted entry's running fetch completes into the orphan; its waiters hold
			// the flight and still get the result.
			delete(v.entries, oldestKey)
		}
		e = &cacheEntry{}
		v.entries[key] = e
	}
	e.lastUsed = now
	return e
}

func (v *Verifier) runFetch(ctx context.Context, e *cacheEntry, f *flight, iss string, base *url.URL, prov Provider) {
	ctx, cancel := context.WithTimeout(ctx, v.opts.FetchTimeout)
	defer cancel()
	keys, err := v.fetchKeys(ctx, iss, base, prov)
	if v.opts.Metrics != nil {
		v.opts.Metrics.IdPFetch(iss, FetchOutcome(err), v.opts.Now())
	}
	v.mu.Lock()
	v.recordFetchLocked(base.String(), keys, err)
	if err != nil {
		// Keys still inside their TTL stay usable: a failed unknown-kid refetch must not
		// take down tokens signed with known keys.
		ferr := commErr(err)
		e.lastErr, e.lastErrAt = ferr, v.opts.Now()
		f.err = ferr
	} else {
		e.keys, e.fetchedAt = keys, f.started
		e.lastErr = nil
	}
	e.flight = nil
	v.mu.Unlock()
	close(f.done)
}

// fetchKeys gets the issuer's key set through its discovery document. Every failure here,
// whatever its cause, becomes the one IDPCommunicationError of MsgCommunication; the error
// returned is the cause, for the log.
func (v *Verifier) fetchKeys(ctx context.Context, iss string, base *url.URL, prov Provider) ([]verificationKey, error) {
	disco := *base
	disco.Path = strings.TrimSuffix(base.Path, "/") + "/.well-known/openid-configuration"
	disco.RawPath = ""
	body, err := v.get(ctx, &disco, prov.Thumbprints)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("discovery document %s: %v", disco.Redacted(), err)
	}
	// A discovery document for another issuer must not vouch for this one's keys. An iss
	// without a scheme was fetched over https and may be published with it.
	if doc.Issuer != iss && doc.Issuer != base.String() {
		return nil, fmt.Errorf("discovery document %s names issuer %q, token has %q", disco.Redacted(), doc.Issuer, iss)
	}
	jwksURL, err := url.Parse(doc.JWKSURI)
	if err != nil || doc.JWKSURI == "" || jwksURL.Host == "" || jwksURL.User != nil || jwksURL.Fragment != "" {
		return nil, fmt.Errorf("discovery document %s has unusable jwks_uri %q", disco.Redacted(), doc.JWKSURI)
	}
	if serr := v.checkScheme(jwksURL); serr != nil {
		return nil, fmt.Errorf("jwks_uri: %w", serr.Cause)
	}
	body, err = v.get(ctx, jwksURL, prov.Thumbprints)
	if err != nil {
		return nil, err
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("JWKS %s: %v", jwksURL.Redacted(), err)
	}
	return keys, nil
}

func (v *Verifier) get(ctx context.Context, u *url.URL, thumbprints []string) ([]byte, error) {
	client := v.plainClient
	if len(thumbprints) > 0 {
		t := v.thumbprintTransport(u.Hostname(), thumbprints)
		defer t.CloseIdleConnections()
		client = v.newClient(t)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		// The URL is in err already (*url.Error), redacted by net/http.
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP status %d", u.Redacted(), resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, v.opts.MaxDocumentSize+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading body: %w", u.Redacted(), err)
	}
	// A response racing the deadline can arrive truncated without a read error; past the
	// deadline nothing read is trusted to be complete.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	if int64(len(body)) > v.opts.MaxDocumentSize {
		return nil, fmt.Errorf("GET %s: body larger than %d bytes", u.Redacted(), v.opts.MaxDocumentSize)
	}
	return body, nil
}

func (v *Verifier) newClient(rt http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: rt,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			// A redirect must not downgrade what the issuer check allowed.
			if req.URL.Scheme != "https" && (req.URL.Scheme != "http" || !v.opts.AllowHTTP) {
				return fmt.Errorf("redirect to %s refused", req.URL.Redacted())
			}
			return nil
		},
	}
}

// Private key members: a JWKS that publishes them is broken, and such a key proves nothing.
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"}

// parseJWKS keeps the usable signature keys of a JWKS and skips the rest, as RFC 7517 §5
// asks; it fails only when nothing usable is left.
func parseJWKS(body []byte) ([]verificationKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, err
	}
	var keys []verificationKey
	var skipped []string
	for i, raw := range set.Keys {
		if len(keys) == maxKeysPerSet {
			skipped = append(skipped, fmt.Sprintf("keys after the first %d usable ones", maxKeysPerSet))
			break
		}
		k, err := parseJWK(raw)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d: %v", i, err))
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		if len(set.Keys) == 0 {
			return nil, errors.New("no keys")
		}
		return nil, fmt.Errorf("no usable keys (%s)", strings.Join(skipped, "; "))
	}
	return keys, nil
}

func parseJWK(raw json.RawMessage) (verificationKey, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return verificationKey{}, err
	}
	for _, m := range privateJWKMembers {
		if _, ok := members[m]; ok {
			return verificationKey{}, fmt.Errorf("contains private member %q", m)
		}
	}
	var jwk jose.JSONWebKey
	if err := json.Unmarshal(raw, &jwk); err != nil {
		return verificationKey{}, err
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return verificationKey{}, fmt.Errorf("use is %q", jwk.Use)
	}
	if ops, ok := members["key_ops"]; ok {
		var list []string
		if err := json.Unmarshal(ops, &list); err != nil || !slices.Contains(list, "verify") {
			return verificationKey{}, errors.New("key_ops does not allow verify")
		}
	}
	switch k := jwk.Key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return verificationKey{}, fmt.Errorf("RSA key of %d bits, fewer than %d", k.N.BitLen(), minRSABits)
		}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return verificationKey{}, errors.New("unsupported curve")
		}
	default:
		return verificationKey{}, fmt.Errorf("unsupported key type %T", jwk.Key)
	}
	return verificationKey{kid: jwk.KeyID, alg: jwk.Algorithm, key: jwk.Key}, nil
}

// matchKeys returns the keys that may verify a token. A token with a kid matches only keys
// with that kid. A token without one matches every compatible key: AWS accepts kid-less tokens
// when the JWKS holds the signing key. Verify tries only the first few (keysToTry).
// Compatibility ties the header's alg to the key's type and curve (and to the JWK's own alg
// when it has one), so an RSA key can never be used as an HMAC secret or for ECDSA.
func matchKeys(keys []verificationKey, kid, alg string) []verificationKey {
	var out []verificationKey
	for _, k := range keys {
		if kid != "" && k.kid != kid {
			continue
		}
		if compatible(k, alg) {
			out = append(out, k)
		}
	}
	return out
}

func compatible(k verificationKey, alg string) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch alg {
	case "RS256", "RS384", "RS512":
		_, ok := k.key.(*rsa.PublicKey)
		return ok
	case "ES256", "ES384", "ES512":
		ec, ok := k.key.(*ecdsa.PublicKey)
		if !ok {
			return false
		}
		switch alg {
		case "ES256":
			return ec.Curve == elliptic.P256()
		case "ES384":
			return ec.Curve == elliptic.P384()
		default:
			return ec.Curve == elliptic.P521()
		}
	}
	return false
}

// verifySignature checks a JWS signature (RFC 7518 §3.3 RSASSA-PKCS1-v1_5, §3.4 ECDSA: R and S
// as fixed-size big-endian integers) of signingInput made with k for alg. A key that is not
// compatible with alg verifies nothing.
func verifySignature(k verificationKey, alg string, signingInput, sig []byte) bool {
	if !compatible(k, alg) {
		return false
	}
	var h crypto.Hash
	switch alg {
	case "RS256", "ES256":
		h = crypto.SHA256
	case "RS384", "ES384":
		h = crypto.SHA384
	case "RS512", "ES512":
		h = crypto.SHA512
	default:
		return false
	}
	d := h.New()
	d.Write(signingInput)
	digest := d.Sum(nil)
	switch pub := k.key.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(pub, h, digest, sig) == nil
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		return ecdsa.Verify(pub, digest, new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:]))
	}
	return false
}

// commErr is every failed fetch as the caller sees it: one message, whatever happened; the cause
// goes only to the log.
func commErr(cause error) *Error {
	return &Error{Kind: Communication, Message: MsgCommunication, Cause: cause}
}

// FetchOutcome classes a fetch's error for the metrics, from a closed set: success, refused_network
// (the outbound network policy), tls, timeout or error (status, document, connection, …).
func FetchOutcome(err error) string {
	var refused *refusedAddrError
	var untrusted *untrustedCertError
	var certErr *tls.CertificateVerificationError
	var netErr net.Error
	switch {
	case err == nil:
		return "success"
	case errors.As(err, &refused):
		return "refused_network"
	case errors.As(err, &untrusted), errors.As(err, &certErr):
		return "tls"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	}
	return "error"
}

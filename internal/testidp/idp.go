package testidp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/token"
)

// Ring purposes: the test IdP's RS256 signing keys, and the HMAC keys of runner request tokens.
const (
	PurposeSigning = "test-idp-rs256"
	PurposeRunner  = "test-idp-runner"
)

// PathPrefix is where the named issuers live under Latchkey's issuer URL.
const PathPrefix = "/test-idp/"

// Lifetimes: a minted token lives at most MaxTokenTTL (so retired signing keys stay published
// that long); a runner request token at most MaxRunnerTTL (a GitHub-hosted job's limit).
const (
	DefaultTTL   = 10 * time.Minute
	MaxTokenTTL  = 24 * time.Hour
	MaxRunnerTTL = 6 * time.Hour
)

// Rings builds the two key rings of the test IdP over the store.
func Rings(st keys.RingStore, mk *keys.MasterKey, now func() time.Time) (signing, runner *keys.Ring) {
	return keys.NewRing(PurposeSigning, st, mk, keys.RingOptions{Now: now, Generate: token.GenerateRS256}),
		keys.NewRing(PurposeRunner, st, mk, keys.RingOptions{Now: now})
}

// Deps are what the test IdP works with.
type Deps struct {
	Signing *keys.Ring // RS256 keys that sign tokens
	Runner  *keys.Ring // HMAC keys of runner request tokens
	// BaseURL is Latchkey's issuer URL; issuer NAME is BaseURL/test-idp/NAME.
	BaseURL string
	Now     func() time.Time
}

// IdP is the test identity provider. Built by New, never changed after.
type IdP struct {
	d Deps
}

// New builds the test IdP.
func New(d Deps) *IdP {
	if d.Now == nil {
		d.Now = time.Now
	}
	d.BaseURL = strings.TrimRight(d.BaseURL, "/")
	return &IdP{d: d}
}

// Rings are the test IdP's key rings, for rotation.
func (p *IdP) Rings() (signing, runner *keys.Ring) { return p.d.Signing, p.d.Runner }

// ErrNoIssuer is a malformed issuer name.
var ErrNoIssuer = errors.New("no such test issuer")

var nameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)

// CheckName refuses names that cannot be an issuer (letters, digits, - and _, at most 63).
func CheckName(name string) error {
	if !nameRe.MatchString(name) {
		return fmt.Errorf("%w: issuer name %q must be 1-63 letters, digits, '-' or '_', starting with a letter or digit", ErrNoIssuer, name)
	}
	return nil
}

// IssuerURL is the iss of issuer name.
func (p *IdP) IssuerURL(name string) string { return p.d.BaseURL + PathPrefix + name }

// Owns reports whether iss is exactly one of the test IdP's issuers.
func (p *IdP) Owns(iss string) bool {
	name, ok := strings.CutPrefix(iss, p.d.BaseURL+PathPrefix)
	return ok && CheckName(name) == nil
}

// MintInput is one token request.
type MintInput struct {
	Issuer   string
	Profile  string
	Params   Params
	Audience []string // empty: the profile's default
	// Claims are added last: they override the profile's claims and the registered ones.
	Claims map[string]any
	TTL    time.Duration // 0: DefaultTTL
}

// ErrInvalidInput marks a MintInput that cannot be a token (unknown profile, missing profile
// parameters, a ttl out of range, no audience): the caller's mistake, not the IdP's failure.
var ErrInvalidInput = errors.New("invalid token request")

// inputError is a validation failure of a MintInput: its message is the problem alone, and it
// matches ErrInvalidInput.
type inputError struct{ error }

func (e inputError) Is(target error) bool { return target == ErrInvalidInput }
func (e inputError) Unwrap() error        { return e.error }

// Mint signs a token of the profile for the named issuer. A malformed issuer name is
// ErrNoIssuer; any other refusal of the input matches ErrInvalidInput.
func (p *IdP) Mint(ctx context.Context, in MintInput) (string, error) {
	if err := CheckName(in.Issuer); err != nil {
		return "", err
	}
	ttl := in.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < time.Second || ttl > MaxTokenTTL {
		return "", inputError{fmt.Errorf("ttl %s: want between 1s and %s", ttl, MaxTokenTTL)}
	}
	now := p.d.Now().Truncate(time.Second)
	claims, err := profileClaims(in.Profile, in.Params, now)
	if err != nil {
		return "", inputError{err}
	}
	aud, err := audience(in.Profile, in.Audience)
	if err != nil {
		return "", inputError{err}
	}
	claims["iss"] = p.IssuerURL(in.Issuer)
	claims["aud"] = aud
	claims["jti"] = uuid.NewString()
	claims["iat"] = now.Unix()
	claims["nbf"] = now.Unix()
	claims["exp"] = now.Add(ttl).Unix()
	for k, v := range in.Claims {
		claims[k] = v
	}
	if err := checkLifetime(claims, now); err != nil {
		return "", err
	}
	return p.sign(ctx, claims)
}

// checkLifetime keeps an overridden exp within MaxTokenTTL of now: the ring publishes a retired
// key only that long, so a longer-lived token would outlive the key that verifies it. Backdated
// times (already expired tokens for tests) are allowed.
func checkLifetime(claims map[string]any, now time.Time) error {
	exp, ok := numericClaim(claims["exp"])
	if !ok {
		return inputError{errors.New("claim exp: want a number of seconds since the epoch")}
	}
	if time.Unix(exp, 0).After(now.Add(MaxTokenTTL)) {
		return inputError{fmt.Errorf("claim exp: at most %s after now", MaxTokenTTL)}
	}
	for _, k := range []string{"iat", "nbf"} {
		if v, present := claims[k]; present {
			if n, ok := numericClaim(v); !ok || n > exp {
				return inputError{fmt.Errorf("claim %s: want a number of seconds since the epoch, not after exp", k)}
			}
		}
	}
	return nil
}

func numericClaim(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), n == float64(int64(n))
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// audience is what aud becomes: one value as a string (GitHub and GitLab send a string), a list
// for Kubernetes (the API server always sends one).
func audience(profile string, given []string) (any, error) {
	if len(given) == 0 {
		switch profile {
		case GitHubActions, Kubernetes:
			given = []string{DefaultAudience}
		default:
			return nil, fmt.Errorf("profile %s has no default audience: give --audience", profile)
		}
	}
	if profile == Kubernetes || len(given) > 1 {
		return given, nil
	}
	return given[0], nil
}

// keys is the shared RS256 ring as an issuer: signing and publishing are token.Issuer's.
func (p *IdP) keys() *token.Issuer { return &token.Issuer{RS256: p.d.Signing} }

func (p *IdP) sign(ctx context.Context, claims map[string]any) (string, error) {
	return p.keys().Sign(ctx, token.RS256, claims)
}

// Discovery is the OpenID configuration document of the named issuer.
func (p *IdP) Discovery(name string) (map[string]any, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	iss := p.IssuerURL(name)
	return map[string]any{
		"issuer":                                iss,
		"jwks_uri":                              iss + "/.well-known/jwks.json",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public", "pairwise"},
		"id_token_signing_alg_values_supported": []string{token.RS256},
		"scopes_supported":                      []string{"openid"},
		"claims_supported":                      []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf"},
	}, nil
}

// JWKS is every public key that still verifies (all issuers share the ring).
func (p *IdP) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) { return p.keys().JWKS(ctx) }

// VerificationKeys returns the public key with kid, for verifying the test IdP's tokens in
// process (no HTTP fetch of this server by itself). An unknown kid is an empty answer.
func (p *IdP) VerificationKeys(ctx context.Context, iss, kid string) ([]jose.JSONWebKey, error) {
	if !p.Owns(iss) {
		return nil, ErrNoIssuer
	}
	return p.keys().PublicKeys(ctx, kid)
}

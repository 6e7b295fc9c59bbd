package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchkey/latchkey/internal/keys"
)

// Algorithms Latchkey's issuer signs with (the two GetWebIdentityToken documents).
const (
	RS256 = "RS256"
	ES384 = "ES384"
)

// Ring purposes of the issuer's signing keys.
const (
	PurposeRS256 = "oidc-rs256"
	PurposeES384 = "oidc-es384"
)

// GenerateRS256 makes a 2048-bit RSA key in PKCS#8 DER.
func GenerateRS256() ([]byte, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKCS8PrivateKey(k)
}

// GenerateES384 makes a P-384 key in PKCS#8 DER.
func GenerateES384() ([]byte, error) {
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKCS8PrivateKey(k)
}

// Issuer is Latchkey's own OIDC issuer: it signs JWTs with the newest key of each ring and
// publishes every key that still verifies.
type Issuer struct {
	URL   string
	RS256 *keys.Ring
	ES384 *keys.Ring
}

func (i *Issuer) ring(alg string) (*keys.Ring, jose.SignatureAlgorithm, error) {
	switch {
	case alg == RS256 && i.RS256 != nil:
		return i.RS256, jose.RS256, nil
	case alg == ES384 && i.ES384 != nil:
		return i.ES384, jose.ES384, nil
	}
	return nil, "", fmt.Errorf("unsupported signing algorithm %q", alg)
}

type algRing struct {
	ring *keys.Ring
	alg  string
}

// rings are the issuer's key rings; an issuer may have only one (the test IdP signs RS256 only).
func (i *Issuer) rings() []algRing {
	var out []algRing
	for _, r := range []algRing{{i.RS256, RS256}, {i.ES384, ES384}} {
		if r.ring != nil {
			out = append(out, r)
		}
	}
	return out
}

func privateKey(material []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(material)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("ring key is not a signing key")
	}
	return s, nil
}

// Sign returns a compact JWS of claims signed with alg's current key.
func (i *Issuer) Sign(ctx context.Context, alg string, claims map[string]any) (string, error) {
	ring, jalg, err := i.ring(alg)
	if err != nil {
		return "", err
	}
	k, err := ring.Signer(ctx)
	if err != nil {
		return "", err
	}
	priv, err := privateKey(k.Material)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jalg, Key: jose.JSONWebKey{Key: priv, KeyID: k.ID, Algorithm: string(jalg)}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	return jwt.Signed(signer).Claims(claims).Serialize()
}

// JWKS returns the public keys of both rings that still verify.
func (i *Issuer) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	for _, r := range i.rings() {
		ks, err := r.ring.Keys(ctx)
		if err != nil {
			return set, err
		}
		for _, k := range ks {
			priv, err := privateKey(k.Material)
			if err != nil {
				return set, err
			}
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: priv.Public(), KeyID: k.ID, Algorithm: r.alg, Use: "sig"})
		}
	}
	return set, nil
}

// PublicKeys returns the public key with kid, or every key that still verifies when kid is ""
// (a token without one); an unknown kid is an empty answer.
func (i *Issuer) PublicKeys(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	if kid == "" {
		set, err := i.JWKS(ctx)
		return set.Keys, err
	}
	for _, r := range i.rings() {
		k, ok, err := r.ring.Lookup(ctx, kid)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		priv, err := privateKey(k.Material)
		if err != nil {
			return nil, err
		}
		return []jose.JSONWebKey{{Key: priv.Public(), KeyID: k.ID, Algorithm: r.alg, Use: "sig"}}, nil
	}
	return nil, nil
}

// Discovery is the OpenID configuration document for an issuer URL served by Latchkey.
func Discovery(issuer string) map[string]any {
	issuer = strings.TrimRight(issuer, "/")
	return map[string]any{
		"issuer":                                issuer,
		"jwks_uri":                              issuer + "/.well-known/jwks.json",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{RS256, ES384},
		"claims_supported":                      []string{"aud", "exp", "iat", "iss", "sub", "jti", "nbf", "amr"},
	}
}

// ErrTokenInvalid is any failure to verify a token Latchkey issued.
var ErrTokenInvalid = errors.New("token was not issued by this Latchkey or was altered")

// Verify checks a JWT this issuer signed (by either ring) and returns its claims; time claims are
// the caller's concern so it can answer with the protocol's own expiry error.
func (i *Issuer) Verify(ctx context.Context, token string) (map[string]any, error) {
	if len(token) > MaxTokenLength {
		return nil, ErrTokenInvalid
	}
	parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES384})
	if err != nil || len(parsed.Headers) != 1 {
		return nil, ErrTokenInvalid
	}
	h := parsed.Headers[0]
	ring := i.RS256
	if h.Algorithm == string(jose.ES384) {
		ring = i.ES384
	}
	k, ok, err := ring.Lookup(ctx, h.KeyID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrTokenInvalid
	}
	priv, err := privateKey(k.Material)
	if err != nil {
		return nil, err
	}
	claims := map[string]any{}
	if err := parsed.Claims(priv.Public(), &claims); err != nil {
		return nil, ErrTokenInvalid
	}
	return claims, nil
}

// Expiry reads the exp claim.
func Expiry(claims map[string]any) (time.Time, bool) {
	f, ok := claims["exp"].(float64)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0), true
}

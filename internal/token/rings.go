package token

import (
	"time"

	"github.com/latchkey/latchkey/internal/keys"
)

// PurposeSession names the key ring that seals session tokens.
const PurposeSession = "session-token"

// SessionRing is the key ring that seals session tokens.
func SessionRing(st keys.RingStore, mk *keys.MasterKey, now func() time.Time) *keys.Ring {
	return keys.NewRing(PurposeSession, st, mk, keys.RingOptions{Now: now})
}

// NewIssuer builds Latchkey's OIDC issuer at url over its two key rings.
func NewIssuer(st keys.RingStore, mk *keys.MasterKey, now func() time.Time, url string) *Issuer {
	return &Issuer{
		URL:   url,
		RS256: keys.NewRing(PurposeRS256, st, mk, keys.RingOptions{Now: now, Generate: GenerateRS256}),
		ES384: keys.NewRing(PurposeES384, st, mk, keys.RingOptions{Now: now, Generate: GenerateES384}),
	}
}

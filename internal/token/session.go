package token

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/principal"
)

const (
	sessionVersion = 1
	// MaxTokenLength bounds what Open even tries to decode.
	MaxTokenLength = 16 << 10
)

// ErrInvalid covers every token that does not open: tampered, truncated, foreign, unknown key.
var ErrInvalid = errors.New("session token is invalid")

// Sealer seals and opens session tokens with a key ring.
type Sealer struct {
	Ring *keys.Ring
}

type payload struct {
	AccessKeyID string               `json:"ak"`
	Secret      string               `json:"sk"`
	Principal   *principal.Principal `json:"p"`
}

// Seal returns the session token for a temporary access key.
func (s *Sealer) Seal(ctx context.Context, accessKeyID, secret string, p *principal.Principal) (string, error) {
	k, err := s.Ring.Signer(ctx)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(payload{AccessKeyID: accessKeyID, Secret: secret, Principal: p})
	if err != nil {
		return "", err
	}
	aead, err := newAEAD(k.Material)
	if err != nil {
		return "", err
	}
	header := append([]byte{sessionVersion, byte(len(k.ID))}, k.ID...)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := append(header, nonce...)
	out = aead.Seal(out, nonce, body, header)
	return base64.StdEncoding.EncodeToString(out), nil
}

// Open verifies a token presented with accessKeyID and returns the principal and the secret.
// Expiry is the caller's concern: an expired token opens, so the caller can say ExpiredToken.
func (s *Sealer) Open(ctx context.Context, accessKeyID, tok string) (*principal.Principal, string, error) {
	if len(tok) == 0 || len(tok) > MaxTokenLength {
		return nil, "", ErrInvalid
	}
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil || len(raw) < 2 || raw[0] != sessionVersion {
		return nil, "", ErrInvalid
	}
	idLen := int(raw[1])
	if len(raw) < 2+idLen {
		return nil, "", ErrInvalid
	}
	header, rest := raw[:2+idLen], raw[2+idLen:]
	k, ok, err := s.Ring.Lookup(ctx, string(header[2:]))
	if err != nil {
		return nil, "", fmt.Errorf("loading session keys: %w", err)
	}
	if !ok {
		return nil, "", ErrInvalid
	}
	aead, err := newAEAD(k.Material)
	if err != nil || len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, "", ErrInvalid
	}
	body, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], header)
	if err != nil {
		return nil, "", ErrInvalid
	}
	var pl payload
	if err := json.Unmarshal(body, &pl); err != nil || pl.Principal == nil {
		return nil, "", ErrInvalid
	}
	if subtle.ConstantTimeCompare([]byte(pl.AccessKeyID), []byte(accessKeyID)) != 1 {
		return nil, "", ErrInvalid
	}
	p := pl.Principal
	p.AccessKeyID, p.Temporary = accessKeyID, true
	return p, pl.Secret, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

package loadgen

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
)

// sealer is the floor's session-token cipher: AES-256-GCM with a random nonce, the nonce prefixed,
// standard base64 — the same primitive Latchkey seals its session tokens with.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: a}, nil
}

func (s *sealer) seal(plain []byte) (string, error) {
	out := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(s.aead.Seal(out, out, plain, nil)), nil
}

func (s *sealer) open(token string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return nil, err
	}
	n := s.aead.NonceSize()
	if len(raw) < n+s.aead.Overhead() {
		return nil, errors.New("session token too short")
	}
	return s.aead.Open(nil, raw[:n], raw[n:], nil)
}

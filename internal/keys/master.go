package keys

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/latchkey/latchkey/internal/store"
)

const sealVersion = 1

// MasterKey seals secrets for storage. The associated data binds each ciphertext to what it
// protects (e.g. the access key id), so a ciphertext copied onto another row does not open.
type MasterKey struct {
	aead cipher.AEAD
}

// NewMasterKey wraps a 32-byte key.
func NewMasterKey(key []byte) (*MasterKey, error) {
	if len(key) != 32 {
		return nil, errors.New("master key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &MasterKey{aead: aead}, nil
}

// Seal encrypts plaintext: version byte, random nonce, ciphertext and tag.
func (m *MasterKey) Seal(plaintext, aad []byte) []byte {
	nonce := make([]byte, m.aead.NonceSize(), 1+m.aead.NonceSize()+len(plaintext)+m.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	out := append([]byte{sealVersion}, nonce...)
	return m.aead.Seal(out, nonce, plaintext, aad)
}

// ErrWrongKey means a ciphertext was not sealed by this master key (or was altered).
var ErrWrongKey = errors.New("ciphertext does not open with this master key")

// Open decrypts what Seal produced with the same associated data.
func (m *MasterKey) Open(sealed, aad []byte) ([]byte, error) {
	ns := m.aead.NonceSize()
	if len(sealed) < 1+ns+m.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrWrongKey
	}
	pt, err := m.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], aad)
	if err != nil {
		return nil, ErrWrongKey
	}
	return pt, nil
}

// LoadOrCreate returns the configured master key, or the one in dataDir/master.key, generating
// that file (mode 0600) on first start. generated reports whether a new key was written.
func LoadOrCreate(configured []byte, dataDir string) (mk *MasterKey, generated bool, err error) {
	if configured != nil {
		mk, err = NewMasterKey(configured)
		return mk, false, err
	}
	path := filepath.Join(dataDir, "master.key")
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		raw, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
		if derr != nil || len(raw) != 32 {
			return nil, false, fmt.Errorf("%s: want the base64 encoding of 32 bytes", path)
		}
		mk, err = NewMasterKey(raw)
		return mk, false, err
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, fmt.Errorf("reading master key: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, false, fmt.Errorf("creating data dir: %w", err)
	}
	// O_EXCL: two processes starting on one empty data dir must not each write a different key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreate(nil, dataDir)
		}
		return nil, false, fmt.Errorf("writing master key: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(raw) + "\n"); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Close(); err != nil {
		return nil, false, err
	}
	mk, err = NewMasterKey(raw)
	return mk, true, err
}

const (
	checkMetaKey = "master-key-check"
	checkText    = "latchkey master key check v1"
)

// ErrMasterKeyMismatch is returned when the store was written with another master key.
var ErrMasterKeyMismatch = errors.New("the master key does not match this store: it was initialised with a different LATCHKEY_MASTER_KEY (or master.key); start with the original key")

// Verify proves that mk is the key the store was initialised with, recording a check value on
// first use. Without it a wrong key would surface later as unreadable secrets.
func Verify(ctx context.Context, st store.Store, mk *MasterKey) error {
	sealed := mk.Seal([]byte(checkText), []byte(checkMetaKey))
	stored, err := st.PutMetaIfAbsent(ctx, checkMetaKey, sealed)
	if err != nil {
		return fmt.Errorf("recording master key check: %w", err)
	}
	pt, err := mk.Open(stored, []byte(checkMetaKey))
	if err != nil || !bytes.Equal(pt, []byte(checkText)) {
		return ErrMasterKeyMismatch
	}
	return nil
}

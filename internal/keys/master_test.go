package keys

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestSealOpen(t *testing.T) {
	mk, _ := NewMasterKey(key(1))
	sealed := mk.Seal([]byte("secret"), []byte("aad-1"))
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("plaintext visible in ciphertext")
	}
	pt, err := mk.Open(sealed, []byte("aad-1"))
	if err != nil || string(pt) != "secret" {
		t.Fatalf("open: %q %v", pt, err)
	}
	if bytes.Equal(sealed, mk.Seal([]byte("secret"), []byte("aad-1"))) {
		t.Fatal("nonce reused")
	}
	if _, err := mk.Open(sealed, []byte("aad-2")); !errors.Is(err, ErrWrongKey) {
		t.Fatal("ciphertext opened under other associated data")
	}
	other, _ := NewMasterKey(key(2))
	if _, err := other.Open(sealed, []byte("aad-1")); !errors.Is(err, ErrWrongKey) {
		t.Fatal("ciphertext opened with another key")
	}
	for _, bad := range [][]byte{nil, {1}, sealed[:10], append([]byte{9}, sealed[1:]...)} {
		if _, err := mk.Open(bad, []byte("aad-1")); !errors.Is(err, ErrWrongKey) {
			t.Fatalf("malformed ciphertext %x accepted", bad)
		}
	}
	if _, err := NewMasterKey(make([]byte, 16)); err == nil {
		t.Fatal("16-byte key accepted")
	}
}

func TestLoadOrCreate(t *testing.T) {
	dir := t.TempDir()
	mk, generated, err := LoadOrCreate(nil, dir)
	if err != nil || !generated {
		t.Fatalf("first start: %v %v", generated, err)
	}
	st, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("master.key: %v %v", st, err)
	}
	again, generated, err := LoadOrCreate(nil, dir)
	if err != nil || generated {
		t.Fatalf("second start: %v %v", generated, err)
	}
	sealed := mk.Seal([]byte("x"), nil)
	if _, err := again.Open(sealed, nil); err != nil {
		t.Fatal("reloaded key differs")
	}
	_ = os.WriteFile(filepath.Join(dir, "master.key"), []byte("garbage"), 0o600)
	if _, _, err := LoadOrCreate(nil, dir); err == nil {
		t.Fatal("garbage master.key accepted")
	}
}

func TestVerifyDetectsWrongKey(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mk1, _ := NewMasterKey(key(1))
	mk2, _ := NewMasterKey(key(2))
	if err := Verify(ctx, st, mk1); err != nil {
		t.Fatal(err)
	}
	if err := Verify(ctx, st, mk1); err != nil {
		t.Fatalf("same key again: %v", err)
	}
	if err := Verify(ctx, st, mk2); !errors.Is(err, ErrMasterKeyMismatch) {
		t.Fatalf("wrong key: %v", err)
	}
}

package token

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// memRing is an in-memory key ring store.
type memRing struct {
	mu   sync.Mutex
	keys []store.SigningKey
}

func (m *memRing) AddSigningKey(_ context.Context, k store.SigningKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys = append(m.keys, k)
	return nil
}

func (m *memRing) ListSigningKeys(_ context.Context, purpose string) ([]store.SigningKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.SigningKey
	for _, k := range m.keys {
		if k.Purpose == purpose {
			out = append(out, k)
		}
	}
	return out, nil
}

func (m *memRing) RetireSigningKeys(_ context.Context, purpose, keepID string, at, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.keys {
		if m.keys[i].Purpose == purpose && m.keys[i].ID != keepID && m.keys[i].RetireAt == nil {
			a, u := at, until
			m.keys[i].RetireAt, m.keys[i].VerifyUntil = &a, &u
		}
	}
	return nil
}

func (m *memRing) DeleteExpiredSigningKeys(_ context.Context, purpose string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := m.keys[:0]
	for _, k := range m.keys {
		if k.Purpose != purpose || k.VerifyUntil == nil || !k.VerifyUntil.Before(now) {
			kept = append(kept, k)
		}
	}
	m.keys = kept
	return nil
}

func newSealer(t testing.TB, st keys.RingStore, mk *keys.MasterKey, now func() time.Time) *Sealer {
	t.Helper()
	return &Sealer{Ring: keys.NewRing(PurposeSession, st, mk, keys.RingOptions{Now: now, Refresh: time.Minute})}
}

func master(t testing.TB, b byte) *keys.MasterKey {
	mk, err := keys.NewMasterKey(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return mk
}

func samplePrincipal() *principal.Principal {
	return &principal.Principal{Kind: principal.AssumedRole, AccountID: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/r/s",
		UserID: "AROAEXAMPLE:s", RoleID: "AROAEXAMPLE", Expires: time.Now().Add(time.Hour).UTC().Truncate(time.Second),
		Tags: []principal.Tag{{Key: "team", Value: "x"}}, SessionPolicy: `{"Version":"2012-10-17"}`, HasSessionPolicies: true}
}

func TestSealOpenRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newSealer(t, &memRing{}, master(t, 1), time.Now)
	p := samplePrincipal()
	tok, err := s.Seal(ctx, "ASIAEXAMPLEKEY000001", "secret-value", p)
	if err != nil {
		t.Fatal(err)
	}
	got, secret, err := s.Open(ctx, "ASIAEXAMPLEKEY000001", tok)
	if err != nil || secret != "secret-value" || got.ARN != p.ARN || !got.Temporary || got.AccessKeyID != "ASIAEXAMPLEKEY000001" ||
		!got.Expires.Equal(p.Expires) || got.Tags[0] != p.Tags[0] || got.SessionPolicy != p.SessionPolicy {
		t.Fatalf("round trip: %+v %q %v", got, secret, err)
	}
	if bytes.Contains([]byte(tok), []byte("secret-value")) {
		t.Fatal("secret visible in token")
	}
}

func TestOpenRejects(t *testing.T) {
	ctx := context.Background()
	st := &memRing{}
	s := newSealer(t, st, master(t, 1), time.Now)
	tok, err := s.Seal(ctx, "ASIAEXAMPLEKEY000001", "secret", samplePrincipal())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(tok)
	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		return base64.StdEncoding.EncodeToString(b)
	}
	cases := map[string]string{
		"empty":          "",
		"not base64":     "%%%",
		"truncated":      tok[:len(tok)/2],
		"header only":    base64.StdEncoding.EncodeToString(raw[:3]),
		"version":        flip(0),
		"key id":         flip(3),
		"nonce":          flip(len(raw) - 40),
		"ciphertext end": flip(len(raw) - 1),
		"huge":           string(bytes.Repeat([]byte("A"), MaxTokenLength+4)),
	}
	for name, bad := range cases {
		if _, _, err := s.Open(ctx, "ASIAEXAMPLEKEY000001", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: want ErrInvalid, got %v", name, err)
		}
	}
	// The right token presented with another access key id.
	if _, _, err := s.Open(ctx, "ASIAEXAMPLEKEY000002", tok); !errors.Is(err, ErrInvalid) {
		t.Errorf("foreign key id: %v", err)
	}
	// A token from another deployment (another ring under another master key).
	other := newSealer(t, &memRing{}, master(t, 2), time.Now)
	foreign, _ := other.Seal(ctx, "ASIAEXAMPLEKEY000001", "secret", samplePrincipal())
	if _, _, err := s.Open(ctx, "ASIAEXAMPLEKEY000001", foreign); !errors.Is(err, ErrInvalid) {
		t.Errorf("foreign deployment: %v", err)
	}
}

func TestRotationKeepsOldTokensUntilTheyExpire(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	st := &memRing{}
	s := newSealer(t, st, master(t, 1), clock)
	old, _ := s.Seal(ctx, "ASIAEXAMPLEKEY000001", "secret", samplePrincipal())
	if _, err := s.Ring.Rotate(ctx, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	// The rotated key is published first and seals only once every node can have loaded it.
	early, _ := s.Seal(ctx, "ASIAEXAMPLEKEY000001", "secret", samplePrincipal())
	if old[:8] != early[:8] {
		t.Fatal("the new key seals before its publication period is over")
	}
	now = now.Add(time.Minute + 6*time.Second)
	fresh, _ := s.Seal(ctx, "ASIAEXAMPLEKEY000001", "secret", samplePrincipal())
	if old[:8] == fresh[:8] {
		t.Fatal("not sealed with the new key")
	}
	for _, tok := range []string{old, fresh} {
		if _, _, err := s.Open(ctx, "ASIAEXAMPLEKEY000001", tok); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
	}
	// Past the verification window the old key is gone.
	now = now.Add(3 * time.Hour)
	if _, _, err := s.Open(ctx, "ASIAEXAMPLEKEY000001", old); !errors.Is(err, ErrInvalid) {
		t.Fatalf("old token after its key's window: %v", err)
	}
	if _, _, err := s.Open(ctx, "ASIAEXAMPLEKEY000001", fresh); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
}

// A node that has not seen a rotation made elsewhere learns the new key on first use, and a
// flood of unknown key ids does not turn into a flood of store reads.
func TestUnknownKeyReloadIsBounded(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	st := &countingRing{memRing: &memRing{}}
	mk := master(t, 1)
	nodeA := newSealer(t, st.memRing, mk, clock)
	nodeB := newSealer(t, st, mk, clock)
	if _, err := nodeB.Ring.Signer(ctx); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute + time.Second)
	if _, err := nodeA.Ring.Rotate(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute + 6*time.Second)
	tok, _ := nodeA.Seal(ctx, "ASIAEXAMPLEKEY000001", "s", samplePrincipal())
	if _, _, err := nodeB.Open(ctx, "ASIAEXAMPLEKEY000001", tok); err != nil {
		t.Fatalf("node B does not learn the rotated key: %v", err)
	}
	before := st.lists
	raw, _ := base64.StdEncoding.DecodeString(tok)
	for i := 0; i < 100; i++ {
		b := bytes.Clone(raw)
		b[2] = byte('a' + i%26)
		_, _, _ = nodeB.Open(ctx, "ASIAEXAMPLEKEY000001", base64.StdEncoding.EncodeToString(b))
	}
	if st.lists-before > 1 {
		t.Fatalf("%d store reads for 100 unknown key ids", st.lists-before)
	}
}

type countingRing struct {
	*memRing
	lists int
}

func (c *countingRing) ListSigningKeys(ctx context.Context, purpose string) ([]store.SigningKey, error) {
	c.lists++
	return c.memRing.ListSigningKeys(ctx, purpose)
}

func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	s := newSealer(b, &memRing{}, master(b, 1), time.Now)
	tok, _ := s.Seal(ctx, "ASIAEXAMPLEKEY000001", "secret", samplePrincipal())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.Open(ctx, "ASIAEXAMPLEKEY000001", tok); err != nil {
			b.Fatal(err)
		}
	}
}

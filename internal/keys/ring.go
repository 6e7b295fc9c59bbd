package keys

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// RingStore is the part of the store a key ring uses.
type RingStore interface {
	AddSigningKey(ctx context.Context, k store.SigningKey) error
	ListSigningKeys(ctx context.Context, purpose string) ([]store.SigningKey, error)
	RetireSigningKeys(ctx context.Context, purpose, keepID string, at, verifyUntil time.Time) error
	DeleteExpiredSigningKeys(ctx context.Context, purpose string, now time.Time) error
}

// RingOptions tunes a key ring.
type RingOptions struct {
	// Refresh is how often the ring is reloaded even when nothing asks for an unknown key.
	Refresh time.Duration
	// MissReload is the minimum time between reloads caused by unknown key ids. It bounds how
	// long this node can refuse a token another node just sealed with a key it created (a
	// rotation, or two nodes starting at once), while a flood of made-up ids still costs at
	// most one store read per MissReload.
	MissReload time.Duration
	// Publish is how long a rotated key is known before it starts signing. It exceeds Refresh, so
	// every node has loaded the new key before any token sealed with it exists.
	Publish time.Duration
	// Generate makes new key material (e.g. 32 random bytes, or a PEM private key).
	Generate func() ([]byte, error)
	Now      func() time.Time
}

// Ring is a rotating set of keys of one purpose. The newest active key signs; every key that has
// not passed its VerifyUntil verifies, so tokens outlive the rotation that retired their key.
type Ring struct {
	purpose string
	st      RingStore
	master  *MasterKey
	opts    RingOptions

	mu         sync.Mutex
	keys       map[string]Key
	loadedAt   time.Time
	lastReload time.Time
}

// Key is a decrypted ring key.
type Key struct {
	ID          string
	Material    []byte
	ActiveFrom  time.Time
	RetireAt    *time.Time
	VerifyUntil *time.Time
	CreatedAt   time.Time
}

// NewRing builds a ring; keys are loaded lazily.
func NewRing(purpose string, st RingStore, master *MasterKey, opts RingOptions) *Ring {
	if opts.Refresh == 0 {
		opts.Refresh = 30 * time.Second
	}
	if opts.MissReload == 0 {
		opts.MissReload = time.Second
	}
	if opts.Publish == 0 {
		opts.Publish = opts.Refresh + 5*time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Generate == nil {
		opts.Generate = func() ([]byte, error) {
			b := make([]byte, 32)
			_, err := rand.Read(b)
			return b, err
		}
	}
	return &Ring{purpose: purpose, st: st, master: master, opts: opts}
}

func (r *Ring) aad(id string) []byte { return []byte("signing-key:" + r.purpose + ":" + id) }

// load reads every key of the ring. Callers hold r.mu.
func (r *Ring) load(ctx context.Context) error {
	now := r.opts.Now()
	r.lastReload = now
	stored, err := r.st.ListSigningKeys(ctx, r.purpose)
	if err != nil {
		return err
	}
	keys := make(map[string]Key, len(stored))
	for _, sk := range stored {
		mat, err := r.master.Open(sk.Material, r.aad(sk.ID))
		if err != nil {
			return fmt.Errorf("key %s of ring %s does not open with the master key: %w", sk.ID, r.purpose, err)
		}
		k := Key{ID: sk.ID, Material: mat, ActiveFrom: sk.ActiveFrom, RetireAt: sk.RetireAt, VerifyUntil: sk.VerifyUntil, CreatedAt: sk.CreatedAt}
		if k.VerifyUntil != nil && now.After(*k.VerifyUntil) {
			continue
		}
		keys[k.ID] = k
	}
	r.keys, r.loadedAt = keys, now
	return nil
}

// currentSigner picks, among the loaded keys, the newest one that is active now: its ActiveFrom
// has passed and its RetireAt has not. It is computed per call because a published key becomes
// the signer when its time comes, without a reload. Callers hold r.mu.
func (r *Ring) currentSigner(now time.Time) *Key {
	var signer *Key
	for _, k := range r.keys {
		if k.ActiveFrom.After(now) || (k.RetireAt != nil && !k.RetireAt.After(now)) {
			continue
		}
		if signer == nil || k.ActiveFrom.After(signer.ActiveFrom) || (k.ActiveFrom.Equal(signer.ActiveFrom) && k.ID > signer.ID) {
			kk := k
			signer = &kk
		}
	}
	return signer
}

// Signer returns the key that signs now, creating the ring's first key when it has none.
func (r *Ring) Signer(ctx context.Context) (Key, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil || r.opts.Now().Sub(r.loadedAt) >= r.opts.Refresh {
		if err := r.load(ctx); err != nil {
			return Key{}, err
		}
	}
	if k := r.currentSigner(r.opts.Now()); k != nil {
		return *k, nil
	}
	// Another node may have created the ring's first key since the last read.
	if err := r.load(ctx); err != nil {
		return Key{}, err
	}
	if k := r.currentSigner(r.opts.Now()); k != nil {
		return *k, nil
	}
	if _, err := r.addKey(ctx, r.opts.Now()); err != nil {
		return Key{}, err
	}
	if err := r.load(ctx); err != nil {
		return Key{}, err
	}
	k := r.currentSigner(r.opts.Now())
	if k == nil {
		return Key{}, errors.New("key ring has no active key after creating one")
	}
	return *k, nil
}

// Lookup finds a verification key by id. An unknown id reloads the ring at most once per MissReload,
// so a flood of made-up ids never becomes a flood of store reads.
func (r *Ring) Lookup(ctx context.Context, id string) (Key, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.opts.Now()
	if r.keys == nil || now.Sub(r.loadedAt) >= r.opts.Refresh {
		if err := r.load(ctx); err != nil {
			return Key{}, false, err
		}
	}
	if k, ok := r.keys[id]; ok {
		if k.VerifyUntil != nil && now.After(*k.VerifyUntil) {
			return Key{}, false, nil
		}
		return k, true, nil
	}
	if now.Sub(r.lastReload) < r.opts.MissReload {
		return Key{}, false, nil
	}
	if err := r.load(ctx); err != nil {
		return Key{}, false, err
	}
	k, ok := r.keys[id]
	return k, ok, nil
}

// Keys returns every key that still verifies, newest first (for publishing a JWKS).
func (r *Ring) Keys(ctx context.Context) ([]Key, error) {
	if _, err := r.Signer(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Key, 0, len(r.keys))
	for _, k := range r.keys {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ActiveFrom.After(out[j].ActiveFrom) })
	return out, nil
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (r *Ring) addKey(ctx context.Context, activeFrom time.Time) (string, error) {
	mat, err := r.opts.Generate()
	if err != nil {
		return "", err
	}
	raw := make([]byte, 5)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	id := strings.ToLower(idEncoding.EncodeToString(raw))
	now := r.opts.Now()
	err = r.st.AddSigningKey(ctx, store.SigningKey{
		ID: id, Purpose: r.purpose, Material: r.master.Seal(mat, r.aad(id)),
		ActiveFrom: activeFrom, CreatedAt: now,
	})
	return id, err
}

// Rotate publishes a new signing key that starts signing after Publish, when the current keys
// retire; they keep verifying for verifyFor after that, which must cover the longest lifetime of
// anything they signed.
func (r *Ring) Rotate(ctx context.Context, verifyFor time.Duration) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.opts.Now()
	activeFrom := now.Add(r.opts.Publish)
	id, err := r.addKey(ctx, activeFrom)
	if err != nil {
		return "", err
	}
	if err := r.st.RetireSigningKeys(ctx, r.purpose, id, activeFrom, activeFrom.Add(verifyFor)); err != nil {
		return "", err
	}
	if err := r.st.DeleteExpiredSigningKeys(ctx, r.purpose, now); err != nil {
		return "", err
	}
	return id, r.load(ctx)
}

// RotateIfOlderThan rotates when the newest key of the ring — active or only published — is older
// than age (the automatic schedule). Reading the ring first keeps nodes that check at about the same
// time from rotating twice.
func (r *Ring) RotateIfOlderThan(ctx context.Context, age, verifyFor time.Duration) (bool, error) {
	if _, err := r.Signer(ctx); err != nil {
		return false, err
	}
	r.mu.Lock()
	err := r.load(ctx)
	var newest time.Time
	for _, k := range r.keys {
		if k.ActiveFrom.After(newest) {
			newest = k.ActiveFrom
		}
	}
	r.mu.Unlock()
	if err != nil {
		return false, err
	}
	if r.opts.Now().Sub(newest) < age {
		return false, nil
	}
	_, err = r.Rotate(ctx, verifyFor)
	return err == nil, err
}

// Schedule answers, from the keys loaded last (no store read), since when the current signing key
// signs and when the newest key — active or only published — became or becomes active; zero
// times before the first load. The metrics read it.
func (r *Ring) Schedule(now time.Time) (signerSince, newest time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := r.currentSigner(now); k != nil {
		signerSince = k.ActiveFrom
	}
	for _, k := range r.keys {
		if k.ActiveFrom.After(newest) {
			newest = k.ActiveFrom
		}
	}
	return signerSince, newest
}

package authn

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
)

// racingKeys answers GetAccessKey with the key as it was when the read began. While hold is
// set, the next read holds its answer until the test lets it go: a read that overlapped a write.
type racingKeys struct {
	mu      sync.Mutex
	key     store.AccessKey
	reads   int
	hold    bool
	reading chan struct{} // closed when the held read has read
	release chan struct{} // the held read answers when this is closed
}

func (r *racingKeys) GetAccessKey(_ context.Context, id string) (store.AccessKey, error) {
	r.mu.Lock()
	k, held := r.key, r.hold
	r.reads++
	r.hold = false
	r.mu.Unlock()
	if id != k.AccessKeyID {
		return store.AccessKey{}, store.ErrNotFound
	}
	if held {
		close(r.reading)
		<-r.release
	}
	return k, nil
}
func (r *racingKeys) GetUserByID(context.Context, string) (store.User, error) {
	return store.User{}, store.ErrNotFound
}
func (r *racingKeys) RecordAccessKeyUse(context.Context, string, time.Time, string, string) error {
	return nil
}

func (r *racingKeys) deactivate() {
	r.mu.Lock()
	r.key.Status = "Inactive"
	r.mu.Unlock()
}

// keyCacheFixture is an authenticator over racingKeys with a clock the test moves, and a
// request signed with the root key.
type keyCacheFixture struct {
	ks   *racingKeys
	a    *Authenticator
	now  time.Time
	nmu  sync.Mutex
	sign func(t *testing.T) error
}

func newKeyCacheFixture(t *testing.T) *keyCacheFixture {
	mk, err := keys.NewMasterKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &keyCacheFixture{now: signTime.Add(time.Minute), ks: &racingKeys{key: store.AccessKey{AccessKeyID: rootKey, AccountID: account, Status: "Active",
		SecretCiphertext: mk.Seal([]byte(rootSecret), SecretAAD(rootKey))}, reading: make(chan struct{}), release: make(chan struct{})}}
	f.a = New(f.ks, mk, fakeSessions{}, Options{Now: func() time.Time { f.nmu.Lock(); defer f.nmu.Unlock(); return f.now }})
	f.sign = func(t *testing.T) error {
		r, _ := http.NewRequest("POST", "https://sts.example.test/", strings.NewReader(gci))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		creds := aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: rootSecret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hexHash(gci), "sts", "us-east-1", signTime); err != nil {
			t.Error(err)
			return err
		}
		_, _, err := f.a.Authenticate(context.Background(), wire(t, r), "sts")
		return err
	}
	return f
}

// TestInvalidateDropsALookupInFlight: IAM's UpdateAccessKey (Status=Inactive) writes the store
// and then calls Invalidate (DeleteUser: InvalidateAll). A lookup that read the key before the
// write and finishes after the invalidation must not put the Active key back into the cache:
// the deactivated key would keep authenticating on this very node for CacheTTL (5 s).
func TestInvalidateDropsALookupInFlight(t *testing.T) {
	for _, c := range []struct {
		name       string
		invalidate func(a *Authenticator)
	}{
		{"Invalidate", func(a *Authenticator) { a.Invalidate(rootKey) }},
		{"InvalidateAll", func(a *Authenticator) { a.InvalidateAll() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newKeyCacheFixture(t)
			f.ks.hold = true
			first := make(chan error, 1)
			go func() { first <- f.sign(t) }()
			<-f.ks.reading
			// The deactivation through this node: the store write, then the invalidation.
			f.ks.deactivate()
			c.invalidate(f.a)
			close(f.ks.release)
			<-first // began before the deactivation: either answer is fine
			if err := f.sign(t); err == nil {
				t.Fatal("a request signed with a key deactivated through this node was authenticated after the deactivation returned")
			}
		})
	}
}

// TestKeyCacheBound: a long-term key is read from the store once per CacheTTL; a change made
// through this node (Invalidate) applies to the next request, and one made by another node
// (no Invalidate here) within CacheTTL.
func TestKeyCacheBound(t *testing.T) {
	for _, c := range []struct {
		name       string
		change     func(f *keyCacheFixture)
		wait       time.Duration
		accepted   bool
		storeReads int
	}{
		{"unchanged key, within the TTL", func(*keyCacheFixture) {}, 4 * time.Second, true, 1},
		{"unchanged key, after the TTL", func(*keyCacheFixture) {}, 5 * time.Second, true, 2},
		{"deactivated through this node", func(f *keyCacheFixture) { f.ks.deactivate(); f.a.Invalidate(rootKey) }, 0, false, 2},
		{"deactivated on another node, within the TTL", func(f *keyCacheFixture) { f.ks.deactivate() }, 4 * time.Second, true, 1},
		{"deactivated on another node, after the TTL", func(f *keyCacheFixture) { f.ks.deactivate() }, 5 * time.Second, false, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newKeyCacheFixture(t)
			if err := f.sign(t); err != nil {
				t.Fatal(err)
			}
			c.change(f)
			f.nmu.Lock()
			f.now = f.now.Add(c.wait)
			f.nmu.Unlock()
			err := f.sign(t)
			if c.accepted != (err == nil) {
				t.Fatalf("accepted=%v, want %v (err %v)", err == nil, c.accepted, err)
			}
			if f.ks.reads != c.storeReads {
				t.Fatalf("%d store reads, want %d", f.ks.reads, c.storeReads)
			}
		})
	}
}

package cache

import (
	"sync"
	"time"
)

// Bounded maps keys to values, holding at most Max entries and, when TTL is set, answering an
// entry only while it is younger than TTL. When full it forgets everything at once: a refill
// costs one build per key, and nothing needs per-entry bookkeeping on the hot path.
type Bounded[K comparable, V any] struct {
	// Max is the most entries held; 0 means 1024.
	Max int
	// TTL, when non-zero, is how long an entry may be answered after it was built.
	TTL time.Duration
	// Now is the clock for TTL; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex
	m  map[K]entry[V]
}

type entry[V any] struct {
	v  V
	at time.Time
}

func (c *Bounded[K, V]) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Get answers the cached value of key, or builds, stores and answers it. A failed build is not
// stored. Concurrent misses of one key may each build; the last stored wins, which is harmless
// for values that depend only on their key or on the store at one moment.
func (c *Bounded[K, V]) Get(key K, build func() (V, error)) (V, error) {
	if v, ok := c.Lookup(key); ok {
		return v, nil
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	c.Put(key, v)
	return v, nil
}

// Lookup answers the cached value of key, if it is present and young enough.
func (c *Bounded[K, V]) Lookup(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || (c.TTL > 0 && c.now().Sub(e.at) >= c.TTL) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put stores v under key.
func (c *Bounded[K, V]) Put(key K, v V) {
	max := c.Max
	if max <= 0 {
		max = 1024
	}
	var at time.Time
	if c.TTL > 0 {
		at = c.now()
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= max {
		c.m = make(map[K]entry[V])
	}
	c.m[key] = entry[V]{v: v, at: at}
	c.mu.Unlock()
}

// Delete forgets key.
func (c *Bounded[K, V]) Delete(key K) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}

// Clear forgets every entry.
func (c *Bounded[K, V]) Clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

// Len is the number of entries held (some possibly too old to be answered).
func (c *Bounded[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

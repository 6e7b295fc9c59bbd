package cache

import (
	"sync"
	"sync/atomic"
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
	// gen counts Delete and Clear calls: a value built while one happened may predate the
	// change that caused it, so Get does not store it.
	gen uint64
	// hits and misses count Lookup's answers (Get looks up first), for the metrics.
	hits, misses atomic.Uint64
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
// stored, nor one that overlapped a Delete or Clear. A built value's age counts from the moment
// its build began, so it is never answered longer than TTL after the state it was read from.
// Concurrent misses of one key may each build; the last stored wins, which is harmless for values
// that depend only on their key or on the store at one moment.
func (c *Bounded[K, V]) Get(key K, build func() (V, error)) (V, error) {
	if v, ok := c.Lookup(key); ok {
		return v, nil
	}
	var began time.Time
	if c.TTL > 0 {
		began = c.now()
	}
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	v, err := build()
	if err != nil {
		return v, err
	}
	c.put(key, v, began, gen)
	return v, nil
}

// Lookup answers the cached value of key, if it is present and young enough.
func (c *Bounded[K, V]) Lookup(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || (c.TTL > 0 && c.now().Sub(e.at) >= c.TTL) {
		c.misses.Add(1)
		var zero V
		return zero, false
	}
	c.hits.Add(1)
	return e.v, true
}

// Stats answers how many lookups (Get's included) found a value and how many did not.
func (c *Bounded[K, V]) Stats() (hits, misses uint64) {
	return c.hits.Load(), c.misses.Load()
}

// Put stores v under key, aged from now.
func (c *Bounded[K, V]) Put(key K, v V) {
	var at time.Time
	if c.TTL > 0 {
		at = c.now()
	}
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()
	c.put(key, v, at, gen)
}

// put stores v unless a Delete or Clear happened since generation gen.
func (c *Bounded[K, V]) put(key K, v V, at time.Time, gen uint64) {
	max := c.Max
	if max <= 0 {
		max = 1024
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.m == nil || len(c.m) >= max {
		c.m = make(map[K]entry[V])
	}
	c.m[key] = entry[V]{v: v, at: at}
}

// Delete forgets key.
func (c *Bounded[K, V]) Delete(key K) {
	c.mu.Lock()
	delete(c.m, key)
	c.gen++
	c.mu.Unlock()
}

// Clear forgets every entry.
func (c *Bounded[K, V]) Clear() {
	c.mu.Lock()
	c.m = nil
	c.gen++
	c.mu.Unlock()
}

// Len is the number of entries held (some possibly too old to be answered).
func (c *Bounded[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

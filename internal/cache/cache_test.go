package cache

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func TestBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	c := &Bounded[string, int]{Max: 3, TTL: time.Minute, Now: func() time.Time { return now }}
	builds := 0
	build := func(v int) func() (int, error) {
		return func() (int, error) { builds++; return v, nil }
	}
	cases := []struct {
		name       string
		key        string
		build      func() (int, error)
		advance    time.Duration
		want       int
		wantBuilds int
		wantErr    bool
	}{
		{"miss builds", "a", build(1), 0, 1, 1, false},
		{"hit answers the stored value", "a", build(2), 0, 1, 1, false},
		{"a failed build is not stored", "b", func() (int, error) { return 0, errors.New("store down") }, 0, 0, 1, true},
		{"the next call builds again", "b", build(3), 0, 3, 2, false},
		{"an entry as old as TTL is rebuilt", "a", build(4), time.Minute, 4, 3, false},
	}
	for _, tc := range cases {
		now = now.Add(tc.advance)
		got, err := c.Get(tc.key, tc.build)
		if (err != nil) != tc.wantErr || got != tc.want || builds != tc.wantBuilds {
			t.Fatalf("%s: got %d %v after %d builds, want %d (err %v) after %d", tc.name, got, err, builds, tc.want, tc.wantErr, tc.wantBuilds)
		}
	}
}

func TestBoundedNeverExceedsMax(t *testing.T) {
	c := &Bounded[int, int]{Max: 10}
	for i := 0; i < 1000; i++ {
		c.Put(i, i)
		if c.Len() > 10 {
			t.Fatalf("%d entries, bound is 10", c.Len())
		}
	}
	c.Clear()
	if _, ok := c.Lookup(999); ok {
		t.Fatal("Clear kept an entry")
	}
}

func TestBoundedConcurrent(t *testing.T) {
	c := &Bounded[int, int]{Max: 64}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				k := (g*31 + i) % 100
				v, err := c.Get(k, func() (int, error) { return k * 2, nil })
				if err != nil || v != k*2 {
					t.Errorf("key %d: %d %v", k, v, err)
					return
				}
				if i%50 == 0 {
					c.Delete(k)
				}
			}
		}(g)
	}
	wg.Wait()
}

// A value is aged from the start of its build, and one built across an invalidation is not kept:
// it may have been read before the change that invalidated the cache.
func TestBoundedBuildsRacingInvalidation(t *testing.T) {
	now := time.Unix(1000, 0)
	c := &Bounded[string, int]{TTL: 10 * time.Second, Now: func() time.Time { return now }}
	if _, err := c.Get("slow", func() (int, error) { now = now.Add(4 * time.Second); return 1, nil }); err != nil {
		t.Fatal(err)
	}
	now = now.Add(6 * time.Second) // 10 s after the build began, 6 s after it ended
	if _, ok := c.Lookup("slow"); ok {
		t.Fatal("a value was answered longer than TTL after its build began")
	}
	for _, invalidate := range []func(){c.Clear, func() { c.Delete("other") }} {
		if _, err := c.Get("racing", func() (int, error) { invalidate(); return 2, nil }); err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Lookup("racing"); ok {
			t.Fatal("a value built across an invalidation was stored")
		}
	}
}

func TestBoundedCountsHitsAndMisses(t *testing.T) {
	now := time.Unix(1000, 0)
	c := &Bounded[string, int]{TTL: time.Minute, Now: func() time.Time { return now }}
	one := func() (int, error) { return 1, nil }
	steps := []struct {
		name                 string
		do                   func()
		wantHits, wantMisses uint64
	}{
		{"first Get misses", func() { _, _ = c.Get("a", one) }, 0, 1},
		{"second Get hits", func() { _, _ = c.Get("a", one) }, 1, 1},
		{"Lookup of another key misses", func() { c.Lookup("b") }, 1, 2},
		{"an entry past its TTL misses", func() { now = now.Add(time.Minute); c.Lookup("a") }, 1, 3},
		{"a failed build is a miss and stores nothing", func() {
			_, _ = c.Get("c", func() (int, error) { return 0, errors.New("no") })
			c.Lookup("c")
		}, 1, 5},
	}
	for _, s := range steps {
		s.do()
		if h, m := c.Stats(); h != s.wantHits || m != s.wantMisses {
			t.Fatalf("%s: Stats() = %d hits, %d misses; want %d, %d", s.name, h, m, s.wantHits, s.wantMisses)
		}
	}
}

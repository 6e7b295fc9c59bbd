package keys

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
)

// TestRingSchedule: Schedule reports the signing key's activation and the newest key's, through a
// rotation whose new key is only published.
func TestRingSchedule(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	mk, _ := NewMasterKey(key(1))
	r := NewRing("test", sqltest.Open(t), mk, RingOptions{Now: func() time.Time { return now }, Publish: time.Minute})
	if since, newest := r.Schedule(now); !since.IsZero() || !newest.IsZero() {
		t.Fatalf("before the first load Schedule = %v, %v; want zero times", since, newest)
	}
	if _, err := r.Signer(t.Context()); err != nil {
		t.Fatal(err)
	}
	first := now
	now = now.Add(time.Hour)
	if _, err := r.Rotate(t.Context(), time.Hour); err != nil {
		t.Fatal(err)
	}
	published := now.Add(time.Minute)
	cases := []struct {
		name                string
		at                  time.Time
		wantSince, wantNext time.Time
	}{
		{"new key only published", now, first, published},
		{"new key signing", published, published, published},
	}
	for _, c := range cases {
		since, newest := r.Schedule(c.at)
		if !since.Equal(c.wantSince) || !newest.Equal(c.wantNext) {
			t.Errorf("%s: Schedule = %v, %v; want %v, %v", c.name, since, newest, c.wantSince, c.wantNext)
		}
	}
}

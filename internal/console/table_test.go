package console

import (
	"testing"
	"time"
)

// TestSessionTableMakesRoom: a full table takes a new session by dropping the expired ones, or,
// when none has expired, only the oldest; it never forgets everyone at once.
func TestSessionTableMakesRoom(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	for _, c := range []struct {
		name       string
		expires    map[string]int // session id → expiry, minutes after t0
		now        int
		gone, kept []string
	}{
		{"not full", map[string]int{"a": 10}, 0, nil, []string{"a", "new"}},
		{"full, one expired", map[string]int{"a": 10, "b": 1, "c": 20}, 5, []string{"b"}, []string{"a", "c", "new"}},
		{"full, none expired", map[string]int{"a": 10, "b": 30, "c": 20}, 5, []string{"a"}, []string{"b", "c", "new"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb := newSessionTable(3)
			for id, m := range c.expires {
				tb.put(&consoleSession{ID: id, Expires: at(m)}, at(0))
			}
			tb.put(&consoleSession{ID: "new", Expires: at(c.now + 60)}, at(c.now))
			for _, id := range c.gone {
				if _, ok := tb.get(id, at(c.now)); ok {
					t.Errorf("%s is still there", id)
				}
			}
			for _, id := range c.kept {
				if _, ok := tb.get(id, at(c.now)); !ok {
					t.Errorf("%s is gone", id)
				}
			}
		})
	}
}

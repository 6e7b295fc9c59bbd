package console

import (
	"sync"
	"time"
)

// sessionTable holds the node's console sessions, at most max. When it is full, a new session
// first drops the expired ones and then, if it is still full, the oldest (the one that expires
// first: every session lasts SessionTTL), so one more sign-in never signs everyone out. The scans
// run only when the table is full, under one lock, over at most max entries.
type sessionTable struct {
	max int
	mu  sync.Mutex
	m   map[string]*consoleSession
}

func newSessionTable(max int) *sessionTable {
	return &sessionTable{max: max, m: map[string]*consoleSession{}}
}

// get answers the live session id names; an expired one is dropped.
func (t *sessionTable) get(id string, now time.Time) (*consoleSession, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.m[id]
	if ok && !now.Before(s.Expires) {
		delete(t.m, id)
		return nil, false
	}
	return s, ok
}

// put adds s, making room as the type says.
func (t *sessionTable) put(s *consoleSession, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= t.max {
		for id, o := range t.m {
			if !now.Before(o.Expires) {
				delete(t.m, id)
			}
		}
	}
	for len(t.m) >= t.max {
		oldest := ""
		for id, o := range t.m {
			if oldest == "" || o.Expires.Before(t.m[oldest].Expires) {
				oldest = id
			}
		}
		delete(t.m, oldest)
	}
	t.m[s.ID] = s
}

// delete forgets the session id names.
func (t *sessionTable) delete(id string) {
	t.mu.Lock()
	delete(t.m, id)
	t.mu.Unlock()
}

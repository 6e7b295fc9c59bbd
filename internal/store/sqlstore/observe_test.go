package sqlstore

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

type storeOp struct{ kind, errKind string }

type fakeObserver struct {
	mu  sync.Mutex
	ops []storeOp
}

func (o *fakeObserver) StoreOp(kind string, d time.Duration, errKind string) {
	if d < 0 {
		panic("negative duration")
	}
	o.mu.Lock()
	o.ops = append(o.ops, storeOp{kind, errKind})
	o.mu.Unlock()
}

func (o *fakeObserver) take() []storeOp {
	o.mu.Lock()
	defer o.mu.Unlock()
	got := o.ops
	o.ops = nil
	return got
}

// TestObserverSeesEveryOperation: each read and write is reported once with the kind of its final
// error; a row not found is an answer, not an error.
func TestObserverSeesEveryOperation(t *testing.T) {
	obs := &fakeObserver{}
	s, err := OpenWith(t.Context(), filepath.Join(t.TempDir(), "latchkey.db"), Options{Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	acct := store.Account{ID: "123456789012", CreatedAt: time.Now()}
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	obs.take() // migrations and whatever Open read
	cases := []struct {
		name string
		do   func() error
		want storeOp
	}{
		{"write", func() error { return s.CreateAccount(t.Context(), acct) }, storeOp{"write", ""}},
		{"read", func() error { _, err := s.GetAccount(t.Context(), acct.ID); return err }, storeOp{"read", ""}},
		{"read of a missing row", func() error { _, err := s.GetAccount(t.Context(), "999999999999"); return err }, storeOp{"read", ""}},
		{"duplicate write", func() error { return s.CreateAccount(t.Context(), acct) }, storeOp{"write", "unique"}},
		{"canceled read", func() error { _, err := s.GetAccount(canceled, acct.ID); return err }, storeOp{"read", "canceled"}},
	}
	for _, c := range cases {
		_ = c.do()
		if got := obs.take(); len(got) != 1 || got[0] != c.want {
			t.Errorf("%s: observed %v, want [%v]", c.name, got, c.want)
		}
	}
}

package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
)

// fakeDecisions is the decision store of fakeBatches.
type fakeDecisions struct {
	store.DecisionStore
	fakeBatches[store.Decision]
}

func (f *fakeDecisions) PutDecisions(_ context.Context, ds []store.Decision) error { return f.put(ds) }

func (f *fakeDecisions) PruneDecisions(context.Context, time.Time, int) (int64, error) {
	return f.prune()
}

func refusal(n int) store.Decision {
	return store.Decision{RequestID: fmt.Sprint("req-", n), Time: time.Unix(1800000000+int64(n), 0), AccountID: "123456789012",
		Service: "sts", Operation: "GetCallerIdentity", Action: "sts:GetCallerIdentity", ErrorCode: "MissingAuthenticationToken"}
}

var unsigned = &explain.Explanation{Outcome: explain.InvalidSignature, Summary: "the request is not signed"}

// TestDecisionRecordNeverBlocks: with the store hung inside a write, Record keeps returning; once
// the queue is full the further refusals are dropped and counted, and what was queued is written
// when the store answers again and the recorder closes.
func TestDecisionRecordNeverBlocks(t *testing.T) {
	f := &fakeDecisions{fakeBatches: fakeBatches[store.Decision]{gate: make(chan struct{}), started: make(chan struct{}, 1)}}
	r := NewDecisionRecorder(DecisionDeps{Store: f, Buffer: 4, Batch: 1, Flush: time.Hour})
	r.Record(t.Context(), refusal(0), unsigned)
	<-f.started // the writer holds refusal 0 and waits on the hung store
	f.started = nil
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		for i := 1; i <= 100; i++ {
			r.Record(t.Context(), refusal(i), unsigned) // 1-4 fill the queue; 5-100 are dropped
		}
	}()
	select {
	case <-returned:
	case <-time.After(30 * time.Second): // a hang, not a timing assertion
		t.Fatal("Record blocked on a store that does not answer")
	}
	if got := r.Dropped(); got != 96 {
		t.Errorf("dropped %d, want 96", got)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := r.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Flush with the store hung and its context cancelled = %v, want context.Canceled", err)
	}
	close(f.gate)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(f.sizes()); got != "[1 1 1 1 1]" {
		t.Errorf("batches %s, want [1 1 1 1 1]", got)
	}
	r.Record(t.Context(), refusal(101), unsigned) // after Close: dropped, no panic
	if got := r.Dropped(); got != 97 {
		t.Errorf("dropped %d after Close, want 97", got)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestDecisionFlushMakesRecordedVisible runs over the real SQLite store with an hour between
// timed writes: right after Record the refusal is not yet in the store; after Flush (or a read
// through the recorder, which flushes) everything recorded before it is, its explanation redacted.
func TestDecisionFlushMakesRecordedVisible(t *testing.T) {
	st := sqltest.Open(t)
	r := NewDecisionRecorder(DecisionDeps{Store: st, Batch: 100, Flush: time.Hour})
	defer r.Close()
	x := &explain.Explanation{Outcome: explain.InvalidToken, Summary: "aud mismatch in " + jwtLike,
		Checks: []explain.Check{{Name: "aud", Expected: []string{"sts.amazonaws.com"}, Actual: []string{jwtLike}}}}
	for i := range 3 {
		r.Record(t.Context(), refusal(i), x)
	}
	if _, err := st.GetDecision(t.Context(), "req-0"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refusal reached the store before any flush (%v): the test cannot tell Flush works", err)
	}
	for _, read := range []struct {
		name string
		get  func(id string) (store.Decision, error)
	}{
		{"Flush, then the store", func(id string) (store.Decision, error) {
			if err := r.Flush(t.Context()); err != nil {
				return store.Decision{}, err
			}
			return st.GetDecision(t.Context(), id)
		}},
		{"the recorder's GetDecision", func(id string) (store.Decision, error) { return r.GetDecision(t.Context(), id) }},
	} {
		id := "req-0"
		if read.name != "Flush, then the store" {
			r.Record(t.Context(), refusal(9), x)
			id = "req-9"
		}
		d, err := read.get(id)
		if err != nil {
			t.Fatalf("%s: %v", read.name, err)
		}
		if strings.Contains(string(d.Explanation), jwtLike) || !strings.Contains(string(d.Explanation), `"actual":["(redacted)"]`) {
			t.Errorf("%s: stored explanation %s", read.name, d.Explanation)
		}
	}
	ds, err := r.ListDecisions(t.Context(), store.DecisionFilter{})
	if err != nil || len(ds) != 4 {
		t.Fatalf("ListDecisions = %d, %v; want the 4 recorded", len(ds), err)
	}
	if x.Checks[0].Actual[0] != jwtLike {
		t.Error("Record changed the caller's explanation")
	}
}

// TestDecisionsWrittenOnClose: Close writes what is queued, so a refusal answered just before
// shutdown is in the store after it.
func TestDecisionsWrittenOnClose(t *testing.T) {
	st := sqltest.Open(t)
	r := NewDecisionRecorder(DecisionDeps{Store: st, Batch: 100, Flush: time.Hour})
	r.Record(t.Context(), refusal(1), unsigned)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetDecision(t.Context(), "req-1"); err != nil {
		t.Fatalf("the refusal queued at Close: %v", err)
	}
}

// TestDecisionRecorderKeepsTheBounds: the recorder prunes by age on its first write and by count
// once per pruneEvery(Max) refusals, so the store never holds more than Max plus a tenth.
func TestDecisionRecorderKeepsTheBounds(t *testing.T) {
	for _, tc := range []struct {
		name       string
		n, max     int
		old        bool
		wantAtMost int
		wantFirst  string
	}{
		{"age and count on the first write", 4, 2, true, 2, "req-3"},
		{"count, amortized", 250, 50, false, 50 + pruneEvery(50), "req-249"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := sqltest.Open(t)
			now := time.Unix(1800000000, 0)
			r := NewDecisionRecorder(DecisionDeps{Store: st, Max: tc.max, MaxAge: time.Hour, Batch: 10, Flush: time.Hour, Now: func() time.Time { return now }})
			for i := range tc.n {
				d := refusal(i)
				if tc.old && i == 0 {
					d.Time = now.Add(-2 * time.Hour)
				}
				r.Record(t.Context(), d, unsigned)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			ds, err := st.ListDecisions(t.Context(), store.DecisionFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) > tc.wantAtMost || len(ds) == 0 || ds[0].RequestID != tc.wantFirst {
				t.Fatalf("after %d refusals with Max %d the store holds %d (newest %v), want at most %d", tc.n, tc.max, len(ds), ds[0].RequestID, tc.wantAtMost)
			}
			if tc.old {
				if _, err := st.GetDecision(t.Context(), "req-0"); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("the refusal older than MaxAge is kept: %v", err)
				}
			}
		})
	}
}

// TestDecisionStoreFailureIsLoggedAndCounted: a failed batch is logged (request ids, never the
// explanation) and counted as dropped, never returned or panicked.
func TestDecisionStoreFailureIsLoggedAndCounted(t *testing.T) {
	var logs bytes.Buffer
	f := &fakeDecisions{fakeBatches: fakeBatches[store.Decision]{fail: store.ErrUnavailable}}
	r := NewDecisionRecorder(DecisionDeps{Store: f, Batch: 2, Flush: time.Hour, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	x := &explain.Explanation{Outcome: explain.ImplicitDeny, Summary: "no " + jwtLike}
	for i := range 3 {
		r.Record(t.Context(), refusal(i), x)
	}
	_ = r.Close()
	if r.Dropped() != 3 {
		t.Errorf("dropped %d, want 3", r.Dropped())
	}
	if !strings.Contains(logs.String(), "recording refusals in the decision store failed") || strings.Contains(logs.String(), jwtLike) {
		t.Fatalf("log %s", logs.String())
	}
}

func TestNilDecisionRecorder(t *testing.T) {
	r := NewDecisionRecorder(DecisionDeps{})
	r.Record(t.Context(), refusal(1), unsigned)
	if err := r.Flush(t.Context()); err != nil || r.Dropped() != 0 {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkDecisionRecord is what a refused request pays for its record: redacting the
// explanation and queueing it.
func BenchmarkDecisionRecord(b *testing.B) {
	r := NewDecisionRecorder(DecisionDeps{Store: discardDecisions{}, Logger: slog.New(slog.DiscardHandler)})
	defer r.Close()
	d := refusal(1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Record(context.Background(), d, unsigned)
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(r.Dropped())/float64(b.N), "dropped/op")
}

// discardDecisions accepts every batch at once.
type discardDecisions struct{ store.DecisionStore }

func (discardDecisions) PutDecisions(context.Context, []store.Decision) error          { return nil }
func (discardDecisions) PruneDecisions(context.Context, time.Time, int) (int64, error) { return 0, nil }

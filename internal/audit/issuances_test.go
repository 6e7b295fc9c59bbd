package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
)

// fakeBatches records each batch a recorder writes; while gate is non-nil, a write waits for it to
// close (a store that hangs, ignoring the write's context).
type fakeBatches[T any] struct {
	mu      sync.Mutex
	batches [][]T
	pruned  int
	gate    chan struct{}
	started chan struct{} // receives once per write that began, when non-nil
	fail    error
}

func (f *fakeBatches[T]) put(batch []T) error {
	if f.started != nil {
		f.started <- struct{}{}
	}
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.batches = append(f.batches, append([]T(nil), batch...))
	return nil
}

func (f *fakeBatches[T]) prune() (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pruned++
	return 0, nil
}

func (f *fakeBatches[T]) sizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []int{}
	for _, b := range f.batches {
		out = append(out, len(b))
	}
	return out
}

// fakeIssuances is the issuance store of fakeBatches.
type fakeIssuances struct{ fakeBatches[store.Issuance] }

func (f *fakeIssuances) PutIssuances(_ context.Context, is []store.Issuance) error { return f.put(is) }

func (f *fakeIssuances) ListIssuances(context.Context, store.IssuanceFilter) ([]store.Issuance, error) {
	return nil, nil
}

func (f *fakeIssuances) PruneIssuances(context.Context, time.Time, int) (int64, error) {
	return f.prune()
}

func rec(n int) store.Issuance {
	return store.Issuance{RequestID: fmt.Sprint("req-", n), Time: time.Unix(int64(n), 0), Service: "sts", Operation: "AssumeRole"}
}

// TestRecordersBatch: both recorders write in batches of up to Batch, each batch in one store
// call, the rest on Close.
func TestRecordersBatch(t *testing.T) {
	// Each starts a recorder over a fake store with an hour between timed flushes (only the batch
	// size and Close write) and returns how to add record i and the batches written.
	type recorder interface {
		Close() error
		Dropped() uint64
	}
	recorders := map[string]func(batch int) (add func(i int), r recorder, sizes func() []int){
		"issuances": func(batch int) (func(int), recorder, func() []int) {
			f := &fakeIssuances{}
			r := NewIssuanceRecorder(IssuanceDeps{Store: f, Batch: batch, Flush: time.Hour})
			return func(i int) { r.Add(rec(i)) }, r, f.sizes
		},
		"decisions": func(batch int) (func(int), recorder, func() []int) {
			f := &fakeDecisions{}
			r := NewDecisionRecorder(DecisionDeps{Store: f, Batch: batch, Flush: time.Hour})
			return func(i int) { r.Record(context.Background(), refusal(i), unsigned) }, r, f.sizes
		},
	}
	for _, tc := range []struct {
		name  string
		add   int
		batch int
		want  string
	}{
		{"full batches, the rest on close", 7, 3, "[3 3 1]"},
		{"exactly one batch", 3, 3, "[3]"},
		{"fewer than a batch, written on close", 2, 100, "[2]"},
		{"nothing, no write", 0, 3, "[]"},
	} {
		for kind, start := range recorders {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				add, r, sizes := start(tc.batch)
				for i := range tc.add {
					add(i)
				}
				if err := r.Close(); err != nil {
					t.Fatal(err)
				}
				if got := fmt.Sprint(sizes()); got != tc.want {
					t.Errorf("batches %s, want %s", got, tc.want)
				}
				if r.Dropped() != 0 {
					t.Errorf("dropped %d", r.Dropped())
				}
			})
		}
	}
}

func TestIssuanceRecorderFlushesOnTimer(t *testing.T) {
	f := &fakeIssuances{fakeBatches[store.Issuance]{started: make(chan struct{}, 1)}}
	r := NewIssuanceRecorder(IssuanceDeps{Store: f, Batch: 100, Flush: time.Millisecond})
	defer r.Close()
	r.Add(rec(1))
	<-f.started // a partial batch is written without Close and without more records
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(f.sizes()); got != "[1]" {
		t.Errorf("batches %s, want [1]", got)
	}
	if f.pruned != 1 {
		t.Errorf("pruned %d times after the first batch, want 1", f.pruned)
	}
}

// TestIssuanceRecorderDropsWhenFullNeverBlocks holds the writer inside a write: the queue fills,
// and further Adds return at once, dropped and counted; what was queued is written on Close.
func TestIssuanceRecorderDropsWhenFullNeverBlocks(t *testing.T) {
	f := &fakeIssuances{fakeBatches[store.Issuance]{gate: make(chan struct{}), started: make(chan struct{}, 1)}}
	r := NewIssuanceRecorder(IssuanceDeps{Store: f, Buffer: 2, Batch: 1, Flush: time.Hour})
	r.Add(rec(0))
	<-f.started // the writer holds rec 0 and waits on the gate
	f.started = nil
	for i := 1; i <= 5; i++ {
		r.Add(rec(i)) // 1 and 2 fill the queue; 3, 4, 5 are dropped
	}
	if r.Dropped() != 3 {
		t.Errorf("dropped %d, want 3", r.Dropped())
	}
	close(f.gate)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(f.sizes()); got != "[1 1 1]" {
		t.Errorf("batches %s, want [1 1 1]", got)
	}
	r.Add(rec(6)) // after Close: dropped, no panic
	if r.Dropped() != 4 {
		t.Errorf("dropped %d after Close, want 4", r.Dropped())
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestIssuanceRecorderCountsFailedBatches(t *testing.T) {
	f := &fakeIssuances{fakeBatches[store.Issuance]{fail: errors.New("store unavailable")}}
	r := NewIssuanceRecorder(IssuanceDeps{Store: f, Batch: 2, Flush: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	for i := range 3 {
		r.Add(rec(i))
	}
	_ = r.Close()
	if r.Dropped() != 3 {
		t.Errorf("dropped %d, want 3", r.Dropped())
	}
}

func TestNilIssuanceRecorder(t *testing.T) {
	r := NewIssuanceRecorder(IssuanceDeps{})
	r.Add(rec(1))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestIssuancesReachTheStore runs the recorder over the real SQLite store, through the audit
// logger as the server uses it: an issued credential is stored; a refusal is not.
func TestIssuancesReachTheStore(t *testing.T) {
	st := sqltest.Open(t)
	exp := time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)
	// The clock of pruning: a week after the issuance prunes it (the decisions' default bound).
	r := NewIssuanceRecorder(IssuanceDeps{Store: st, Now: func() time.Time { return exp }})
	l := NewWithIssuances(nil, r)
	caller := &principal.Principal{AccountID: "111111111111", ARN: "arn:aws:iam::111111111111:user/alice"}
	l.Record(Event{Time: exp.Add(-time.Hour), Service: "sts", Operation: "AssumeRole", RequestID: "ok-1", SourceIP: "192.0.2.7", Caller: caller,
		Request: map[string]any{"RoleArn": "arn:aws:iam::111111111111:role/app"},
		Response: map[string]any{"AssumedRoleUser": map[string]any{"Arn": "arn:aws:sts::111111111111:assumed-role/app/s"}, "SourceIdentity": "alice",
			"Credentials": map[string]any{"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret", "SessionToken": "token", "Expiration": exp}}})
	l.Record(Event{Time: exp, Service: "sts", Operation: "AssumeRole", RequestID: "refused-1", Caller: caller, ErrorCode: "AccessDenied"})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := st.ListIssuances(t.Context(), store.IssuanceFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := store.Issuance{RequestID: "ok-1", Time: exp.Add(-time.Hour), AccountID: "111111111111", PrincipalARN: caller.ARN, Service: "sts",
		Operation: "AssumeRole", RoleARN: "arn:aws:iam::111111111111:role/app", SessionARN: "arn:aws:sts::111111111111:assumed-role/app/s",
		SourceIdentity: "alice", AccessKeyID: "ASIAEXAMPLE", Expiration: exp, SourceIP: "192.0.2.7"}
	if len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
		t.Errorf("stored %+v, want [%+v]", got, want)
	}
}

func TestIssuanceOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   Event
		want string // account principal role session
	}{
		{"web identity: the role's account", Event{Request: map[string]any{"RoleArn": "arn:aws:iam::222222222222:role/web"}},
			"222222222222  arn:aws:iam::222222222222:role/web "},
		{"service-made: the service principal, the session's account", Event{InvokedBy: "ec2.amazonaws.com",
			Response: map[string]any{"AssumedRoleUser": map[string]any{"Arn": "arn:aws:sts::333333333333:assumed-role/r/i-1"}}},
			"333333333333 ec2.amazonaws.com  arn:aws:sts::333333333333:assumed-role/r/i-1"},
		{"federation token", Event{Caller: &principal.Principal{AccountID: "111111111111", ARN: "arn:aws:iam::111111111111:user/u"},
			Response: map[string]any{"FederatedUser": map[string]any{"Arn": "arn:aws:sts::111111111111:federated-user/bob"}}},
			"111111111111 arn:aws:iam::111111111111:user/u  arn:aws:sts::111111111111:federated-user/bob"},
		{"no account anywhere", Event{Request: map[string]any{"IdentityId": "us-east-1:x"}}, "   "},
		{"Cognito's enhanced flow: the role it chose", Event{Service: "cognito-identity", RoleARN: "arn:aws:iam::444444444444:role/unauth",
			Request: map[string]any{"IdentityId": "us-east-1:x"}}, "444444444444  arn:aws:iam::444444444444:role/unauth "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i, ok := IssuanceOf(tc.ev)
			if got := i.AccountID + " " + i.PrincipalARN + " " + i.RoleARN + " " + i.SessionARN; !ok || got != tc.want {
				t.Errorf("IssuanceOf = %q (%v), want %q", got, ok, tc.want)
			}
		})
	}
	if _, ok := IssuanceOf(Event{ErrorCode: "AccessDenied"}); ok {
		t.Error("a refusal has an issuance record")
	}
}

// discardIssuances accepts every batch at once.
type discardIssuances struct{}

func (discardIssuances) PutIssuances(context.Context, []store.Issuance) error { return nil }
func (discardIssuances) ListIssuances(context.Context, store.IssuanceFilter) ([]store.Issuance, error) {
	return nil, nil
}
func (discardIssuances) PruneIssuances(context.Context, time.Time, int) (int64, error) { return 0, nil }

// BenchmarkIssuanceRecorderAdd is the cost a credential-issuing request pays for its record:
// building it from the audit event and queueing it (compare BenchmarkAuditRecordWithoutIssuances).
func BenchmarkIssuanceRecorderAdd(b *testing.B) {
	r := NewIssuanceRecorder(IssuanceDeps{Store: discardIssuances{}, Logger: slog.New(slog.DiscardHandler)})
	defer r.Close()
	l := NewWithIssuances(nil, r)
	ev := benchEvent()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Record(ev)
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(r.Dropped())/float64(b.N), "dropped/op")
}

func benchEvent() Event {
	return Event{Time: time.Now(), Service: "sts", Operation: "AssumeRole", RequestID: "req", SourceIP: "192.0.2.1",
		Caller:  &principal.Principal{AccountID: "111111111111", ARN: "arn:aws:iam::111111111111:user/alice"},
		Request: map[string]any{"RoleArn": "arn:aws:iam::111111111111:role/app"},
		Response: map[string]any{"AssumedRoleUser": map[string]any{"Arn": "arn:aws:sts::111111111111:assumed-role/app/s"},
			"Credentials": map[string]any{"AccessKeyId": "ASIAEXAMPLE", "Expiration": time.Now()}}}
}

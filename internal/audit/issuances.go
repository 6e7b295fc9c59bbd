package audit

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// Defaults of the issuance recorder's buffering.
const (
	DefaultIssuanceBuffer = 4096
	DefaultIssuanceBatch  = 100
	DefaultIssuanceFlush  = 200 * time.Millisecond
	// batchTimeout bounds one batch's write (and the prune that may follow it).
	batchTimeout = 5 * time.Second
)

// IssuanceRecorder writes the credentials issued to the store all nodes share, off the request
// path: Add queues without blocking (a full queue drops the record and counts it), and one
// goroutine writes batches of up to Batch records in one transaction, at least every Flush, then
// prunes by the decision store's bounds. Close writes what is queued and stops.
type IssuanceRecorder struct {
	store   store.IssuanceStore
	batch   int
	flush   time.Duration
	max     int
	maxAge  time.Duration
	now     func() time.Time
	logger  *slog.Logger
	mu      sync.RWMutex // Add holds it shared; Close exclusively, so no Add sends on a closed queue
	closed  bool
	queue   chan store.Issuance
	done    chan struct{}
	dropped atomic.Uint64
	written atomic.Uint64
}

// IssuanceDeps builds an IssuanceRecorder; zero fields take the defaults (Max and MaxAge those of
// the decision store: LATCHKEY_DECISIONS_MAX, LATCHKEY_DECISIONS_MAX_AGE).
type IssuanceDeps struct {
	Store  store.IssuanceStore
	Buffer int
	Batch  int
	Flush  time.Duration
	Max    int
	MaxAge time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// NewIssuanceRecorder starts a recorder; a nil Store records nothing (and starts nothing).
func NewIssuanceRecorder(d IssuanceDeps) *IssuanceRecorder {
	if d.Store == nil {
		return nil
	}
	d.Buffer = orDefault(d.Buffer, DefaultIssuanceBuffer)
	d.Batch = orDefault(d.Batch, DefaultIssuanceBatch)
	if d.Flush <= 0 {
		d.Flush = DefaultIssuanceFlush
	}
	d.Max, d.MaxAge, d.Now, d.Logger = recorderDefaults(d.Max, d.MaxAge, d.Now, d.Logger)
	r := &IssuanceRecorder{store: d.Store, batch: d.Batch, flush: d.Flush, max: d.Max, maxAge: d.MaxAge, now: d.Now, logger: d.Logger,
		queue: make(chan store.Issuance, d.Buffer), done: make(chan struct{})}
	go r.run()
	return r
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Add queues i for writing and returns at once; when the queue is full, or the recorder closed,
// i is dropped and counted (Dropped).
func (r *IssuanceRecorder) Add(i store.Issuance) {
	if r == nil {
		return
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.dropped.Add(1)
		return
	}
	select {
	case r.queue <- i:
	default:
		r.dropped.Add(1)
	}
}

// Dropped is how many records Add has dropped so far.
func (r *IssuanceRecorder) Dropped() uint64 { return r.dropped.Load() }

// Close writes the records queued so far and stops the recorder; later Adds are dropped. It is
// safe to call more than once.
func (r *IssuanceRecorder) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	<-r.done
	return nil
}

func (r *IssuanceRecorder) run() {
	defer close(r.done)
	tick := time.NewTicker(r.flush)
	defer tick.Stop()
	pending := make([]store.Issuance, 0, r.batch)
	for {
		select {
		case i, ok := <-r.queue:
			if !ok {
				r.write(pending)
				return
			}
			pending = append(pending, i)
			if len(pending) >= r.batch {
				r.write(pending)
				pending = pending[:0]
			}
		case <-tick.C:
			r.write(pending)
			pending = pending[:0]
		}
	}
}

// write stores one batch in one transaction, then prunes once per pruneEvery records written.
// A failure is logged (request ids only) and the batch dropped and counted: the store is shared,
// and a recorder that held batches for an unavailable store would only grow.
func (r *IssuanceRecorder) write(batch []store.Issuance) {
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	if err := r.store.PutIssuances(ctx, batch); err != nil {
		r.dropped.Add(uint64(len(batch)))
		r.logger.Warn("recording credentials issued in the store failed", "records", len(batch), "first_request_id", batch[0].RequestID, "err", err)
		return
	}
	before := r.written.Load()
	after := r.written.Add(uint64(len(batch)))
	if before == 0 || before/pruneEvery != after/pruneEvery {
		if _, err := r.store.PruneIssuances(ctx, r.now().Add(-r.maxAge), r.max); err != nil {
			r.logger.Warn("pruning the issuance store failed", "err", err)
		}
	}
}

// IssuanceOf is the issuance record of ev, a successful credential-issuing call; ok is false for a
// refusal. It reads identifiers only: the audit event never carries secrets, and neither does this.
func IssuanceOf(ev Event) (store.Issuance, bool) {
	if ev.ErrorCode != "" {
		return store.Issuance{}, false
	}
	i := store.Issuance{RequestID: ev.RequestID, Time: ev.Time, Service: ev.Service, Operation: ev.Operation, SourceIP: ev.SourceIP,
		PrincipalARN: ev.InvokedBy}
	i.RoleARN, _ = ev.Request["RoleArn"].(string)
	if i.RoleARN == "" {
		i.RoleARN = ev.RoleARN
	}
	for _, member := range []string{"AssumedRoleUser", "FederatedUser"} {
		if u, ok := ev.Response[member].(map[string]any); ok {
			i.SessionARN, _ = u["Arn"].(string)
		}
	}
	i.SourceIdentity, _ = ev.Response["SourceIdentity"].(string)
	if c, ok := ev.Response["Credentials"].(map[string]any); ok {
		i.AccessKeyID, _ = c["AccessKeyId"].(string)
		i.Expiration = timeValue(c["Expiration"])
	}
	if ev.Caller != nil {
		i.AccountID, i.PrincipalARN = ev.Caller.AccountID, ev.Caller.ARN
	} else {
		i.AccountID = firstAccount(i.RoleARN, i.SessionARN)
	}
	return i, true
}

func timeValue(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t
	case string:
		if p, err := time.Parse(time.RFC3339, t); err == nil {
			return p
		}
	}
	return time.Time{}
}

// firstAccount is the account field of the first of arns that is an ARN with one.
func firstAccount(arns ...string) string {
	for _, a := range arns {
		parts := strings.SplitN(a, ":", 6)
		if len(parts) == 6 && parts[0] == "arn" && len(parts[4]) == 12 {
			return parts[4]
		}
	}
	return ""
}

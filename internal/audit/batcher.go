package audit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// batchTimeout bounds one batch's write (and the prune that may follow it).
const batchTimeout = 5 * time.Second

// batcher writes records to the store off the request path, for the issuance and decision
// recorders: add queues without blocking (a full queue, or a closed batcher, drops the record and
// counts it), and one goroutine writes batches of up to batch records in one call, at least every
// flush, then prunes once per pruneEvery records written. flushNow writes everything queued before
// it; close writes what is queued and stops.
type batcher[T any] struct {
	put    func(ctx context.Context, batch []T) error // one transaction
	prune  func(ctx context.Context)
	failed func(batch []T, err error) // logs a failed batch (identifiers only)
	batch  int
	flush  time.Duration
	// pruneEvery: prune once per this many records written.
	pruneEvery uint64
	mu         sync.RWMutex // add holds it shared; close exclusively, so no add sends on a closed queue
	closed     bool
	queue      chan T
	flushes    chan chan struct{}
	done       chan struct{}
	dropped    atomic.Uint64
	written    atomic.Uint64
	// pending counts the records queued and not yet written or dropped; flushNow returns at once
	// when it is zero.
	pending atomic.Int64
}

// batcherDeps are a recorder's store calls, the bounds its records are pruned by and its sizes;
// zero fields take the defaults (the decision store's bounds, the issuance recorder's sizes).
type batcherDeps[T any] struct {
	// What names the records in log lines: "recording <What> failed", "pruning <What> failed".
	What      string
	Put       func(ctx context.Context, batch []T) error
	Prune     func(ctx context.Context, olderThan time.Time, keep int) (int64, error)
	RequestID func(T) string // logged for a failed batch (identifiers only)
	Max       int
	MaxAge    time.Duration
	Now       func() time.Time
	Logger    *slog.Logger
	Buffer    int
	Batch     int
	Flush     time.Duration
}

func newBatcher[T any](d batcherDeps[T]) *batcher[T] {
	d.Buffer, d.Batch = orDefault(d.Buffer, DefaultIssuanceBuffer), orDefault(d.Batch, DefaultIssuanceBatch)
	if d.Flush <= 0 {
		d.Flush = DefaultIssuanceFlush
	}
	d.Max, d.MaxAge, d.Now, d.Logger = recorderDefaults(d.Max, d.MaxAge, d.Now, d.Logger)
	prune := func(ctx context.Context) {
		if _, err := d.Prune(ctx, d.Now().Add(-d.MaxAge), d.Max); err != nil {
			d.Logger.Warn("pruning "+d.What+" failed", "err", err)
		}
	}
	failed := func(batch []T, err error) {
		d.Logger.Warn("recording "+d.What+" failed", "records", len(batch), "first_request_id", d.RequestID(batch[0]), "err", err)
	}
	b := &batcher[T]{put: d.Put, prune: prune, failed: failed, batch: d.Batch, flush: d.Flush, pruneEvery: uint64(pruneEvery(d.Max)),
		queue: make(chan T, d.Buffer), flushes: make(chan chan struct{}), done: make(chan struct{})}
	go b.run()
	return b
}

// add queues v and returns at once; when the queue is full, or the batcher closed, v is dropped
// and counted.
func (b *batcher[T]) add(v T) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		b.dropped.Add(1)
		return
	}
	b.pending.Add(1)
	select {
	case b.queue <- v:
	default:
		b.pending.Add(-1)
		b.dropped.Add(1)
	}
}

// flushNow returns once every record added before it was called is written (or dropped), or
// when ctx ends first (its error).
func (b *batcher[T]) flushNow(ctx context.Context) error {
	if b.pending.Load() == 0 {
		return nil
	}
	ack := make(chan struct{})
	select {
	case b.flushes <- ack:
	case <-b.done: // closed: close wrote the queue
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close writes the records queued so far and stops; later adds are dropped. It is safe to call
// more than once.
func (b *batcher[T]) close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	<-b.done
}

func (b *batcher[T]) run() {
	defer close(b.done)
	tick := time.NewTicker(b.flush)
	defer tick.Stop()
	pending := make([]T, 0, b.batch)
	for {
		select {
		case v, ok := <-b.queue:
			if !ok {
				b.write(pending)
				return
			}
			pending = append(pending, v)
			if len(pending) >= b.batch {
				b.write(pending)
				pending = pending[:0]
			}
		case ack := <-b.flushes:
			pending = b.drain(pending)
			close(ack)
		case <-tick.C:
			b.write(pending)
			pending = pending[:0]
		}
	}
}

// drain writes pending and everything in the queue now, in batches; records added after it
// started wait for the next batch.
func (b *batcher[T]) drain(pending []T) []T {
	for n := len(b.queue); n > 0; n-- {
		v, ok := <-b.queue
		if !ok {
			break
		}
		pending = append(pending, v)
		if len(pending) >= b.batch {
			b.write(pending)
			pending = pending[:0]
		}
	}
	b.write(pending)
	return pending[:0]
}

// write stores one batch in one call, then prunes once per pruneEvery records written. A
// failure is logged and the batch dropped and counted: the store is shared, and a recorder that
// held batches for an unavailable store would only grow.
func (b *batcher[T]) write(batch []T) {
	if len(batch) == 0 {
		return
	}
	defer b.pending.Add(-int64(len(batch)))
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	if err := b.put(ctx, batch); err != nil {
		b.dropped.Add(uint64(len(batch)))
		b.failed(batch, err)
		return
	}
	before := b.written.Load()
	after := b.written.Add(uint64(len(batch)))
	if before == 0 || before/b.pruneEvery != after/b.pruneEvery {
		b.prune(ctx)
	}
}

package audit

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/store"
)

// Defaults of the decision store's bounds (LATCHKEY_DECISIONS_MAX, LATCHKEY_DECISIONS_MAX_AGE).
const (
	DefaultDecisionsMax    = 10000
	DefaultDecisionsMaxAge = 7 * 24 * time.Hour
)

// pruneEvery is how many records a recorder writes between prunes: a tenth of Max (at least 1).
// Pruning by count walks Max index entries to find the cut, so pruning once per Max/10 records
// costs about ten entries per record whatever Max is, where a fixed interval made a large Max
// expensive; between prunes the table may exceed Max by up to a tenth per node.
func pruneEvery(limit int) int { return max(1, limit/10) }

// DecisionRecorder writes refusals to the store that all nodes share, off the request path, and
// prunes it by age and count: Record redacts the explanation and queues it without blocking (a
// full queue drops the record and counts it, Dropped), and one goroutine writes batches in one
// transaction, at least every Flush interval (200 ms by default). Recording is best effort: a
// failure is logged and never changes the answer to the caller. The node's own readers read
// through GetDecision and ListDecisions, which Flush first, so a refusal is visible at once on the
// node that refused it; other nodes and the CLI see it within the flush interval. Close writes
// what is queued.
type DecisionRecorder struct {
	store store.DecisionStore
	b     *batcher[queuedDecision]
}

// queuedDecision is a refusal waiting to be written; x is already redacted, and marshalled by the
// writer, off the request path.
type queuedDecision struct {
	d store.Decision
	x *explain.Explanation
}

// DecisionDeps builds a DecisionRecorder; zero fields take the defaults (Buffer, Batch and Flush
// those of the issuance recorder).
type DecisionDeps struct {
	Store  store.DecisionStore
	Max    int
	MaxAge time.Duration
	Buffer int
	Batch  int
	Flush  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// NewDecisionRecorder starts a recorder; a nil Store records nothing (and starts nothing).
func NewDecisionRecorder(d DecisionDeps) *DecisionRecorder {
	if d.Store == nil {
		return nil
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	st, logger := d.Store, d.Logger
	return &DecisionRecorder{store: st, b: newBatcher(batcherDeps[queuedDecision]{
		What: "refusals in the decision store",
		Put: func(ctx context.Context, batch []queuedDecision) error {
			return st.PutDecisions(ctx, marshalDecisions(batch, logger))
		},
		Prune:     st.PruneDecisions,
		RequestID: func(q queuedDecision) string { return q.d.RequestID },
		Max:       d.Max, MaxAge: d.MaxAge, Now: d.Now, Logger: logger,
		Buffer: d.Buffer, Batch: d.Batch, Flush: d.Flush,
	})}
}

// marshalDecisions is batch as store records, each with its explanation as JSON; one that does
// not marshal is stored with an empty explanation and logged.
func marshalDecisions(batch []queuedDecision, logger *slog.Logger) []store.Decision {
	out := make([]store.Decision, len(batch))
	for i, q := range batch {
		out[i] = q.d
		b, err := json.Marshal(q.x)
		if err != nil {
			logger.Warn("recording a refusal's explanation failed", "request_id", q.d.RequestID, "err", err)
			b = nil
		}
		out[i].Explanation = b
	}
	return out
}

// recorderDefaults fills the zero bounds, clock and logger of a recorder's batcher (decisions, issuances).
func recorderDefaults(max int, maxAge time.Duration, now func() time.Time, logger *slog.Logger) (int, time.Duration, func() time.Time, *slog.Logger) {
	if max <= 0 {
		max = DefaultDecisionsMax
	}
	if maxAge <= 0 {
		maxAge = DefaultDecisionsMaxAge
	}
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.Default()
	}
	return max, maxAge, now, logger
}

// Record queues d with x, redacted, as its explanation, and returns at once: it never waits on
// the store (a full queue drops the record and counts it). ctx is not used: a caller that hung up
// was still refused.
func (r *DecisionRecorder) Record(_ context.Context, d store.Decision, x *explain.Explanation) {
	if r == nil {
		return
	}
	r.b.add(queuedDecision{d: d, x: explain.Redact(x)})
}

// Dropped is how many refusals were not stored: the queue was full, or the store failed a batch.
func (r *DecisionRecorder) Dropped() uint64 {
	if r == nil {
		return 0
	}
	return r.b.dropped.Load()
}

// Flush returns once every refusal recorded before it is written (or dropped), or when ctx ends.
func (r *DecisionRecorder) Flush(ctx context.Context) error {
	if r == nil {
		return nil
	}
	return r.b.flushNow(ctx)
}

// Close writes the refusals queued so far and stops the recorder; later ones are dropped. It is
// safe to call more than once.
func (r *DecisionRecorder) Close() error {
	if r == nil {
		return nil
	}
	r.b.close()
	return nil
}

// readFlushWait bounds how long a read through the recorder waits for the queue to be written: a
// store too slow to take it within this is read as it is.
const readFlushWait = 2 * time.Second

// flushForRead flushes for a reader, waiting at most readFlushWait; only ctx's own end is an error.
func (r *DecisionRecorder) flushForRead(ctx context.Context) error {
	fctx, cancel := context.WithTimeout(ctx, readFlushWait)
	defer cancel()
	if err := r.Flush(fctx); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// GetDecision reads the store after Flush, so that a refusal this node recorded is found at once.
func (r *DecisionRecorder) GetDecision(ctx context.Context, requestID string) (store.Decision, error) {
	if err := r.flushForRead(ctx); err != nil {
		return store.Decision{}, err
	}
	return r.store.GetDecision(ctx, requestID)
}

// ListDecisions reads the store after Flush, so that the refusals this node recorded are listed
// at once.
func (r *DecisionRecorder) ListDecisions(ctx context.Context, f store.DecisionFilter) ([]store.Decision, error) {
	if err := r.flushForRead(ctx); err != nil {
		return nil, err
	}
	return r.store.ListDecisions(ctx, f)
}

// ServiceRefusal is the decision record of a refused AssumeRole made as an AWS service (the
// container credentials endpoint as ecs-tasks.amazonaws.com, the metadata service as
// ec2.amazonaws.com): it belongs to the account of the role refused, which the explanation names.
func ServiceRefusal(requestID string, at time.Time, invokedBy, code string, x *explain.Explanation) store.Decision {
	acct := ""
	if parts := strings.SplitN(x.Resource, ":", 6); len(parts) == 6 {
		acct = parts[4]
	}
	action := x.Action
	if action == "" {
		action = "sts:AssumeRole"
	}
	return store.Decision{RequestID: requestID, Time: at, AccountID: acct, ResourceAccount: acct, PrincipalARN: invokedBy,
		Service: "sts", Operation: "AssumeRole", Action: action, ErrorCode: code}
}

// ParseSince reads a --since or since= value: a positive Go duration (10m, 2h) back from now, or
// an RFC 3339 time.
func ParseSince(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		if d <= 0 {
			return time.Time{}, errors.New("since must be a positive duration such as 10m, or an RFC 3339 time")
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errors.New("since must be a duration such as 10m or an RFC 3339 time such as 2025-01-02T15:04:05Z")
	}
	return t, nil
}

// The actions that read recorded refusals and credentials issued, whoever serves them (the admin
// API, the console), and the resource of latchkey:GetDecision; latchkey:ListDecisions and
// latchkey:ListIssuances are authorized on "*".
const (
	ActionGetDecision   = "latchkey:GetDecision"
	ActionListDecisions = "latchkey:ListDecisions"
	ActionListIssuances = "latchkey:ListIssuances"
)

// DecisionARN is the resource of latchkey:GetDecision.
func DecisionARN(account, requestID string) string {
	return "arn:aws:latchkey::" + account + ":decision/" + requestID
}

package audit

import (
	"log/slog"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// Defaults of the recorders' buffering (credentials issued, refusals).
const (
	DefaultIssuanceBuffer = 4096
	DefaultIssuanceBatch  = 500
	DefaultIssuanceFlush  = 200 * time.Millisecond
)

// IssuanceRecorder writes the credentials issued to the store all nodes share, off the request
// path: Add queues without blocking (a full queue drops the record and counts it), and one
// goroutine writes batches of up to Batch records in one transaction, at least every Flush, then
// prunes by the decision store's bounds. Close writes what is queued and stops.
type IssuanceRecorder struct {
	b *batcher[store.Issuance]
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
	return &IssuanceRecorder{b: newBatcher(batcherDeps[store.Issuance]{
		What:      "credentials issued in the store",
		Put:       d.Store.PutIssuances,
		Prune:     d.Store.PruneIssuances,
		RequestID: func(i store.Issuance) string { return i.RequestID },
		Max:       d.Max, MaxAge: d.MaxAge, Now: d.Now, Logger: d.Logger,
		Buffer: d.Buffer, Batch: d.Batch, Flush: d.Flush,
	})}
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
	r.b.add(i)
}

// Dropped is how many records Add has dropped so far.
func (r *IssuanceRecorder) Dropped() uint64 { return r.b.dropped.Load() }

// Close writes the records queued so far and stops the recorder; later Adds are dropped. It is
// safe to call more than once.
func (r *IssuanceRecorder) Close() error {
	if r == nil {
		return nil
	}
	r.b.close()
	return nil
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

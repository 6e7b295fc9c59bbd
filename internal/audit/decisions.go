package audit

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/store"
)

// Defaults of the decision store's bounds (LATCHKEY_DECISIONS_MAX, LATCHKEY_DECISIONS_MAX_AGE).
const (
	DefaultDecisionsMax    = 10000
	DefaultDecisionsMaxAge = 7 * 24 * time.Hour
	// pruneEvery: the recorder prunes once per this many refusals it records, so the bound costs
	// one DELETE per batch rather than per refusal. Between prunes the table may exceed Max by
	// this many rows per node.
	pruneEvery = 100
	// writeTimeout bounds a refusal's wait on the store.
	writeTimeout = 2 * time.Second
)

// DecisionRecorder writes refusals to the store that all nodes share, pruning it by age and count.
// Recording is best effort: a failure is logged and never changes the answer to the caller.
type DecisionRecorder struct {
	store  store.DecisionStore
	max    int
	maxAge time.Duration
	now    func() time.Time
	logger *slog.Logger
	n      atomic.Uint64
}

// DecisionDeps builds a DecisionRecorder; zero Max and MaxAge take the defaults.
type DecisionDeps struct {
	Store  store.DecisionStore
	Max    int
	MaxAge time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// NewDecisionRecorder returns a recorder; a nil Store records nothing.
func NewDecisionRecorder(d DecisionDeps) *DecisionRecorder {
	d.Max, d.MaxAge, d.Now, d.Logger = recorderDefaults(d.Max, d.MaxAge, d.Now, d.Logger)
	return &DecisionRecorder{store: d.Store, max: d.Max, maxAge: d.MaxAge, now: d.Now, logger: d.Logger}
}

// recorderDefaults fills the zero bounds, clock and logger of a recorder (decisions, issuances).
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

// Record stores d with x (redacted) as its explanation. It does not use ctx's cancellation: a
// caller that hung up was still refused.
func (r *DecisionRecorder) Record(ctx context.Context, d store.Decision, x *explain.Explanation) {
	if r == nil || r.store == nil {
		return
	}
	b, err := json.Marshal(explain.Redact(x))
	if err != nil {
		r.logger.Warn("recording a refusal failed", "request_id", d.RequestID, "err", err)
		return
	}
	d.Explanation = b
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	if err := r.store.PutDecision(ctx, d); err != nil {
		r.logger.Warn("recording a refusal in the decision store failed", "request_id", d.RequestID, "err", err)
		return
	}
	if r.n.Add(1)%pruneEvery == 1 {
		r.Prune(ctx)
	}
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

// Prune applies the bounds now.
func (r *DecisionRecorder) Prune(ctx context.Context) {
	if _, err := r.store.PruneDecisions(ctx, r.now().Add(-r.maxAge), r.max); err != nil {
		r.logger.Warn("pruning the decision store failed", "err", err)
	}
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

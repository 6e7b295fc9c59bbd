package store

import (
	"context"
	"time"
)

// Decision is one refused request, kept so that any node can explain it (`latchkey explain`, the
// admin API). Only refusals are stored; the allowed path writes nothing.
type Decision struct {
	// RequestID is the x-amzn-RequestId the caller got; it is the key.
	RequestID string
	Time      time.Time
	// AccountID is the account the decision belongs to and is shown to: the caller's, or, for a
	// call without a verified caller (an unsigned AssumeRoleWithWebIdentity, a bad signature),
	// the account of the resource it named. "" when neither is known.
	AccountID string
	// ResourceAccount is the account of the resource the request named ("" when unknown).
	ResourceAccount string
	PrincipalARN    string // "" for a call without a verified caller
	Service         string // signing name: sts, iam, cognito-identity, quicksight
	Operation       string
	Action          string // the IAM action that was refused, e.g. sts:AssumeRole
	ErrorCode       string
	// Explanation is the refusal's explanation (internal/explain) as JSON, already redacted.
	Explanation []byte
}

// DecisionFilter selects recent decisions; zero fields select everything.
type DecisionFilter struct {
	AccountID string
	Since     time.Time // inclusive
	Principal string    // exact principal ARN
	// Action is an IAM-style pattern, case-insensitive, where * matches any run of characters
	// and ? one character (sts:AssumeRole*).
	Action string
	Limit  int // <= 0: no limit
}

// DecisionStore keeps the recent refusals every node shares.
type DecisionStore interface {
	// PutDecisions inserts a batch in one transaction; request ids already stored are skipped (a
	// record is written once).
	PutDecisions(ctx context.Context, ds []Decision) error
	// GetDecision is ErrNotFound for an unknown (or pruned) request id.
	GetDecision(ctx context.Context, requestID string) (Decision, error)
	// ListDecisions returns the decisions f selects, newest first (ties by request id, descending).
	ListDecisions(ctx context.Context, f DecisionFilter) ([]Decision, error)
	// PruneDecisions deletes the decisions older than olderThan and all but the keep newest
	// (ties at the keep-th newest time are all kept); keep <= 0 bounds by age only. It returns
	// how many it deleted.
	PruneDecisions(ctx context.Context, olderThan time.Time, keep int) (int64, error)
}

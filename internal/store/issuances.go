package store

import (
	"context"
	"time"
)

// Issuance is one credential issued: what the console's Activity page and the admin API list
// beside refusals. It holds the access key id (an identifier, not a secret) and never the secret
// access key or the session token.
type Issuance struct {
	// RequestID is the x-amzn-RequestId the caller got; it is the key.
	RequestID string
	Time      time.Time
	// AccountID is the account the issuance belongs to and is shown to: the caller's, or, for a
	// call without a verified caller (AssumeRoleWithWebIdentity, AssumeRoleWithSAML), the
	// account of the role assumed. "" when neither is known.
	AccountID    string
	PrincipalARN string // the caller; for a service-made call (IMDS, containers) the service principal
	Service      string // signing name: sts, cognito-identity, quicksight
	Operation    string
	RoleARN      string // the role assumed, "" when none
	// SessionARN is the assumed-role or federated-user ARN of the credentials, "" when none.
	SessionARN     string
	SourceIdentity string
	AccessKeyID    string // "" for an operation that issues a token rather than keys
	Expiration     time.Time
	SourceIP       string
}

// IssuanceFilter selects recent issuances; zero fields select everything.
type IssuanceFilter struct {
	AccountID string
	Since     time.Time // inclusive
	Principal string    // exact caller ARN
	// Action is an IAM-style pattern, case-insensitive, matched against service:operation
	// (sts:AssumeRole*), where * matches any run of characters and ? one character.
	Action string
	Limit  int // <= 0: no limit
}

// IssuanceStore keeps the recent credential issuances every node shares.
type IssuanceStore interface {
	// PutIssuances inserts is in one transaction; a request id already stored is skipped, so a
	// retried batch stores each issuance once.
	PutIssuances(ctx context.Context, is []Issuance) error
	// ListIssuances returns the issuances f selects, newest first (ties by request id, descending).
	ListIssuances(ctx context.Context, f IssuanceFilter) ([]Issuance, error)
	// PruneIssuances deletes the issuances older than olderThan and all but the keep newest
	// (ties at the keep-th newest time are all kept); keep <= 0 bounds by age only. It returns
	// how many it deleted.
	PruneIssuances(ctx context.Context, olderThan time.Time, keep int) (int64, error)
}

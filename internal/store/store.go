package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors every backend returns (wrapped or bare) so services can map them to AWS codes
// without knowing which database is underneath.
var (
	// ErrNotFound: the addressed row does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a uniqueness constraint rejected the write.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict: the row is still referenced (e.g. a user that still has access keys).
	ErrConflict = errors.New("store: conflict")
	// ErrLimitExceeded: a per-entity quota enforced inside the write transaction was reached.
	ErrLimitExceeded = errors.New("store: limit exceeded")
	// ErrMissingReference: the write names an entity that does not exist when it commits, e.g.
	// a permissions boundary whose managed policy a concurrent DeletePolicy removed. Checked in
	// the writing transaction, so no row can be left pointing at nothing.
	ErrMissingReference = errors.New("store: referenced entity does not exist")
	// ErrUnavailable: the database cannot be reached; callers answer ServiceUnavailable.
	ErrUnavailable = errors.New("store: unavailable")
	// ErrConcurrentModification: an Update… kept losing races with concurrent writers of the same
	// entity until the store's retries ran out, and wrote nothing. Errors that match it match
	// ErrUnavailable too, so callers that do not tell them apart answer ServiceUnavailable; an
	// operation whose AWS model has ConcurrentModificationException answers that instead.
	ErrConcurrentModification = errors.New("store: concurrent modification")
)

// MissingReferenceError is the ErrMissingReference of one write: what kind of entity the write
// named (e.g. "managed policy") and its key, so a service can name it in its answer.
type MissingReferenceError struct {
	Kind, Key string
}

func (e *MissingReferenceError) Error() string {
	return "store: " + e.Kind + " " + e.Key + " does not exist"
}

// Is makes errors.Is(err, ErrMissingReference) hold.
func (e *MissingReferenceError) Is(target error) bool { return target == ErrMissingReference }

// Tag is an IAM resource tag.
type Tag struct {
	Key   string
	Value string
}

// Account is one AWS-style account hosted by this deployment.
type Account struct {
	ID        string
	CreatedAt time.Time
}

// User is an IAM user. Names are unique per account case-insensitively.
type User struct {
	AccountID           string
	UserID              string // AIDA…, immutable, globally unique
	UserName            string
	Path                string
	PermissionsBoundary string // policy ARN or ""
	Tags                []Tag
	CreatedAt           time.Time
}

// AccessKey is a long-term access key. UserID is "" for the account's root credentials.
// The secret is stored only as ciphertext sealed with the master key; the store never sees it in clear.
type AccessKey struct {
	AccessKeyID      string // AKIA…, globally unique
	AccountID        string
	UserID           string
	Status           string // "Active" or "Inactive"
	SecretCiphertext []byte
	CreatedAt        time.Time
	LastUsedAt       *time.Time
	LastUsedService  string
	LastUsedRegion   string
}

// UserPage is one page of a ListUsers call.
type UserPage struct {
	Users []User
	// Next is the UserName-based marker to pass as After for the following page; "" when this page is the last.
	Next string
}

// Store is the persistence contract. Every backend (SQLite, PostgreSQL) passes storetest.
type Store interface {
	// Ping reports whether the database is reachable (used by /readyz).
	Ping(ctx context.Context) error
	Close() error

	// Meta is a small key/value area for deployment-wide facts such as the master-key check value.
	// PutMetaIfAbsent stores value only when key has none and returns the value now stored.
	GetMeta(ctx context.Context, key string) ([]byte, error)
	PutMetaIfAbsent(ctx context.Context, key string, value []byte) ([]byte, error)

	CreateAccount(ctx context.Context, a Account) error
	GetAccount(ctx context.Context, id string) (Account, error)
	ListAccounts(ctx context.Context) ([]Account, error)

	CreateUser(ctx context.Context, u User) error
	// GetUser looks a user up by name, case-insensitively.
	GetUser(ctx context.Context, accountID, userName string) (User, error)
	GetUserByID(ctx context.Context, userID string) (User, error)
	// UpdateUser is the updater (see "Updaters") of the user with userID. UserName, Path,
	// PermissionsBoundary and Tags may change; a new name taken in the account (case-insensitively)
	// is ErrAlreadyExists. AccountID, UserID and CreatedAt are fixed.
	UpdateUser(ctx context.Context, userID string, fn func(*User) error) (User, error)
	// DeleteUser fails with ErrConflict while the user still owns access keys, inline policies,
	// attached policies or an assigned MFA device, or belongs to a group.
	DeleteUser(ctx context.Context, accountID, userID string) error
	// ListUsers returns users whose path starts with pathPrefix, ordered by lower-cased name,
	// starting after the marker `after` (a lower-cased name, "" for the first page).
	ListUsers(ctx context.Context, accountID, pathPrefix, after string, limit int) (UserPage, error)

	// CreateAccessKey inserts k, failing with ErrLimitExceeded when the owner (user, or root when
	// UserID is "") already has maxPerOwner keys — checked in the same transaction.
	CreateAccessKey(ctx context.Context, k AccessKey, maxPerOwner int) error
	GetAccessKey(ctx context.Context, accessKeyID string) (AccessKey, error)
	// ListAccessKeys lists the keys of one owner (UserID "" = root), oldest first.
	ListAccessKeys(ctx context.Context, accountID, userID string) ([]AccessKey, error)
	// UpdateAccessKeyStatus sets the status. It is a blind write of one column that depends on
	// nothing it reads, so it needs no updater: of concurrent calls, the last one wins.
	UpdateAccessKeyStatus(ctx context.Context, accessKeyID, status string) error
	DeleteAccessKey(ctx context.Context, accessKeyID string) error
	// PutRootAccessKey creates or replaces (secret and status) a root key of accountID with this id,
	// without the per-owner limit: operators configure it out of band.
	PutRootAccessKey(ctx context.Context, k AccessKey) error
	// RecordAccessKeyUse stores the last-used time, service and region. Best effort: callers ignore its error.
	RecordAccessKeyUse(ctx context.Context, accessKeyID string, at time.Time, service, region string) error

	RoleStore
	PolicyStore
	MFAStore
	KeyRingStore
	OrgStore
	AccountStore
	FederationStore
	CognitoStore
	QuickSightStore
	DecisionStore
	IssuanceStore
	WorkloadStore
	InstanceProfileStore
	GroupStore
}

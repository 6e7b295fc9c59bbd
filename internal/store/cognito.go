package store

import (
	"context"
	"errors"
	"time"
)

// ErrIdentityDisabled: the identity is disabled (it lost a merge, or its last login was removed),
// so no login may be linked to it and it cannot win a merge.
var ErrIdentityDisabled = errors.New("store: identity disabled")

// CognitoUserPoolProvider is one entry of an identity pool's CognitoIdentityProviders.
type CognitoUserPoolProvider struct {
	ProviderName         string
	ClientID             string
	ServerSideTokenCheck bool
}

// IdentityPool is a Cognito identity pool. ID is "<region>:<lowercase GUID>", globally unique.
type IdentityPool struct {
	ID                        string
	AccountID                 string
	Name                      string
	AllowUnauthenticated      bool
	AllowClassicFlow          *bool // nil: never set, which behaves as enabled
	SupportedLoginProviders   map[string]string
	DeveloperProviderName     string
	OpenIDConnectProviderARNs []string
	CognitoIdentityProviders  []CognitoUserPoolProvider
	SAMLProviderARNs          []string
	Tags                      map[string]string
	// Roles maps "authenticated"/"unauthenticated" to role ARNs.
	Roles map[string]string
	// RoleMappings and PrincipalTagMaps are JSON documents the Cognito service owns; the store
	// keeps them opaque.
	RoleMappings     string
	PrincipalTagMaps string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Identity is a Cognito identity. ID is "<region>:<lowercase GUID>", globally unique, with its
// pool's region. Disabled is final: an identity that lost a merge or whose last login was removed
// never gets a login again (LinkLogins and MergeIdentities refuse it with ErrIdentityDisabled), and
// a disabled identity has no logins.
type Identity struct {
	ID        string
	PoolID    string
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IdentityLogin links a login (provider name, subject) to an identity. (PoolID, Provider, Subject)
// is unique: the same login always maps to one identity of a pool.
type IdentityLogin struct {
	PoolID     string
	IdentityID string
	Provider   string
	Subject    string
	CreatedAt  time.Time
}

// IdentityWithLogins is what UpdateIdentity reads and writes: an identity and its logins, ordered
// by provider then subject.
type IdentityWithLogins struct {
	Identity
	Logins []IdentityLogin
}

// LinkCheck is the precondition of a LinkLogins call: the backend calls it inside the call's
// transaction, with the identity's row locked, with the identity and its logins as they are then,
// before anything is written. A non-nil error aborts the call, which returns that error as it is.
//
// The rules that decide whether a login may be linked to an identity (an identity that has logins
// takes a new one only with the proof of one of them; a guest stays a guest until its first link)
// depend on the identity's logins. Read before the transaction, they may have changed by the time
// the link is written: a concurrent first login of a guest, a concurrent unlink of the proof. The
// check sees them where no concurrent writer can change them, so a link decided on a stale read
// is refused instead of written. Like an updater's fn (see "Updaters"), check may be called more
// than once and must depend only on its argument and on values captured before the call.
type LinkCheck func(cur IdentityWithLogins) error

// Merge is a MergeIdentities request.
type Merge struct {
	WinnerID string
	// LoserIDs may name the winner, and an identity more than once: the winner and the repeats
	// are ignored. A disabled loser has no logins left to move, and is merged harmlessly.
	LoserIDs []string
	// At is the UpdatedAt of every identity involved.
	At time.Time
	// Link are logins linked to the winner after the losers' logins moved to it, in the same
	// transaction and as LinkLogins links them, with OnePerProvider; the store does not check the
	// moved logins against OnePerProvider (Check may).
	Link           []IdentityLogin
	OnePerProvider []string
	// Check, when not nil, is the merge's precondition, as LinkCheck is a link's: it is called
	// inside the transaction, with every row locked, with the winner and the losers (in the order
	// of LoserIDs, without the ignored ones) as they are then, before anything is written. Its
	// error aborts the merge and is returned as it is.
	Check func(winner IdentityWithLogins, losers []IdentityWithLogins) error
}

// CognitoStore keeps identity pools, identities and their logins.
type CognitoStore interface {
	// CreateIdentityPool fails with ErrLimitExceeded when the account has maxPerAccount pools in
	// the region of p.ID (the part before the first ':'), counted in the same transaction.
	CreateIdentityPool(ctx context.Context, p IdentityPool, maxPerAccount int) error
	GetIdentityPool(ctx context.Context, id string) (IdentityPool, error)
	// UpdateIdentityPool is the updater (see "Updaters") of the pool with id. Every field may
	// change except ID, AccountID and CreatedAt.
	UpdateIdentityPool(ctx context.Context, id string, fn func(*IdentityPool) error) (IdentityPool, error)
	// DeleteIdentityPool removes the pool with its identities and logins.
	DeleteIdentityPool(ctx context.Context, id string) error
	// ListIdentityPools pages an account's pools of one region (those whose ID starts with
	// region + ":"; every region when region is "") ordered by ID; after is exclusive; next is ""
	// on the last page.
	ListIdentityPools(ctx context.Context, accountID, region, after string, limit int) (pools []IdentityPool, next string, err error)

	// CreateIdentity inserts an identity and links logins to it in one transaction. When any
	// login is already linked (to any identity) nothing is written and ErrAlreadyExists is
	// returned, so concurrent first logins yield exactly one identity.
	CreateIdentity(ctx context.Context, id Identity, logins []IdentityLogin) error
	GetIdentity(ctx context.Context, id string) (Identity, error)
	// ListIdentities pages a pool's identities ordered by ID.
	ListIdentities(ctx context.Context, poolID string, hideDisabled bool, after string, limit int) (ids []Identity, next string, err error)
	// DeleteIdentity removes an identity and its logins.
	DeleteIdentity(ctx context.Context, id string) error

	// FindLogin returns the link of a login, ErrNotFound when it is not linked.
	FindLogin(ctx context.Context, poolID, provider, subject string) (IdentityLogin, error)
	// ListLogins returns an identity's logins ordered by provider then subject.
	ListLogins(ctx context.Context, identityID string) ([]IdentityLogin, error)
	// LinkLogins links logins to an existing identity in one transaction that locks the identity's
	// row, answering in this order: ErrNotFound when it does not exist; ErrIdentityDisabled when it
	// is disabled; check's error, when check is not nil and refuses (see LinkCheck);
	// ErrAlreadyExists when a login is linked to another identity; ErrConflict when onePerProvider
	// lists a provider the identity already has a different subject for. Linking an already-linked
	// login to the same identity is a no-op. A transaction that loses its races on every retry
	// answers ErrConcurrentModification (which matches ErrUnavailable), as an updater does.
	LinkLogins(ctx context.Context, identityID string, logins []IdentityLogin, onePerProvider []string, check LinkCheck) error
	// UpdateIdentity is the updater (see "Updaters") of an identity and its logins, the one way
	// to unlink logins: fn gets the identity with its logins as they are in the transaction and
	// may set Disabled, change UpdatedAt and remove entries of Logins, which unlinks them. ID,
	// PoolID and CreatedAt are fixed, Disabled cannot be cleared, every login fn keeps is fixed
	// and a login fn adds is a programming error (LinkLogins links). A service that removes the
	// last login disables the identity in the same call, so that no LinkLogins can come between.
	UpdateIdentity(ctx context.Context, id string, fn func(*IdentityWithLogins) error) (IdentityWithLogins, error)
	// MergeIdentities moves every login of the losers to the winner, disables the losers and links
	// m.Link to the winner, in one transaction that locks the rows of every identity involved:
	// ErrNotFound when one is missing or a loser belongs to another pool; ErrIdentityDisabled when
	// the winner is disabled; then m.Check's error, when it refuses; then LinkLogins' errors for
	// m.Link. Nothing is written unless everything passes. Lost races are answered as LinkLogins
	// answers them.
	MergeIdentities(ctx context.Context, m Merge) error
	// ListLoginSubjects pages the subjects one identity has for one provider (LookupDeveloperIdentity).
	ListLoginSubjects(ctx context.Context, identityID, provider, after string, limit int) (subjects []string, next string, err error)
}

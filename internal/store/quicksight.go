package store

import (
	"context"
	"time"
)

// QuickSightNamespace is a custom QuickSight namespace. The "default" namespace of every account
// is implicit: the QuickSight service answers for it and the store never holds it.
type QuickSightNamespace struct {
	AccountID     string
	Name          string
	IdentityStore string
	Tags          []Tag
	CreatedAt     time.Time
}

// QuickSightUser is a registered QuickSight user. (AccountID, Namespace, UserName) is the key;
// (AccountID, Namespace, PrincipalID) is unique too.
type QuickSightUser struct {
	AccountID    string
	Namespace    string
	UserName     string
	PrincipalID  string
	IdentityType string // IAM or QUICKSIGHT
	Email        string
	Role         string
	// IAMARN is the IAM user or role the user was registered from (IdentityType IAM);
	// SessionName is the role session name it was registered with, if any.
	IAMARN                string
	SessionName           string
	Active                bool
	CustomPermissionsName string
	ExternalLoginProvider string
	ExternalLoginURL      string
	ExternalLoginID       string
	Tags                  []Tag
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// QuickSightStore keeps QuickSight namespaces and users.
type QuickSightStore interface {
	// CreateQuickSightNamespace fails with ErrAlreadyExists for a taken name and ErrNotFound
	// when the account does not exist.
	CreateQuickSightNamespace(ctx context.Context, ns QuickSightNamespace) error
	GetQuickSightNamespace(ctx context.Context, accountID, name string) (QuickSightNamespace, error)
	// ListQuickSightNamespaces pages an account's namespaces ordered by name (code point); after
	// is exclusive; next is "" on the last page; limit <= 0 means no limit.
	ListQuickSightNamespaces(ctx context.Context, accountID, after string, limit int) (nss []QuickSightNamespace, next string, err error)
	// DeleteQuickSightNamespace removes the namespace and its users in one transaction
	// (ErrNotFound when it does not exist).
	DeleteQuickSightNamespace(ctx context.Context, accountID, name string) error
	// DeleteQuickSightUsersInNamespace removes every user of a namespace (the implicit default
	// one included); it succeeds when there are none.
	DeleteQuickSightUsersInNamespace(ctx context.Context, accountID, namespace string) error

	// CreateQuickSightUser fails with ErrAlreadyExists when the name or the principal id is taken
	// in the namespace, and ErrNotFound when the account does not exist.
	CreateQuickSightUser(ctx context.Context, u QuickSightUser) error
	GetQuickSightUser(ctx context.Context, accountID, namespace, userName string) (QuickSightUser, error)
	GetQuickSightUserByPrincipalID(ctx context.Context, accountID, namespace, principalID string) (QuickSightUser, error)
	// FindQuickSightUsersByEmail returns up to limit users of a namespace with this email
	// (exact match), ordered by user name.
	FindQuickSightUsersByEmail(ctx context.Context, accountID, namespace, email string, limit int) ([]QuickSightUser, error)
	// UpdateQuickSightUser is the updater (see "Updaters") of the user with this key. Email,
	// Role, Active, CustomPermissionsName, the external login fields, Tags and UpdatedAt may
	// change; AccountID, Namespace, UserName, PrincipalID, IdentityType, IAMARN, SessionName and
	// CreatedAt are fixed.
	UpdateQuickSightUser(ctx context.Context, accountID, namespace, userName string, fn func(*QuickSightUser) error) (QuickSightUser, error)
	DeleteQuickSightUser(ctx context.Context, accountID, namespace, userName string) error
	// ListQuickSightUsers pages a namespace's users ordered by user name (code point).
	ListQuickSightUsers(ctx context.Context, accountID, namespace, after string, limit int) (users []QuickSightUser, next string, err error)
}

package store

import (
	"context"
	"time"
)

// PasswordPolicy is an account's IAM password policy as UpdateAccountPasswordPolicy sets it
// (IAM API Reference, UpdateAccountPasswordPolicy). Zero MaxPasswordAge means passwords never
// expire; zero PasswordReusePrevention means reuse is not prevented.
type PasswordPolicy struct {
	MinimumPasswordLength      int
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	MaxPasswordAge             int
	PasswordReusePrevention    int
	HardExpiry                 bool
}

// AccountSettings are the account-wide IAM settings of one account. An account that never set
// any has the zero value (with its AccountID).
type AccountSettings struct {
	AccountID string
	// PasswordPolicy is nil while the account has none.
	PasswordPolicy *PasswordPolicy
	// GlobalEndpointTokenVersion is "v1Token" or "v2Token" once SetSecurityTokenServicePreferences
	// set it, "" before.
	GlobalEndpointTokenVersion string
	// OrganizationFeatures are the centralized root access features ("RootCredentialsManagement",
	// "RootSessions") enabled for the organization this account manages.
	OrganizationFeatures []string
}

// AccountStore keeps account aliases and account-wide settings.
type AccountStore interface {
	// PutAccountAlias makes alias the account's only alias, replacing the one it had. An alias
	// that any account already has, this one included, is ErrAlreadyExists (the database's
	// unique constraint decides races between accounts); a missing account is ErrNotFound.
	PutAccountAlias(ctx context.Context, accountID, alias string) error
	// AccountAlias returns the account's alias, "" when it has none.
	AccountAlias(ctx context.Context, accountID string) (string, error)
	// DeleteAccountAlias removes alias if it is the account's; ErrNotFound otherwise.
	DeleteAccountAlias(ctx context.Context, accountID, alias string) error
	// GetAccountSettings returns the account's settings, the zero value when it never set any.
	GetAccountSettings(ctx context.Context, accountID string) (AccountSettings, error)
	// UpdateAccountSettings is the updater (see "Updaters") of the account's settings; AccountID
	// is fixed. A missing account is ErrNotFound.
	UpdateAccountSettings(ctx context.Context, accountID string, fn func(*AccountSettings) error) (AccountSettings, error)
	// ManagesOrganization reports whether accountID is the management account of an
	// organization, that is whether at least one account is a member of its organization.
	ManagesOrganization(ctx context.Context, accountID string) (bool, error)

	// DeleteServiceLinkedRole deletes a role as DeleteRole does (ErrNotFound, ErrConflict) and
	// records the deletion task taskID of the account in the same transaction.
	DeleteServiceLinkedRole(ctx context.Context, accountID, roleID, taskID string, at time.Time) error
	// RoleDeletionTask returns when the account's deletion task taskID ran; ErrNotFound when the
	// account has no such task.
	RoleDeletionTask(ctx context.Context, accountID, taskID string) (time.Time, error)
}

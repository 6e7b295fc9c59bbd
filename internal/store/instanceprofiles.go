package store

import (
	"context"
	"time"
)

// InstanceProfile is an IAM instance profile: a named container for at most one role that EC2
// passes to an instance (IAM User Guide, "Use instance profiles"). Names are unique per account
// case-insensitively, as role names are.
type InstanceProfile struct {
	AccountID           string
	InstanceProfileID   string // AIPA…, immutable, globally unique
	InstanceProfileName string
	Path                string
	// RoleID is the unique id of the profile's role, "" while it has none.
	RoleID    string
	Tags      []Tag
	CreatedAt time.Time
}

// InstanceProfilePage is one page of ListInstanceProfiles.
type InstanceProfilePage struct {
	InstanceProfiles []InstanceProfile
	Next             string // lower-cased name marker for the next page, "" on the last page
}

// InstanceProfileStore keeps instance profiles.
type InstanceProfileStore interface {
	// CreateInstanceProfile fails with ErrAlreadyExists for a taken name and ErrNotFound when
	// the account does not exist.
	CreateInstanceProfile(ctx context.Context, p InstanceProfile) error
	// GetInstanceProfile looks a profile up by name, case-insensitively.
	GetInstanceProfile(ctx context.Context, accountID, name string) (InstanceProfile, error)
	// UpdateInstanceProfile is the updater (see "Updaters") of the profile with id. RoleID and
	// Tags may change; a RoleID naming no role fails with ErrMissingReference.
	UpdateInstanceProfile(ctx context.Context, id string, fn func(*InstanceProfile) error) (InstanceProfile, error)
	// DeleteInstanceProfile fails with ErrConflict while the profile has a role.
	DeleteInstanceProfile(ctx context.Context, accountID, id string) error
	// ListInstanceProfiles treats limit <= 0 as no limit; the path prefix and marker work as in
	// ListRoles.
	ListInstanceProfiles(ctx context.Context, accountID, pathPrefix, after string, limit int) (InstanceProfilePage, error)
	// ListInstanceProfilesForRole lists the profiles that hold the role, ordered by lower-cased
	// name.
	ListInstanceProfilesForRole(ctx context.Context, roleID string) ([]InstanceProfile, error)
}

package store

import (
	"context"
	"time"
)

// KindGroup names an IAM group as the owner of inline policies and attachments.
const KindGroup PrincipalKind = "group"

// Group is an IAM group: a named set of users whose inline and attached policies apply to every
// member (IAM User Guide, "IAM user groups"). Names are unique per account case-insensitively.
type Group struct {
	AccountID string
	GroupID   string // AGPA…, immutable, globally unique
	GroupName string
	Path      string
	CreatedAt time.Time
}

// GroupPage is one page of ListGroups.
type GroupPage struct {
	Groups []Group
	Next   string // lower-cased name marker for the next page, "" on the last page
}

// GroupStore keeps groups and their members. Group policies are inline policies and attachments
// owned by KindGroup (see PolicyStore).
type GroupStore interface {
	// CreateGroup fails with ErrAlreadyExists for a taken name, ErrNotFound when the account does
	// not exist, and ErrLimitExceeded when the account already has maxPerAccount groups (counted
	// in the inserting transaction).
	CreateGroup(ctx context.Context, g Group, maxPerAccount int) error
	// GetGroup looks a group up by name, case-insensitively.
	GetGroup(ctx context.Context, accountID, name string) (Group, error)
	GetGroupByID(ctx context.Context, groupID string) (Group, error)
	// UpdateGroup is the updater (see "Updaters") of the group with groupID. GroupName and Path
	// may change (a taken name fails with ErrAlreadyExists); AccountID, GroupID and CreatedAt are
	// fixed. Members and policies stay with the group's id.
	UpdateGroup(ctx context.Context, groupID string, fn func(*Group) error) (Group, error)
	// DeleteGroup fails with ErrConflict while the group has members, inline policies or
	// attachments.
	DeleteGroup(ctx context.Context, accountID, groupID string) error
	// ListGroups treats limit <= 0 as no limit; the path prefix and marker work as in ListUsers.
	ListGroups(ctx context.Context, accountID, pathPrefix, after string, limit int) (GroupPage, error)
	// AddUserToGroup is idempotent. It fails with ErrNotFound when the group or the user does not
	// exist or they belong to different accounts, and with ErrLimitExceeded when the user already
	// belongs to maxPerUser groups (counted in the inserting transaction).
	AddUserToGroup(ctx context.Context, groupID, userID string, maxPerUser int) error
	// RemoveUserFromGroup fails with ErrNotFound when the user is not a member.
	RemoveUserFromGroup(ctx context.Context, groupID, userID string) error
	// ListGroupMembers lists the group's users ordered by lower-cased name.
	ListGroupMembers(ctx context.Context, groupID string) ([]User, error)
	// ListGroupsForUser lists the user's groups ordered by lower-cased name.
	ListGroupsForUser(ctx context.Context, userID string) ([]Group, error)
}

package iam

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Group quotas (IAM User Guide, "IAM and AWS STS quotas": "Groups per account: 300", "Groups an
// IAM user can be a member of: 10", "Group policy size: 5,120 characters").
const (
	MaxGroupsPerAccount     = 300
	MaxGroupsPerUser        = 10
	MaxGroupInlineAggregate = 5120
)

// Group is an IAM group as IAM reports it.
type Group struct {
	AccountID string
	GroupID   string
	GroupName string
	Path      string
	ARN       string
	CreatedAt time.Time
}

// GroupARN is arn:aws:iam::ACCOUNT:group/PATH/NAME (IAM User Guide, "IAM identifiers").
func GroupARN(account, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + account + ":group" + path + name
}

func groupView(g store.Group) Group {
	return Group{AccountID: g.AccountID, GroupID: g.GroupID, GroupName: g.GroupName, Path: g.Path,
		ARN: GroupARN(g.AccountID, g.Path, g.GroupName), CreatedAt: g.CreatedAt}
}

func noSuchGroup(name string) *awserr.Error {
	return awserr.New("NoSuchEntity", http.StatusNotFound, "The group with name %s cannot be found.", name)
}

func groupExists(name string) *awserr.Error {
	return awserr.New("EntityAlreadyExists", http.StatusConflict, "Group with name %s already exists.", name)
}

// CreateGroup adds a group to the caller's account.
func (s *Service) CreateGroup(ctx context.Context, caller *principal.Principal, name, path string) (Group, error) {
	if path == "" {
		path = "/"
	}
	if err := s.authorize(ctx, caller, "iam:CreateGroup", GroupARN(caller.AccountID, path, name)); err != nil {
		return Group{}, err
	}
	if err := validatePath(path); err != nil {
		return Group{}, err
	}
	g := store.Group{AccountID: caller.AccountID, GroupID: s.IDs.UniqueID(ids.PrefixGroup), GroupName: name, Path: path,
		CreatedAt: s.Now().UTC().Truncate(time.Second)}
	switch err := s.Store.CreateGroup(ctx, g, MaxGroupsPerAccount); {
	case errors.Is(err, store.ErrAlreadyExists):
		return Group{}, groupExists(name)
	case errors.Is(err, store.ErrLimitExceeded):
		return Group{}, awserr.New("LimitExceeded", http.StatusConflict, "Cannot exceed quota for GroupsPerAccount: %d", MaxGroupsPerAccount)
	case err != nil:
		return Group{}, awserr.InternalError(err)
	}
	return groupView(g), nil
}

// authorizeGroup authorizes an action on a group (see authorizeFound); groups have no tags.
func (s *Service) authorizeGroup(ctx context.Context, caller *principal.Principal, action, name string, extra map[string][]string) (store.Group, error) {
	g, err := s.Store.GetGroup(ctx, caller.AccountID, name)
	return g, s.authorizeFound(ctx, caller, action, extra, found{
		err: err, arn: GroupARN(g.AccountID, g.Path, g.GroupName),
		missingARN: GroupARN(caller.AccountID, "/", name), notFound: func() error { return noSuchGroup(name) },
	})
}

// GetGroup returns a group and one page of its users.
func (s *Service) GetGroup(ctx context.Context, caller *principal.Principal, name, marker string, maxItems int) (Group, Page[User], error) {
	g, err := s.authorizeGroup(ctx, caller, "iam:GetGroup", name, nil)
	if err != nil {
		return Group{}, Page[User]{}, err
	}
	members, err := s.Store.ListGroupMembers(ctx, g.GroupID)
	if err != nil {
		return Group{}, Page[User]{}, awserr.InternalError(err)
	}
	page, err := paginate(members, marker, maxItems)
	if err != nil {
		return Group{}, Page[User]{}, err
	}
	return groupView(g), mapPage(page, userView), nil
}

// ListGroups lists groups under a path prefix.
func (s *Service) ListGroups(ctx context.Context, caller *principal.Principal, pathPrefix, marker string, maxItems int) (Page[Group], error) {
	l, err := s.authorizeListing(ctx, caller, "iam:ListGroups", "group/", pathPrefix, marker, maxItems)
	if err != nil {
		return Page[Group]{}, err
	}
	page, err := s.Store.ListGroups(ctx, caller.AccountID, l.pathPrefix, l.after, l.maxItems)
	if err != nil {
		return Page[Group]{}, awserr.InternalError(err)
	}
	return Page[Group]{Items: mapAll(page.Groups, groupView), IsTruncated: page.Next != "", Marker: encodeMarker(page.Next)}, nil
}

// UpdateGroupInput renames or moves a group.
type UpdateGroupInput struct {
	GroupName    string
	NewGroupName string
	NewPath      string
}

// UpdateGroup changes a group's name and/or path; its members and policies stay with it. As IAM
// documents for UpdateGroup, the caller needs the permission on the group under its old name and
// under its new one.
func (s *Service) UpdateGroup(ctx context.Context, caller *principal.Principal, in UpdateGroupInput) error {
	g, err := s.authorizeGroup(ctx, caller, "iam:UpdateGroup", in.GroupName, nil)
	if err != nil {
		return err
	}
	if in.NewPath != "" {
		if err := validatePath(in.NewPath); err != nil {
			return err
		}
	}
	next := g
	if in.NewPath != "" {
		next.Path = in.NewPath
	}
	if in.NewGroupName != "" {
		next.GroupName = in.NewGroupName
	}
	if err := s.authorize(ctx, caller, "iam:UpdateGroup", GroupARN(caller.AccountID, next.Path, next.GroupName)); err != nil {
		return err
	}
	_, err = s.Store.UpdateGroup(ctx, g.GroupID, func(cur *store.Group) error {
		cur.GroupName, cur.Path = next.GroupName, next.Path
		return nil
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return groupExists(in.NewGroupName)
	}
	if err != nil {
		return s.updateFailed(err, func() *awserr.Error { return noSuchGroup(in.GroupName) })
	}
	// Explanations name group policies by the group's name.
	s.policiesChanged()
	return nil
}

// DeleteGroup removes a group without members or policies.
func (s *Service) DeleteGroup(ctx context.Context, caller *principal.Principal, name string) error {
	g, err := s.authorizeGroup(ctx, caller, "iam:DeleteGroup", name, nil)
	if err != nil {
		return err
	}
	switch err := s.Store.DeleteGroup(ctx, caller.AccountID, g.GroupID); {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrConflict):
		return s.groupDeleteConflict(ctx, g.GroupID)
	case errors.Is(err, store.ErrNotFound):
		return noSuchGroup(name)
	default:
		return awserr.InternalError(err)
	}
}

// groupDeleteConflict says what keeps a group from being deleted as IAM does: users first, then
// policies.
func (s *Service) groupDeleteConflict(ctx context.Context, groupID string) error {
	if members, err := s.Store.ListGroupMembers(ctx, groupID); err == nil && len(members) > 0 {
		return awserr.New("DeleteConflict", http.StatusConflict, "Cannot delete entity, must remove users from group first.")
	}
	return awserr.New("DeleteConflict", http.StatusConflict, "Cannot delete entity, must delete policies first.")
}

// AddUserToGroup makes a user of the caller's account a member of a group; it is authorized on
// the group (Service Authorization Reference, "Actions defined by AWS Identity and Access
// Management"). The user's quota of groups is checked in the writing transaction.
func (s *Service) AddUserToGroup(ctx context.Context, caller *principal.Principal, groupName, userName string) error {
	g, err := s.authorizeGroup(ctx, caller, "iam:AddUserToGroup", groupName, nil)
	if err != nil {
		return err
	}
	u, err := s.lookupUser(ctx, caller, userName)
	if err != nil {
		return err
	}
	switch err := s.Store.AddUserToGroup(ctx, g.GroupID, u.UserID, MaxGroupsPerUser); {
	case errors.Is(err, store.ErrLimitExceeded):
		return awserr.New("LimitExceeded", http.StatusConflict, "Cannot exceed quota for GroupsPerUser: %d", MaxGroupsPerUser)
	case errors.Is(err, store.ErrNotFound):
		return noSuchGroup(groupName)
	case err != nil:
		return awserr.InternalError(err)
	}
	s.policiesChanged()
	return nil
}

// RemoveUserFromGroup ends a membership; a user that is not a member is NoSuchEntity, as in IAM.
func (s *Service) RemoveUserFromGroup(ctx context.Context, caller *principal.Principal, groupName, userName string) error {
	g, err := s.authorizeGroup(ctx, caller, "iam:RemoveUserFromGroup", groupName, nil)
	if err != nil {
		return err
	}
	u, err := s.lookupUser(ctx, caller, userName)
	if err != nil {
		return err
	}
	switch err := s.Store.RemoveUserFromGroup(ctx, g.GroupID, u.UserID); {
	case errors.Is(err, store.ErrNotFound):
		return noSuchUser(userName)
	case err != nil:
		return awserr.InternalError(err)
	}
	s.policiesChanged()
	return nil
}

// ListGroupsForUser lists a user's groups; it is authorized on the user.
func (s *Service) ListGroupsForUser(ctx context.Context, caller *principal.Principal, userName, marker string, maxItems int) (Page[Group], error) {
	u, err := s.authorizeUser(ctx, caller, "iam:ListGroupsForUser", userName, nil)
	if err != nil {
		return Page[Group]{}, err
	}
	groups, err := s.Store.ListGroupsForUser(ctx, u.UserID)
	if err != nil {
		return Page[Group]{}, awserr.InternalError(err)
	}
	page, err := paginate(groups, marker, maxItems)
	if err != nil {
		return Page[Group]{}, err
	}
	return mapPage(page, groupView), nil
}

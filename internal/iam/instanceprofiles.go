package iam

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// MaxRolesPerInstanceProfile is IAM's quota InstanceSessionsPerInstanceProfile (IAM User Guide,
// "IAM and AWS STS quotas": "Roles in an instance profile: 1").
const MaxRolesPerInstanceProfile = 1

// InstanceProfile is an instance profile as IAM reports it, with its role (at most one).
type InstanceProfile struct {
	AccountID           string
	InstanceProfileID   string
	InstanceProfileName string
	Path                string
	ARN                 string
	Roles               []Role
	Tags                []Tag
	CreatedAt           time.Time
}

// InstanceProfileARN is arn:aws:iam::ACCOUNT:instance-profile/PATH/NAME (IAM User Guide, "IAM
// identifiers").
func InstanceProfileARN(account, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + account + ":instance-profile" + path + name
}

func noSuchInstanceProfile(name string) *awserr.Error {
	return awserr.New("NoSuchEntity", http.StatusNotFound, "Instance Profile %s cannot be found.", name)
}

// instanceProfileView renders p with its role, looked up by id; a role that vanished in between
// is left out, as the profile no longer holds it.
func (s *Service) instanceProfileView(ctx context.Context, p store.InstanceProfile) (InstanceProfile, error) {
	out := InstanceProfile{
		AccountID: p.AccountID, InstanceProfileID: p.InstanceProfileID, InstanceProfileName: p.InstanceProfileName,
		Path: p.Path, ARN: InstanceProfileARN(p.AccountID, p.Path, p.InstanceProfileName),
		Roles: []Role{}, Tags: tagsOf(p.Tags), CreatedAt: p.CreatedAt,
	}
	if p.RoleID == "" {
		return out, nil
	}
	r, err := s.Store.GetRoleByID(ctx, p.RoleID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return out, nil
	case err != nil:
		return InstanceProfile{}, awserr.InternalError(err)
	}
	view, err := s.roleView(ctx, r)
	if err != nil {
		return InstanceProfile{}, err
	}
	out.Roles = []Role{view}
	return out, nil
}

// CreateInstanceProfileInput is the CreateInstanceProfile request.
type CreateInstanceProfileInput struct {
	InstanceProfileName string
	Path                string
	Tags                []Tag
}

// CreateInstanceProfile adds an instance profile, without a role, to the caller's account.
func (s *Service) CreateInstanceProfile(ctx context.Context, caller *principal.Principal, in CreateInstanceProfileInput) (InstanceProfile, error) {
	path := in.Path
	if path == "" {
		path = "/"
	}
	arn := InstanceProfileARN(caller.AccountID, path, in.InstanceProfileName)
	if err := s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "iam:CreateInstanceProfile", Resource: arn, ResourceAccount: caller.AccountID, Context: tagContext(in.Tags)}); err != nil {
		return InstanceProfile{}, err
	}
	if err := validatePath(path); err != nil {
		return InstanceProfile{}, err
	}
	tags, err := mergeTags(nil, storeTags(in.Tags), false)
	if err != nil {
		return InstanceProfile{}, err
	}
	p := store.InstanceProfile{
		AccountID: caller.AccountID, InstanceProfileID: s.IDs.UniqueID(ids.PrefixInstanceProfile),
		InstanceProfileName: in.InstanceProfileName, Path: path, Tags: tags,
		CreatedAt: s.Now().UTC().Truncate(time.Second),
	}
	if err := s.Store.CreateInstanceProfile(ctx, p); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return InstanceProfile{}, awserr.New("EntityAlreadyExists", http.StatusConflict, "Instance Profile %s already exists.", in.InstanceProfileName)
		}
		return InstanceProfile{}, awserr.InternalError(err)
	}
	return s.instanceProfileView(ctx, p)
}

// authorizeInstanceProfile authorizes an action on an instance profile (see authorizeFound).
func (s *Service) authorizeInstanceProfile(ctx context.Context, caller *principal.Principal, action, name string, extra map[string][]string) (store.InstanceProfile, error) {
	p, err := s.Store.GetInstanceProfile(ctx, caller.AccountID, name)
	return p, s.authorizeFound(ctx, caller, action, extra, found{
		err: err, arn: InstanceProfileARN(p.AccountID, p.Path, p.InstanceProfileName), tags: p.Tags,
		missingARN: InstanceProfileARN(caller.AccountID, "/", name), notFound: func() error { return noSuchInstanceProfile(name) },
	})
}

// GetInstanceProfile returns an instance profile with its role.
func (s *Service) GetInstanceProfile(ctx context.Context, caller *principal.Principal, name string) (InstanceProfile, error) {
	p, err := s.authorizeInstanceProfile(ctx, caller, "iam:GetInstanceProfile", name, nil)
	if err != nil {
		return InstanceProfile{}, err
	}
	return s.instanceProfileView(ctx, p)
}

// ListInstanceProfiles lists instance profiles under a path prefix.
func (s *Service) ListInstanceProfiles(ctx context.Context, caller *principal.Principal, pathPrefix, marker string, maxItems int) (Page[InstanceProfile], error) {
	l, err := s.authorizeListing(ctx, caller, "iam:ListInstanceProfiles", "instance-profile/", pathPrefix, marker, maxItems)
	if err != nil {
		return Page[InstanceProfile]{}, err
	}
	page, err := s.Store.ListInstanceProfiles(ctx, caller.AccountID, l.pathPrefix, l.after, l.maxItems)
	if err != nil {
		return Page[InstanceProfile]{}, awserr.InternalError(err)
	}
	out := Page[InstanceProfile]{IsTruncated: page.Next != "", Marker: encodeMarker(page.Next)}
	return out, s.instanceProfileViews(ctx, page.InstanceProfiles, &out.Items)
}

func (s *Service) instanceProfileViews(ctx context.Context, list []store.InstanceProfile, into *[]InstanceProfile) error {
	*into = make([]InstanceProfile, 0, len(list))
	for _, p := range list {
		v, err := s.instanceProfileView(ctx, p)
		if err != nil {
			return err
		}
		*into = append(*into, v)
	}
	return nil
}

// ListInstanceProfilesForRole lists the instance profiles that hold a role; it is authorized on
// the role, as IAM authorizes it (Service Authorization Reference, "Actions defined by AWS
// Identity and Access Management").
func (s *Service) ListInstanceProfilesForRole(ctx context.Context, caller *principal.Principal, roleName, marker string, maxItems int) (Page[InstanceProfile], error) {
	r, err := s.authorizeRole(ctx, caller, "iam:ListInstanceProfilesForRole", roleName, nil)
	if err != nil {
		return Page[InstanceProfile]{}, err
	}
	list, err := s.Store.ListInstanceProfilesForRole(ctx, r.RoleID)
	if err != nil {
		return Page[InstanceProfile]{}, awserr.InternalError(err)
	}
	page, err := paginate(list, marker, maxItems)
	if err != nil {
		return Page[InstanceProfile]{}, err
	}
	out := Page[InstanceProfile]{IsTruncated: page.IsTruncated, Marker: page.Marker}
	return out, s.instanceProfileViews(ctx, page.Items, &out.Items)
}

// DeleteInstanceProfile removes an instance profile that holds no role.
func (s *Service) DeleteInstanceProfile(ctx context.Context, caller *principal.Principal, name string) error {
	p, err := s.authorizeInstanceProfile(ctx, caller, "iam:DeleteInstanceProfile", name, nil)
	if err != nil {
		return err
	}
	switch err := s.Store.DeleteInstanceProfile(ctx, caller.AccountID, p.InstanceProfileID); {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrConflict):
		return roleStillInProfile()
	case errors.Is(err, store.ErrNotFound):
		return noSuchInstanceProfile(name)
	default:
		return awserr.InternalError(err)
	}
}

// roleStillInProfile is IAM's DeleteConflict for an instance profile that holds a role, and for
// a role that an instance profile holds.
func roleStillInProfile() *awserr.Error {
	return awserr.New("DeleteConflict", http.StatusConflict, "Cannot delete entity, must remove roles from instance profile first.")
}

// AddRoleToInstanceProfile puts a role into an instance profile. As in IAM, the caller must also
// be allowed iam:PassRole on the role (IAM API Reference, AddRoleToInstanceProfile), and a profile
// holds one role at most: the check runs on the profile as stored, in the writing transaction.
func (s *Service) AddRoleToInstanceProfile(ctx context.Context, caller *principal.Principal, profileName, roleName string) error {
	p, err := s.authorizeInstanceProfile(ctx, caller, "iam:AddRoleToInstanceProfile", profileName, nil)
	if err != nil {
		return err
	}
	r, err := s.authorizeRole(ctx, caller, "iam:PassRole", roleName, nil)
	if err != nil {
		return err
	}
	if IsServiceLinked(r.Path) {
		// Only its service puts a service-linked role to use; AddRoleToInstanceProfile's errors
		// (IAM API Reference) include UnmodifiableEntity.
		return unmodifiableRole(r.RoleName)
	}
	_, err = s.Store.UpdateInstanceProfile(ctx, p.InstanceProfileID, func(cur *store.InstanceProfile) error {
		if cur.RoleID != "" {
			return awserr.New("LimitExceeded", http.StatusConflict, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: %d", MaxRolesPerInstanceProfile)
		}
		cur.RoleID = r.RoleID
		return nil
	})
	if errors.Is(err, store.ErrMissingReference) {
		return noSuchRole(roleName)
	}
	if err != nil {
		return s.updateFailed(err, func() *awserr.Error { return noSuchInstanceProfile(profileName) })
	}
	return nil
}

// RemoveRoleFromInstanceProfile takes the role out of an instance profile; a role the profile does
// not hold is NoSuchEntity, as in IAM.
func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, caller *principal.Principal, profileName, roleName string) error {
	p, err := s.authorizeInstanceProfile(ctx, caller, "iam:RemoveRoleFromInstanceProfile", profileName, nil)
	if err != nil {
		return err
	}
	r, err := s.lookupRole(ctx, caller, roleName)
	if err != nil {
		return err
	}
	_, err = s.Store.UpdateInstanceProfile(ctx, p.InstanceProfileID, func(cur *store.InstanceProfile) error {
		if cur.RoleID != r.RoleID {
			return noSuchRole(roleName)
		}
		cur.RoleID = ""
		return nil
	})
	if err != nil {
		return s.updateFailed(err, func() *awserr.Error { return noSuchInstanceProfile(profileName) })
	}
	return nil
}

func instanceProfileTags(p *store.InstanceProfile) *[]store.Tag { return &p.Tags }

// changeInstanceProfile authorizes action on a profile and runs change on it in one store
// transaction, keyed by the profile's unique id.
func (s *Service) changeInstanceProfile(ctx context.Context, caller *principal.Principal, action, name string, extra map[string][]string, change func(*store.InstanceProfile) error) error {
	p, err := s.authorizeInstanceProfile(ctx, caller, action, name, extra)
	if err != nil {
		return err
	}
	if _, err := s.Store.UpdateInstanceProfile(ctx, p.InstanceProfileID, change); err != nil {
		return s.updateFailed(err, func() *awserr.Error { return noSuchInstanceProfile(name) })
	}
	return nil
}

// TagInstanceProfile adds or replaces tags.
func (s *Service) TagInstanceProfile(ctx context.Context, caller *principal.Principal, name string, tags []Tag) error {
	return s.changeInstanceProfile(ctx, caller, "iam:TagInstanceProfile", name, tagContext(tags), tagger(tags, false, instanceProfileTags))
}

// UntagInstanceProfile removes tags by key.
func (s *Service) UntagInstanceProfile(ctx context.Context, caller *principal.Principal, name string, keys []string) error {
	return s.changeInstanceProfile(ctx, caller, "iam:UntagInstanceProfile", name, map[string][]string{"aws:TagKeys": keys}, untagger(keys, false, instanceProfileTags))
}

// ListInstanceProfileTags pages through an instance profile's tags.
func (s *Service) ListInstanceProfileTags(ctx context.Context, caller *principal.Principal, name, marker string, maxItems int) (Page[Tag], error) {
	p, err := s.authorizeInstanceProfile(ctx, caller, "iam:ListInstanceProfileTags", name, nil)
	if err != nil {
		return Page[Tag]{}, err
	}
	return listTags(p.Tags, marker, maxItems)
}

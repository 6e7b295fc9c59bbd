package iam

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// GetAccountAuthorizationDetails (IAM API Reference) lists the account's users, groups, roles
// and managed policies with their relationships, in that order, paged across the whole combined
// listing. Each entity type is listed in lower-cased name order, and a marker names the entity
// type and the last name it returned, so a page resumes after that name as the List… operations
// do. Pages are separate reads, not one snapshot: an entity created, deleted or renamed between
// two pages is shown or left out according to where its name falls relative to the marker, and
// is never shown twice under one name.

// The entity types of GetAccountAuthorizationDetails's Filter, in the order its answer lists them.
const (
	EntityUser               = "User"
	EntityGroup              = "Group"
	EntityRole               = "Role"
	EntityLocalManagedPolicy = "LocalManagedPolicy"
	EntityAWSManagedPolicy   = "AWSManagedPolicy"
)

var authDetailSections = []string{EntityUser, EntityGroup, EntityRole, EntityLocalManagedPolicy, EntityAWSManagedPolicy}

// UserDetail is a user with its inline policies, group names and attached policies.
type UserDetail struct {
	User
	InlinePolicies []InlinePolicy
	Groups         []string
	Attached       []Attachment
}

// GroupDetail is a group with its inline and attached policies.
type GroupDetail struct {
	Group
	InlinePolicies []InlinePolicy
	Attached       []Attachment
}

// RoleDetail is a role with its instance profiles and its inline and attached policies.
type RoleDetail struct {
	Role
	InstanceProfiles []InstanceProfile
	InlinePolicies   []InlinePolicy
	Attached         []Attachment
}

// PolicyDetail is a managed policy with every version and its document.
type PolicyDetail struct {
	ManagedPolicy
	Versions []PolicyVersion
}

// AuthorizationDetails is one page of GetAccountAuthorizationDetails.
type AuthorizationDetails struct {
	Users       []UserDetail
	Groups      []GroupDetail
	Roles       []RoleDetail
	Policies    []PolicyDetail
	IsTruncated bool
	Marker      string
}

// GetAccountAuthorizationDetails returns one page of the caller's account's authorization
// details: the entity types filter names (every type when it is empty), at most maxItems
// entities (100 when 0) counted across types. It is authorized as iam:GetAccountAuthorizationDetails
// on "*" and never shows another account's entities: AWS managed policies are listed when this
// account uses them, with this account's attachment and boundary counts.
func (s *Service) GetAccountAuthorizationDetails(ctx context.Context, caller *principal.Principal, filter []string, marker string, maxItems int) (AuthorizationDetails, error) {
	if err := s.authorizeAccount(ctx, caller, "iam:GetAccountAuthorizationDetails"); err != nil {
		return AuthorizationDetails{}, err
	}
	include, err := authDetailFilter(filter)
	if err != nil {
		return AuthorizationDetails{}, err
	}
	start, after, err := decodeAuthMarker(marker)
	if err != nil {
		return AuthorizationDetails{}, err
	}
	if maxItems <= 0 {
		maxItems = DefaultMaxItems
	}
	var out AuthorizationDetails
	room := maxItems
	for i := start; i < len(authDetailSections); i++ {
		section := authDetailSections[i]
		if i > start {
			after = ""
		}
		if !include[section] {
			continue
		}
		if room == 0 {
			// The page is full; it is truncated only when a later type still has an entity.
			var peek AuthorizationDetails
			n, _, err := s.authSection(ctx, caller.AccountID, section, "", 1, &peek)
			if err != nil {
				return AuthorizationDetails{}, err
			}
			if n > 0 {
				out.IsTruncated, out.Marker = true, encodeAuthMarker(i, "")
				return out, nil
			}
			continue
		}
		n, next, err := s.authSection(ctx, caller.AccountID, section, after, room, &out)
		if err != nil {
			return AuthorizationDetails{}, err
		}
		room -= n
		if next != "" {
			out.IsTruncated, out.Marker = true, encodeAuthMarker(i, next)
			return out, nil
		}
	}
	return out, nil
}

func authDetailFilter(filter []string) (map[string]bool, error) {
	include := map[string]bool{}
	for _, f := range filter {
		ok := false
		for _, s := range authDetailSections {
			ok = ok || f == s
		}
		if !ok {
			return nil, awserr.New("ValidationError", http.StatusBadRequest,
				"Value '%s' at 'filter' failed to satisfy constraint: Member must satisfy enum value set: [%s]", f, strings.Join(authDetailSections, ", "))
		}
		include[f] = true
	}
	if len(filter) == 0 {
		for _, s := range authDetailSections {
			include[s] = true
		}
	}
	return include, nil
}

// The marker is the index of the entity type and the last name shown of it ("" to start it).
func encodeAuthMarker(section int, after string) string {
	return encodeMarker(strconv.Itoa(section) + "/" + after)
}

func decodeAuthMarker(marker string) (int, string, error) {
	raw, err := decodeMarker(marker)
	if err != nil || raw == "" {
		return 0, "", err
	}
	idx, after, ok := strings.Cut(raw, "/")
	section, err := strconv.Atoi(idx)
	if !ok || err != nil || section < 0 || section >= len(authDetailSections) {
		return 0, "", invalidMarker()
	}
	return section, after, nil
}

// authSection appends to out up to limit entities of one type after the name after, and
// returns how many it appended and the marker name of the next entity ("" when none is left).
func (s *Service) authSection(ctx context.Context, account, section, after string, limit int, out *AuthorizationDetails) (int, string, error) {
	switch section {
	case EntityUser:
		return s.userDetails(ctx, account, after, limit, out)
	case EntityGroup:
		return s.groupDetails(ctx, account, after, limit, out)
	case EntityRole:
		return s.roleDetails(ctx, account, after, limit, out)
	case EntityLocalManagedPolicy:
		page, err := s.Store.ListManagedPolicies(ctx, account, "/", false, after, limit)
		if err != nil {
			return 0, "", awserr.InternalError(err)
		}
		return len(page.Policies), page.Next, s.policyDetails(ctx, page.Policies, out)
	default:
		return s.awsPolicyDetails(ctx, account, after, limit, out)
	}
}

// ownedPolicies reads the inline policies and attachments of one user, group or role.
func (s *Service) ownedPolicies(ctx context.Context, kind store.PrincipalKind, id string) ([]InlinePolicy, []Attachment, error) {
	inline, err := s.Store.ListInlinePolicies(ctx, kind, id)
	if err != nil {
		return nil, nil, awserr.InternalError(err)
	}
	atts, err := s.Store.ListAttachments(ctx, kind, id)
	if err != nil {
		return nil, nil, awserr.InternalError(err)
	}
	return mapAll(inline, func(p store.InlinePolicy) InlinePolicy {
		return InlinePolicy{PolicyName: p.PolicyName, Document: p.Document}
	}), mapAll(atts, attachmentOf), nil
}

func (s *Service) userDetails(ctx context.Context, account, after string, limit int, out *AuthorizationDetails) (int, string, error) {
	page, err := s.Store.ListUsers(ctx, account, "/", after, limit)
	if err != nil {
		return 0, "", awserr.InternalError(err)
	}
	for _, u := range page.Users {
		d := UserDetail{User: userView(u), Groups: []string{}}
		if d.InlinePolicies, d.Attached, err = s.ownedPolicies(ctx, store.KindUser, u.UserID); err != nil {
			return 0, "", err
		}
		groups, err := s.Store.ListGroupsForUser(ctx, u.UserID)
		if err != nil {
			return 0, "", awserr.InternalError(err)
		}
		for _, g := range groups {
			d.Groups = append(d.Groups, g.GroupName)
		}
		out.Users = append(out.Users, d)
	}
	return len(page.Users), page.Next, nil
}

func (s *Service) groupDetails(ctx context.Context, account, after string, limit int, out *AuthorizationDetails) (int, string, error) {
	page, err := s.Store.ListGroups(ctx, account, "/", after, limit)
	if err != nil {
		return 0, "", awserr.InternalError(err)
	}
	for _, g := range page.Groups {
		d := GroupDetail{Group: groupView(g)}
		if d.InlinePolicies, d.Attached, err = s.ownedPolicies(ctx, store.KindGroup, g.GroupID); err != nil {
			return 0, "", err
		}
		out.Groups = append(out.Groups, d)
	}
	return len(page.Groups), page.Next, nil
}

func (s *Service) roleDetails(ctx context.Context, account, after string, limit int, out *AuthorizationDetails) (int, string, error) {
	page, err := s.Store.ListRoles(ctx, account, "/", after, limit)
	if err != nil {
		return 0, "", awserr.InternalError(err)
	}
	views, err := s.roleViews(ctx, page.Roles)
	if err != nil {
		return 0, "", err
	}
	for i, r := range page.Roles {
		d := RoleDetail{Role: views[i]}
		if d.InlinePolicies, d.Attached, err = s.ownedPolicies(ctx, store.KindRole, r.RoleID); err != nil {
			return 0, "", err
		}
		profiles, err := s.Store.ListInstanceProfilesForRole(ctx, r.RoleID)
		if err != nil {
			return 0, "", awserr.InternalError(err)
		}
		if err := s.instanceProfileViews(ctx, profiles, &d.InstanceProfiles); err != nil {
			return 0, "", err
		}
		out.Roles = append(out.Roles, d)
	}
	return len(page.Roles), page.Next, nil
}

func (s *Service) policyDetails(ctx context.Context, policies []store.ManagedPolicy, out *AuthorizationDetails) error {
	for _, p := range policies {
		versions, err := s.Store.ListPolicyVersions(ctx, p.ARN)
		if err != nil {
			return awserr.InternalError(err)
		}
		out.Policies = append(out.Policies, PolicyDetail{ManagedPolicy: policyOf(p), Versions: mapAll(versions, versionOf)})
	}
	return nil
}

// awsPolicyDetails pages the AWS managed policies the account uses: attached to one of its
// users, groups or roles, or the permissions boundary of one of its users or roles. An AWS
// managed policy is shared by every account, so its counts are recomputed for this account alone.
func (s *Service) awsPolicyDetails(ctx context.Context, account, after string, limit int, out *AuthorizationDetails) (int, string, error) {
	used, err := s.awsPoliciesInUse(ctx, account)
	if err != nil {
		return 0, "", err
	}
	i := sort.Search(len(used), func(i int) bool { return strings.ToLower(used[i].PolicyName) > strings.ToLower(after) })
	used = used[i:]
	next := ""
	if len(used) > limit {
		used = used[:limit]
		next = strings.ToLower(used[limit-1].PolicyName)
	}
	return len(used), next, s.policyDetails(ctx, used, out)
}

// awsPoliciesInUse returns the AWS managed policies the account uses, ordered by lower-cased
// name, with AttachmentCount and BoundaryUsageCount counting this account's entities only.
func (s *Service) awsPoliciesInUse(ctx context.Context, account string) ([]store.ManagedPolicy, error) {
	owners, boundaries, err := s.accountEntities(ctx, account)
	if err != nil {
		return nil, err
	}
	attached, err := s.Store.ListManagedPolicies(ctx, store.AWSManagedPolicyAccount, "/", true, "", 0)
	if err != nil {
		return nil, awserr.InternalError(err)
	}
	byARN := map[string]store.ManagedPolicy{}
	for _, p := range attached.Policies {
		atts, err := s.Store.ListPolicyAttachments(ctx, p.ARN)
		if err != nil {
			return nil, awserr.InternalError(err)
		}
		p.AttachmentCount = 0
		for _, a := range atts {
			if owners[a.OwnerID] {
				p.AttachmentCount++
			}
		}
		byARN[p.ARN] = p
	}
	for arn := range boundaries {
		if _, ok := byARN[arn]; ok || policyAccount(arn) != store.AWSManagedPolicyAccount {
			continue
		}
		p, err := s.Store.GetManagedPolicy(ctx, arn)
		if err != nil {
			return nil, awserr.InternalError(err)
		}
		p.AttachmentCount = 0
		byARN[arn] = p
	}
	var used []store.ManagedPolicy
	for arn, p := range byARN {
		p.BoundaryUsageCount = boundaries[arn]
		if p.AttachmentCount > 0 || p.BoundaryUsageCount > 0 {
			used = append(used, p)
		}
	}
	sort.Slice(used, func(i, j int) bool { return strings.ToLower(used[i].PolicyName) < strings.ToLower(used[j].PolicyName) })
	return used, nil
}

// accountEntities returns the ids of the account's users, groups and roles, and how many of its
// users and roles use each permissions boundary.
func (s *Service) accountEntities(ctx context.Context, account string) (map[string]bool, map[string]int, error) {
	owners, boundaries := map[string]bool{}, map[string]int{}
	users, err := s.Store.ListUsers(ctx, account, "/", "", 0)
	if err != nil {
		return nil, nil, awserr.InternalError(err)
	}
	for _, u := range users.Users {
		owners[u.UserID] = true
		if u.PermissionsBoundary != "" {
			boundaries[u.PermissionsBoundary]++
		}
	}
	roles, err := s.Store.ListRoles(ctx, account, "/", "", 0)
	if err != nil {
		return nil, nil, awserr.InternalError(err)
	}
	for _, r := range roles.Roles {
		owners[r.RoleID] = true
		if r.PermissionsBoundary != "" {
			boundaries[r.PermissionsBoundary]++
		}
	}
	groups, err := s.Store.ListGroups(ctx, account, "/", "", 0)
	if err != nil {
		return nil, nil, awserr.InternalError(err)
	}
	for _, g := range groups.Groups {
		owners[g.GroupID] = true
	}
	return owners, boundaries, nil
}

package iam

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Role quotas (shared/spec/iam.md §3).
const (
	MaxTrustPolicySize        = 2048
	DefaultMaxSessionDuration = 3600
)

// Role is a role as IAM reports it.
type Role struct {
	store.Role
	ARN string
}

func roleView(r store.Role) Role {
	return Role{Role: r, ARN: principal.RoleARNOf(r.AccountID, r.Path, r.RoleName)}
}

func noSuchRole(name string) *awserr.Error {
	return awserr.New("NoSuchEntity", http.StatusNotFound, "The role with name %s cannot be found.", name)
}

func malformed(err error) error {
	var pe *policy.ParseError
	if errors.As(err, &pe) {
		return awserr.New("MalformedPolicyDocument", http.StatusBadRequest, "%s", pe.Message)
	}
	return awserr.New("MalformedPolicyDocument", http.StatusBadRequest, "Syntax errors in policy.")
}

// validateTrust checks a trust policy for grammar, the ACLSizePerRole quota, and that every IAM
// user or role it names exists, as IAM does when the policy is saved.
func (s *Service) validateTrust(ctx context.Context, doc string) error {
	p, err := policy.Parse("trust", doc, policy.Trust)
	if err != nil {
		return malformed(err)
	}
	if policy.SizeWithoutWhitespace(doc) > MaxTrustPolicySize {
		return awserr.New("LimitExceeded", http.StatusConflict, "Cannot exceed quota for ACLSizePerRole: %d", MaxTrustPolicySize)
	}
	for _, ref := range p.Principals() {
		if ref.Type != "AWS" {
			continue
		}
		exists, err := s.principalExists(ctx, ref.Value)
		if err != nil {
			return err
		}
		if !exists {
			return awserr.New("MalformedPolicyDocument", http.StatusBadRequest, `Invalid principal in policy: "AWS":"%s"`, ref.Value)
		}
	}
	return nil
}

var iamEntityARN = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):(user|role)(/(?:[\x21-\x7E]*/)?)([\w+=,.@-]+)$`)

// principalExists reports whether an IAM user or role ARN names an existing entity. Other
// principal forms (accounts, root, sessions, wildcards) are not entities that must exist.
func (s *Service) principalExists(ctx context.Context, arn string) (bool, error) {
	m := iamEntityARN.FindStringSubmatch(arn)
	if m == nil {
		return true, nil
	}
	account, kind, path, name := m[1], m[2], m[3], m[4]
	var err error
	var gotPath string
	if kind == "user" {
		var u store.User
		u, err = s.Store.GetUser(ctx, account, name)
		gotPath = u.Path
	} else {
		var r store.Role
		r, err = s.Store.GetRole(ctx, account, name)
		gotPath = r.Path
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, s.storeErr(err)
	}
	return gotPath == path, nil
}

func roleResource(account, path, name string) string {
	if path == "" {
		path = "/"
	}
	return principal.RoleARNOf(account, path, name)
}

func tagContext(tags []store.Tag) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	ctx := map[string][]string{}
	var keys []string
	for _, t := range tags {
		ctx["aws:RequestTag/"+t.Key] = []string{t.Value}
		keys = append(keys, t.Key)
	}
	ctx["aws:TagKeys"] = keys
	return ctx
}

// CreateRoleInput is the CreateRole request.
type CreateRoleInput struct {
	RoleName                 string
	Path                     string
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       int
	PermissionsBoundary      string
	Tags                     []store.Tag
}

// CreateRole adds a role to the caller's account.
func (s *Service) CreateRole(ctx context.Context, caller *principal.Principal, in CreateRoleInput) (Role, error) {
	path := in.Path
	if path == "" {
		path = "/"
	}
	arn := roleResource(caller.AccountID, path, in.RoleName)
	if err := s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "iam:CreateRole", Resource: arn, ResourceAccount: caller.AccountID, Context: tagContext(in.Tags)}); err != nil {
		return Role{}, err
	}
	if err := validatePath(path); err != nil {
		return Role{}, err
	}
	if err := s.validateTrust(ctx, in.AssumeRolePolicyDocument); err != nil {
		return Role{}, err
	}
	tags, err := mergeTags(nil, in.Tags, true)
	if err != nil {
		return Role{}, err
	}
	if in.PermissionsBoundary != "" {
		if err := s.checkBoundary(ctx, in.PermissionsBoundary); err != nil {
			return Role{}, err
		}
	}
	msd := in.MaxSessionDuration
	if msd == 0 {
		msd = DefaultMaxSessionDuration
	}
	r := store.Role{
		AccountID:                caller.AccountID,
		RoleID:                   s.IDs.UniqueID(ids.PrefixRole),
		RoleName:                 in.RoleName,
		Path:                     path,
		AssumeRolePolicyDocument: in.AssumeRolePolicyDocument,
		Description:              in.Description,
		MaxSessionDuration:       msd,
		PermissionsBoundary:      in.PermissionsBoundary,
		Tags:                     tags,
		CreatedAt:                s.Now().UTC().Truncate(time.Second),
	}
	if err := s.Store.CreateRole(ctx, r); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return Role{}, awserr.New("EntityAlreadyExists", http.StatusConflict, "Role with name %s already exists.", in.RoleName)
		}
		return Role{}, s.storeErr(err)
	}
	return roleView(r), nil
}

func (s *Service) lookupRole(ctx context.Context, caller *principal.Principal, name string) (store.Role, error) {
	r, err := s.Store.GetRole(ctx, caller.AccountID, name)
	if errors.Is(err, store.ErrNotFound) {
		return r, noSuchRole(name)
	}
	if err != nil {
		return r, s.storeErr(err)
	}
	return r, nil
}

// authorizeRole authorizes an action on an existing role, with its tags as resource tags.
func (s *Service) authorizeRole(ctx context.Context, caller *principal.Principal, action, name string, extra map[string][]string) (store.Role, error) {
	r, err := s.Store.GetRole(ctx, caller.AccountID, name)
	resource := roleResource(caller.AccountID, "/", name)
	var tags []store.Tag
	switch {
	case err == nil:
		resource, tags = principal.RoleARNOf(r.AccountID, r.Path, r.RoleName), r.Tags
	case !errors.Is(err, store.ErrNotFound):
		return r, s.storeErr(err)
	}
	if aerr := s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: action, Resource: resource, ResourceAccount: caller.AccountID, ResourceTags: tags, Context: extra}); aerr != nil {
		return r, aerr
	}
	if err != nil {
		return r, noSuchRole(name)
	}
	return r, nil
}

// GetRole returns a role.
func (s *Service) GetRole(ctx context.Context, caller *principal.Principal, name string) (Role, error) {
	r, err := s.authorizeRole(ctx, caller, "iam:GetRole", name, nil)
	if err != nil {
		return Role{}, err
	}
	return roleView(r), nil
}

// ListRoles lists roles under a path prefix.
func (s *Service) ListRoles(ctx context.Context, caller *principal.Principal, pathPrefix, marker string, maxItems int) (Page[Role], error) {
	if err := s.authorize(ctx, caller, "iam:ListRoles", "arn:aws:iam::"+caller.AccountID+":role/"); err != nil {
		return Page[Role]{}, err
	}
	if pathPrefix == "" {
		pathPrefix = "/"
	}
	if maxItems == 0 {
		maxItems = DefaultMaxItems
	}
	after, err := decodeMarker(marker)
	if err != nil {
		return Page[Role]{}, err
	}
	page, err := s.Store.ListRoles(ctx, caller.AccountID, pathPrefix, after, maxItems)
	if err != nil {
		return Page[Role]{}, s.storeErr(err)
	}
	out := Page[Role]{IsTruncated: page.Next != "", Marker: encodeMarker(page.Next)}
	for _, r := range page.Roles {
		out.Items = append(out.Items, roleView(r))
	}
	return out, nil
}

// UpdateRole changes the description and/or the maximum session duration.
func (s *Service) UpdateRole(ctx context.Context, caller *principal.Principal, name string, description *string, maxSession int) (Role, error) {
	return s.changeRole(ctx, caller, "iam:UpdateRole", name, nil, false, nil, func(r *store.Role) error {
		if description != nil {
			r.Description = *description
		}
		if maxSession != 0 {
			r.MaxSessionDuration = maxSession
		}
		return nil
	})
}

// UpdateRoleDescription changes only the description.
func (s *Service) UpdateRoleDescription(ctx context.Context, caller *principal.Principal, name, description string) (Role, error) {
	return s.changeRole(ctx, caller, "iam:UpdateRoleDescription", name, nil, false, nil, func(r *store.Role) error {
		r.Description = description
		return nil
	})
}

// UpdateAssumeRolePolicy replaces the trust policy wholesale.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, caller *principal.Principal, name, doc string) error {
	check := func(context.Context, store.Role) error { return s.validateTrust(ctx, doc) }
	_, err := s.changeRole(ctx, caller, "iam:UpdateAssumeRolePolicy", name, nil, false, check, func(r *store.Role) error {
		r.AssumeRolePolicyDocument = doc
		return nil
	})
	return err
}

// changeRole authorizes action on a role, runs check (which may read the store, so it runs
// before the transaction), then runs change on the role in one store transaction, keyed by the
// role's unique id so that a role deleted and re-created under the same name in between is not
// changed. modeled says whether the operation's model has ConcurrentModification.
func (s *Service) changeRole(ctx context.Context, caller *principal.Principal, action, name string, extra map[string][]string,
	modeled bool, check func(context.Context, store.Role) error, change func(*store.Role) error) (Role, error) {
	r, err := s.authorizeRole(ctx, caller, action, name, extra)
	if err != nil {
		return Role{}, err
	}
	if check != nil {
		if err := check(ctx, r); err != nil {
			return Role{}, err
		}
	}
	r, err = s.Store.UpdateRole(ctx, r.RoleID, change)
	if err != nil {
		return Role{}, s.updateFailed(err, func() *awserr.Error { return noSuchRole(name) }, modeled)
	}
	return roleView(r), nil
}

// DeleteRole removes a role that has no policies left.
func (s *Service) DeleteRole(ctx context.Context, caller *principal.Principal, name string) error {
	r, err := s.authorizeRole(ctx, caller, "iam:DeleteRole", name, nil)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteRole(ctx, caller.AccountID, r.RoleID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return awserr.New("DeleteConflict", http.StatusConflict, "Cannot delete entity, must remove policies first.")
		}
		if errors.Is(err, store.ErrNotFound) {
			return noSuchRole(name)
		}
		return s.storeErr(err)
	}
	s.policiesChanged()
	return nil
}

func roleTags(r *store.Role) *[]store.Tag { return &r.Tags }

// TagRole adds or replaces tags; role tag keys compare case-insensitively.
func (s *Service) TagRole(ctx context.Context, caller *principal.Principal, name string, tags []store.Tag) error {
	_, err := s.changeRole(ctx, caller, "iam:TagRole", name, tagContext(tags), true, nil, tagger(tags, true, roleTags))
	return err
}

// UntagRole removes tags by key.
func (s *Service) UntagRole(ctx context.Context, caller *principal.Principal, name string, keys []string) error {
	_, err := s.changeRole(ctx, caller, "iam:UntagRole", name, map[string][]string{"aws:TagKeys": keys}, true, nil, untagger(keys, true, roleTags))
	return err
}

// ListRoleTags pages through a role's tags.
func (s *Service) ListRoleTags(ctx context.Context, caller *principal.Principal, name, marker string, maxItems int) (Page[store.Tag], error) {
	r, err := s.authorizeRole(ctx, caller, "iam:ListRoleTags", name, nil)
	if err != nil {
		return Page[store.Tag]{}, err
	}
	return paginate(r.Tags, marker, maxItems)
}

func dropTags(tags []store.Tag, keys []string, caseInsensitive bool) []store.Tag {
	drop := map[string]bool{}
	norm := tagKeyNorm(caseInsensitive)
	for _, k := range keys {
		drop[norm(k)] = true
	}
	kept := make([]store.Tag, 0, len(tags))
	for _, t := range tags {
		if !drop[norm(t.Key)] {
			kept = append(kept, t)
		}
	}
	return kept
}

package iam

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Role quotas (IAM User Guide, "IAM and AWS STS quotas").
const (
	MaxTrustPolicySize        = 2048
	DefaultMaxSessionDuration = 3600
)

// roleView is a role as IAM shows it, its trust policy rendered (see roleViews).
func (s *Service) roleView(ctx context.Context, r store.Role) (Role, error) {
	views, err := s.roleViews(ctx, []store.Role{r})
	if err != nil {
		return Role{}, err
	}
	return views[0], nil
}

// roleViews renders roles as IAM shows them. Their trust policies are shown as written, except
// that each bound principal is shown as what its unique id names now: the current ARN of a user
// renamed or moved since (IAM User Guide, "Rename an IAM user": role policies that refer to the
// user as a principal "are automatically updated to use the new name or path"), or the unique id
// itself once the user or role is gone, since "AWS can no longer map it back to an ARN" (IAM
// User Guide, "AWS JSON policy elements: Principal"). The bound principals of every role are
// looked up together.
func (s *Service) roleViews(ctx context.Context, roles []store.Role) ([]Role, error) {
	var ids []string
	seen := map[string]bool{}
	for _, r := range roles {
		for _, b := range r.PrincipalBindings {
			if !seen[b.ID] {
				seen[b.ID] = true
				ids = append(ids, b.ID)
			}
		}
	}
	found := map[string]store.PrincipalEntity{}
	if len(ids) > 0 {
		entities, err := s.Store.GetPrincipalsByID(ctx, ids)
		if err != nil {
			return nil, awserr.InternalError(err)
		}
		for _, e := range entities {
			found[e.ID] = e
		}
	}
	out := make([]Role, len(roles))
	for i, r := range roles {
		r.AssumeRolePolicyDocument = renderTrust(r, found)
		out[i] = roleOf(r)
	}
	return out, nil
}

// renderTrust maps each bound principal of r's trust policy back through its unique id; found
// holds the users and roles that still exist. The document is only parsed when some principal
// is shown otherwise than it is written.
func renderTrust(r store.Role, found map[string]store.PrincipalEntity) string {
	var shown map[string]string
	for _, b := range r.PrincipalBindings {
		if s := showPrincipal(b, found); s != b.Principal {
			if shown == nil {
				shown = map[string]string{}
			}
			shown[b.Principal] = s
		}
	}
	if shown == nil {
		return r.AssumeRolePolicyDocument
	}
	return policy.RenderPrincipals(r.AssumeRolePolicyDocument, func(v string) (string, bool) {
		s, ok := shown[v]
		return s, ok
	})
}

// showPrincipal is how IAM shows one bound principal: by the current ARN of the entity its id
// names, or by the id once that entity is gone.
func showPrincipal(b store.PrincipalBinding, found map[string]store.PrincipalEntity) string {
	n, ok := policy.ParseNamedPrincipal(b.Principal)
	if !ok {
		return b.Principal
	}
	e, exists := found[b.ID]
	switch {
	case !exists && n.Kind == policy.NamedSession:
		// A session is known by its role's id and its name, as aws:userid spells it.
		return b.ID + ":" + n.Session
	case !exists:
		return b.ID
	case e.Kind == store.KindUser:
		return principal.UserARN(e.AccountID, e.Path, e.Name)
	case n.Kind == policy.NamedSession:
		return principal.AssumedRoleARN(e.AccountID, e.Name, n.Session)
	}
	return principal.RoleARNOf(e.AccountID, e.Path, e.Name)
}

func noSuchRole(name string) *awserr.Error {
	return awserr.New("NoSuchEntity", http.StatusNotFound, "The role with name %s cannot be found.", name)
}

func malformed(err error) error {
	var pe *policy.ParseError
	if errors.As(err, &pe) {
		e := awserr.New("MalformedPolicyDocument", http.StatusBadRequest, "%s", pe.Message)
		e.Cause = explain.Wrap(pe.Explain(), nil)
		return e
	}
	return awserr.New("MalformedPolicyDocument", http.StatusBadRequest, "Syntax errors in policy.")
}

// bindTrust checks a trust policy for grammar and the ACLSizePerRole quota, and binds every IAM
// user, role and role session it names to the unique id that principal has now, as IAM does when
// the policy is saved (IAM User Guide, "AWS JSON policy elements: Principal": "When you save the
// policy, AWS transforms the ARN to a unique principal ID"). A named principal that does not
// exist is refused as IAM refuses it, and so is a unique id written as a principal: it is how
// IAM shows a principal that is gone, and IAM asks for it to be removed or replaced by an ARN.
func (s *Service) bindTrust(ctx context.Context, doc string) ([]store.PrincipalBinding, error) {
	p, err := policy.Parse("trust", doc, policy.Trust)
	if err != nil {
		return nil, malformed(err)
	}
	if policy.SizeWithoutWhitespace(doc) > MaxTrustPolicySize {
		return nil, awserr.New("LimitExceeded", http.StatusConflict, "Cannot exceed quota for ACLSizePerRole: %d", MaxTrustPolicySize)
	}
	bindings, missing, err := s.resolvePrincipals(ctx, p)
	if err != nil {
		return nil, err
	}
	if missing != "" {
		return nil, awserr.New("MalformedPolicyDocument", http.StatusBadRequest, `Invalid principal in policy: "AWS":"%s"`, missing)
	}
	return bindings, nil
}

// resolvePrincipals binds each distinct AWS principal of p that IAM binds to the unique id its
// entity has now; missing is the first one that names nothing.
func (s *Service) resolvePrincipals(ctx context.Context, p *policy.Policy) (bindings []store.PrincipalBinding, missing string, err error) {
	seen := map[string]bool{}
	for _, ref := range p.Principals() {
		if ref.Type != "AWS" || seen[ref.Value] {
			continue
		}
		seen[ref.Value] = true
		n, ok := policy.ParseNamedPrincipal(ref.Value)
		if !ok {
			continue
		}
		if n.Kind == policy.NamedUserID || n.Kind == policy.NamedRoleID {
			// A unique id is what IAM shows for a principal that is gone, and IAM asks for it
			// to be removed or replaced by an ARN. Accepting an existing entity's id would
			// also show its owner's ARN to any account that learned the id.
			if missing == "" {
				missing = ref.Value
			}
			continue
		}
		id, err := s.principalID(ctx, n)
		if err != nil {
			return nil, "", err
		}
		if id == "" {
			if missing == "" {
				missing = ref.Value
			}
			continue
		}
		bindings = append(bindings, store.PrincipalBinding{Principal: ref.Value, ID: id})
	}
	return bindings, missing, nil
}

// principalID returns the unique id of the user or role n names, "" when there is none. Names
// compare as IAM's do (case-insensitively), paths exactly; a role session names its role.
func (s *Service) principalID(ctx context.Context, n policy.NamedPrincipal) (string, error) {
	var id, path string
	var err error
	switch n.Kind {
	case policy.NamedUser:
		var u store.User
		u, err = s.Store.GetUser(ctx, n.Account, n.Name)
		id, path = u.UserID, u.Path
	case policy.NamedRole, policy.NamedSession:
		var r store.Role
		r, err = s.Store.GetRole(ctx, n.Account, n.Name)
		id, path = r.RoleID, r.Path
		if n.Kind == policy.NamedSession {
			n.Path = path // a session ARN carries no path
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil
	case err != nil:
		return "", awserr.InternalError(err)
	case path != n.Path:
		return "", nil
	}
	return id, nil
}

func roleResource(account, path, name string) string {
	if path == "" {
		path = "/"
	}
	return principal.RoleARNOf(account, path, name)
}

// CreateRoleInput is the CreateRole request.
type CreateRoleInput struct {
	RoleName                 string
	Path                     string
	AssumeRolePolicyDocument string
	Description              string
	MaxSessionDuration       int
	PermissionsBoundary      string
	Tags                     []Tag
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
	if err := refuseReservedPath(path); err != nil {
		return Role{}, err
	}
	bindings, err := s.bindTrust(ctx, in.AssumeRolePolicyDocument)
	if err != nil {
		return Role{}, err
	}
	tags, err := mergeTags(nil, storeTags(in.Tags), true)
	if err != nil {
		return Role{}, err
	}
	if in.PermissionsBoundary != "" {
		if err := s.checkBoundary(ctx, caller.AccountID, in.PermissionsBoundary); err != nil {
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
		PrincipalBindings:        bindings,
		PrincipalsBound:          true,
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
		if ae, ok := boundaryMissing(err); ok {
			return Role{}, ae
		}
		return Role{}, awserr.InternalError(err)
	}
	return s.roleView(ctx, r)
}

func (s *Service) lookupRole(ctx context.Context, caller *principal.Principal, name string) (store.Role, error) {
	r, err := s.Store.GetRole(ctx, caller.AccountID, name)
	if errors.Is(err, store.ErrNotFound) {
		return r, noSuchRole(name)
	}
	if err != nil {
		return r, awserr.InternalError(err)
	}
	return r, nil
}

// authorizeRole authorizes an action on an existing role, with its tags as resource tags.
func (s *Service) authorizeRole(ctx context.Context, caller *principal.Principal, action, name string, extra map[string][]string) (store.Role, error) {
	r, err := s.Store.GetRole(ctx, caller.AccountID, name)
	if err := s.authorizeFound(ctx, caller, action, extra, found{
		err: err, arn: principal.RoleARNOf(r.AccountID, r.Path, r.RoleName), tags: r.Tags,
		missingARN: roleResource(caller.AccountID, "/", name), notFound: func() error { return noSuchRole(name) },
	}); err != nil {
		return r, err
	}
	return r, refuseServiceLinked(action, r)
}

// found is an entity an action is authorized on, as the store's lookup returned it.
type found struct {
	err        error       // the lookup's error
	arn        string      // the entity's ARN, when found
	tags       []store.Tag // its tags, the resource tags of the request
	missingARN string      // the ARN authorized when there is no such entity
	notFound   func() error
}

// authorizeFound authorizes action on an entity the caller names: on its ARN with its tags as
// resource tags, or, when there is none, on the ARN it would have at the root path, so that a
// caller not allowed the action learns nothing of what exists; only then is a missing entity
// the operation's NoSuchEntity.
func (s *Service) authorizeFound(ctx context.Context, caller *principal.Principal, action string, extra map[string][]string, f found) error {
	resource, tags := f.arn, f.tags
	switch {
	case errors.Is(f.err, store.ErrNotFound):
		resource, tags = f.missingARN, nil
	case f.err != nil:
		return awserr.InternalError(f.err)
	}
	if err := s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: action, Resource: resource, ResourceAccount: caller.AccountID, ResourceTags: tags, Context: extra}); err != nil {
		return err
	}
	if f.err != nil {
		return f.notFound()
	}
	return nil
}

// GetRole returns a role.
func (s *Service) GetRole(ctx context.Context, caller *principal.Principal, name string) (Role, error) {
	r, err := s.authorizeRole(ctx, caller, "iam:GetRole", name, nil)
	if err != nil {
		return Role{}, err
	}
	return s.roleView(ctx, r)
}

// ListRoles lists roles under a path prefix.
func (s *Service) ListRoles(ctx context.Context, caller *principal.Principal, pathPrefix, marker string, maxItems int) (Page[Role], error) {
	l, err := s.authorizeListing(ctx, caller, "iam:ListRoles", "role/", pathPrefix, marker, maxItems)
	if err != nil {
		return Page[Role]{}, err
	}
	page, err := s.Store.ListRoles(ctx, caller.AccountID, l.pathPrefix, l.after, l.maxItems)
	if err != nil {
		return Page[Role]{}, awserr.InternalError(err)
	}
	out := Page[Role]{IsTruncated: page.Next != "", Marker: encodeMarker(page.Next)}
	if out.Items, err = s.roleViews(ctx, page.Roles); err != nil {
		return Page[Role]{}, err
	}
	return out, nil
}

// UpdateRole changes the description and/or the maximum session duration.
func (s *Service) UpdateRole(ctx context.Context, caller *principal.Principal, name string, description *string, maxSession int) error {
	_, err := s.changeRole(ctx, caller, "iam:UpdateRole", name, nil, nil, func(r *store.Role) error {
		if maxSession != 0 && IsServiceLinked(r.Path) {
			// Only the service sets a service-linked role's session limit; a person edits only
			// its description (IAM User Guide, "Service-linked roles").
			return unmodifiableRole(r.RoleName)
		}
		if description != nil {
			r.Description = *description
		}
		if maxSession != 0 {
			r.MaxSessionDuration = maxSession
		}
		return nil
	})
	return err
}

// UpdateRoleDescription changes only the description.
func (s *Service) UpdateRoleDescription(ctx context.Context, caller *principal.Principal, name, description string) (Role, error) {
	r, err := s.changeRole(ctx, caller, "iam:UpdateRoleDescription", name, nil, nil, func(r *store.Role) error {
		r.Description = description
		return nil
	})
	if err != nil {
		return Role{}, err
	}
	return s.roleView(ctx, r)
}

// UpdateAssumeRolePolicy replaces the trust policy wholesale, and its bindings with it, in one
// store transaction.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, caller *principal.Principal, name, doc string) error {
	var bindings []store.PrincipalBinding
	check := func(ctx context.Context) error {
		var err error
		bindings, err = s.bindTrust(ctx, doc)
		return err
	}
	_, err := s.changeRole(ctx, caller, "iam:UpdateAssumeRolePolicy", name, nil, check, func(r *store.Role) error {
		r.AssumeRolePolicyDocument, r.PrincipalBindings, r.PrincipalsBound = doc, bindings, true
		return nil
	})
	return err
}

// changeRole authorizes action on a role, runs check (which may read the store, so it runs
// before the transaction), then runs change on the role in one store transaction, keyed by the
// role's unique id so that a role deleted and re-created under the same name in between is not
// changed. It returns the role as stored; only the operations that answer with the role render it
// (roleView), so a change that has committed is never answered with an error of a later read.
func (s *Service) changeRole(ctx context.Context, caller *principal.Principal, action, name string, extra map[string][]string,
	check func(context.Context) error, change func(*store.Role) error) (store.Role, error) {
	r, err := s.authorizeRole(ctx, caller, action, name, extra)
	if err != nil {
		return store.Role{}, err
	}
	if check != nil {
		if err := check(ctx); err != nil {
			return store.Role{}, err
		}
	}
	r, err = s.Store.UpdateRole(ctx, r.RoleID, change)
	if err != nil {
		return store.Role{}, s.updateFailed(err, func() *awserr.Error { return noSuchRole(name) })
	}
	return r, nil
}

// DeleteRole removes a role that has no policies left.
func (s *Service) DeleteRole(ctx context.Context, caller *principal.Principal, name string) error {
	r, err := s.authorizeRole(ctx, caller, "iam:DeleteRole", name, nil)
	if err != nil {
		return err
	}
	if err := s.Store.DeleteRole(ctx, caller.AccountID, r.RoleID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return s.roleDeleteConflict(ctx, r.RoleID)
		}
		if errors.Is(err, store.ErrNotFound) {
			return noSuchRole(name)
		}
		return awserr.InternalError(err)
	}
	s.policiesChanged()
	return nil
}

// roleDeleteConflict says what keeps a role from being deleted as IAM does: instance profiles
// first, then policies.
func (s *Service) roleDeleteConflict(ctx context.Context, roleID string) error {
	if profiles, err := s.Store.ListInstanceProfilesForRole(ctx, roleID); err == nil && len(profiles) > 0 {
		return roleStillInProfile()
	}
	return awserr.New("DeleteConflict", http.StatusConflict, "Cannot delete entity, must remove policies first.")
}

func roleTags(r *store.Role) *[]store.Tag { return &r.Tags }

// TagRole adds or replaces tags; role tag keys compare case-insensitively.
func (s *Service) TagRole(ctx context.Context, caller *principal.Principal, name string, tags []Tag) error {
	_, err := s.changeRole(ctx, caller, "iam:TagRole", name, tagContext(tags), nil, tagger(tags, true, roleTags))
	return err
}

// UntagRole removes tags by key.
func (s *Service) UntagRole(ctx context.Context, caller *principal.Principal, name string, keys []string) error {
	_, err := s.changeRole(ctx, caller, "iam:UntagRole", name, map[string][]string{"aws:TagKeys": keys}, nil, untagger(keys, true, roleTags))
	return err
}

// ListRoleTags pages through a role's tags.
func (s *Service) ListRoleTags(ctx context.Context, caller *principal.Principal, name, marker string, maxItems int) (Page[Tag], error) {
	r, err := s.authorizeRole(ctx, caller, "iam:ListRoleTags", name, nil)
	if err != nil {
		return Page[Tag]{}, err
	}
	return listTags(r.Tags, marker, maxItems)
}

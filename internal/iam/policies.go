package iam

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Policy quotas (IAM User Guide, "IAM and AWS STS quotas").
const (
	MaxManagedPolicySize    = 6144
	MaxRoleInlineAggregate  = 10240
	MaxUserInlineAggregate  = 2048
	MaxPolicyVersions       = 5
	MaxAttachedPerEntity    = 10
	AWSManagedPolicyAccount = store.AWSManagedPolicyAccount
)

// validateIdentityPolicy checks an identity policy document's grammar.
func validateIdentityPolicy(doc string) error {
	if _, err := policy.Parse("policy", doc, policy.Identity); err != nil {
		return malformed(err)
	}
	return nil
}

// owner resolves the user, role or group an inline-policy or attachment call addresses,
// authorizing it.
func (s *Service) owner(ctx context.Context, caller *principal.Principal, kind store.PrincipalKind, name, action string, extra map[string][]string) (id, displayName string, err error) {
	switch kind {
	case store.KindGroup:
		g, err := s.authorizeGroup(ctx, caller, action, name, extra)
		if err != nil {
			return "", "", err
		}
		return g.GroupID, g.GroupName, nil
	case store.KindRole:
		r, err := s.authorizeRole(ctx, caller, action, name, extra)
		if err != nil {
			return "", "", err
		}
		return r.RoleID, r.RoleName, nil
	}
	u, err := s.authorizeUser(ctx, caller, action, name, extra)
	if err != nil {
		return "", "", err
	}
	return u.UserID, u.UserName, nil
}

// ownerNoun is the owner's word in IAM's action names and quota names ("Role", "User", "Group").
func ownerNoun(kind store.PrincipalKind) string {
	switch kind {
	case store.KindRole:
		return "Role"
	case store.KindGroup:
		return "Group"
	}
	return "User"
}

// actionFor builds e.g. iam:PutRolePolicy / iam:PutGroupPolicy from "Put", "Policy".
func actionFor(kind store.PrincipalKind, verb, noun string) string {
	return "iam:" + verb + ownerNoun(kind) + noun
}

// inlineAggregate is the owner kind's quota on the sum of its inline policies' sizes.
func inlineAggregate(kind store.PrincipalKind) int {
	switch kind {
	case store.KindRole:
		return MaxRoleInlineAggregate
	case store.KindGroup:
		return MaxGroupInlineAggregate
	}
	return MaxUserInlineAggregate
}

// PutInlinePolicy creates or replaces a user or role inline policy.
func (s *Service) PutInlinePolicy(ctx context.Context, caller *principal.Principal, kind store.PrincipalKind, ownerName, policyName, doc string) error {
	id, _, err := s.owner(ctx, caller, kind, ownerName, actionFor(kind, "Put", "Policy"), nil)
	if err != nil {
		return err
	}
	if err := validateIdentityPolicy(doc); err != nil {
		return err
	}
	limit, quota := inlineAggregate(kind), ownerNoun(kind)+"PolicySize"
	err = s.Store.PutInlinePolicy(ctx, store.InlinePolicy{OwnerKind: kind, OwnerID: id, PolicyName: policyName, Document: doc}, policy.SizeWithoutWhitespace, limit)
	if errors.Is(err, store.ErrLimitExceeded) {
		return awserr.New("LimitExceeded", http.StatusConflict, "Maximum policy size of %d bytes exceeded for %s %s (quota %s).", limit, kind, ownerName, quota)
	}
	if err != nil {
		return awserr.InternalError(err)
	}
	s.policiesChanged()
	return nil
}

// getInlinePolicyRow returns an inline policy.
func (s *Service) getInlinePolicyRow(ctx context.Context, caller *principal.Principal, kind store.PrincipalKind, ownerName, policyName string) (store.InlinePolicy, string, error) {
	id, name, err := s.owner(ctx, caller, kind, ownerName, actionFor(kind, "Get", "Policy"), nil)
	if err != nil {
		return store.InlinePolicy{}, "", err
	}
	p, err := s.Store.GetInlinePolicy(ctx, kind, id, policyName)
	if errors.Is(err, store.ErrNotFound) {
		return p, "", awserr.New("NoSuchEntity", http.StatusNotFound, "The %s policy with name %s cannot be found.", kind, policyName)
	}
	if err != nil {
		return p, "", awserr.InternalError(err)
	}
	return p, name, nil
}

// DeleteInlinePolicy removes an inline policy.
func (s *Service) DeleteInlinePolicy(ctx context.Context, caller *principal.Principal, kind store.PrincipalKind, ownerName, policyName string) error {
	id, _, err := s.owner(ctx, caller, kind, ownerName, actionFor(kind, "Delete", "Policy"), nil)
	if err != nil {
		return err
	}
	err = s.Store.DeleteInlinePolicy(ctx, kind, id, policyName)
	if errors.Is(err, store.ErrNotFound) {
		return awserr.New("NoSuchEntity", http.StatusNotFound, "The %s policy with name %s cannot be found.", kind, policyName)
	}
	if err != nil {
		return awserr.InternalError(err)
	}
	s.policiesChanged()
	return nil
}

// ListInlinePolicies lists inline policy names.
func (s *Service) ListInlinePolicies(ctx context.Context, caller *principal.Principal, kind store.PrincipalKind, ownerName, marker string, maxItems int) (Page[string], error) {
	id, _, err := s.owner(ctx, caller, kind, ownerName, actionFor(kind, "List", "Policies"), nil)
	if err != nil {
		return Page[string]{}, err
	}
	ps, err := s.Store.ListInlinePolicies(ctx, kind, id)
	if err != nil {
		return Page[string]{}, awserr.InternalError(err)
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.PolicyName
	}
	return paginate(names, marker, maxItems)
}

// ManagedPolicyInput is the CreatePolicy request.
type ManagedPolicyInput struct {
	PolicyName  string
	Path        string
	Document    string
	Description string
	Tags        []Tag
}

func policyARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":policy" + path + name
}

func noSuchPolicy(arn string) *awserr.Error {
	return awserr.New("NoSuchEntity", http.StatusNotFound, "Policy %s does not exist or is not attachable.", arn)
}

func validateManagedPolicy(doc string) error {
	if _, err := policy.Parse("policy", doc, policy.Managed); err != nil {
		return malformed(err)
	}
	if policy.SizeWithoutWhitespace(doc) > MaxManagedPolicySize {
		return awserr.New("LimitExceeded", http.StatusConflict, "Cannot exceed quota for PolicySize: %d", MaxManagedPolicySize)
	}
	return nil
}

// createPolicyRow creates a customer managed policy with its first version.
func (s *Service) createPolicyRow(ctx context.Context, caller *principal.Principal, in ManagedPolicyInput) (store.ManagedPolicy, error) {
	path := in.Path
	if path == "" {
		path = "/"
	}
	arn := policyARN(caller.AccountID, path, in.PolicyName)
	if err := s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "iam:CreatePolicy", Resource: arn, ResourceAccount: caller.AccountID, Context: tagContext(in.Tags)}); err != nil {
		return store.ManagedPolicy{}, err
	}
	if err := validateManagedPolicy(in.Document); err != nil {
		return store.ManagedPolicy{}, err
	}
	tags, err := mergeTags(nil, storeTags(in.Tags), false)
	if err != nil {
		return store.ManagedPolicy{}, err
	}
	now := s.Now().UTC().Truncate(time.Second)
	p := store.ManagedPolicy{
		AccountID: caller.AccountID, PolicyID: s.IDs.UniqueID(ids.PrefixPolicy), PolicyName: in.PolicyName,
		Path: path, ARN: arn, Description: in.Description, DefaultVersionID: "v1", NextVersion: 2,
		IsAttachable: true, Tags: tags, CreatedAt: now, UpdatedAt: now,
	}
	err = s.Store.CreateManagedPolicy(ctx, p, store.PolicyVersion{PolicyARN: arn, VersionID: "v1", Document: in.Document, CreatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return p, awserr.New("EntityAlreadyExists", http.StatusConflict, "A policy called %s already exists. Duplicate names are not allowed.", in.PolicyName)
	}
	if err != nil {
		return p, awserr.InternalError(err)
	}
	return p, nil
}

// policyAccount is the account that owns a policy ARN ("aws" for AWS managed policies).
func policyAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

// lookupPolicy authorizes an action on a managed policy and loads it. Policies of other accounts
// are invisible, as in AWS.
func (s *Service) lookupPolicy(ctx context.Context, caller *principal.Principal, action, arn string) (store.ManagedPolicy, error) {
	if err := s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: action, Resource: arn, ResourceAccount: caller.AccountID}); err != nil {
		return store.ManagedPolicy{}, err
	}
	if !store.PolicyUsableIn(policyAccount(arn), caller.AccountID) {
		return store.ManagedPolicy{}, noSuchPolicy(arn)
	}
	p, err := s.Store.GetManagedPolicy(ctx, arn)
	if errors.Is(err, store.ErrNotFound) {
		return p, awserr.New("NoSuchEntity", http.StatusNotFound, "Policy %s was not found.", arn)
	}
	if err != nil {
		return p, awserr.InternalError(err)
	}
	return p, nil
}

func (s *Service) mutablePolicy(ctx context.Context, caller *principal.Principal, action, arn string) (store.ManagedPolicy, error) {
	p, err := s.lookupPolicy(ctx, caller, action, arn)
	if err != nil {
		return p, err
	}
	if p.AccountID == AWSManagedPolicyAccount {
		return p, awserr.New("InvalidInput", http.StatusBadRequest, "ARN %s is an AWS managed policy and cannot be modified.", arn)
	}
	return p, nil
}

// getPolicyRow returns a managed policy's metadata.
func (s *Service) getPolicyRow(ctx context.Context, caller *principal.Principal, arn string) (store.ManagedPolicy, error) {
	p, err := s.lookupPolicy(ctx, caller, "iam:GetPolicy", arn)
	if err != nil {
		return p, err
	}
	counted, err := s.accountCounts(ctx, caller.AccountID, []store.ManagedPolicy{p})
	if err != nil {
		return store.ManagedPolicy{}, err
	}
	return counted[0], nil
}

// ListPoliciesInput filters ListPolicies.
type ListPoliciesInput struct {
	Scope        string // All, AWS, Local
	OnlyAttached bool
	PathPrefix   string
	Marker       string
	MaxItems     int
}

// listPoliciesRow lists AWS managed and/or customer managed policies.
func (s *Service) listPoliciesRow(ctx context.Context, caller *principal.Principal, in ListPoliciesInput) (Page[store.ManagedPolicy], error) {
	if err := s.authorize(ctx, caller, "iam:ListPolicies", "*"); err != nil {
		return Page[store.ManagedPolicy]{}, err
	}
	prefix := in.PathPrefix
	if prefix == "" {
		prefix = "/"
	}
	var all []store.ManagedPolicy
	accounts := []string{AWSManagedPolicyAccount, caller.AccountID}
	switch in.Scope {
	case "AWS":
		accounts = accounts[:1]
	case "Local":
		accounts = accounts[1:]
	}
	for _, acct := range accounts {
		after := ""
		for {
			page, err := s.Store.ListManagedPolicies(ctx, acct, prefix, in.OnlyAttached, after, 1000)
			if err != nil {
				return Page[store.ManagedPolicy]{}, awserr.InternalError(err)
			}
			all = append(all, page.Policies...)
			if page.Next == "" {
				break
			}
			after = page.Next
		}
	}
	all, err := s.accountCounts(ctx, caller.AccountID, all)
	if err != nil {
		return Page[store.ManagedPolicy]{}, err
	}
	if in.OnlyAttached {
		all = onlyAttached(all)
	}
	return paginate(all, in.Marker, in.MaxItems)
}

// DeletePolicy deletes a customer managed policy that is no longer attached and has one version.
func (s *Service) DeletePolicy(ctx context.Context, caller *principal.Principal, arn string) error {
	if _, err := s.mutablePolicy(ctx, caller, "iam:DeletePolicy", arn); err != nil {
		return err
	}
	err := s.Store.DeleteManagedPolicy(ctx, arn)
	if errors.Is(err, store.ErrConflict) {
		return awserr.New("DeleteConflict", http.StatusConflict, "Cannot delete a policy attached to entities, used as a permissions boundary, or with versions other than the default.")
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return awserr.InternalError(err)
	}
	s.policiesChanged()
	return nil
}

// createPolicyVersionRow adds a version, optionally making it the default.
func (s *Service) createPolicyVersionRow(ctx context.Context, caller *principal.Principal, arn, doc string, setDefault bool) (store.PolicyVersion, error) {
	if _, err := s.mutablePolicy(ctx, caller, "iam:CreatePolicyVersion", arn); err != nil {
		return store.PolicyVersion{}, err
	}
	if err := validateManagedPolicy(doc); err != nil {
		return store.PolicyVersion{}, err
	}
	v, err := s.Store.CreatePolicyVersion(ctx, arn, doc, s.Now().UTC().Truncate(time.Second), setDefault, MaxPolicyVersions)
	if errors.Is(err, store.ErrLimitExceeded) {
		return v, awserr.New("LimitExceeded", http.StatusConflict, "A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", MaxPolicyVersions)
	}
	if err != nil {
		return v, awserr.InternalError(err)
	}
	if setDefault {
		s.policiesChanged()
	}
	return v, nil
}

// getPolicyVersionRow returns one version with its document.
func (s *Service) getPolicyVersionRow(ctx context.Context, caller *principal.Principal, arn, versionID string) (store.PolicyVersion, bool, error) {
	p, err := s.lookupPolicy(ctx, caller, "iam:GetPolicyVersion", arn)
	if err != nil {
		return store.PolicyVersion{}, false, err
	}
	v, err := s.Store.GetPolicyVersion(ctx, arn, versionID)
	if errors.Is(err, store.ErrNotFound) {
		return v, false, awserr.New("NoSuchEntity", http.StatusNotFound, "Policy %s version %s does not exist or is not attachable.", arn, versionID)
	}
	if err != nil {
		return v, false, awserr.InternalError(err)
	}
	return v, v.VersionID == p.DefaultVersionID, nil
}

// listPolicyVersionsRow lists versions (newest first, as AWS does).
func (s *Service) listPolicyVersionsRow(ctx context.Context, caller *principal.Principal, arn, marker string, maxItems int) (Page[store.PolicyVersion], string, error) {
	p, err := s.lookupPolicy(ctx, caller, "iam:ListPolicyVersions", arn)
	if err != nil {
		return Page[store.PolicyVersion]{}, "", err
	}
	vs, err := s.Store.ListPolicyVersions(ctx, arn)
	if err != nil {
		return Page[store.PolicyVersion]{}, "", awserr.InternalError(err)
	}
	for i, j := 0, len(vs)-1; i < j; i, j = i+1, j-1 {
		vs[i], vs[j] = vs[j], vs[i]
	}
	page, err := paginate(vs, marker, maxItems)
	return page, p.DefaultVersionID, err
}

// DeletePolicyVersion deletes a non-default version.
func (s *Service) DeletePolicyVersion(ctx context.Context, caller *principal.Principal, arn, versionID string) error {
	if _, err := s.mutablePolicy(ctx, caller, "iam:DeletePolicyVersion", arn); err != nil {
		return err
	}
	err := s.Store.DeletePolicyVersion(ctx, arn, versionID)
	switch {
	case errors.Is(err, store.ErrConflict):
		return awserr.New("DeleteConflict", http.StatusConflict, "Cannot delete the default version of a policy.")
	case errors.Is(err, store.ErrNotFound):
		return awserr.New("NoSuchEntity", http.StatusNotFound, "Policy %s version %s does not exist.", arn, versionID)
	case err != nil:
		return awserr.InternalError(err)
	}
	return nil
}

// SetDefaultPolicyVersion makes a version the one that is evaluated.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, caller *principal.Principal, arn, versionID string) error {
	if _, err := s.mutablePolicy(ctx, caller, "iam:SetDefaultPolicyVersion", arn); err != nil {
		return err
	}
	err := s.Store.SetDefaultPolicyVersion(ctx, arn, versionID, s.Now().UTC().Truncate(time.Second))
	if errors.Is(err, store.ErrNotFound) {
		return awserr.New("NoSuchEntity", http.StatusNotFound, "Policy %s version %s does not exist.", arn, versionID)
	}
	if err != nil {
		return awserr.InternalError(err)
	}
	s.policiesChanged()
	return nil
}

func policyTags(p *store.ManagedPolicy) *[]store.Tag { return &p.Tags }

// TagPolicy adds or replaces policy tags (case-sensitive keys for policies).
func (s *Service) TagPolicy(ctx context.Context, caller *principal.Principal, arn string, tags []Tag) error {
	return s.changePolicy(ctx, caller, "iam:TagPolicy", arn, tagger(tags, false, policyTags))
}

// UntagPolicy removes policy tags.
func (s *Service) UntagPolicy(ctx context.Context, caller *principal.Principal, arn string, keys []string) error {
	return s.changePolicy(ctx, caller, "iam:UntagPolicy", arn, untagger(keys, false, policyTags))
}

// changePolicy authorizes action on a customer managed policy and runs change on it in one store
// transaction.
func (s *Service) changePolicy(ctx context.Context, caller *principal.Principal, action, arn string, change func(*store.ManagedPolicy) error) error {
	if _, err := s.mutablePolicy(ctx, caller, action, arn); err != nil {
		return err
	}
	_, err := s.Store.UpdateManagedPolicy(ctx, arn, change)
	if err != nil {
		return s.updateFailed(err, func() *awserr.Error { return noSuchPolicy(arn) })
	}
	return nil
}

// ListPolicyTags pages through a policy's tags.
func (s *Service) ListPolicyTags(ctx context.Context, caller *principal.Principal, arn, marker string, maxItems int) (Page[Tag], error) {
	p, err := s.lookupPolicy(ctx, caller, "iam:ListPolicyTags", arn)
	if err != nil {
		return Page[Tag]{}, err
	}
	return listTags(p.Tags, marker, maxItems)
}

// checkBoundary verifies a permissions boundary names an existing managed policy.
// The store checks the same again when it writes the boundary, so a concurrent DeletePolicy
// cannot leave it naming a deleted policy (see boundaryMissing).
// A boundary is a managed policy of the entity's own account or an AWS managed policy, as for
// AttachUserPolicy ("Customer managed policies are standalone policies that you manage in your own
// AWS account", IAM User Guide); another account's policy is answered like a missing one, so the
// answer does not tell whether it exists.
func (s *Service) checkBoundary(ctx context.Context, account, arn string) error {
	mp, err := s.Store.GetManagedPolicy(ctx, arn)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !store.PolicyUsableIn(mp.AccountID, account)) {
		return noSuchBoundary(arn)
	}
	if err != nil {
		return awserr.InternalError(err)
	}
	return nil
}

// AttachPolicy attaches a managed policy to a user or role.
func (s *Service) AttachPolicy(ctx context.Context, caller *principal.Principal, kind store.PrincipalKind, ownerName, arn string) error {
	id, _, err := s.owner(ctx, caller, kind, ownerName, actionFor(kind, "Attach", "Policy"), map[string][]string{"iam:PolicyARN": {arn}})
	if err != nil {
		return err
	}
	if !store.PolicyUsableIn(policyAccount(arn), caller.AccountID) {
		return noSuchPolicy(arn)
	}
	p, err := s.Store.GetManagedPolicy(ctx, arn)
	if errors.Is(err, store.ErrNotFound) {
		return noSuchPolicy(arn)
	}
	if err != nil {
		return awserr.InternalError(err)
	}
	if !p.IsAttachable {
		return awserr.New("PolicyNotAttachable", http.StatusBadRequest, "Policy %s is not attachable.", arn)
	}
	err = s.Store.Attach(ctx, store.Attachment{PolicyARN: arn, PolicyName: p.PolicyName, OwnerKind: kind, OwnerID: id}, MaxAttachedPerEntity)
	switch {
	case errors.Is(err, store.ErrLimitExceeded):
		return awserr.New("LimitExceeded", http.StatusConflict, "Cannot exceed quota for PoliciesPer%s: %d", ownerNoun(kind), MaxAttachedPerEntity)
	case errors.Is(err, store.ErrNotFound):
		return noSuchPolicy(arn)
	case err != nil:
		return awserr.InternalError(err)
	}
	s.policiesChanged()
	return nil
}

// DetachPolicy detaches a managed policy.
func (s *Service) DetachPolicy(ctx context.Context, caller *principal.Principal, kind store.PrincipalKind, ownerName, arn string) error {
	id, _, err := s.owner(ctx, caller, kind, ownerName, actionFor(kind, "Detach", "Policy"), map[string][]string{"iam:PolicyARN": {arn}})
	if err != nil {
		return err
	}
	err = s.Store.Detach(ctx, store.Attachment{PolicyARN: arn, OwnerKind: kind, OwnerID: id})
	if errors.Is(err, store.ErrNotFound) {
		return awserr.New("NoSuchEntity", http.StatusNotFound, "Policy %s was not found.", arn)
	}
	if err != nil {
		return awserr.InternalError(err)
	}
	s.policiesChanged()
	return nil
}

// listAttachedRow lists the managed policies attached to a user or role.
func (s *Service) listAttachedRow(ctx context.Context, caller *principal.Principal, kind store.PrincipalKind, ownerName, pathPrefix, marker string, maxItems int) (Page[store.Attachment], error) {
	id, _, err := s.owner(ctx, caller, kind, ownerName, actionFor(kind, "ListAttached", "Policies"), nil)
	if err != nil {
		return Page[store.Attachment]{}, err
	}
	atts, err := s.Store.ListAttachments(ctx, kind, id)
	if err != nil {
		return Page[store.Attachment]{}, awserr.InternalError(err)
	}
	if pathPrefix != "" && pathPrefix != "/" {
		kept := atts[:0]
		for _, a := range atts {
			if strings.Contains(a.PolicyARN, ":policy"+pathPrefix) {
				kept = append(kept, a)
			}
		}
		atts = kept
	}
	return paginate(atts, marker, maxItems)
}

// EntitiesForPolicyInput is the ListEntitiesForPolicy request. EntityFilter is "" or one of
// User, Role, Group, LocalManagedPolicy, AWSManagedPolicy; PolicyUsageFilter is "",
// PermissionsPolicy or PermissionsBoundary (the service model's enums, checked by the codec).
type EntitiesForPolicyInput struct {
	PolicyARN         string
	EntityFilter      string
	PathPrefix        string
	PolicyUsageFilter string
	Marker            string
	MaxItems          int
}

// entityQuery is the store's selection for a ListEntitiesForPolicy request (IAM API Reference):
// without PolicyUsageFilter, entities that have the policy attached and those it bounds; without
// EntityFilter, users, roles and groups. The managed-policy entity types name no user, role or
// group, so they select nothing.
func entityQuery(in EntitiesForPolicyInput) (q store.PolicyEntityQuery, any bool) {
	q = store.PolicyEntityQuery{PathPrefix: in.PathPrefix,
		Attached: in.PolicyUsageFilter != "PermissionsBoundary", Boundary: in.PolicyUsageFilter != "PermissionsPolicy"}
	switch in.EntityFilter {
	case "":
	case "User":
		q.Kind = store.KindUser
	case "Role":
		q.Kind = store.KindRole
	case "Group":
		q.Kind = store.KindGroup
	default:
		return q, false
	}
	return q, true
}

// listEntitiesForPolicyRow lists the caller's account's users, roles and groups that use a
// policy, as the request's filters select them.
func (s *Service) listEntitiesForPolicyRow(ctx context.Context, caller *principal.Principal, in EntitiesForPolicyInput) (Page[store.Attachment], error) {
	p, err := s.lookupPolicy(ctx, caller, "iam:ListEntitiesForPolicy", in.PolicyARN)
	if err != nil {
		return Page[store.Attachment]{}, err
	}
	q, ok := entityQuery(in)
	var entities []store.PolicyEntity
	if ok {
		// An AWS managed policy is used across accounts; the store lists this account's only.
		if entities, err = s.Store.ListPolicyEntities(ctx, caller.AccountID, in.PolicyARN, q); err != nil {
			return Page[store.Attachment]{}, awserr.InternalError(err)
		}
	}
	out := make([]store.Attachment, len(entities))
	for i, e := range entities {
		out[i] = store.Attachment{PolicyARN: p.ARN, PolicyName: p.PolicyName, OwnerKind: e.Kind, OwnerID: e.ID, OwnerName: e.Name}
	}
	return paginate(out, in.Marker, in.MaxItems)
}

// PutPermissionsBoundary sets a user's or role's permissions boundary.
func (s *Service) PutPermissionsBoundary(ctx context.Context, caller *principal.Principal, kind store.PrincipalKind, ownerName, arn string) error {
	if err := s.checkBoundary(ctx, caller.AccountID, arn); err != nil {
		return err
	}
	return s.setBoundary(ctx, caller, kind, ownerName, arn, actionFor(kind, "Put", "PermissionsBoundary"))
}

// DeletePermissionsBoundary removes it.
func (s *Service) DeletePermissionsBoundary(ctx context.Context, caller *principal.Principal, kind store.PrincipalKind, ownerName string) error {
	return s.setBoundary(ctx, caller, kind, ownerName, "", actionFor(kind, "Delete", "PermissionsBoundary"))
}

func (s *Service) setBoundary(ctx context.Context, caller *principal.Principal, kind store.PrincipalKind, ownerName, arn, act string) error {
	extra := map[string][]string{}
	if arn != "" {
		extra["iam:PermissionsBoundary"] = []string{arn}
	}
	if kind == store.KindRole {
		_, err := s.changeRole(ctx, caller, act, ownerName, extra, nil, func(r *store.Role) error {
			r.PermissionsBoundary = arn
			return nil
		})
		if err != nil {
			return err
		}
		s.policiesChanged()
		return nil
	}
	id, _, err := s.owner(ctx, caller, kind, ownerName, act, extra)
	if err != nil {
		return err
	}
	if _, err := s.Store.UpdateUser(ctx, id, func(u *store.User) error {
		u.PermissionsBoundary = arn
		return nil
	}); err != nil {
		return s.updateFailed(err, func() *awserr.Error { return noSuchUser(ownerName) })
	}
	s.policiesChanged()
	return nil
}

func noSuchBoundary(arn string) *awserr.Error {
	return awserr.New("NoSuchEntity", http.StatusNotFound, "Scope ARN: %s does not exist or is not attachable.", arn)
}

// boundaryMissing answers a write the store refused because the boundary's policy was gone when
// the write committed (deleted between checkBoundary and the write).
func boundaryMissing(err error) (*awserr.Error, bool) {
	var mr *store.MissingReferenceError
	if errors.As(err, &mr) && mr.Kind == "managed policy" {
		return noSuchBoundary(mr.Key), true
	}
	return nil, false
}

package iam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// ContextEntry is a simulated condition key.
type ContextEntry struct {
	Key    string
	Values []string
	Type   string
}

// SimulationInput is shared by SimulateCustomPolicy and SimulatePrincipalPolicy.
type SimulationInput struct {
	PolicySourceARN  string // SimulatePrincipalPolicy only
	Policies         []string
	BoundaryPolicies []string
	Actions          []string
	Resources        []string
	ResourcePolicy   string
	ResourceOwner    string
	CallerARN        string
	Context          []ContextEntry
	Marker           string
	MaxItems         int
}

// SimulatedStatement is a matched statement with its source.
type SimulatedStatement struct {
	SourcePolicyID   string
	SourcePolicyType string
	Start, End       policy.Position
}

// EvaluationResult is one action × resource answer.
type EvaluationResult struct {
	Action          string
	Resource        string
	Decision        string
	Matched         []SimulatedStatement
	Missing         []string
	BoundaryAllowed *bool
	// Explanation is the evidence behind a decision other than allowed (policy.Input.Explain),
	// for the console's Simulate page; the IAM API does not return it.
	Explanation *explain.Explanation
}

type simPolicy struct {
	pol  *policy.Policy
	kind string // SourcePolicyType
}

func (s *Service) parseSim(id, doc, kind string, pk policy.Kind) (simPolicy, error) {
	p, err := policy.Parse(id, doc, pk)
	if err != nil {
		return simPolicy{}, malformed(err)
	}
	return simPolicy{pol: p, kind: kind}, nil
}

// SimulateCustomPolicy evaluates caller-supplied policies against actions and resources.
func (s *Service) SimulateCustomPolicy(ctx context.Context, caller *principal.Principal, in SimulationInput) (Page[EvaluationResult], error) {
	if err := s.authorize(ctx, caller, "iam:SimulateCustomPolicy", "*"); err != nil {
		return Page[EvaluationResult]{}, err
	}
	return s.simulate(ctx, caller, in, nil)
}

// SimulatePrincipalPolicy evaluates a user's (with its groups'), group's or role's policies (plus
// optional extra ones).
func (s *Service) SimulatePrincipalPolicy(ctx context.Context, caller *principal.Principal, in SimulationInput) (Page[EvaluationResult], error) {
	loaded, err := s.principalPolicies(ctx, caller, "iam:SimulatePrincipalPolicy", in.PolicySourceARN)
	if err != nil {
		return Page[EvaluationResult]{}, err
	}
	return s.simulate(ctx, caller, in, loaded)
}

type loadedPrincipal struct {
	identity []simPolicy
	boundary *simPolicy
	account  string
	arns     []string
}

// policySource is the user, group or role a PolicySourceArn names, as stored.
type policySource struct {
	kind     store.PrincipalKind
	id       string
	name     string // the stored name, which names its inline policies' SourcePolicyId
	arn      string // the stored ARN, whatever the case of the name the caller wrote
	boundary string
}

// resolvePolicySource finds the entity a PolicySourceArn names and authorizes action on that
// entity's own ARN, with its tags as resource tags (the resource of iam:SimulatePrincipalPolicy and
// iam:GetContextKeysForPrincipalPolicy is the user, group or role; Service Authorization
// Reference, IAM). The ARN must carry the entity's path: an ARN whose path is not the entity's
// names no entity, so the string a caller writes can neither pick the resource authorized nor
// reach an entity under another path. Names match case-insensitively, as every IAM name lookup
// does ("IAM identifiers", IAM User Guide), and the ARN authorized is the stored one.
func (s *Service) resolvePolicySource(ctx context.Context, caller *principal.Principal, action, arn string) (policySource, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" || parts[4] != caller.AccountID {
		if err := s.authorize(ctx, caller, action, arn); err != nil {
			return policySource{}, err
		}
		return policySource{}, awserr.New("NoSuchEntity", http.StatusNotFound, "The policy source %s cannot be found.", arn)
	}
	typ, rest, _ := strings.Cut(parts[5], "/")
	slash := strings.LastIndex(rest, "/")
	path, name := "/"+rest[:slash+1], rest[slash+1:]
	var (
		src   policySource
		f     = found{missingARN: arn}
		entry string // the entity's stored path
	)
	switch typ {
	case "user":
		u, err := s.Store.GetUser(ctx, caller.AccountID, name)
		src, entry = policySource{kind: store.KindUser, id: u.UserID, name: u.UserName, boundary: u.PermissionsBoundary}, u.Path
		f.err, f.arn, f.tags, f.notFound = err, principal.UserARN(u.AccountID, u.Path, u.UserName), u.Tags, func() error { return noSuchUser(name) }
	case "role":
		r, err := s.Store.GetRole(ctx, caller.AccountID, name)
		src, entry = policySource{kind: store.KindRole, id: r.RoleID, name: r.RoleName, boundary: r.PermissionsBoundary}, r.Path
		f.err, f.arn, f.tags, f.notFound = err, principal.RoleARNOf(r.AccountID, r.Path, r.RoleName), r.Tags, func() error { return noSuchRole(name) }
	case "group":
		g, err := s.Store.GetGroup(ctx, caller.AccountID, name)
		src, entry = policySource{kind: store.KindGroup, id: g.GroupID, name: g.GroupName}, g.Path
		f.err, f.arn, f.notFound = err, GroupARN(g.AccountID, g.Path, g.GroupName), func() error { return noSuchGroup(name) }
	default:
		if err := s.authorize(ctx, caller, action, arn); err != nil {
			return policySource{}, err
		}
		return policySource{}, awserr.New("InvalidInput", http.StatusBadRequest, "PolicySourceArn must be the ARN of a user, a group or a role.")
	}
	if f.err == nil && (name == "" || entry != path) {
		f.err = store.ErrNotFound
	}
	src.arn = f.arn
	return src, s.authorizeFound(ctx, caller, action, nil, f)
}

// principalPolicies authorizes action on the user, role or group named by arn and loads its
// policies; a user's include those of its groups, as they do when the user makes a request.
func (s *Service) principalPolicies(ctx context.Context, caller *principal.Principal, action, arn string) (*loadedPrincipal, error) {
	src, err := s.resolvePolicySource(ctx, caller, action, arn)
	if err != nil {
		return nil, err
	}
	out := &loadedPrincipal{account: caller.AccountID, arns: []string{src.arn}}
	if err := s.ownerSims(ctx, src.kind, src.id, src.name, out); err != nil {
		return nil, err
	}
	if src.kind == store.KindUser {
		groups, err := s.Store.ListGroupsForUser(ctx, src.id)
		if err != nil {
			return nil, awserr.InternalError(err)
		}
		for _, g := range groups {
			if err := s.ownerSims(ctx, store.KindGroup, g.GroupID, g.GroupName, out); err != nil {
				return nil, err
			}
		}
	}
	if src.boundary != "" {
		sp, err := s.managedSim(ctx, src.boundary)
		if err != nil {
			return nil, err
		}
		out.boundary = sp
	}
	return out, nil
}

// ownerSims adds the inline and attached policies of one user, role or group to out.identity.
// An inline policy is identified as IAM identifies it in MatchedStatements: SourcePolicyId
// "<kind>_<owner name>_<policy name>" (e.g. "user_alice_read", which AWS returns for alice's
// inline policy read, as the AWS provider for Terraform's acceptance test of
// aws_iam_principal_policy_simulation observes) and SourcePolicyType "IAM Policy". The owner in
// the id keeps a user's inline policy apart from a group's inline policy of the same name.
func (s *Service) ownerSims(ctx context.Context, kind store.PrincipalKind, ownerID, ownerName string, out *loadedPrincipal) error {
	inline, err := s.Store.ListInlinePolicies(ctx, kind, ownerID)
	if err != nil {
		return awserr.InternalError(err)
	}
	for _, ip := range inline {
		sp, err := s.parseSim(inlineSourceID(kind, ownerName, ip.PolicyName), ip.Document, "IAM Policy", policy.Identity)
		if err != nil {
			continue
		}
		out.identity = append(out.identity, sp)
	}
	atts, err := s.Store.ListAttachments(ctx, kind, ownerID)
	if err != nil {
		return awserr.InternalError(err)
	}
	for _, a := range atts {
		sp, err := s.managedSim(ctx, a.PolicyARN)
		if err != nil {
			return err
		}
		if sp != nil {
			out.identity = append(out.identity, *sp)
		}
	}
	return nil
}

func inlineSourceID(kind store.PrincipalKind, ownerName, policyName string) string {
	return string(kind) + "_" + ownerName + "_" + policyName
}

func (s *Service) managedSim(ctx context.Context, arn string) (*simPolicy, error) {
	mp, err := s.Store.GetManagedPolicy(ctx, arn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, awserr.InternalError(err)
	}
	v, err := s.Store.GetPolicyVersion(ctx, arn, mp.DefaultVersionID)
	if err != nil {
		return nil, awserr.InternalError(err)
	}
	kind := "user-managed"
	if mp.AccountID == AWSManagedPolicyAccount {
		kind = "aws-managed"
	}
	sp, err := s.parseSim(arn, v.Document, kind, policy.Identity)
	if err != nil {
		return nil, nil
	}
	return &sp, nil
}

func (s *Service) simulate(ctx context.Context, caller *principal.Principal, in SimulationInput, lp *loadedPrincipal) (Page[EvaluationResult], error) {
	var identity []simPolicy
	var boundary *simPolicy
	account := caller.AccountID
	callerARNs := []string{caller.ARN}
	if lp != nil {
		identity, boundary, account, callerARNs = lp.identity, lp.boundary, lp.account, lp.arns
	}
	for i, doc := range in.Policies {
		sp, err := s.parseSim(fmt.Sprintf("PolicyInputList.%d", i+1), doc, "IAM Policy", policy.Identity)
		if err != nil {
			return Page[EvaluationResult]{}, err
		}
		identity = append(identity, sp)
	}
	if len(in.BoundaryPolicies) > 1 {
		return Page[EvaluationResult]{}, awserr.New("InvalidInput", http.StatusBadRequest, "Only one permissions boundary policy can be simulated.")
	}
	if len(in.BoundaryPolicies) == 1 {
		sp, err := s.parseSim("PermissionsBoundaryPolicyInputList.1", in.BoundaryPolicies[0], "IAM Policy", policy.Identity)
		if err != nil {
			return Page[EvaluationResult]{}, err
		}
		boundary = &sp
	}
	var resourcePolicy *simPolicy
	if in.ResourcePolicy != "" {
		sp, err := s.parseSim("ResourcePolicy", in.ResourcePolicy, "resource", policy.Resource)
		if err != nil {
			return Page[EvaluationResult]{}, err
		}
		resourcePolicy = &sp
	}
	if in.CallerARN != "" {
		callerARNs = []string{in.CallerARN}
		if parts := strings.SplitN(in.CallerARN, ":", 6); len(parts) == 6 && parts[4] != "" {
			account = parts[4]
		}
	}
	kinds := map[string]string{}
	var ids []*policy.Policy
	for _, sp := range identity {
		kinds[sp.pol.ID] = sp.kind
		ids = append(ids, sp.pol)
	}
	resourceAccount := ""
	if in.ResourceOwner != "" {
		if parts := strings.SplitN(in.ResourceOwner, ":", 6); len(parts) == 6 {
			resourceAccount = parts[4]
		}
	}
	pctx := policy.NewContext()
	for _, e := range in.Context {
		pctx.Set(e.Key, e.Values...)
	}
	resources := in.Resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	var results []EvaluationResult
	for _, action := range in.Actions {
		for _, res := range resources {
			req := policy.Request{
				Principal: policy.Principal{Type: "AWS", Account: account, ARNs: callerARNs},
				Action:    action, Resource: res, Context: pctx,
			}
			pin := &policy.Input{Request: req, PrincipalAccount: account, ResourceAccount: resourceAccount, Identity: ids}
			if boundary != nil {
				pin.Boundary = boundary.pol
				kinds[boundary.pol.ID] = boundary.kind
			}
			if resourcePolicy != nil {
				pin.ResourcePolicy = resourcePolicy.pol
				kinds[resourcePolicy.pol.ID] = resourcePolicy.kind
			}
			out := policy.Decide(pin)
			r := EvaluationResult{Action: action, Resource: res, Decision: out.Decision.String(), Missing: out.Missing, Explanation: pin.Explain(out)}
			for _, m := range out.Matched {
				r.Matched = append(r.Matched, SimulatedStatement{SourcePolicyID: m.PolicyID, SourcePolicyType: kinds[m.PolicyID], Start: m.Start, End: m.End})
			}
			if boundary != nil {
				allowed := boundary.pol.Evaluate(&req).Decision == policy.Allow
				r.BoundaryAllowed = &allowed
			}
			results = append(results, r)
		}
	}
	return paginate(results, in.Marker, in.MaxItems)
}

// GetContextKeysForCustomPolicy lists the condition keys the given policies use.
func (s *Service) GetContextKeysForCustomPolicy(ctx context.Context, caller *principal.Principal, docs []string) ([]string, error) {
	if err := s.authorize(ctx, caller, "iam:GetContextKeysForCustomPolicy", "*"); err != nil {
		return nil, err
	}
	return s.contextKeys(docs, nil)
}

// GetContextKeysForPrincipalPolicy lists the condition keys a user's (with its groups'), group's or
// role's policies use.
func (s *Service) GetContextKeysForPrincipalPolicy(ctx context.Context, caller *principal.Principal, arn string, docs []string) ([]string, error) {
	lp, err := s.principalPolicies(ctx, caller, "iam:GetContextKeysForPrincipalPolicy", arn)
	if err != nil {
		return nil, err
	}
	var pols []*policy.Policy
	for _, sp := range lp.identity {
		pols = append(pols, sp.pol)
	}
	return s.contextKeys(docs, pols)
}

func (s *Service) contextKeys(docs []string, pols []*policy.Policy) ([]string, error) {
	for i, doc := range docs {
		p, err := policy.Parse(fmt.Sprintf("PolicyInputList.%d", i+1), doc, policy.Identity)
		if err != nil {
			return nil, malformed(err)
		}
		pols = append(pols, p)
	}
	seen := map[string]bool{}
	keys := []string{}
	for _, p := range pols {
		for _, k := range p.ContextKeys() {
			lk := strings.ToLower(k)
			if !seen[lk] {
				seen[lk] = true
				keys = append(keys, k)
			}
		}
	}
	return keys, nil
}

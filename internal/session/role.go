package session

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Identity is a verified federated identity: who vouched for the caller.
type Identity struct {
	// ProviderARN is the IAM identity provider (or the built-in federated principal, such as
	// cognito-identity.amazonaws.com) the trust policy must name.
	ProviderARN string
	// Kind is principal.WebIdentity or principal.SAMLUser.
	Kind principal.Kind
	// HomeAccount is the account the identity belongs to, "" when it cannot be told. A role of
	// any other account admits it only through trust statements that pin CrossAccountKeys.
	HomeAccount      string
	CrossAccountKeys []string
	// Service says ProviderARN is an AWS service principal (ecs-tasks.amazonaws.com) asking for
	// the session on a workload's behalf: the trust policy must name it as a "Service"
	// principal, the condition keys describe a service (aws:PrincipalIsAWSService,
	// aws:PrincipalServiceName) rather than a federated user, and the session has no federated
	// provider. Kind is then zero: no caller kind applies.
	Service bool
}

// ServiceIdentity is the identity of an AWS service principal such as ecs-tasks.amazonaws.com.
func ServiceIdentity(name string) *Identity {
	return &Identity{ProviderARN: name, Service: true}
}

// Request asks for a role session. Exactly one of Caller and Federated is set.
type Request struct {
	// Action is the operation's own action: sts:AssumeRole, sts:AssumeRoleWithWebIdentity or
	// sts:AssumeRoleWithSAML.
	Action string
	// Caller is the authenticated principal of AssumeRole; a temporary role session is chained.
	Caller *principal.Principal
	// Federated is the verified identity of AssumeRoleWithWebIdentity and AssumeRoleWithSAML.
	Federated *Identity
	// Role is the role, already read.
	Role        store.Role
	SessionName string
	// DurationSeconds is the requested duration, 0 for the default. MaxDuration is an extra cap
	// the identity sets (a SAML SessionDuration), 0 for none.
	DurationSeconds int
	MaxDuration     int
	Policies        Policies
	// Tags and TransitiveTagKeys are the new session tags; SourceIdentity is the one requested
	// (a chained caller's own source identity carries over).
	Tags              []Tag
	TransitiveTagKeys []string
	// TagsUnconditioned keeps the tags out of the condition keys (aws:RequestTag, aws:TagKeys):
	// Cognito's enhanced flow passes the tags its pool maps, which trust policies have never
	// been shown as request tags there.
	TagsUnconditioned bool
	SourceIdentity    string
	MFA               MFA
	// SetContext adds sts:SetContext to the checked actions; IdentityContext verifies the
	// provided contexts once the trust policy allowed it (nil for none).
	SetContext      bool
	IdentityContext func(ctx context.Context) (*principal.IdentityContext, error)
	// Condition holds the request's own condition keys (sts:ExternalId, the token's claims…);
	// the session adds the session name, source identity, tags, MFA and provider keys to it, so
	// the map is the session's once passed.
	Condition map[string][]string
	// DryRun stops once every check has passed, before anything is issued: no credentials are
	// minted or sealed and the role's last use is not recorded (the console's "Try a token").
	DryRun bool
}

// RoleSession is what a role session request returns.
type RoleSession struct {
	Credentials      Credentials
	AssumedRoleID    string
	ARN              string
	PackedPolicySize *int
	SourceIdentity   string
}

// FederatedDenied is the refusal of a federated request: it names only the operation, so the
// answer does not tell which condition failed.
func FederatedDenied(action string) *awserr.Error {
	return awserr.New("AccessDenied", http.StatusForbidden, "Not authorized to perform %s", action)
}

// roleRequest is a Request once its caps and tag rules are applied.
type roleRequest struct {
	Request
	duration           int
	chained            bool
	incomingTransitive []Tag
	incomingKeys       []string
	sourceIdentity     string
	mfa                bool
	tagSize            int
}

// AssumeRole turns the caller into a session of the role, or refuses.
func (s *Service) AssumeRole(ctx context.Context, r Request) (RoleSession, error) {
	trust, err := s.d.Engine.TrustPolicy(r.Role)
	if err != nil {
		return RoleSession{}, s.denied(r) // an unreadable trust policy trusts no one
	}
	rr, err := s.prepare(ctx, r)
	if err != nil {
		return RoleSession{}, err
	}
	if err := s.trustGate(ctx, rr, trust); err != nil {
		return RoleSession{}, err
	}
	var identityContext *principal.IdentityContext
	if r.IdentityContext != nil {
		if identityContext, err = r.IdentityContext(ctx); err != nil {
			return RoleSession{}, err
		}
	}
	packed, err := s.packedSize(ctx, r.Role.AccountID, r.Policies, r.Tags, rr.tagSize, r.Action != "sts:AssumeRole")
	if err != nil {
		return RoleSession{}, err
	}
	p := s.rolePrincipal(rr, identityContext)
	if r.DryRun {
		return RoleSession{Credentials: Credentials{Expiration: p.Expires}, AssumedRoleID: p.UserID, ARN: p.ARN,
			PackedPolicySize: packed, SourceIdentity: rr.sourceIdentity}, nil
	}
	creds, err := s.seal(ctx, p)
	if err != nil {
		return RoleSession{}, err
	}
	s.recordRoleUse(ctx, r.Role.RoleID)
	return RoleSession{Credentials: creds, AssumedRoleID: p.UserID, ARN: p.ARN, PackedPolicySize: packed, SourceIdentity: rr.sourceIdentity}, nil
}

func (s *Service) denied(r Request) error {
	if r.Federated != nil {
		return FederatedDenied(r.Action)
	}
	return authz.Denied(r.Caller, r.Action, principal.RoleARNOf(r.Role.AccountID, r.Role.Path, r.Role.RoleName), "")
}

// prepare applies the duration caps, the tag rules, the source identity rules and MFA.
func (s *Service) prepare(ctx context.Context, r Request) (roleRequest, error) {
	rr := roleRequest{Request: r, sourceIdentity: r.SourceIdentity}
	rr.chained = r.Caller != nil && r.Caller.Temporary && r.Caller.Kind == principal.AssumedRole
	var err error
	if rr.duration, err = r.duration(rr.chained); err != nil {
		return rr, err
	}
	if rr.chained {
		for _, k := range r.Caller.TransitiveTagKeys {
			if v, ok := r.Caller.Tag(k); ok {
				rr.incomingTransitive = append(rr.incomingTransitive, Tag{Key: k, Value: v})
				rr.incomingKeys = append(rr.incomingKeys, k)
			}
		}
	}
	if rr.tagSize, err = CheckTags(r.Tags, r.TransitiveTagKeys, rr.incomingKeys); err != nil {
		if ae, ok := awserr.As(err); ok && r.Federated != nil {
			// The tags came from the token or assertion, which is what is invalid.
			return rr, awserr.New("InvalidIdentityToken", http.StatusBadRequest, "%s", ae.Message)
		}
		return rr, err
	}
	if r.SourceIdentity != "" && ReservedPrefix.MatchString(r.SourceIdentity) {
		return rr, Validation("SourceIdentity must not begin with \"aws:\".")
	}
	if r.Caller != nil && r.Caller.SourceIdentity != "" {
		if r.SourceIdentity != "" && r.SourceIdentity != r.Caller.SourceIdentity {
			return rr, Validation("The SourceIdentity of a session cannot be changed: the calling session's SourceIdentity is %s.", r.Caller.SourceIdentity)
		}
		rr.sourceIdentity = r.Caller.SourceIdentity
	}
	if r.Caller != nil {
		if rr.mfa, err = s.verifyMFA(ctx, r.Caller, r.MFA); err != nil {
			return rr, err
		}
	}
	return rr, nil
}

// duration applies the default and the caps: role chaining's hour and the role's
// MaxSessionDuration refuse a longer request, an identity's own cap (SAML SessionDuration)
// shortens it.
func (r Request) duration(chained bool) (int, error) {
	d := r.DurationSeconds
	if d == 0 {
		d = DefaultRoleSession
		if r.MaxDuration > 0 && r.MaxDuration < d {
			d = r.MaxDuration
		}
	}
	if chained && d > RoleChainingMax {
		return 0, Validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if d > r.Role.MaxSessionDuration {
		return 0, Validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if r.MaxDuration > 0 && d > r.MaxDuration {
		d = r.MaxDuration
	}
	return d, nil
}

// actions are the actions the trust policy must allow for this request.
func (r Request) actions() []string {
	actions := []string{r.Action}
	if len(r.Tags) > 0 || len(r.TransitiveTagKeys) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if r.SourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	if r.SetContext {
		actions = append(actions, "sts:SetContext")
	}
	return actions
}

// condition is the request as the trust policy sees it: as the caller makes it.
func (rr roleRequest) condition() map[string][]string {
	cond := rr.Condition
	if cond == nil {
		cond = make(map[string][]string, 4)
	}
	cond["sts:RoleSessionName"] = []string{rr.SessionName}
	if f := rr.Federated; f != nil && f.Service {
		serviceCondition(cond, f.ProviderARN)
	} else if f != nil {
		cond["aws:FederatedProvider"] = []string{f.ProviderARN}
	}
	if rr.SourceIdentity != "" {
		cond["sts:SourceIdentity"] = []string{rr.SourceIdentity}
	}
	if rr.mfa {
		// MFA supplied with the request counts for this evaluation, as it does in AWS.
		cond["aws:MultiFactorAuthPresent"] = []string{"true"}
		cond["aws:MultiFactorAuthAge"] = []string{"0"}
	}
	if !rr.TagsUnconditioned {
		TagCondition(cond, rr.Tags, rr.TransitiveTagKeys)
	}
	return cond
}

// serviceCondition describes a service principal's request: a service has no account, ARN, type
// or user id of a caller, so those keys are removed (an empty value removes a key), and
// aws:PrincipalIsAWSService and aws:PrincipalServiceName say which service it is (IAM User Guide,
// "AWS global condition context keys").
func serviceCondition(cond map[string][]string, service string) {
	for _, k := range []string{"aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalType", "aws:userid"} {
		cond[k] = nil
	}
	cond["aws:PrincipalIsAWSService"] = []string{"true"}
	cond["aws:PrincipalServiceName"] = []string{service}
}

// trustGate requires the trust policy to allow every action the call uses; the caller's own
// policies never stand in for it (IAM User Guide, "Policy evaluation logic").
//
// aws:ResourceTag is "the key-value pair that is attached to the resource" (IAM User Guide,
// "Pass session tags in AWS STS"): the role's own tags. Incoming transitive tags override role
// tags only in the new session's principal tags (same page, "Chaining roles with session
// tags"); letting them stand in for the role's tags here would let a caller choose the tags
// that ABAC trust and identity conditions test.
func (s *Service) trustGate(ctx context.Context, rr roleRequest, trust *policy.Policy) error {
	role := rr.Role
	base := authz.Request{Caller: rr.Caller, Resource: principal.RoleARNOf(role.AccountID, role.Path, role.RoleName),
		ResourceAccount: role.AccountID, Context: rr.condition(), ResourcePolicy: trust, ResourcePolicyKind: policy.Trust, ResourceTags: role.Tags}
	if f := rr.Federated; f != nil {
		base.Caller = &principal.Principal{Kind: f.Kind, AccountID: role.AccountID, ARN: f.ProviderARN, UserID: f.ProviderARN, FederatedProvider: f.ProviderARN}
		base.Principal = &policy.Principal{Type: "Federated", Account: role.AccountID, ARNs: []string{f.ProviderARN}}
		if f.Service {
			base.Principal.Type = "Service"
		} else if f.HomeAccount == "" || f.HomeAccount != role.AccountID {
			base.RequireConditionKeys = f.CrossAccountKeys
		}
	}
	for _, act := range rr.actions() {
		req := base
		req.Action = act
		out, err := s.d.Engine.Check(ctx, req)
		if err == nil {
			continue
		}
		if ae, ok := awserr.As(err); ok && ae.Code == "AccessDenied" && rr.Federated != nil {
			d := FederatedDenied(rr.Action)
			d.Cause = explain.Wrap(explain.Of(err), fmt.Errorf("%s: %s", act, out.Reason))
			return d
		}
		return err
	}
	return nil
}

// rolePrincipal is the one principal of a role session.
func (s *Service) rolePrincipal(rr roleRequest, ic *principal.IdentityContext) *principal.Principal {
	role := rr.Role
	now := s.now()
	p := &principal.Principal{
		Kind:               principal.AssumedRole,
		AccountID:          role.AccountID,
		ARN:                principal.AssumedRoleARN(role.AccountID, role.RoleName, rr.SessionName),
		UserID:             role.RoleID + ":" + rr.SessionName,
		Expires:            expiry(now, rr.duration),
		IssuedAt:           now,
		Source:             strings.TrimPrefix(rr.Action, "sts:"),
		RoleID:             role.RoleID,
		RoleName:           role.RoleName,
		RoleARN:            principal.RoleARNOf(role.AccountID, role.Path, role.RoleName),
		SessionName:        rr.SessionName,
		HasSessionPolicies: rr.Policies.Present(),
		SessionPolicy:      rr.Policies.Policy,
		SessionPolicyARNs:  rr.Policies.PolicyARNs,
		Tags:               mergeTags(role.Tags, rr.incomingTransitive, rr.Tags),
		TransitiveTagKeys:  append(rr.incomingKeys[:len(rr.incomingKeys):len(rr.incomingKeys)], rr.TransitiveTagKeys...),
		SourceIdentity:     rr.sourceIdentity,
		MFAAuthenticated:   rr.mfa,
		Chained:            rr.chained,
		IdentityContext:    ic,
	}
	if rr.Federated != nil {
		if !rr.Federated.Service {
			p.FederatedProvider = rr.Federated.ProviderARN
		}
	} else {
		p.FederatedProvider = rr.Caller.FederatedProvider
	}
	if rr.mfa {
		p.MFAAuthTime = now
	}
	return p
}

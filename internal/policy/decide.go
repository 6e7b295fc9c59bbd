package policy

// Input is one request together with every policy that bears on it (doc "Policy evaluation
// logic", "Cross-account policy evaluation logic").
type Input struct {
	Request
	// IsRoot: the caller uses the account root's long-term (or GetSessionToken) credentials,
	// which may do everything in their own account; Organizations SCPs are out of scope.
	IsRoot           bool
	PrincipalAccount string
	// ResourceAccount owns the resource; "" means the principal's own account.
	ResourceAccount string
	// Identity: the principal's identity policies (the user's, or the role's for a role session,
	// or the IAM user's for a federated user).
	Identity []*Policy
	// Boundary is the permissions boundary, nil if none.
	Boundary *Policy
	// HasSessionPolicies: the caller is a session created with session policies (inline or
	// managed); Session holds them.
	HasSessionPolicies bool
	Session            []*Policy
	// FederatedUser: a GetFederationToken session, which has no identity-based permissions at all
	// unless it carries session policies.
	FederatedUser bool
	// ResourcePolicy is the resource-based policy (the role trust policy for AssumeRole*), nil
	// for identity-only checks.
	ResourcePolicy *Policy
	// ResourcePolicyKind says how ResourcePolicy combines with the caller's own policies: Trust
	// makes it a gate that must itself allow the caller, whatever the identity side allows
	// (doc "Policy evaluation logic": role trust policies "must explicitly allow access for
	// principals"); Resource applies the general rule, under which the identity side alone
	// suffices in the resource's own account. Zero means the kind ResourcePolicy was parsed as.
	ResourcePolicyKind Kind
	// RequireConditionKeys narrows which Allow statements of ResourcePolicy count: only those
	// whose Condition constrains every one of these keys (see constrains). STS uses it for
	// Cognito identity pools assuming roles of another account (STS API reference,
	// AssumeRoleWithWebIdentity, RoleArn).
	RequireConditionKeys []string
}

// Output is the combined decision.
type Output struct {
	Decision Decision
	// Reason is AWS's phrasing fragment for the AccessDenied message ("User: … is not authorized
	// to perform: … on resource: … because <Reason>"); empty when allowed.
	Reason string
	// Matched lists the Deny statements for ExplicitDeny and the Allow statements of every policy
	// that allowed for Allow.
	Matched []MatchedStatement
	// Missing lists the condition keys the request lacked, across all policies.
	Missing []string
}

type setResult struct {
	allow, deny bool
	allows      []MatchedStatement
	denies      []MatchedStatement
}

func (s *setResult) add(r Result) {
	switch r.Decision {
	case Allow:
		s.allow = true
		s.allows = append(s.allows, r.Matched...)
	case ExplicitDeny:
		s.deny = true
		s.denies = append(s.denies, r.Matched...)
	}
}

// Decide combines the policy types as AWS does:
//  1. an explicit Deny in any policy wins;
//  2. the identity side is identity ∩ permissions boundary ∩ session policies (a federated user
//     without session policies has no identity side); root has every permission in its own
//     account;
//  3. a role trust policy is a gate: it must itself contain an Allow whose Principal matches
//     the caller, for every action checked, and no identity policy replaces it;
//  4. in the resource's own account, a resource-based policy that allows the caller's exact
//     user, session or federated-user ARN, or its federated provider or service, grants on its
//     own (a trust policy only within the caller's permissions boundary and session policies);
//     one that allows the caller's role ARN, or "*" (IAM users and role sessions only), grants
//     within the caller's permissions boundary and session policies; one that matches only
//     through the account grants nothing by itself;
//  5. otherwise, in the resource's own account, the identity side is needed, and suffices for
//     every kind but a trust policy, which must also allow;
//  6. across accounts, both the resource-based policy and the identity side must allow.
func Decide(in *Input) Output {
	ev := evaluateSets(in)
	out := Output{Missing: dedupFold(ev.missing)}
	if reason, ok := ev.explicitDeny(); ok {
		out.Decision, out.Reason = ExplicitDeny, reason
		for _, s := range ev.all() {
			out.Matched = append(out.Matched, s.denies...)
		}
		return out
	}
	g := weigh(in, &ev)
	if g.allowed() {
		out.Decision = Allow
		for _, s := range ev.all() {
			out.Matched = append(out.Matched, s.allows...)
		}
		return out
	}
	out.Decision = ImplicitDeny
	out.Reason = g.implicitDenyReason(in, in.Request.Action)
	return out
}

// policySets is every policy of a request evaluated, by policy type.
type policySets struct {
	id, bd, sess, rp setResult
	rpRes            Result
	missing          []string
}

func evaluateSets(in *Input) policySets {
	var ev policySets
	eval := func(s *setResult, p *Policy, opts *evalOpts) Result {
		if p == nil {
			return Result{}
		}
		r := p.evaluate(&in.Request, opts)
		ev.missing = append(ev.missing, r.MissingContextKeys...)
		s.add(r)
		return r
	}
	for _, p := range in.Identity {
		eval(&ev.id, p, nil)
	}
	eval(&ev.bd, in.Boundary, nil)
	for _, p := range in.Session {
		eval(&ev.sess, p, nil)
	}
	rpOpts := evalOpts{boundary: in.Boundary != nil, require: in.RequireConditionKeys}
	ev.rpRes = eval(&ev.rp, in.ResourcePolicy, &rpOpts)
	return ev
}

// all lists the sets in the order their matched statements are reported.
func (ev *policySets) all() []*setResult { return []*setResult{&ev.id, &ev.rp, &ev.bd, &ev.sess} }

func (ev *policySets) explicitDeny() (string, bool) {
	switch {
	case ev.id.deny:
		return "with an explicit deny in an identity-based policy", true
	case ev.rp.deny:
		return "with an explicit deny in a resource-based policy", true
	case ev.bd.deny:
		return "with an explicit deny in a permissions boundary", true
	case ev.sess.deny:
		return "with an explicit deny in a session policy", true
	}
	return "", false
}

// grant is what each side of a request allows once no explicit Deny applies.
type grant struct {
	trust, sameAccount                         bool
	identityAllow, boundaryAllow, sessionAllow bool
	identitySide, federatedWithoutPolicy       bool
	// ownPolicyAllow: the identity policies allow, before a federated user's missing session
	// policy takes that away.
	ownPolicyAllow bool
	// rpAllow: an Allow of the resource policy names the caller (a statement without a
	// Principal element, which only a misused identity document has, names no one).
	rpAllow bool
	// limited: the resource policy's grant is one that boundaries and session policies still
	// limit (doc "Resource-based policies and implicit denies": a role-ARN match is; the "*"
	// grant is treated the same way, the reading that never grants more).
	limited, rpGrants bool
}

func weigh(in *Input, ev *policySets) grant {
	kind := in.ResourcePolicyKind
	if kind == 0 && in.ResourcePolicy != nil {
		kind = in.ResourcePolicy.kind
	}
	g := grant{
		trust:                  kind == Trust,
		sameAccount:            in.ResourceAccount == "" || in.ResourceAccount == in.PrincipalAccount,
		identityAllow:          in.IsRoot || ev.id.allow,
		ownPolicyAllow:         ev.id.allow,
		federatedWithoutPolicy: in.FederatedUser && !in.HasSessionPolicies,
		boundaryAllow:          in.Boundary == nil || ev.bd.allow,
		sessionAllow:           !in.HasSessionPolicies || ev.sess.allow,
		rpAllow:                ev.rp.allow && ev.rpRes.PrincipalMatch >= PrincipalWildcard,
	}
	if g.federatedWithoutPolicy {
		g.identityAllow = false
	}
	g.identitySide = g.identityAllow && g.boundaryAllow && g.sessionAllow
	if g.rpAllow && g.sameAccount {
		g.resourceGrant(ev.rpRes.PrincipalMatch, in.Request.Principal.Type)
	}
	return g
}

// resourceGrant decides what a same-account resource policy that allows the caller grants by
// itself, by how it matched the caller.
func (g *grant) resourceGrant(pm PrincipalMatch, principalType string) {
	switch {
	case pm == PrincipalExact && g.trust:
		// A trust policy that names the caller exactly still needs the caller's permissions
		// boundary to allow the action (IAM User Guide, "Update a role trust policy": "If a
		// permissions boundary is set for the user, then it must allow the sts:AssumeRole
		// action"); session policies are limits of the same kind and are held to it too.
		g.limited = true
		g.rpGrants = g.boundaryAllow && g.sessionAllow
	case pm == PrincipalExact:
		g.rpGrants = true
	case pm == PrincipalRole:
		g.limited = true
		g.rpGrants = g.boundaryAllow && g.sessionAllow
	case pm == PrincipalWildcard && principalType == "AWS":
		// "For IAM users and role principals within your account, no other permissions are
		// required" (doc "Principal", all principals). Federated callers must be named by
		// their provider; a federated user without session policies has no permissions.
		g.limited = true
		g.rpGrants = g.boundaryAllow && g.sessionAllow && !g.federatedWithoutPolicy
	}
}

func (g *grant) allowed() bool {
	switch {
	case g.trust:
		return g.rpAllow && (g.rpGrants || g.identitySide)
	case g.sameAccount:
		return g.identitySide || g.rpGrants
	default:
		return g.rpAllow && g.identitySide
	}
}

func (g *grant) implicitDenyReason(in *Input, action string) string {
	noIdentity := len(in.Identity) == 0 && in.Boundary == nil && !in.HasSessionPolicies && !in.IsRoot && !in.FederatedUser
	switch {
	case g.trust && !g.rpAllow:
		return "no resource-based policy allows the " + action + " action"
	case g.limited && !g.boundaryAllow:
		return "no permissions boundary allows the " + action + " action"
	case g.limited && !g.sessionAllow:
		return "no session policy allows the " + action + " action"
	case !g.rpAllow && (g.identitySide || (noIdentity && in.ResourcePolicy != nil)):
		return "no resource-based policy allows the " + action + " action"
	case g.federatedWithoutPolicy && g.ownPolicyAllow:
		// The user's policies would allow; what is missing is a session policy.
		return "no session policy allows the " + action + " action"
	case !g.identityAllow:
		return "no identity-based policy allows the " + action + " action"
	case !g.boundaryAllow:
		return "no permissions boundary allows the " + action + " action"
	}
	return "no session policy allows the " + action + " action"
}

package policy

import (
	"slices"
	"strings"
)

// pmNone means the statement's Principal did not match; it is below every PrincipalMatch.
const pmNone PrincipalMatch = -1

// evalOpts carries what a policy's statements need to know beyond the request when the policy is
// one part of a combined decision.
type evalOpts struct {
	// boundary: the caller has a permissions boundary. A Deny with NotPrincipal then applies to
	// it whatever the NotPrincipal element lists (doc "NotPrincipal", key points).
	boundary bool
	// require lists condition keys every applying Allow statement must constrain (see
	// Input.RequireConditionKeys).
	require []string
}

// Evaluate evaluates the policy alone: ExplicitDeny if a Deny statement applies, else Allow if an
// Allow statement applies, else ImplicitDeny.
func (p *Policy) Evaluate(req *Request) Result {
	return p.evaluate(req, nil)
}

func (p *Policy) evaluate(req *Request, opts *evalOpts) Result {
	var res Result
	var allows, denies []MatchedStatement
	var missing []string
	best := pmNone
	for i := range p.statements {
		st := &p.statements[i]
		applies, kind := p.evalStatement(st, req, opts, &missing)
		if !applies {
			continue
		}
		ms := MatchedStatement{PolicyID: p.ID, Sid: st.sid, Index: st.index, Effect: st.effect.String(), Start: st.start, End: st.end}
		if st.effect == effDeny {
			denies = append(denies, ms)
			continue
		}
		allows = append(allows, ms)
		best = max(best, kind)
	}
	switch {
	case len(denies) > 0:
		res.Decision, res.Matched = ExplicitDeny, denies
	case len(allows) > 0:
		res.Decision, res.Matched, res.PrincipalMatch = Allow, allows, best
	}
	res.MissingContextKeys = dedupFold(missing)
	return res
}

// evalStatement reports whether st applies to req, resolving an unknown outcome by the
// statement's effect (see tri), and how its Principal matched.
func (p *Policy) evalStatement(st *statement, req *Request, opts *evalOpts, missing *[]string) (bool, PrincipalMatch) {
	if matchAnyAction(st.actions, req.Action) == st.notAction {
		return false, pmNone
	}
	kind := PrincipalNotApplicable
	if st.hasPrincipal {
		if st.notPrincipal {
			// NotPrincipal is supported with Deny only (doc "NotPrincipal"); an Allow that uses it
			// would grant to everyone not listed, anonymous callers included, so it grants nothing.
			if st.effect != effDeny {
				return false, pmNone
			}
			if st.princ.exempts(&req.Principal) && (opts == nil || !opts.boundary) {
				return false, pmNone
			}
			kind = PrincipalWildcard
		} else {
			m := st.princ.match(&req.Principal)
			if m == pmNone {
				return false, pmNone
			}
			kind = m
		}
	}
	if st.effect == effAllow && opts != nil && len(opts.require) > 0 {
		for _, k := range opts.require {
			if !st.constrains(k) {
				return false, pmNone
			}
		}
	}
	ctx := req.Context
	out := triTrue
	if st.hasResource {
		out = st.matchResource(req.Resource, ctx, missing)
		if out == triFalse {
			return false, pmNone
		}
	}
	for i := range st.conditions {
		// Every condition is evaluated, even after one is false, so the simulator learns all the
		// keys the request lacked.
		out = out.and(st.conditions[i].eval(ctx, missing))
	}
	switch out {
	case triTrue:
		return true, kind
	case triUnknown:
		return st.effect == effDeny, kind
	}
	return false, pmNone
}

// constrains reports whether the statement's Condition pins key to fixed values: a positive
// string operator (StringEquals, StringEqualsIgnoreCase or StringLike, alone or under
// ForAnyValue) without IfExists, whose values are all literal (no wildcard, no policy variable).
// Negated operators, IfExists and ForAllValues hold when the key is absent, and a wildcard or a
// variable such as ${cognito-identity.amazonaws.com:aud} matches whatever the caller brings, so
// none of them restricts who gets through.
func (st *statement) constrains(key string) bool {
	for i := range st.conditions {
		c := &st.conditions[i]
		if !c.known || c.ifExists || c.info.negated || c.qual == qualAll || len(c.values) == 0 || !strings.EqualFold(c.key, key) {
			continue
		}
		switch c.info.fam {
		case famString, famStringIC, famStringLike:
		default:
			continue
		}
		literal := true
		for j := range c.values {
			o := &c.values[j]
			if o.tmpl != nil || (c.info.fam == famStringLike && strings.ContainsAny(o.raw, "*?")) {
				literal = false
				break
			}
		}
		if literal {
			return true
		}
	}
	return false
}

func matchAnyAction(actions []pattern, action string) bool {
	for i := range actions {
		if actions[i].matchFold(action) {
			return true
		}
	}
	return false
}

// matchResource applies Resource or NotResource. A pattern whose variable has no value matches
// nothing (doc "Policy variables with no value"), under NotResource as under Resource: there the
// statement then applies to the request's resource unless another listed pattern matches it.
func (st *statement) matchResource(resource string, ctx *Context, missing *[]string) tri {
	matched := false
	for i := range st.resources {
		rp := &st.resources[i]
		pat := rp.pat
		if rp.tmpl != nil {
			toks, miss, ok := rp.tmpl.resolveTokens(ctx, false)
			if !ok {
				*missing = append(*missing, miss)
				continue
			}
			pat = resourcePattern(toks)
		}
		if pat.match(resource) {
			matched = true
			break
		}
	}
	return triOf(matched != st.notResource)
}

// match returns how the caller matches the Principal element, or pmNone.
func (ps *principalSpec) match(c *Principal) PrincipalMatch {
	if ps.any {
		return PrincipalWildcard
	}
	best := pmNone
	switch c.Type {
	case "", "AWS":
		// {"AWS":"*"} is documented as equivalent to "*" for anonymous callers; it is not taken
		// to match federated or service callers, which must be named under their own type.
		if ps.awsAny {
			best = PrincipalWildcard
		}
		if c.Type == "" {
			return best
		}
		for _, a := range ps.accounts {
			if c.Account != "" && a == c.Account {
				best = max(best, PrincipalAccount)
			}
		}
		for _, want := range ps.arns {
			for _, have := range c.ARNs {
				if want == have {
					best = max(best, arnMatchKind(want))
				}
			}
		}
		best = max(best, ps.matchID(c))
	case "Federated":
		if containsString(c.ARNs, ps.federated) {
			best = PrincipalExact
		}
	case "Service":
		if containsString(c.ARNs, ps.service) {
			best = PrincipalExact
		}
	}
	return best
}

// exempts reports whether a Deny's NotPrincipal element spares the caller. AWS evaluates a caller
// as each identity in its chain, the account first, then the role and then the role session (or
// the account and then the user), and the Deny applies to every one that is not listed (doc
// "NotPrincipal": list the session, the role and the account ARN; or the user and the account
// ARN). So only a caller whose account and every ARN it is known by are all listed is exempt:
// listing only the role ARN, or only the account, still denies the role's sessions. In a bound
// view an ARN counts as listed only through a binding to the caller's own id, so a user or role
// re-created under a listed name is not exempt.
func (ps *principalSpec) exempts(c *Principal) bool {
	if ps.any {
		return true
	}
	switch c.Type {
	case "":
		return ps.awsAny
	case "AWS":
		if ps.awsAny {
			return true
		}
		if c.Account == "" || !slices.Contains(ps.accounts, c.Account) {
			return false
		}
		root := "arn:aws:iam::" + c.Account + ":root"
		for _, have := range c.ARNs {
			// The account was checked above; ids that are not ARNs are other names of an
			// identity already in the chain.
			if have == root || !strings.HasPrefix(have, "arn:") {
				continue
			}
			if !slices.Contains(ps.arns, have) && !ps.listsByID(have, c) {
				return false
			}
		}
		return true
	case "Federated":
		return containsString(c.ARNs, ps.federated)
	case "Service":
		return containsString(c.ARNs, ps.service)
	}
	return false
}

// arnMatchKind distinguishes a role ARN (which covers every session of the role, and so does not
// name the caller exactly) from user, session and federated-user ARNs.
func arnMatchKind(arn string) PrincipalMatch {
	if _, res, ok := splitIAMARN(arn, "iam"); ok && strings.HasPrefix(res, "role/") {
		return PrincipalRole
	}
	if strings.HasPrefix(arn, "AROA") {
		return PrincipalRole
	}
	return PrincipalExact
}

func containsString(have, want []string) bool {
	for _, w := range want {
		for _, h := range have {
			if w == h {
				return true
			}
		}
	}
	return false
}

// dedupFold removes case-insensitive duplicates, keeping the first spelling and the order.
func dedupFold(keys []string) []string {
	if len(keys) == 0 {
		return nil
	}
	out := make([]string, 0, len(keys))
	seen := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		lk := strings.ToLower(k)
		if _, dup := seen[lk]; !dup {
			seen[lk] = struct{}{}
			out = append(out, k)
		}
	}
	return out
}

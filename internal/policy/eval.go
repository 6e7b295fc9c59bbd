package policy

import "strings"

// pmNone means the statement's Principal did not match; it is below every PrincipalMatch.
const pmNone PrincipalMatch = -1

// Evaluate evaluates the policy alone: ExplicitDeny if a Deny statement applies, else Allow if an
// Allow statement applies, else ImplicitDeny.
func (p *Policy) Evaluate(req *Request) Result {
	var res Result
	var allows, denies []MatchedStatement
	var missing []string
	best := pmNone
	for i := range p.statements {
		st := &p.statements[i]
		applies, kind := p.evalStatement(st, req, &missing)
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
func (p *Policy) evalStatement(st *statement, req *Request, missing *[]string) (bool, PrincipalMatch) {
	if matchAnyAction(st.actions, req.Action) == st.notAction {
		return false, pmNone
	}
	kind := PrincipalNotApplicable
	if st.hasPrincipal {
		m := st.princ.match(&req.Principal)
		if st.notPrincipal {
			if m != pmNone {
				return false, pmNone
			}
			m = PrincipalWildcard
		}
		if m == pmNone {
			return false, pmNone
		}
		kind = m
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

func matchAnyAction(actions []pattern, action string) bool {
	for i := range actions {
		if actions[i].matchFold(action) {
			return true
		}
	}
	return false
}

// matchResource applies Resource or NotResource. A pattern whose variable has no value matches
// nothing (doc "Policy variables with no value"). Under NotResource that would widen the statement
// to every resource, so there the outcome is unknown instead: an Allow does not apply and a Deny
// does.
func (st *statement) matchResource(resource string, ctx *Context, missing *[]string) tri {
	unresolved := false
	matched := false
	for i := range st.resources {
		rp := &st.resources[i]
		pat := rp.pat
		if rp.tmpl != nil {
			toks, miss, ok := rp.tmpl.resolveTokens(ctx, false)
			if !ok {
				*missing = append(*missing, miss)
				unresolved = true
				continue
			}
			pat = resourcePattern(toks)
		}
		if pat.match(resource) {
			matched = true
			break
		}
	}
	if !st.notResource {
		return triOf(matched)
	}
	switch {
	case matched:
		return triFalse
	case unresolved:
		return triUnknown
	}
	return triTrue
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

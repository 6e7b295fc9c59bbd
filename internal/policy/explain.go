package policy

import (
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/internal/explain"
)

// Policy kinds as an explanation names them.
const (
	KindIdentity = "identity"
	KindBoundary = "boundary"
	KindSession  = "session"
	KindTrust    = "trust"
	KindResource = "resource"
)

// redactedKeys are condition keys whose values must not reach an explanation: the external id
// guards a role against confused deputies (IAM User Guide, "Access to AWS accounts owned by third
// parties"), so telling a refused caller the expected value would defeat it.
var redactedKeys = map[string]bool{"sts:externalid": true}

const redacted = "(redacted)"

// Explain builds the evidence behind out, the decision Decide returned for in: every policy
// consulted with each statement and condition, and a summary naming what decided. It re-walks
// the policies, so it costs nothing unless called, and callers call it only on a refusal; it
// returns nil when out allows.
func (in *Input) Explain(out Output) *explain.Explanation {
	if out.Decision == Allow {
		return nil
	}
	x := &explain.Explanation{Action: in.Action, Resource: in.Resource, Outcome: explain.ImplicitDeny}
	if out.Decision == ExplicitDeny {
		x.Outcome = explain.ExplicitDeny
	}
	slots := in.explainSlots()
	for _, s := range slots {
		x.Policies = append(x.Policies, s.x)
	}
	if out.Decision == ExplicitDeny {
		x.Summary = denySummary(slots)
	} else {
		x.Summary = in.implicitSummary(slots, out.Reason)
	}
	return x
}

// slot is one consulted policy with its explanation.
type slot struct {
	kind string
	p    *Policy
	x    explain.Policy
}

func (in *Input) explainSlots() []slot {
	var out []slot
	add := func(kind string, p *Policy, opts *evalOpts) {
		if p != nil {
			out = append(out, slot{kind: kind, p: p, x: p.explain(kind, &in.Request, opts)})
		}
	}
	// The order explicitDeny reports in: identity, resource, boundary, session.
	for _, p := range in.Identity {
		add(KindIdentity, p, nil)
	}
	if in.ResourcePolicy != nil {
		kind := in.ResourcePolicyKind
		if kind == 0 {
			kind = in.ResourcePolicy.kind
		}
		name := KindResource
		if kind == Trust {
			name = KindTrust
		}
		add(name, in.ResourcePolicy, &evalOpts{boundary: in.Boundary != nil, require: in.RequireConditionKeys})
	}
	add(KindBoundary, in.Boundary, nil)
	for _, p := range in.Session {
		add(KindSession, p, nil)
	}
	return out
}

// explain walks every statement of p against req.
func (p *Policy) explain(kind string, req *Request, opts *evalOpts) explain.Policy {
	xp := explain.Policy{Kind: kind, Name: p.ID, Version: p.version, Statements: make([]explain.Statement, 0, len(p.statements))}
	var scratch []string
	xp.Decision = decisionName(p.evaluate(req, opts).Decision)
	for i := range p.statements {
		st := &p.statements[i]
		xs := explain.Statement{Index: st.index, Sid: st.sid, Effect: st.effect.String(),
			ActionMatched:   matchAnyAction(st.actions, req.Action) != st.notAction,
			ResourceMatched: !st.hasResource || st.matchResource(req.Resource, req.Context, &scratch) != triFalse,
			Position:        &explain.Position{Line: st.start.Line, Column: st.start.Column}}
		if st.hasPrincipal {
			m := st.principalMatches(req, opts)
			xs.PrincipalMatched = &m
		}
		for j := range st.conditions {
			xs.Conditions = append(xs.Conditions, st.conditions[j].explain(req.Context))
		}
		xs.Applied, _ = p.evalStatement(st, req, opts, &scratch)
		xp.Statements = append(xp.Statements, xs)
	}
	return xp
}

// principalMatches is the Principal half of evalStatement.
func (st *statement) principalMatches(req *Request, opts *evalOpts) bool {
	if st.notPrincipal {
		return st.effect == effDeny && (!st.princ.exempts(&req.Principal) || (opts != nil && opts.boundary))
	}
	return st.princ.match(&req.Principal) != pmNone
}

func (c *condition) explain(ctx *Context) explain.Condition {
	xc := explain.Condition{Operator: c.op, Key: c.key, PolicyValues: make([]string, 0, len(c.values))}
	for i := range c.values {
		xc.PolicyValues = append(xc.PolicyValues, c.values[i].raw)
	}
	vals, present := ctx.lookup(c.lkey)
	xc.Absent = !present
	xc.RequestValues = append([]string(nil), vals...)
	if redactedKeys[c.lkey] {
		for i := range xc.PolicyValues {
			xc.PolicyValues[i] = redacted
		}
		for i := range xc.RequestValues {
			xc.RequestValues[i] = redacted
		}
	}
	var scratch []string
	xc.Result = c.eval(ctx, &scratch) == triTrue
	return xc
}

func decisionName(d Decision) string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return string(explain.ExplicitDeny)
	}
	return string(explain.ImplicitDeny)
}

// describe names a policy in a summary: "identity policy NAME", "trust policy of ROLE".
func describe(s *slot) string {
	switch s.kind {
	case KindTrust:
		return "trust policy of " + s.x.Name
	case KindBoundary:
		return "permissions boundary " + s.x.Name
	}
	return s.kind + " policy " + s.x.Name
}

func statementRef(xs *explain.Statement) string {
	if xs.Sid != "" {
		return "statement " + strconv.Quote(xs.Sid)
	}
	return "statement " + strconv.Itoa(xs.Index)
}

// denySummary names the first Deny that applied, in the order AWS reports explicit denies.
func denySummary(slots []slot) string {
	for i := range slots {
		for j := range slots[i].x.Statements {
			xs := &slots[i].x.Statements[j]
			if xs.Applied && xs.Effect == "Deny" {
				return "explicit deny in " + describe(&slots[i]) + " " + statementRef(xs)
			}
		}
	}
	return "explicit deny"
}

// implicitSummary names the side that did not allow (as out.Reason does) and, within it, the
// closest Allow: the statement that matched most, with what failed.
func (in *Input) implicitSummary(slots []slot, reason string) string {
	want := missingSide(reason)
	var best *explain.Statement
	var bestSlot *slot
	bestScore := -1
	for i := range slots {
		if !want[slots[i].kind] {
			continue
		}
		for j := range slots[i].x.Statements {
			xs := &slots[i].x.Statements[j]
			if xs.Effect != "Allow" {
				continue
			}
			if sc := closeness(xs); sc > bestScore {
				best, bestSlot, bestScore = xs, &slots[i], sc
			}
		}
	}
	if best == nil || !best.ActionMatched || !best.ResourceMatched {
		return "no " + sideName(reason) + " allows " + in.Action
	}
	prefix := describe(bestSlot) + " " + statementRef(best) + ": "
	if best.PrincipalMatched != nil && !*best.PrincipalMatched {
		return prefix + "Principal does not name " + explain.Quote(in.Principal.ARNs)
	}
	for _, c := range best.Conditions {
		if !c.Result {
			return prefix + conditionSummary(&c)
		}
	}
	if best.Applied {
		// It allowed, but this side alone is not enough (a boundary or session policy limits it).
		return "no " + sideName(reason) + " allows " + in.Action
	}
	if len(in.RequireConditionKeys) > 0 {
		return prefix + "does not pin " + strings.Join(in.RequireConditionKeys, ", ") + " to fixed values, which a role of another account requires"
	}
	return prefix + "a condition could not be evaluated"
}

// closeness ranks an Allow statement by how much of it matched the request.
func closeness(xs *explain.Statement) int {
	sc := 0
	if xs.ActionMatched {
		sc += 100
	}
	if xs.ResourceMatched {
		sc += 50
	}
	if xs.PrincipalMatched == nil || *xs.PrincipalMatched {
		sc += 25
	}
	for _, c := range xs.Conditions {
		if c.Result {
			sc++
		}
	}
	return sc
}

func conditionSummary(c *explain.Condition) string {
	return c.Operator + " " + c.Key + " expects " + quoteList(c.PolicyValues) + ", request has " + explain.Quote(c.RequestValues)
}

func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// missingSide maps Decide's implicit-deny reason to the kinds of policy that failed to allow.
func missingSide(reason string) map[string]bool {
	switch {
	case strings.HasPrefix(reason, "no resource-based policy"):
		return map[string]bool{KindTrust: true, KindResource: true}
	case strings.HasPrefix(reason, "no permissions boundary"):
		return map[string]bool{KindBoundary: true}
	case strings.HasPrefix(reason, "no session policy"):
		return map[string]bool{KindSession: true}
	}
	return map[string]bool{KindIdentity: true}
}

func sideName(reason string) string {
	s := strings.TrimPrefix(reason, "no ")
	if i := strings.Index(s, " allows"); i >= 0 {
		return s[:i]
	}
	return "policy"
}

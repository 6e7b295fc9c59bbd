package policy

import (
	"slices"
	"strings"
)

// IAM binds the users, roles and role sessions a stored resource policy names to their unique
// ids: "When you save the policy, AWS transforms the ARN to a unique principal ID. This helps
// mitigate the risk of someone escalating their privileges by removing and recreating the role or
// user." (IAM User Guide, "AWS JSON policy elements: Principal", IAM role principals). This file
// holds the pure half of that: which principal values are bound, the bound view of a parsed
// policy that matches by id, and the rewriting of a document's principal strings for display.

// NamedKind says what a principal value that IAM binds names.
type NamedKind int

const (
	// NamedUser: arn:aws:iam::ACCOUNT:user/PATH/NAME.
	NamedUser NamedKind = iota + 1
	// NamedRole: arn:aws:iam::ACCOUNT:role/PATH/NAME, which covers every session of the role.
	NamedRole
	// NamedSession: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, bound to the role's id; the
	// session name stays part of what must match.
	NamedSession
	// NamedUserID: a user's unique id (AIDA…) written as the principal.
	NamedUserID
	// NamedRoleID: a role's unique id (AROA…) written as the principal.
	NamedRoleID
)

// NamedPrincipal is what a bound principal value names.
type NamedPrincipal struct {
	Kind    NamedKind
	Account string // ARN forms: the account in the ARN
	Path    string // users and roles: "/" or "/a/b/"
	Name    string // the user's or role's name; for a session, its role's name
	Session string // NamedSession: the session name
	ID      string // NamedUserID, NamedRoleID: the id as written
}

// ParseNamedPrincipal recognises the AWS principal values IAM binds to a unique id when a
// resource policy is saved: IAM user and role ARNs, role session ARNs, and unique ids. Account
// ids, root ARNs, "*", federated-user ARNs and every Federated or Service principal are not bound.
func ParseNamedPrincipal(value string) (NamedPrincipal, bool) {
	if isUniqueID(value) {
		if strings.HasPrefix(value, "AROA") {
			return NamedPrincipal{Kind: NamedRoleID, ID: value}, true
		}
		return NamedPrincipal{Kind: NamedUserID, ID: value}, true
	}
	if account, res, ok := splitIAMARN(value, "iam"); ok {
		kind := NamedUser
		rest, found := strings.CutPrefix(res, "user")
		if !found {
			kind = NamedRole
			if rest, found = strings.CutPrefix(res, "role"); !found {
				return NamedPrincipal{}, false
			}
		}
		if !strings.HasPrefix(rest, "/") || !isPathName(rest[1:]) {
			return NamedPrincipal{}, false
		}
		cut := strings.LastIndexByte(rest, '/')
		return NamedPrincipal{Kind: kind, Account: account, Path: rest[:cut+1], Name: rest[cut+1:]}, true
	}
	if account, res, ok := splitIAMARN(value, "sts"); ok {
		n, found := strings.CutPrefix(res, "assumed-role/")
		if !found {
			return NamedPrincipal{}, false
		}
		role, session, found := strings.Cut(n, "/")
		if !found || !isName(role) || !isName(session) {
			return NamedPrincipal{}, false
		}
		return NamedPrincipal{Kind: NamedSession, Account: account, Name: role, Session: session}, true
	}
	return NamedPrincipal{}, false
}

// Binding ties one bound principal value, exactly as the document writes it (JSON-decoded), to
// the unique id of the user or role it named when the document was saved; for a role session
// ARN, the id of the session's role.
type Binding struct {
	Principal string
	ID        string
}

// idRef is one bound principal of a bound view.
type idRef struct {
	id      string
	kind    NamedKind // NamedUser, NamedRole or NamedSession
	session string    // NamedSession only
}

// Bind returns a view of p for a stored document whose principals were bound when it was saved:
// each user, role or role-session principal matches only a caller carrying the id its binding
// records (Principal.ID, and for a session also Principal.SessionName), in Principal and
// NotPrincipal alike. Such a principal without a binding matches no one: IAM could not bind it, so
// the relationship it named is broken; a unique id written as a principal is never bound (IAM
// refuses it on write), so it matches no one either. Every other
// principal form matches as in p. Only a document that was never stored, as the simulator's
// custom policies, is evaluated unbound. p itself is unchanged.
func (p *Policy) Bind(bindings []Binding) *Policy {
	ids := make(map[string]string, len(bindings))
	for _, b := range bindings {
		ids[b.Principal] = b.ID
	}
	q := *p
	q.statements = make([]statement, len(p.statements))
	for i := range p.statements {
		st := p.statements[i]
		if st.hasPrincipal {
			st.princ = st.princ.bind(ids)
		}
		q.statements[i] = st
	}
	return &q
}

func (ps principalSpec) bind(ids map[string]string) principalSpec {
	out := ps
	out.arns, out.ids = nil, nil
	for _, v := range ps.arns {
		n, ok := ParseNamedPrincipal(v)
		if !ok {
			out.arns = append(out.arns, v)
			continue
		}
		id, ok := ids[v]
		if !ok || n.Kind == NamedUserID || n.Kind == NamedRoleID {
			continue
		}
		out.ids = append(out.ids, idRef{id: id, kind: n.Kind, session: n.Session})
	}
	return out
}

// matchID returns how the bound principals match the caller, or pmNone. A user's binding
// matches only a caller without a session name and a role's only a role session, so an id can
// never stand for an entity of the other kind.
func (ps *principalSpec) matchID(c *Principal) PrincipalMatch {
	best := pmNone
	if c.ID == "" {
		return best
	}
	for i := range ps.ids {
		r := &ps.ids[i]
		if r.id != c.ID {
			continue
		}
		switch r.kind {
		case NamedRole:
			if c.SessionName != "" {
				best = max(best, PrincipalRole)
			}
		case NamedSession:
			if r.session == c.SessionName {
				best = max(best, PrincipalExact)
			}
		default:
			if c.SessionName == "" {
				best = max(best, PrincipalExact)
			}
		}
	}
	return best
}

// listsByID reports whether a bound principal stands for have, one of the ARNs the caller is
// known by: its user ARN, its role ARN or its session ARN, each named by the caller's id.
func (ps *principalSpec) listsByID(have string, c *Principal) bool {
	if c.ID == "" || len(ps.ids) == 0 {
		return false
	}
	n, ok := ParseNamedPrincipal(have)
	if !ok {
		return false
	}
	return slices.ContainsFunc(ps.ids, func(r idRef) bool {
		return r.id == c.ID && r.kind == n.Kind && (n.Kind != NamedSession || r.session == c.SessionName)
	})
}

// RenderPrincipals returns doc with each AWS principal string of its Principal and NotPrincipal
// elements replaced by render's answer when render reports one that differs; every other byte of
// the document, the spelling of the strings left alone included, is kept. IAM shows a stored
// trust policy this way: bound principals mapped back to their current ARNs, or to their unique
// ids once they no longer exist. A document that does not parse is returned unchanged.
func RenderPrincipals(doc string, render func(value string) (string, bool)) string {
	root := parseJSON(doc)
	if root == nil {
		return doc
	}
	stmts, _, ok := checkGrammar(root)
	if !ok {
		return doc
	}
	type edit struct {
		start, end int
		text       string
	}
	var edits []edit
	for _, st := range stmts {
		for _, field := range []string{"Principal", "NotPrincipal"} {
			v := st.get(field)
			if v == nil || v.kind != jObject {
				continue
			}
			aws := v.get("AWS")
			if aws == nil {
				continue
			}
			values := aws.arr
			if aws.kind == jString {
				values = []*jvalue{aws}
			}
			for _, jv := range values {
				if s, ok := render(jv.str); ok && s != jv.str {
					edits = append(edits, edit{jv.start, jv.end, quoteJSON(s)})
				}
			}
		}
	}
	if len(edits) == 0 {
		return doc
	}
	slices.SortFunc(edits, func(a, b edit) int { return a.start - b.start })
	var b strings.Builder
	last := 0
	for _, e := range edits {
		b.WriteString(doc[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.WriteString(doc[last:])
	return b.String()
}

// quoteJSON writes s as a JSON string, escaping only what JSON requires.
func quoteJSON(s string) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

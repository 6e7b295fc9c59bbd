package policy

import "strings"

// Policy variables (doc "IAM policy elements: Variables and tags"): ${key}, ${key, 'default'} and
// the escapes ${*} ${?} ${$}, recognised only under Version 2012-10-17. Anything that does not
// parse as one of these forms stays literal text, as it would under 2008-10-17.

type partKind uint8

const (
	partText   partKind = iota // policy text: * and ? are wildcards where the element allows them
	partEscape                 // ${*} ${?} ${$}: always literal
	partVar
)

type tpart struct {
	kind   partKind
	text   string // partText: the text; partEscape: the escaped character
	key    string // partVar: the key as written
	lkey   string
	def    string
	hasDef bool
}

// template is a string that contains at least one variable or escape.
type template []tpart

// parseTemplate returns nil when s has nothing to substitute, so static strings keep their
// pre-compiled form. It runs in linear time: each "${" is paired with the first "}" after it, and
// only the last "${" before that brace can open a variable, so no text is scanned twice however many
// unmatched "${" a hostile document holds. (A default value therefore cannot contain "}".)
func parseTemplate(s string) template {
	if !strings.Contains(s, "${") {
		return nil
	}
	var t template
	found := false
	text := func(x string) {
		if x != "" {
			t = append(t, tpart{kind: partText, text: x})
		}
	}
	for len(s) > 0 {
		i := strings.Index(s, "${")
		if i < 0 {
			text(s)
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			text(s)
			break
		}
		j += i
		k := i + strings.LastIndex(s[i:j], "${")
		if p, ok := parseVariable(s[k+2 : j]); ok {
			text(s[:k])
			t = append(t, p)
			found = true
		} else {
			text(s[:j+1])
		}
		s = s[j+1:]
	}
	if !found {
		return nil
	}
	return t
}

// parseVariable parses the inside of "${...}".
func parseVariable(inner string) (tpart, bool) {
	switch inner {
	case "*", "?", "$":
		return tpart{kind: partEscape, text: inner}, true
	}
	key, def, hasDef := inner, "", false
	if c := strings.IndexByte(inner, ','); c >= 0 {
		key = inner[:c]
		d := strings.TrimSpace(inner[c+1:])
		if len(d) < 2 || d[0] != '\'' || d[len(d)-1] != '\'' {
			return tpart{}, false
		}
		def, hasDef = d[1:len(d)-1], true
	}
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, "${}'") {
		return tpart{}, false
	}
	return tpart{kind: partVar, key: key, lkey: strings.ToLower(key), def: def, hasDef: hasDef}, true
}

// varValue resolves one variable. Only a single-valued key can be substituted; a multi-valued
// one is treated as absent rather than picking one of its values.
func varValue(p *tpart, ctx *Context) (string, bool) {
	if vs, ok := ctx.lookup(p.lkey); ok && len(vs) == 1 {
		return vs[0], true
	}
	if p.hasDef {
		return p.def, true
	}
	return "", false
}

// resolveString substitutes every part; ok is false when a variable has no value and no default,
// and missing then names it.
func (t template) resolveString(ctx *Context) (s string, missing string, ok bool) {
	var b strings.Builder
	for i := range t {
		p := &t[i]
		switch p.kind {
		case partText, partEscape:
			b.WriteString(p.text)
		case partVar:
			v, found := varValue(p, ctx)
			if !found {
				return "", p.key, false
			}
			b.WriteString(v)
		}
	}
	return b.String(), "", true
}

// resolveTokens builds glob tokens: wildcards only from policy text, everything substituted literal.
func (t template) resolveTokens(ctx *Context, fold bool) (toks []tok, missing string, ok bool) {
	for i := range t {
		p := &t[i]
		switch p.kind {
		case partText:
			toks = globTokens(toks, p.text, fold)
		case partEscape:
			toks = literalTokens(toks, p.text)
		case partVar:
			v, found := varValue(p, ctx)
			if !found {
				return nil, p.key, false
			}
			toks = literalTokens(toks, v)
		}
	}
	return toks, "", true
}

// keys appends the variable keys of t in order.
func (t template) keys(dst []string) []string {
	for i := range t {
		if t[i].kind == partVar {
			dst = append(dst, t[i].key)
		}
	}
	return dst
}

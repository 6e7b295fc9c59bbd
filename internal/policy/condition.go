package policy

import (
	"bytes"
	"net/netip"
	"strings"
)

// Condition operators (doc "IAM JSON policy elements: Condition operators").

type family uint8

const (
	famString family = iota + 1
	famStringIC
	famStringLike
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn
	famNull
)

type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpLt
	cmpLte
	cmpGt
	cmpGte
)

type opInfo struct {
	fam     family
	cmp     cmpOp
	negated bool
}

var operators = map[string]opInfo{
	"StringEquals":              {famString, cmpEq, false},
	"StringNotEquals":           {famString, cmpEq, true},
	"StringEqualsIgnoreCase":    {famStringIC, cmpEq, false},
	"StringNotEqualsIgnoreCase": {famStringIC, cmpEq, true},
	"StringLike":                {famStringLike, cmpEq, false},
	"StringNotLike":             {famStringLike, cmpEq, true},
	"NumericEquals":             {famNumeric, cmpEq, false},
	"NumericNotEquals":          {famNumeric, cmpEq, true},
	"NumericLessThan":           {famNumeric, cmpLt, false},
	"NumericLessThanEquals":     {famNumeric, cmpLte, false},
	"NumericGreaterThan":        {famNumeric, cmpGt, false},
	"NumericGreaterThanEquals":  {famNumeric, cmpGte, false},
	"DateEquals":                {famDate, cmpEq, false},
	"DateNotEquals":             {famDate, cmpEq, true},
	"DateLessThan":              {famDate, cmpLt, false},
	"DateLessThanEquals":        {famDate, cmpLte, false},
	"DateGreaterThan":           {famDate, cmpGt, false},
	"DateGreaterThanEquals":     {famDate, cmpGte, false},
	"Bool":                      {famBool, cmpEq, false},
	"BinaryEquals":              {famBinary, cmpEq, false},
	"IpAddress":                 {famIP, cmpEq, false},
	"NotIpAddress":              {famIP, cmpEq, true},
	"ArnEquals":                 {famArn, cmpEq, false},
	"ArnLike":                   {famArn, cmpEq, false},
	"ArnNotEquals":              {famArn, cmpEq, true},
	"ArnNotLike":                {famArn, cmpEq, true},
	"Null":                      {famNull, cmpEq, false},
}

type qualifier uint8

const (
	qualNone qualifier = iota
	qualAny            // ForAnyValue:
	qualAll            // ForAllValues:
)

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts. Operator names are matched
// case-sensitively, as the documentation spells them (whether AWS folds case is unverified; an
// operator it would accept but we do not is refused on write, which fails closed).
func parseOperator(name string) (info opInfo, q qualifier, ifExists, ok bool) {
	base := name
	switch {
	case strings.HasPrefix(base, "ForAnyValue:"):
		q = qualAny
		base = base[len("ForAnyValue:"):]
	case strings.HasPrefix(base, "ForAllValues:"):
		q = qualAll
		base = base[len("ForAllValues:"):]
	}
	if b, found := strings.CutSuffix(base, "IfExists"); found {
		ifExists = true
		base = b
	}
	info, ok = operators[base]
	if ok && ifExists && info.fam == famNull {
		ok = false
	}
	return info, q, ifExists, ok
}

// tri is Kleene's three-valued logic. Unknown arises from an operator we do not implement or a
// value that cannot be read as its operator's type; a statement whose outcome is unknown is
// treated as applying when it is a Deny and as not applying when it is an Allow, so nothing that
// cannot be evaluated ever grants, and a Deny that cannot be evaluated still denies.
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

func (a tri) and(b tri) tri {
	if a == triFalse || b == triFalse {
		return triFalse
	}
	if a == triUnknown || b == triUnknown {
		return triUnknown
	}
	return triTrue
}

func (a tri) or(b tri) tri {
	if a == triTrue || b == triTrue {
		return triTrue
	}
	if a == triUnknown || b == triUnknown {
		return triUnknown
	}
	return triFalse
}

func (a tri) not() tri {
	switch a {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUnknown
}

// operand is one policy value of a condition, pre-parsed for its operator when it has no
// variables.
type operand struct {
	raw  string
	tmpl template // non-nil: resolved per request
	ok   bool     // the static value parsed for its operator's type
	dec  decimal
	at   instant
	b    bool
	bin  []byte
	pfx  netip.Prefix
	like pattern
	arn  [6]pattern
}

// condition is one (operator, key) pair of a Condition block.
type condition struct {
	op       string // the operator as written, for explanations
	known    bool
	info     opInfo
	qual     qualifier
	ifExists bool
	hasVars  bool
	key      string
	lkey     string
	values   []operand
}

// takesVariables reports whether policy variables are substituted in values of this family. The
// documentation allows them with the String, Boolean and ARN operators and says "You can not use
// a policy variable" with the Numeric, Date, Binary, IP address and Null operators ("Condition
// operators"); there "${...}" stays literal text, which does not parse as the operator's type,
// so such a condition is unknown: its Allow never applies and its Deny always does.
func (f family) takesVariables() bool {
	switch f {
	case famString, famStringIC, famStringLike, famBool, famArn:
		return true
	}
	return false
}

func newOperand(raw string, info opInfo, vars bool) operand {
	o := operand{raw: raw}
	if vars && info.fam.takesVariables() {
		o.tmpl = parseTemplate(raw)
	}
	if o.tmpl == nil {
		o.ok = o.parse(raw, nil, info)
	}
	return o
}

// parse fills the typed form of o from s (or, for pattern families, from toks when the value came
// from a template).
func (o *operand) parse(s string, toks []tok, info opInfo) bool {
	switch info.fam {
	case famString, famStringIC:
		o.raw = s
		return true
	case famStringLike:
		if toks == nil {
			toks = globTokens(nil, s, false)
		}
		o.like = globPattern(toks)
		return true
	case famNumeric:
		var ok bool
		o.dec, ok = parseDecimal(s)
		return ok
	case famDate:
		var ok bool
		o.at, ok = parseDate(s)
		return ok
	case famBool:
		var ok bool
		o.b, ok = parseBool(s)
		return ok
	case famBinary:
		var ok bool
		o.bin, ok = parseBinary(s)
		return ok
	case famIP:
		var ok bool
		o.pfx, ok = parsePrefix(s)
		return ok
	case famArn:
		if toks == nil {
			toks = globTokens(nil, s, false)
		}
		var ok bool
		o.arn, ok = splitTokensARN(toks)
		return ok
	case famNull:
		o.raw = s
		var ok bool
		o.b, ok = parseBool(s)
		return ok
	}
	return false
}

// resolve returns the operand to compare for this request: o itself when static, otherwise a
// copy with its variables substituted. dropped means a variable had no value and no default: the
// value then matches nothing (doc "Policy variables with no value").
func (o *operand) resolve(ctx *Context, info opInfo) (r operand, dropped bool, missing string) {
	if o.tmpl == nil {
		return *o, false, ""
	}
	switch info.fam {
	case famStringLike, famArn:
		toks, miss, ok := o.tmpl.resolveTokens(ctx, false)
		if !ok {
			return operand{}, true, miss
		}
		r.ok = r.parse("", toks, info)
	default:
		s, miss, ok := o.tmpl.resolveString(ctx)
		if !ok {
			return operand{}, true, miss
		}
		r.ok = r.parse(s, nil, info)
	}
	return r, false, ""
}

// reqValue is one request value parsed once for the operator's family.
type reqValue struct {
	s   string
	ok  bool
	dec decimal
	at  instant
	b   bool
	bin []byte
	ip  netip.Addr
	arn [6]string
}

// prepare fills v in place: reqValue is large, and returning it by value costs a copy per value.
func prepare(v *reqValue, s string, fam family) {
	v.s, v.ok = s, true
	switch fam {
	case famNumeric:
		v.dec, v.ok = parseDecimal(s)
	case famDate:
		v.at, v.ok = parseDate(s)
	case famBool:
		v.b, v.ok = parseBool(s)
	case famBinary:
		v.bin, v.ok = parseBinary(s)
	case famIP:
		v.ip, v.ok = parseAddr(s)
	case famArn:
		v.arn, v.ok = splitARN(s)
	}
}

// matchOne applies the positive form of the operator to one request value and one policy value.
func matchOne(v *reqValue, o *operand, info opInfo) tri {
	if !v.ok || !o.ok {
		return triUnknown
	}
	switch info.fam {
	case famString:
		return triOf(v.s == o.raw)
	case famStringIC:
		return triOf(strings.EqualFold(v.s, o.raw))
	case famStringLike:
		return triOf(o.like.match(v.s))
	case famNumeric:
		return triOf(compares(cmpDecimal(v.dec, o.dec), info.cmp))
	case famDate:
		return triOf(compares(cmpInstant(v.at, o.at), info.cmp))
	case famBool:
		return triOf(v.b == o.b)
	case famBinary:
		return triOf(bytes.Equal(v.bin, o.bin))
	case famIP:
		return triOf(o.pfx.Contains(v.ip))
	case famArn:
		for i := range 6 {
			if !o.arn[i].match(v.arn[i]) {
				return triFalse
			}
		}
		return triTrue
	}
	return triUnknown
}

func compares(c int, op cmpOp) bool {
	switch op {
	case cmpEq:
		return c == 0
	case cmpLt:
		return c < 0
	case cmpLte:
		return c <= 0
	case cmpGt:
		return c > 0
	case cmpGte:
		return c >= 0
	}
	return false
}

// eval evaluates the condition against ctx; missing collects keys the request lacked.
func (c *condition) eval(ctx *Context, missing *[]string) tri {
	if !c.known {
		return triUnknown
	}
	vals, present := ctx.lookup(c.lkey)
	if !present {
		*missing = append(*missing, c.key)
	}
	if c.info.fam == famNull {
		return c.evalNull(present)
	}
	if !present {
		return c.absent()
	}
	ops := c.values
	if c.hasVars {
		ops = c.resolveOperands(ctx, missing)
	}
	return c.matchValues(vals, ops)
}

// evalNull: Null takes no variables and ignores set qualifiers: it only asks whether the key exists.
func (c *condition) evalNull(present bool) tri {
	res := triFalse
	for i := range c.values {
		o := &c.values[i]
		if !o.ok {
			res = res.or(triUnknown)
			continue
		}
		res = res.or(triOf(o.b != present))
	}
	return res
}

// absent is the condition's value when the request lacks its key.
func (c *condition) absent() tri {
	// The set qualifier decides first (doc "Multivalued context keys"): ForAnyValue needs at
	// least one value, so it is false for an absent or empty key, and IfExists, which only
	// matters per value, does not turn that into true; ForAllValues holds vacuously.
	switch {
	case c.qual == qualAny:
		return triFalse
	case c.qual == qualAll:
		return triTrue
	case c.ifExists:
		return triTrue
	}
	// The missing-key rule: positive operators are false, negated ones true.
	return triOf(c.info.negated)
}

// resolveOperands substitutes the request's values into policy values with variables, once per
// request; a value whose variable the request lacks is dropped and its key reported missing.
func (c *condition) resolveOperands(ctx *Context, missing *[]string) []operand {
	resolved := make([]operand, 0, len(c.values))
	for i := range c.values {
		if c.values[i].tmpl == nil {
			resolved = append(resolved, c.values[i])
			continue
		}
		r, dropped, miss := c.values[i].resolve(ctx, c.info)
		if dropped {
			*missing = append(*missing, miss)
			continue
		}
		resolved = append(resolved, r)
	}
	return resolved
}

// matchValues applies the operator and the set qualifier to the request's values.
func (c *condition) matchValues(vals []string, ops []operand) tri {
	var v reqValue
	switch c.qual {
	case qualAny:
		res := triFalse
		for _, s := range vals {
			res = res.or(c.perValue(&v, s, ops))
		}
		return res
	case qualAll:
		res := triTrue
		for _, s := range vals {
			res = res.and(c.perValue(&v, s, ops))
		}
		return res
	}
	// Without a set qualifier a multi-valued key matches when any of its values does (behaviour
	// AWS calls undefined); the negated operators are the negation of that.
	pos := triFalse
	for _, s := range vals {
		prepare(&v, s, c.info.fam)
		pos = pos.or(anyMatch(&v, ops, c.info))
	}
	if c.info.negated {
		return pos.not()
	}
	return pos
}

// perValue is one request value under a set qualifier: the operator, negated where it is.
func (c *condition) perValue(v *reqValue, s string, ops []operand) tri {
	prepare(v, s, c.info.fam)
	m := anyMatch(v, ops, c.info)
	if c.info.negated {
		return m.not()
	}
	return m
}

// anyMatch is "the request value matches at least one policy value".
func anyMatch(v *reqValue, ops []operand, info opInfo) tri {
	res := triFalse
	for i := range ops {
		res = res.or(matchOne(v, &ops[i], info))
		if res == triTrue {
			break
		}
	}
	return res
}

package policy

import (
	"fmt"
	"slices"
	"strings"
)

// MalformedPolicyDocument messages. Sources: "obs" = seen verbatim in AWS responses quoted in
// public issues; "moto" = moto's IAM validator, whose test suite was recorded against AWS
// responses; "unverified" = our wording where no AWS text was found.
const (
	msgSyntax = "Syntax errors in policy." // obs
	// obs: CreateRole with a trust policy that is not JSON at all.
	msgInvalidJSON = "This policy contains invalid Json"
	// obs: CreatePolicy without Version 2012-10-17.
	msgVersionTooOld = "Policy document must be version 2012-10-17 or greater."
	msgLegacy        = "The policy failed legacy parsing"                       // obs
	msgSidUnique     = "Statement IDs (SID) in a single policy must be unique." // obs
	// obs: the console, for a managed policy.
	msgSidAlnum          = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgNoActions         = "Policy statement must contain actions."          // obs
	msgNoResources       = "Policy statement must contain resources."        // obs
	msgNoPrincipalWanted = "Policy document should not specify a principal." // obs
	// obs: CreateRole, 2020. The spec's "Missing required field Principal" is S3's wording.
	msgNoPrincipalTrust = "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
	msgNoPrincipalRes   = "Missing required field Principal"                                           // obs (S3 bucket policies)
	msgActionVendor     = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc." // moto
	msgActionColon      = "Actions/Condition can contain only one colon."                              // obs
	msgResourceVendor   = "Resource vendor must be fully qualified and cannot contain regexes."        // moto
)

func perr(msg string) error { return &ParseError{Message: msg, Statement: -1} }

type effect uint8

const (
	effAllow effect = iota
	effDeny
)

func (e effect) String() string {
	if e == effDeny {
		return "Deny"
	}
	return "Allow"
}

type statement struct {
	sid    string
	index  int
	effect effect
	start  Position
	end    Position

	hasPrincipal bool
	notPrincipal bool
	princ        principalSpec

	actions   []pattern
	notAction bool

	hasResource bool
	notResource bool
	resources   []resPattern

	conditions []condition
}

type resPattern struct {
	raw  string
	tmpl template
	pat  pattern
}

type principalSpec struct {
	any       bool // "Principal": "*"
	awsAny    bool // {"AWS": "*"}
	accounts  []string
	arns      []string // user, role, session, federated-user ARNs and unique ids
	federated []string
	service   []string
	// ids replaces, in a bound view (see Policy.Bind), the entries of arns that name IAM users,
	// roles and role sessions: those match by the unique id recorded when the policy was saved.
	ids []idRef
}

var statementFields = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}

var principalTypes = []string{"AWS", "Federated", "Service", "CanonicalUser"}

// Parse parses and validates a document for its kind. Errors are *ParseError carrying AWS's
// MalformedPolicyDocument text. The checks run in the order IAM's own validator appears to use
// (moto reproduces it from AWS responses): grammar, version, legacy parsing, Sid uniqueness,
// actions, resources, resource format, action format; the principal rules, which moto does not
// model, are placed after legacy parsing and the principal values last (order unverified).
func Parse(id, document string, kind Kind) (*Policy, error) {
	if !kind.valid() {
		return nil, perr(fmt.Sprintf("policy: invalid Kind %d", int(kind)))
	}
	root := parseJSON(document)
	if root == nil {
		if kind == Trust {
			return nil, located(msgInvalidJSON, document, nil, nil, kind)
		}
		return nil, located(msgSyntax, document, nil, nil, kind)
	}
	stmts, version, ok := checkGrammar(root)
	if !ok {
		return nil, located(msgSyntax, document, root, nil, kind)
	}
	if kind == Managed && version != "2012-10-17" {
		pe := perr(msgVersionTooOld).(*ParseError)
		pe.Element, pe.Detail = "Version", "a managed policy must have Version 2012-10-17"
		return nil, pe
	}
	vars := version == "2012-10-17"
	if msg := legacyError(stmts, vars); msg != "" {
		return nil, located(msg, document, root, stmts, kind)
	}
	resErr, legacy := resourceErrors(kind, stmts)
	if legacy {
		return nil, located(msgLegacy, document, root, stmts, kind)
	}
	// The remaining checks run in IAM's order; the first that fails is the answer.
	for _, check := range []func() string{
		func() string { return principalPresenceError(kind, stmts) },
		func() string { return sidError(kind, stmts) },
		func() string { return missingElementError(kind, stmts) },
		func() string { return resErr },
		func() string { return actionFormatErrors(stmts) },
		func() string { return principalValueErrors(stmts) },
	} {
		if msg := check(); msg != "" {
			return nil, located(msg, document, root, stmts, kind)
		}
	}
	return compile(id, document, kind, version, stmts), nil
}

// legacyError is IAM's legacy parsing: Effect spelled exactly, date values readable.
func legacyError(stmts []*jvalue, vars bool) string {
	for _, st := range stmts {
		if e := st.get("Effect").str; e != "Allow" && e != "Deny" {
			return msgLegacy
		}
		if c := st.get("Condition"); c != nil && !legacyDatesOK(c, vars) {
			return msgLegacy
		}
	}
	return ""
}

// resourceErrors returns the resource format error IAM reports later in its order, and whether
// legacy parsing already refuses a resource (which IAM reports at once). Trust policies name no
// resources.
func resourceErrors(kind Kind, stmts []*jvalue) (formatErr string, legacy bool) {
	if kind == Trust {
		return "", false
	}
	for _, field := range []string{"Resource", "NotResource"} {
		for _, st := range stmts {
			v := st.get(field)
			if v == nil {
				continue
			}
			list := stringList(v)
			if v.kind == jArray {
				// IAM reports the format error of the lexically smallest bad value and of
				// the last statement that has one (moto, from AWS responses).
				list = slices.Clone(list)
				slices.Sort(list)
				slices.Reverse(list)
			}
			for _, r := range list {
				if e := resourceFormatError(r); e != "" {
					formatErr = e
				}
			}
			if formatErr == "" && !legacyResourcesOK(stringList(v)) {
				return "", true
			}
		}
	}
	return formatErr, false
}

// principalPresenceError applies each kind's rule on the Principal element.
func principalPresenceError(kind Kind, stmts []*jvalue) string {
	for _, st := range stmts {
		hasP := st.get("Principal") != nil || st.get("NotPrincipal") != nil
		switch kind {
		case Identity, Managed:
			if hasP {
				return msgNoPrincipalWanted
			}
		case Trust:
			if st.get("Resource") != nil {
				return "Has prohibited field Resource" // obs
			}
			if st.get("NotResource") != nil {
				return "Has prohibited field NotResource" // by analogy, unverified
			}
			if !hasP {
				return msgNoPrincipalTrust
			}
		case Resource:
			if !hasP {
				return msgNoPrincipalRes
			}
		}
	}
	return ""
}

// sidError: Sids are unique, and alphanumeric in managed policies.
func sidError(kind Kind, stmts []*jvalue) string {
	seen := map[string]bool{}
	for _, st := range stmts {
		if s := st.get("Sid"); s != nil && s.str != "" {
			if seen[s.str] {
				return msgSidUnique
			}
			seen[s.str] = true
		}
	}
	if kind == Managed {
		for _, st := range stmts {
			if s := st.get("Sid"); s != nil && !isAlnum(s.str) {
				return msgSidAlnum
			}
		}
	}
	return ""
}

// missingElementError: every statement names actions, and identity policies resources.
func missingElementError(kind Kind, stmts []*jvalue) string {
	for _, st := range stmts {
		a := st.get("Action")
		if a == nil {
			a = st.get("NotAction")
		}
		if a == nil || (a.kind == jArray && len(a.arr) == 0) {
			return msgNoActions
		}
	}
	if kind == Identity || kind == Managed {
		for _, st := range stmts {
			r := st.get("Resource")
			if r == nil {
				r = st.get("NotResource")
			}
			if r == nil || (r.kind == jArray && len(r.arr) == 0) {
				return msgNoResources
			}
		}
	}
	return ""
}

func actionFormatErrors(stmts []*jvalue) string {
	for _, field := range []string{"Action", "NotAction"} {
		for _, st := range stmts {
			if v := st.get(field); v != nil {
				for _, a := range stringList(v) {
					if e := actionFormatError(a); e != "" {
						return e
					}
				}
			}
		}
	}
	return ""
}

func principalValueErrors(stmts []*jvalue) string {
	for _, st := range stmts {
		for _, field := range []string{"Principal", "NotPrincipal"} {
			if v := st.get(field); v != nil {
				if e := principalError(v); e != "" {
					return e
				}
			}
		}
	}
	return ""
}

// checkGrammar enforces the shape of the grammar in "Grammar of the IAM JSON policy language";
// every violation is "Syntax errors in policy." in IAM.
func checkGrammar(root *jvalue) (stmts []*jvalue, version string, ok bool) {
	if root.kind != jObject {
		return nil, "", false
	}
	var st *jvalue
	for _, m := range root.obj {
		switch m.key {
		case "Version":
			if m.val.kind != jString || (m.val.str != "2012-10-17" && m.val.str != "2008-10-17") {
				return nil, "", false
			}
			version = m.val.str
		case "Id":
			if m.val.kind != jString {
				return nil, "", false
			}
		case "Statement":
			st = m.val
		default:
			return nil, "", false
		}
	}
	switch {
	case st == nil:
		return nil, "", false
	case st.kind == jObject:
		stmts = []*jvalue{st}
	case st.kind == jArray && len(st.arr) > 0:
		stmts = st.arr
	default:
		return nil, "", false
	}
	for _, s := range stmts {
		if !statementGrammarOK(s) {
			return nil, "", false
		}
	}
	return stmts, version, true
}

func statementGrammarOK(s *jvalue) bool {
	if s.kind != jObject {
		return false
	}
	for _, m := range s.obj {
		if !slices.Contains(statementFields, m.key) {
			return false
		}
	}
	if pairs(s, "Action", "NotAction") || pairs(s, "Resource", "NotResource") || pairs(s, "Principal", "NotPrincipal") {
		return false
	}
	e := s.get("Effect")
	if e == nil || e.kind != jString || !(strings.EqualFold(e.str, "Allow") || strings.EqualFold(e.str, "Deny")) {
		return false
	}
	if sid := s.get("Sid"); sid != nil && sid.kind != jString {
		return false
	}
	for _, f := range []string{"Action", "NotAction", "Resource", "NotResource"} {
		if v := s.get(f); v != nil && !isStringOrList(v) {
			return false
		}
	}
	for _, f := range []string{"Principal", "NotPrincipal"} {
		if v := s.get(f); v != nil && !principalGrammarOK(v) {
			return false
		}
	}
	if c := s.get("Condition"); c != nil && !conditionGrammarOK(c) {
		return false
	}
	return true
}

func pairs(s *jvalue, a, b string) bool { return s.get(a) != nil && s.get(b) != nil }

func isStringOrList(v *jvalue) bool {
	switch v.kind {
	case jString:
		return true
	case jArray:
		for _, e := range v.arr {
			if e.kind != jString {
				return false
			}
		}
		return true
	}
	return false
}

func principalGrammarOK(v *jvalue) bool {
	if v.kind == jString {
		return v.str == "*"
	}
	if v.kind != jObject || len(v.obj) == 0 {
		return false
	}
	for _, m := range v.obj {
		if !slices.Contains(principalTypes, m.key) || !isStringOrList(m.val) {
			return false
		}
		if m.val.kind == jArray && len(m.val.arr) == 0 {
			return false
		}
	}
	return true
}

func conditionGrammarOK(c *jvalue) bool {
	if c.kind != jObject {
		return false
	}
	for _, op := range c.obj {
		if op.val.kind != jObject {
			return false
		}
		// An operator IAM does not know is refused unless its block is empty (moto, from AWS).
		if _, _, _, known := parseOperator(op.key); !known && len(op.val.obj) > 0 {
			return false
		}
		for _, k := range op.val.obj {
			switch k.val.kind {
			case jString, jNumber, jBool:
			case jArray:
				for _, e := range k.val.arr {
					if e.kind != jString && e.kind != jNumber && e.kind != jBool {
						return false
					}
				}
			default:
				return false
			}
		}
	}
	return true
}

// stringList returns the strings of a string-or-list element.
func stringList(v *jvalue) []string {
	if v.kind == jString {
		return []string{v.str}
	}
	out := make([]string, 0, len(v.arr))
	for _, e := range v.arr {
		out = append(out, e.str)
	}
	return out
}

// scalarList returns the values of a condition key; JSON numbers and booleans keep their literal
// spelling in str, so 10 and "10" compare alike.
func scalarList(v *jvalue) []*jvalue {
	if v.kind == jArray {
		return v.arr
	}
	return []*jvalue{v}
}

func legacyDatesOK(c *jvalue, vars bool) bool {
	for _, op := range c.obj {
		info, _, _, known := parseOperator(op.key)
		if !known || info.fam != famDate {
			continue
		}
		for _, k := range op.val.obj {
			for _, e := range scalarList(k.val) {
				s := e.str
				if vars && parseTemplate(s) != nil {
					continue
				}
				if _, ok := parseDate(s); !ok {
					return false
				}
			}
		}
	}
	return true
}

// legacyResourcesOK reproduces IAM's legacy ARN parser: a value with "::" must have all six
// parts, and the service part must not be empty.
func legacyResourcesOK(list []string) bool {
	for _, r := range list {
		if r == "*" {
			continue
		}
		if strings.Count(r, ":") < 5 && strings.Contains(r, "::") {
			return false
		}
		parts := strings.SplitN(r, ":", 4)
		if len(parts) < 3 || parts[2] == "" {
			return false
		}
	}
	return true
}

var iamResourcePrefixes = []string{"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/"}

// resourceFormatError returns IAM's complaint about one Resource value, or "".
func resourceFormatError(r string) string {
	if r == "*" {
		return ""
	}
	_, rest, found := strings.Cut(r, ":")
	if !found {
		return fmt.Sprintf(`Resource %s must be in ARN format or "*".`, r) // obs
	}
	partition, after, hasColon := strings.Cut(rest, ":")
	if partition != "aws" && partition != "*" {
		p := strings.Split(after, ":")
		seg := func(i int) string {
			if i < len(p) {
				if i == 0 && p[0] == "" && len(p) == 1 {
					return "*"
				}
				if i == 3 {
					return strings.Join(p[3:], ":")
				}
				return p[i]
			}
			return "*"
		}
		return fmt.Sprintf(`Partition "%s" is not valid for resource "arn:%s:%s:%s:%s:%s".`, partition, partition, seg(0), seg(1), seg(2), seg(3)) // moto
	}
	if !hasColon {
		return msgResourceVendor
	}
	service, tail, _ := strings.Cut(after, ":")
	// "You can't use a wildcard in the service segment" (doc "IAM JSON policy elements: Resource").
	if strings.ContainsAny(service, "*?") {
		return msgResourceVendor
	}
	switch service {
	case "iam":
		if !strings.HasPrefix(tail, ":") {
			return fmt.Sprintf("IAM resource %s cannot contain region information.", r) // obs
		}
	case "s3":
		if !strings.HasPrefix(tail, ":") {
			return fmt.Sprintf("Resource %s can not contain region information.", r) // moto
		}
	}
	if service == "iam" {
		_, afterRegion, _ := strings.Cut(tail, ":")
		_, res, _ := strings.Cut(afterRegion, ":")
		okPrefix := res == "*"
		for _, p := range iamResourcePrefixes {
			if strings.HasPrefix(res, p) {
				okPrefix = true
				break
			}
		}
		if !okPrefix {
			return `IAM resource path must either be "*" or start with ` + strings.Join(iamResourcePrefixes, ", ") + "." // moto
		}
	}
	return ""
}

// actionFormatError returns IAM's complaint about one Action value, or "".
func actionFormatError(a string) string {
	parts := strings.Split(a, ":")
	if len(parts) == 1 && a != "*" {
		return msgActionVendor
	}
	if len(parts) > 2 {
		return msgActionColon
	}
	if v := parts[0]; v != "*" {
		for i := 0; i < len(v); i++ {
			c := v[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-' || c == '.') {
				return fmt.Sprintf("Vendor %s is not valid", v) // moto
			}
		}
	}
	return ""
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c)) {
			return false
		}
	}
	return true
}

// principalError returns `Invalid principal in policy: "TYPE":"value"` (obs) for the first value
// that cannot name a principal. IAM also refuses ARNs of principals that do not exist; that needs
// the store and is the caller's job (see Policy.Principals).
func principalError(v *jvalue) string {
	if v.kind == jString {
		return ""
	}
	for _, m := range v.obj {
		for _, s := range stringList(m.val) {
			var ok bool
			switch m.key {
			case "AWS":
				ok = validAWSPrincipal(s)
			case "Federated":
				ok = validFederatedPrincipal(s)
			case "Service":
				ok = isHostName(s)
			case "CanonicalUser":
				ok = s != "" && !strings.ContainsAny(s, " \t*?")
			}
			if !ok {
				return fmt.Sprintf(`Invalid principal in policy: "%s":"%s"`, m.key, s)
			}
		}
	}
	return ""
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isUniqueID recognises the AROA…/AIDA… ids IAM writes into a stored policy in place of a
// principal that was deleted (doc "IAM identifiers"); they stay valid but match no new entity.
func isUniqueID(s string) bool {
	if len(s) < 16 || len(s) > 128 || !(strings.HasPrefix(s, "AROA") || strings.HasPrefix(s, "AIDA")) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || isDigit(c)) {
			return false
		}
	}
	return true
}

// isPathName checks an IAM path-and-name: [\w+=,.@-] and '/', no wildcard, not ending in '/'.
func isPathName(s string) bool {
	if s == "" || strings.HasSuffix(s, "/") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || strings.IndexByte("_+=,.@-/", c) >= 0) {
			return false
		}
	}
	return true
}

func isName(s string) bool { return isPathName(s) && !strings.Contains(s, "/") }

// splitIAMARN splits arn:aws:<service>::<account>:<resource>.
func splitIAMARN(s, service string) (account, resource string, ok bool) {
	rest, found := strings.CutPrefix(s, "arn:aws:"+service+"::")
	if !found {
		return "", "", false
	}
	account, resource, found = strings.Cut(rest, ":")
	if !found || !isAccountID(account) {
		return "", "", false
	}
	return account, resource, true
}

func validAWSPrincipal(s string) bool {
	if s == "*" || isAccountID(s) || isUniqueID(s) {
		return true
	}
	if _, res, ok := splitIAMARN(s, "iam"); ok {
		if res == "root" {
			return true
		}
		if n, ok := strings.CutPrefix(res, "user/"); ok {
			return isPathName(n)
		}
		if n, ok := strings.CutPrefix(res, "role/"); ok {
			return isPathName(n)
		}
		return false
	}
	if _, res, ok := splitIAMARN(s, "sts"); ok {
		if n, ok := strings.CutPrefix(res, "assumed-role/"); ok {
			role, session, found := strings.Cut(n, "/")
			return found && isName(role) && isName(session)
		}
		if n, ok := strings.CutPrefix(res, "federated-user/"); ok {
			return isName(n)
		}
	}
	return false
}

func validFederatedPrincipal(s string) bool {
	if _, res, ok := splitIAMARN(s, "iam"); ok {
		if n, ok := strings.CutPrefix(res, "oidc-provider/"); ok {
			return n != "" && !strings.ContainsAny(n, " \t*?")
		}
		if n, ok := strings.CutPrefix(res, "saml-provider/"); ok {
			return isName(n)
		}
		return false
	}
	return isHostName(s)
}

// isHostName accepts names such as cognito-identity.amazonaws.com or ec2.amazonaws.com.
func isHostName(s string) bool {
	if s == "" || !strings.Contains(s, ".") || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// compile turns a validated document into its evaluable form.
func compile(id, doc string, kind Kind, version string, stmts []*jvalue) *Policy {
	vars := version == "2012-10-17"
	p := &Policy{ID: id, kind: kind, version: version, statements: make([]statement, len(stmts))}
	offsets := make([]int, 0, 2*len(stmts))
	for _, s := range stmts {
		offsets = append(offsets, s.start, s.end)
	}
	pos := positions(doc, offsets)
	keys := keySet{}
	for i, js := range stmts {
		st := &p.statements[i]
		st.index = i
		st.start, st.end = pos[2*i], pos[2*i+1]
		for _, m := range js.obj {
			switch m.key {
			case "Sid":
				st.sid = m.val.str
			case "Effect":
				if m.val.str == "Deny" {
					st.effect = effDeny
				}
			case "Action", "NotAction":
				st.notAction = m.key == "NotAction"
				for _, a := range stringList(m.val) {
					st.actions = append(st.actions, globPattern(globTokens(nil, a, true)))
				}
			case "Resource", "NotResource":
				st.hasResource = true
				st.notResource = m.key == "NotResource"
				for _, r := range stringList(m.val) {
					rp := resPattern{raw: r}
					if vars {
						rp.tmpl = parseTemplate(r)
					}
					if rp.tmpl == nil {
						rp.pat = resourcePattern(globTokens(nil, r, false))
					} else {
						keys.addAll(rp.tmpl.keys(nil))
					}
					st.resources = append(st.resources, rp)
				}
			case "Principal", "NotPrincipal":
				st.hasPrincipal = true
				st.notPrincipal = m.key == "NotPrincipal"
				st.princ = compilePrincipal(m.val, &p.principals)
			case "Condition":
				st.conditions = compileConditions(m.val, vars, &keys)
			}
		}
	}
	p.contextKeys = keys.list
	return p
}

func compilePrincipal(v *jvalue, refs *[]PrincipalRef) principalSpec {
	var ps principalSpec
	if v.kind == jString {
		ps.any = true
		*refs = append(*refs, PrincipalRef{Type: "*", Value: "*"})
		return ps
	}
	for _, m := range v.obj {
		for _, s := range stringList(m.val) {
			*refs = append(*refs, PrincipalRef{Type: m.key, Value: s})
			switch m.key {
			case "AWS":
				switch {
				case s == "*":
					ps.awsAny = true
				case isAccountID(s):
					ps.accounts = append(ps.accounts, s)
				default:
					if acct, res, ok := splitIAMARN(s, "iam"); ok && res == "root" {
						ps.accounts = append(ps.accounts, acct)
					} else {
						ps.arns = append(ps.arns, s)
					}
				}
			case "Federated":
				ps.federated = append(ps.federated, s)
			case "Service":
				ps.service = append(ps.service, s)
			}
			// CanonicalUser principals belong to S3 and match no caller here.
		}
	}
	return ps
}

func compileConditions(c *jvalue, vars bool, keys *keySet) []condition {
	var out []condition
	for _, op := range c.obj {
		info, q, ifExists, known := parseOperator(op.key)
		if !known {
			// Only an empty block gets this far; it still never grants (see tri).
			out = append(out, condition{op: op.key})
			continue
		}
		for _, k := range op.val.obj {
			cd := condition{op: op.key, known: true, info: info, qual: q, ifExists: ifExists, key: k.key, lkey: strings.ToLower(k.key)}
			keys.add(k.key)
			for _, e := range scalarList(k.val) {
				o := newOperand(e.str, info, vars)
				if o.tmpl != nil {
					cd.hasVars = true
					keys.addAll(o.tmpl.keys(nil))
				}
				cd.values = append(cd.values, o)
			}
			out = append(out, cd)
		}
	}
	return out
}

// keySet keeps keys in first-appearance order, deduplicated case-insensitively.
type keySet struct {
	list []string
	seen map[string]bool
}

func (k *keySet) add(key string) {
	lk := strings.ToLower(key)
	if k.seen == nil {
		k.seen = map[string]bool{}
	}
	if !k.seen[lk] {
		k.seen[lk] = true
		k.list = append(k.list, key)
	}
}

func (k *keySet) addAll(keys []string) {
	for _, key := range keys {
		k.add(key)
	}
}

// positions converts ascending byte offsets to positions in one pass.
func positions(doc string, offsets []int) []Position {
	out := make([]Position, len(offsets))
	line, col, k := 1, 1, 0
	for i, r := range doc {
		for k < len(offsets) && offsets[k] <= i {
			out[k] = Position{Line: line, Column: col}
			k++
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	for ; k < len(offsets); k++ {
		out[k] = Position{Line: line, Column: col}
	}
	return out
}

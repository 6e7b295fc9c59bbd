package policy

import (
	"slices"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/internal/explain"
)

// Where a refused document goes wrong. Parse keeps AWS's message in ParseError.Message; these
// functions run only once a document is refused, and say where and what for a person.

// Explain returns the refusal as an explanation: Outcome MalformedPolicy and one failed check
// naming the statement and element.
func (e *ParseError) Explain() *explain.Explanation {
	name := "document"
	if e.Statement >= 0 {
		name = "statement " + strconv.Itoa(e.Statement)
		if e.Sid != "" {
			name += " (Sid " + strconv.Quote(e.Sid) + ")"
		}
	}
	if e.Element != "" {
		name += " " + e.Element
	}
	detail := e.Detail
	if detail == "" {
		detail = e.Message
	}
	return &explain.Explanation{Outcome: explain.MalformedPolicy, Summary: name + ": " + detail,
		Checks: []explain.Check{{Name: name, Detail: detail}}}
}

// located builds the ParseError for msg, with where the document first breaks the rule msg
// reports when that can be found.
func located(msg, doc string, root *jvalue, stmts []*jvalue, kind Kind) *ParseError {
	pe := &ParseError{Message: msg, Statement: -1}
	switch {
	case root == nil:
		line, col := lineCol(doc, jsonErrorOffset(doc))
		pe.Detail = "invalid JSON at line " + strconv.Itoa(line) + " column " + strconv.Itoa(col)
	case stmts == nil:
		pe.locateGrammar(root)
	default:
		pe.locateRule(msg, stmts, kind)
	}
	return pe
}

func (pe *ParseError) at(i int, s *jvalue, element, detail string) {
	pe.Statement, pe.Element, pe.Detail = i, element, detail
	if s != nil && s.kind == jObject {
		if sid := s.get("Sid"); sid != nil {
			pe.Sid = sid.str
		}
	}
}

// locateGrammar finds the first violation of the grammar checkGrammar enforces.
func (pe *ParseError) locateGrammar(root *jvalue) {
	if root.kind != jObject {
		pe.Detail = "the document is not a JSON object"
		return
	}
	for _, m := range root.obj {
		switch m.key {
		case "Version":
			pe.Element, pe.Detail = "Version", "Version must be 2012-10-17 or 2008-10-17"
			if m.val.kind == jString && (m.val.str == "2012-10-17" || m.val.str == "2008-10-17") {
				pe.Element, pe.Detail = "", ""
			}
		case "Id", "Statement":
		default:
			pe.Element, pe.Detail = m.key, "unknown element "+m.key
		}
		if pe.Detail != "" {
			return
		}
	}
	st := root.get("Statement")
	if st == nil || (st.kind != jObject && (st.kind != jArray || len(st.arr) == 0)) {
		pe.Element, pe.Detail = "Statement", "Statement must be an object or a non-empty list of objects"
		return
	}
	stmts := []*jvalue{st}
	if st.kind == jArray {
		stmts = st.arr
	}
	for i, s := range stmts {
		if el, detail := statementProblem(s); detail != "" {
			pe.at(i, s, el, detail)
			return
		}
	}
}

// statementProblem says what statementGrammarOK refuses in s.
func statementProblem(s *jvalue) (element, detail string) {
	if s.kind != jObject {
		return "", "a statement must be an object"
	}
	for _, m := range s.obj {
		if !slices.Contains(statementFields, m.key) {
			return m.key, "unknown element " + m.key
		}
	}
	for _, p := range [][2]string{{"Action", "NotAction"}, {"Resource", "NotResource"}, {"Principal", "NotPrincipal"}} {
		if pairs(s, p[0], p[1]) {
			return p[1], p[0] + " and " + p[1] + " cannot both appear"
		}
	}
	if e := s.get("Effect"); e == nil || e.kind != jString || !(strings.EqualFold(e.str, "Allow") || strings.EqualFold(e.str, "Deny")) {
		return "Effect", "Effect must be Allow or Deny"
	}
	if sid := s.get("Sid"); sid != nil && sid.kind != jString {
		return "Sid", "Sid must be a string"
	}
	for _, f := range []string{"Action", "NotAction", "Resource", "NotResource"} {
		if v := s.get(f); v != nil && !isStringOrList(v) {
			return f, f + " must be a string or a list of strings"
		}
	}
	for _, f := range []string{"Principal", "NotPrincipal"} {
		if v := s.get(f); v != nil && !principalGrammarOK(v) {
			return f, f + ` must be "*" or an object of AWS, Federated, Service or CanonicalUser to non-empty values`
		}
	}
	if c := s.get("Condition"); c != nil {
		return "Condition", conditionProblem(c)
	}
	return "", ""
}

func conditionProblem(c *jvalue) string {
	if c.kind != jObject {
		return "Condition must be an object of operators"
	}
	for _, op := range c.obj {
		if op.val.kind != jObject {
			return "operator " + op.key + " must map keys to values"
		}
		if _, _, _, known := parseOperator(op.key); !known && len(op.val.obj) > 0 {
			return "unknown condition operator " + op.key
		}
		for _, k := range op.val.obj {
			if !conditionValueOK(k.val) {
				return op.key + " " + k.key + ": values must be strings, numbers or booleans"
			}
		}
	}
	return ""
}

func conditionValueOK(v *jvalue) bool {
	switch v.kind {
	case jString, jNumber, jBool:
		return true
	case jArray:
		for _, e := range v.arr {
			if e.kind != jString && e.kind != jNumber && e.kind != jBool {
				return false
			}
		}
		return true
	}
	return false
}

// locateRule finds the statement that breaks the rule behind msg; the rules whose statement is
// not found here keep AWS's message as the detail.
func (pe *ParseError) locateRule(msg string, stmts []*jvalue, kind Kind) {
	seen := map[string]bool{}
	for i, s := range stmts {
		el, detail := ruleProblem(msg, s, kind, seen)
		if detail != "" {
			pe.at(i, s, el, detail)
			return
		}
	}
}

func ruleProblem(msg string, s *jvalue, kind Kind, seenSids map[string]bool) (element, detail string) {
	has := func(a, b string) bool { return s.get(a) != nil || s.get(b) != nil }
	switch msg {
	case msgLegacy:
		if e := s.get("Effect").str; e != "Allow" && e != "Deny" {
			return "Effect", "Effect must be Allow or Deny, spelled exactly (got " + strconv.Quote(e) + ")"
		}
	case msgSidUnique:
		if sid := s.get("Sid"); sid != nil && sid.str != "" {
			if seenSids[sid.str] {
				return "Sid", "Sid " + strconv.Quote(sid.str) + " is used by an earlier statement"
			}
			seenSids[sid.str] = true
		}
	case msgSidAlnum:
		if sid := s.get("Sid"); sid != nil && !isAlnum(sid.str) {
			return "Sid", "Sid " + strconv.Quote(sid.str) + " is not alphanumeric"
		}
	case msgNoActions:
		if !has("Action", "NotAction") || (s.get("Action") != nil && len(s.get("Action").arr) == 0 && s.get("Action").kind == jArray) {
			return "Action", "the statement names no actions"
		}
	case msgNoResources:
		if !has("Resource", "NotResource") {
			return "Resource", "the statement names no resources"
		}
	case msgNoPrincipalWanted:
		if has("Principal", "NotPrincipal") {
			return "Principal", "an identity policy cannot name a principal"
		}
	case msgNoPrincipalTrust, msgNoPrincipalRes:
		if !has("Principal", "NotPrincipal") {
			return "Principal", "the statement names no principal"
		}
	}
	return "", ""
}

// jsonErrorOffset re-reads a document parseJSON refused and returns the byte offset at which
// reading stopped.
func jsonErrorOffset(s string) int {
	p := &jparser{s: s}
	p.skipWS()
	if p.value() != nil {
		p.skipWS()
	}
	return min(p.i, len(s))
}

// lineCol converts a byte offset to a 1-based line and column.
func lineCol(doc string, off int) (int, int) {
	pos := positions(doc, []int{off})
	return pos[0].Line, pos[0].Column
}

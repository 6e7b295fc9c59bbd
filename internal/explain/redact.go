package explain

import (
	"regexp"
	"strings"
)

// Redacted is the placeholder of a value an explanation must not carry.
const Redacted = "(redacted)"

// secretConditionKeys (lower case) are condition keys whose request values are treated as
// secrets: sts:ExternalId, which the policy evaluator already redacts, and which this pass
// redacts again should an explanation be built elsewhere.
var secretConditionKeys = map[string]bool{"sts:externalid": true}

var (
	// jwtShape is a compact JWS or JWE (web identity tokens, Cognito and QuickSight tokens).
	jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*`)
	// blobShape is a long run of base64 text: a session token, a SAML assertion, a signature
	// or sealed message. No identifier a person acts on is that long.
	blobShape = regexp.MustCompile(`[A-Za-z0-9+/=_-]{200,}`)
)

// Redact returns a copy of x fit for the audit log and the decision store: the values
// of secret condition keys, and any value shaped like a token, an assertion or a signature, are
// replaced by Redacted. Explanations are built without secrets; this pass is the second line.
func Redact(x *Explanation) *Explanation {
	if x == nil {
		return nil
	}
	c := *x
	c.Summary = redactText(c.Summary)
	c.Policies = make([]Policy, len(x.Policies))
	for i, p := range x.Policies {
		p.Statements = make([]Statement, len(x.Policies[i].Statements))
		for j, st := range x.Policies[i].Statements {
			st.Conditions = make([]Condition, len(x.Policies[i].Statements[j].Conditions))
			for k, cond := range x.Policies[i].Statements[j].Conditions {
				if secretConditionKeys[strings.ToLower(cond.Key)] {
					cond.RequestValues = redactAll(cond.RequestValues)
				} else {
					cond.RequestValues = redactEach(cond.RequestValues)
				}
				cond.PolicyValues = redactEach(cond.PolicyValues)
				st.Conditions[k] = cond
			}
			p.Statements[j] = st
		}
		c.Policies[i] = p
	}
	if x.Policies == nil {
		c.Policies = nil
	}
	if x.Checks != nil {
		c.Checks = make([]Check, len(x.Checks))
		for i, ch := range x.Checks {
			ch.Expected, ch.Actual, ch.Detail = redactEach(ch.Expected), redactEach(ch.Actual), redactText(ch.Detail)
			c.Checks[i] = ch
		}
	}
	return &c
}

func redactText(s string) string {
	s = jwtShape.ReplaceAllString(s, Redacted)
	return blobShape.ReplaceAllString(s, Redacted)
}

func redactEach(vs []string) []string {
	if vs == nil {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = redactText(v)
	}
	return out
}

func redactAll(vs []string) []string {
	if vs == nil {
		return nil
	}
	out := make([]string, len(vs))
	for i := range vs {
		out[i] = Redacted
	}
	return out
}

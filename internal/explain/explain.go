package explain

import (
	"errors"
	"slices"
	"strings"
)

// Outcome classifies a refusal.
type Outcome string

const (
	ExplicitDeny     Outcome = "ExplicitDeny"
	ImplicitDeny     Outcome = "ImplicitDeny"
	InvalidToken     Outcome = "InvalidToken"
	ExpiredToken     Outcome = "ExpiredToken"
	InvalidAssertion Outcome = "InvalidAssertion"
	InvalidSignature Outcome = "InvalidSignature"
	MalformedPolicy  Outcome = "MalformedPolicy"
	// Refused is a refusal whose decider attached no evidence: the summary says only what its
	// error code means.
	Refused Outcome = "Refused"
)

// Explanation is the evidence behind one refusal.
type Explanation struct {
	Outcome Outcome `json:"outcome"`
	// Summary is one line a person can act on, e.g. `trust policy statement 1: StringLike
	// token.actions.githubusercontent.com:sub expects ["repo:acme/*"], token has "repo:other/app"`.
	Summary string `json:"summary"`
	// Action and Resource are what was asked, when a policy decided.
	Action   string   `json:"action,omitempty"`
	Resource string   `json:"resource,omitempty"`
	Policies []Policy `json:"policies,omitempty"`
	// Checks are the token, assertion, signature or document checks, in the order they ran; the
	// failed one is last.
	Checks []Check `json:"checks,omitempty"`
}

// Policy is one policy consulted.
type Policy struct {
	// Kind is identity, boundary, session, trust or resource.
	Kind string `json:"kind"`
	// Name is the policy's name or ARN ("inline:alice/p", "arn:aws:iam::aws:policy/…").
	Name       string      `json:"name"`
	Version    string      `json:"version,omitempty"`
	Decision   string      `json:"decision"` // Allow, ExplicitDeny or ImplicitDeny for this policy alone
	Statements []Statement `json:"statements"`
}

// Statement is one statement of a consulted policy.
type Statement struct {
	Index  int    `json:"index"` // 0-based position in the document
	Sid    string `json:"sid,omitempty"`
	Effect string `json:"effect"`
	// ActionMatched, ResourceMatched and PrincipalMatched say whether each element matched the
	// request; PrincipalMatched is nil for statements without a Principal element.
	ActionMatched    bool        `json:"actionMatched"`
	ResourceMatched  bool        `json:"resourceMatched"`
	PrincipalMatched *bool       `json:"principalMatched,omitempty"`
	Conditions       []Condition `json:"conditions,omitempty"`
	Applied          bool        `json:"applied"` // every element and condition matched
	Position         *Position   `json:"position,omitempty"`
}

// Position is a place in a policy document (1-based line and column).
type Position struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Condition is one condition of a statement with the values compared.
type Condition struct {
	Operator     string   `json:"operator"`
	Key          string   `json:"key"`
	PolicyValues []string `json:"policyValues"`
	// RequestValues are the request's values of Key; Absent is set when it had none.
	RequestValues []string `json:"requestValues,omitempty"`
	Absent        bool     `json:"absent,omitempty"`
	Result        bool     `json:"result"`
}

// Check is one check of a token, assertion, signature or document.
type Check struct {
	// Name says what was checked: "aud", "iss", "exp", "kid", "signature", "Recipient",
	// "statement 2 Effect", …
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// Expected are the accepted values (the provider's client ids, the registered URL, "before
	// 2026-12-07T00:00:00Z"); Actual is what the request carried.
	Expected []string `json:"expected,omitempty"`
	Actual   []string `json:"actual,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// Error carries an explanation through an error chain: a decider returns it as the cause of the
// protocol error it answers, so the message the caller sees stays AWS's.
type Error struct {
	Explanation *Explanation
	// Err is the underlying reason, when there is one.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Explanation.Summary + ": " + e.Err.Error()
	}
	return e.Explanation.Summary
}

func (e *Error) Unwrap() error { return e.Err }

// Wrap attaches x to err (err may be nil).
func Wrap(x *Explanation, err error) error { return &Error{Explanation: x, Err: err} }

// Of returns the explanation anywhere in err's chain, nil when there is none.
func Of(err error) *Explanation {
	var e *Error
	if errors.As(err, &e) {
		return e.Explanation
	}
	return nil
}

// Failed is the checks of a refusal whose check c failed, when checks run in order: each check
// of order before c's name, passed, then c. A name not in order gives c alone.
func Failed(order []string, c Check) []Check {
	c.Passed = false
	i := slices.Index(order, c.Name)
	if i <= 0 {
		return []Check{c}
	}
	checks := make([]Check, 0, i+1)
	for _, name := range order[:i] {
		checks = append(checks, Check{Name: name, Passed: true})
	}
	return append(checks, c)
}

// Quote renders values for a summary: "a" for one, ["a", "b"] for several, absent for none.
func Quote(values []string) string {
	switch len(values) {
	case 0:
		return "absent"
	case 1:
		return `"` + values[0] + `"`
	}
	return `["` + strings.Join(values, `", "`) + `"]`
}

// ResourceAccount is the account of the resource the refusal named ("" when unknown).
func (x *Explanation) ResourceAccount() string {
	if parts := strings.SplitN(x.Resource, ":", 6); len(parts) == 6 {
		return parts[4]
	}
	return ""
}

// ForCaller is the view of x that a caller of callerAccount may see. AWS tells a caller nothing
// about the policies of another account's resource, so when the resource belongs to another
// account its own policies (a trust policy, a resource-based policy) are left out, and a summary
// that may quote them is replaced. The operator's log and audit trail keep the whole explanation.
func (x *Explanation) ForCaller(callerAccount string) *Explanation {
	if x == nil {
		return nil
	}
	ra := x.ResourceAccount()
	if ra == "" || callerAccount == "" || ra == callerAccount {
		return x
	}
	c := *x
	c.Policies = nil
	hidden := false
	for _, p := range x.Policies {
		if p.Kind == "trust" || p.Kind == "resource" {
			hidden = true
			continue
		}
		c.Policies = append(c.Policies, p)
	}
	if hidden {
		c.Summary = "the policy of account " + ra + "'s resource did not allow the request; its contents are shown only to that account"
	}
	return &c
}

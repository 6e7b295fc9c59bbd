package policy

// Kind says what a document is used as; it decides which elements are required or forbidden on
// write.
type Kind int

const (
	// Identity covers inline identity policies, permissions boundaries and session policies:
	// Resource/NotResource required, Principal/NotPrincipal forbidden.
	Identity Kind = iota + 1
	// Trust is a role trust policy: Principal/NotPrincipal required, Resource/NotResource
	// forbidden. Any action is accepted: whether IAM refuses non-sts actions in a trust policy is
	// unverified, and such statements can only ever match requests for those actions.
	Trust
	// Resource is any other resource-based policy: Principal/NotPrincipal required, Resource
	// allowed.
	Resource
	// Managed is a customer managed policy document (CreatePolicy, CreatePolicyVersion): Identity
	// rules, plus Version 2012-10-17 and alphanumeric Sids, which IAM demands of managed policies
	// only (obs: "Policy document must be version 2012-10-17 or greater.").
	Managed
)

func (k Kind) valid() bool { return k >= Identity && k <= Managed }

// ParseError is a document IAM would refuse with MalformedPolicyDocument; Message is AWS's text.
// The other fields say where and what, for explanations (see Explain): Statement is the 0-based
// statement index (-1 for the document as a whole), Sid its Sid, Element the element at fault
// ("Effect", "Condition"), Detail what is wrong ("unknown condition operator StringEqualz").
type ParseError struct {
	Message   string
	Statement int
	Sid       string
	Element   string
	Detail    string
}

func (e *ParseError) Error() string { return e.Message }

// Decision is the outcome of an evaluation.
type Decision int

const (
	// ImplicitDeny: nothing allowed the request (the default).
	ImplicitDeny Decision = iota
	// Allow: an Allow applied and no Deny did.
	Allow
	// ExplicitDeny: a Deny applied, which no Allow can override.
	ExplicitDeny
)

// String returns the IAM policy simulator's EvalDecision spelling.
func (d Decision) String() string {
	switch d {
	case Allow:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// PrincipalMatch says how a statement's Principal matched the caller. Decide needs it because a
// same-account resource policy that names the caller's exact ARN grants on its own, one that
// names its role or "*" grants within its boundary and session policies, and one that matches
// only through the account needs the caller's own policies.
type PrincipalMatch int

const (
	// PrincipalNotApplicable: the statement had no Principal element (identity policies).
	PrincipalNotApplicable PrincipalMatch = iota
	// PrincipalWildcard: "*", {"AWS":"*"}, or a Deny's NotPrincipal that does not spare the caller.
	PrincipalWildcard
	// PrincipalAccount: a 12-digit account id or arn:aws:iam::ACCOUNT:root.
	PrincipalAccount
	// PrincipalRole: the role ARN of the caller's role session.
	PrincipalRole
	// PrincipalExact: the caller's own user, session or federated-user ARN, or its federated
	// provider or service name.
	PrincipalExact
)

// Position is a 1-based line and column (in characters) in the original document.
type Position struct{ Line, Column int }

// MatchedStatement identifies a statement that decided an evaluation.
type MatchedStatement struct {
	PolicyID string
	Sid      string
	Index    int // statement index in the document
	Effect   string
	// Start is the statement's opening brace; End is the column just past its closing brace.
	// IAM's SimulateCustomPolicy reports positions of this kind; whether its End is inclusive is
	// unverified.
	Start, End Position
}

// Principal describes the caller for Principal matching in trust and resource policies.
type Principal struct {
	Type    string // "AWS", "Federated", "Service", or "" for anonymous
	Account string // the caller's account, for AWS principals
	// ARNs holds every ARN the caller is known by: for a role session both the session ARN
	// arn:aws:sts::A:assumed-role/R/S and the role ARN arn:aws:iam::A:role/path/R; for a user its
	// user ARN; for root arn:aws:iam::A:root. For Federated it holds the provider identifier (the
	// oidc-provider or saml-provider ARN, or a name such as cognito-identity.amazonaws.com); for
	// Service the service principal name.
	ARNs []string
	// ID is the unique id of the caller's IAM user (AIDA…) or, for a role session, of its role
	// (AROA…); "" for every other caller. A bound policy (see Policy.Bind) matches users, roles
	// and role sessions by it rather than by ARN.
	ID string
	// SessionName is a role session's name, which a bound assumed-role principal also matches.
	SessionName string
}

// Request is one authorization question.
type Request struct {
	Principal Principal
	Action    string // e.g. "sts:AssumeRole", matched case-insensitively
	Resource  string // an ARN, or "*"
	Context   *Context
}

// Result is the outcome of evaluating one policy.
type Result struct {
	Decision Decision
	// Matched lists the Deny statements that applied for ExplicitDeny, the Allow statements that
	// applied for Allow, and nothing for ImplicitDeny.
	Matched []MatchedStatement
	// PrincipalMatch is the strongest way an applying Allow statement matched the caller.
	PrincipalMatch PrincipalMatch
	// MissingContextKeys are condition keys (and variable keys) that statements whose action,
	// resource and principal matched referenced but the request lacked, deduplicated in order.
	MissingContextKeys []string
}

// Policy is a parsed, validated document. It is immutable and safe for concurrent use.
type Policy struct {
	// ID is chosen by the caller and echoed in MatchedStatements, e.g. the policy ARN or "user".
	ID string

	kind        Kind
	version     string
	statements  []statement
	contextKeys []string
	principals  []PrincipalRef
}

// PrincipalRef is one principal named in a Principal or NotPrincipal element.
type PrincipalRef struct {
	Type  string // "AWS", "Federated", "Service", "CanonicalUser", or "*" for "Principal": "*"
	Value string
}

// Kind returns the kind the policy was parsed as.
func (p *Policy) Kind() Kind { return p.kind }

// Version returns the Version element, or "" when the document has none.
func (p *Policy) Version() string { return p.version }

// ContextKeys lists the condition keys the policy references, in conditions and in ${}
// variables, deduplicated case-insensitively in order of first appearance, for
// GetContextKeysForCustomPolicy.
func (p *Policy) ContextKeys() []string {
	return append([]string(nil), p.contextKeys...)
}

// Principals lists the principals named in Principal and NotPrincipal elements in document order,
// so IAM can check that each one exists when the policy is saved.
func (p *Policy) Principals() []PrincipalRef {
	return append([]PrincipalRef(nil), p.principals...)
}

package metrics

import (
	"testing"

	"github.com/latchkey/latchkey/internal/explain"
)

func TestRefusalReason(t *testing.T) {
	deny := func(kind, decision string) explain.Policy { return explain.Policy{Kind: kind, Decision: decision} }
	failed := func(name string) []explain.Check {
		return []explain.Check{{Name: "iss", Passed: true}, {Name: name, Passed: false}}
	}
	cases := []struct {
		name string
		code string
		x    *explain.Explanation
		want string
	}{
		{"no explanation: the AWS code", "InvalidParameterValue", nil, "InvalidParameterValue"},
		{"trust policy did not allow a caller its identity policy allows", "AccessDenied",
			&explain.Explanation{Outcome: explain.ImplicitDeny, Policies: []explain.Policy{deny("identity", "Allow"), deny("trust", "ImplicitDeny")}}, "trust_policy"},
		{"an explicit deny wins over an earlier implicit one", "AccessDenied",
			&explain.Explanation{Outcome: explain.ExplicitDeny, Policies: []explain.Policy{deny("identity", "ImplicitDeny"), deny("session", "ExplicitDeny")}}, "session_policy"},
		{"identity policy", "AccessDenied",
			&explain.Explanation{Outcome: explain.ImplicitDeny, Policies: []explain.Policy{deny("identity", "ImplicitDeny"), deny("trust", "Allow")}}, "identity_policy"},
		{"permissions boundary", "AccessDenied",
			&explain.Explanation{Outcome: explain.ImplicitDeny, Policies: []explain.Policy{deny("identity", "Allow"), deny("boundary", "ImplicitDeny")}}, "permissions_boundary"},
		{"token audience", "InvalidIdentityToken", &explain.Explanation{Outcome: explain.InvalidToken, Checks: failed("aud")}, "token_audience"},
		{"token issuer", "InvalidIdentityToken", &explain.Explanation{Outcome: explain.InvalidToken, Checks: failed("iss")}, "token_issuer"},
		{"token kid", "InvalidIdentityToken", &explain.Explanation{Outcome: explain.InvalidToken, Checks: failed("kid")}, "token_signature"},
		{"token check outside the closed set", "InvalidIdentityToken", &explain.Explanation{Outcome: explain.InvalidToken, Checks: failed("sub of attacker's choosing")}, "token_invalid"},
		{"expired token", "ExpiredTokenException", &explain.Explanation{Outcome: explain.ExpiredToken}, "token_expired"},
		{"SAML audience", "InvalidIdentityToken", &explain.Explanation{Outcome: explain.InvalidAssertion, Checks: failed("Audience")}, "assertion_audience"},
		{"signature", "SignatureDoesNotMatch", &explain.Explanation{Outcome: explain.InvalidSignature}, "signature"},
	}
	for _, c := range cases {
		if got := RefusalReason(c.code, c.x); got != c.want {
			t.Errorf("%s: refusalReason = %q, want %q", c.name, got, c.want)
		}
	}
}

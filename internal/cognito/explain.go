package cognito

import (
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/token"
)

// A refusal of a login or of a Cognito token carries an explain.Explanation in its Cause: the
// check that failed and its values (claims, the pool, the header's kid and alg), never the token.
// Refusals decided by the OIDC and SAML verifiers and by policy keep the explanation those
// deciders attached, since it stays in the cause.

// explained attaches to e the explanation of failed check c, keeping e's cause beneath it.
func explained(e *awserr.Error, outcome explain.Outcome, c explain.Check, summary string) *awserr.Error {
	c.Passed = false
	e.Cause = explain.Wrap(&explain.Explanation{Outcome: outcome, Summary: summary, Checks: []explain.Check{c}}, e.Cause)
	return e
}

// unverifiedToken explains a Cognito token that Latchkey's issuer does not verify: a malformed
// one names the format check, a well-formed one its header's kid and alg.
func unverifiedToken(e *awserr.Error, tok string) *awserr.Error {
	kid, alg, malformed := token.UnverifiedHeader(tok)
	if malformed != "" {
		return explained(e, explain.InvalidToken, explain.Check{Name: "format", Detail: malformed},
			"the Cognito token is not a compact JWS ("+malformed+"); pass the Token that GetOpenIdToken returned, unchanged")
	}
	c := explain.Check{Name: "signature", Expected: []string{"a key of this Latchkey's token issuer"}, Actual: []string{"kid " + kid + ", alg " + alg},
		Detail: "no key of the issuer with this kid and alg verifies the signature"}
	return explained(e, explain.InvalidToken, c, fmt.Sprintf("the Cognito token's signature (kid %q, alg %s) verifies with no key of this Latchkey's issuer; "+
		"it was altered, issued by another deployment, or signed by a key since retired — get a new one with GetOpenIdToken", kid, alg))
}

// missingClaim explains a Cognito token without a required claim.
func missingClaim(e *awserr.Error, claim string) *awserr.Error {
	return explained(e, explain.InvalidToken, explain.Check{Name: claim, Detail: "the claim is required and absent"},
		"the Cognito token has no "+claim+" claim")
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// expiredToken explains a Cognito token used at or after its exp.
func expiredToken(e *awserr.Error, now, exp time.Time) *awserr.Error {
	c := explain.Check{Name: "exp", Expected: []string{"after " + rfc3339(now)}, Actual: []string{rfc3339(exp)}, Detail: "now " + rfc3339(now) + " must be before exp"}
	return explained(e, explain.ExpiredToken, c, fmt.Sprintf("the Cognito token expired at %s, %s before now (%s); get a new one with GetOpenIdToken",
		rfc3339(exp), now.Sub(exp).Round(time.Second), rfc3339(now)))
}

// claimMismatch explains a claim whose value is not the one accepted.
func claimMismatch(e *awserr.Error, claim, want, got, summary string) *awserr.Error {
	c := explain.Check{Name: claim, Expected: []string{want}, Actual: []string{got}}
	if got == "" {
		c.Actual = []string{"absent"}
	}
	return explained(e, explain.InvalidToken, c, summary)
}

// unsupportedProvider explains a Logins key the pool does not accept.
func unsupportedProvider(e *awserr.Error, key, detail string) *awserr.Error {
	return explained(e, explain.InvalidToken, explain.Check{Name: "provider", Actual: []string{key}, Detail: detail},
		fmt.Sprintf("the Logins key %q is not a provider of this identity pool: %s", key, detail))
}

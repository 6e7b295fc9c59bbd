package quicksight

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/token"
)

// Every refusal of VerifyContext carries an explain.Explanation in its Cause: the check that
// failed and its values (the header's kid and alg, the typ, exp and now, the claims that name
// the user), never the assertion or its signature.

// contextChecks is the order VerifyContext runs its checks in; a refusal lists the checks before
// the failed one as passed.
var contextChecks = []string{"format", "signature", "typ", "exp", "user"}

// contextExplanation is the explanation of failed check c.
func contextExplanation(outcome explain.Outcome, c explain.Check, summary string) *explain.Explanation {
	return &explain.Explanation{Outcome: outcome, Summary: summary, Checks: explain.Failed(contextChecks, c)}
}

// refuseContext is the ValidationError of an assertion that is not a valid identity context,
// explained by check c.
func refuseContext(reason string, c explain.Check, summary string) *awserr.Error {
	e := errInvalidContext(reason)
	e.Cause = explain.Wrap(contextExplanation(explain.InvalidToken, c, summary), nil)
	return e
}

// unverified refuses an assertion Latchkey's issuer does not verify: a malformed one names the
// format check; a well-formed one names the signature check with its header's kid and alg (read
// without trusting them), which no key of the issuer verifies.
func unverified(assertion string) *awserr.Error {
	const reason = "its signature does not verify"
	kid, alg, detail := token.UnverifiedHeader(assertion)
	if detail != "" {
		return refuseContext(reason, explain.Check{Name: "format", Detail: detail},
			"the ContextAssertion is not a compact JWS ("+detail+"); pass the Context that QuickSight GetIdentityContext returned, unchanged")
	}
	c := explain.Check{Name: "signature", Expected: []string{"a key of this Latchkey's token issuer"}, Actual: []string{"kid " + kid + ", alg " + alg},
		Detail: "no key of the issuer with this kid and alg verifies the signature"}
	return refuseContext(reason, c, fmt.Sprintf("the identity context's signature (kid %q, alg %s) verifies with no key of this Latchkey's issuer; "+
		"it was altered, issued by another deployment, or signed by a key that has since been retired — get a new one with GetIdentityContext", kid, alg))
}

func wrongType(typ string) *awserr.Error {
	c := explain.Check{Name: "typ", Expected: []string{ContextType}, Actual: []string{typ}}
	if typ == "" {
		c.Actual = []string{"absent"}
	}
	return refuseContext("it is not a QuickSight identity context", c,
		fmt.Sprintf("the assertion is a token of this Latchkey's issuer with typ %s, not %q: only the Context of QuickSight GetIdentityContext is an identity context",
			explain.Quote(c.Actual), ContextType))
}

func noExpiry() *awserr.Error {
	return refuseContext("it has no expiry", explain.Check{Name: "exp", Detail: "the claim is required and absent"},
		"the identity context has no exp claim")
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func expiredContext(now, exp time.Time) *awserr.Error {
	e := awserr.New("ExpiredTokenException", http.StatusBadRequest, "The QuickSight identity context in ProvidedContexts has expired.")
	c := explain.Check{Name: "exp", Expected: []string{"after " + stamp(now)}, Actual: []string{stamp(exp)}, Detail: "now " + stamp(now) + " must be before exp"}
	e.Cause = explain.Wrap(contextExplanation(explain.ExpiredToken, c, fmt.Sprintf("the identity context expired at %s, %s before now (%s); get a new one with GetIdentityContext",
		stamp(exp), now.Sub(exp).Round(time.Second), stamp(now))), nil)
	return e
}

// noUser refuses a context whose acct, ns or arn claim is absent.
func noUser(acct, ns, arn string) *awserr.Error {
	var missing []string
	for _, kv := range [][2]string{{"acct", acct}, {"ns", ns}, {"arn", arn}} {
		if kv[1] == "" {
			missing = append(missing, kv[0])
		}
	}
	c := explain.Check{Name: "user", Expected: []string{"acct, ns and arn"}, Actual: []string{"acct " + quoteOrAbsent(acct), "ns " + quoteOrAbsent(ns), "arn " + quoteOrAbsent(arn)},
		Detail: "absent: " + strings.Join(missing, ", ")}
	return refuseContext("it does not name a QuickSight user", c, "the identity context has no "+strings.Join(missing, ", ")+" claim, so it names no QuickSight user")
}

func quoteOrAbsent(s string) string {
	if s == "" {
		return "absent"
	}
	return fmt.Sprintf("%q", s)
}

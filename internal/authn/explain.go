package authn

import (
	"time"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/sigv4"
)

// Refusals carry an explain.Explanation in Error.Cause: the check that failed and its values
// (an access key id, a key status, an expiry), never a session token, a secret or a signature.

func refusal(outcome explain.Outcome, c explain.Check, summary string) error {
	c.Passed = false
	return explain.Wrap(&explain.Explanation{Outcome: outcome, Summary: summary, Checks: []explain.Check{c}}, nil)
}

func malformed(msg string) error {
	return refusal(explain.InvalidSignature, explain.Check{Name: "signature format", Detail: msg}, "the request's signature data is malformed: "+msg)
}

// keyRefusal refuses an access key that does not exist, is inactive or has no owner.
func keyRefusal(keyID, check string, expected, actual []string, summary string) *Error {
	c := explain.Check{Name: check, Expected: expected, Actual: actual}
	return &Error{Kind: InvalidToken, Message: invalidTokenMsg, Cause: refusal(explain.InvalidToken, c, summary)}
}

// tokenRefusal refuses a session token that is missing, misplaced or does not open.
func tokenRefusal(a *sigv4.Auth, summary string) *Error {
	c := explain.Check{Name: "session token", Actual: []string{"access key " + a.AccessKeyID}, Detail: summary}
	return &Error{Kind: InvalidToken, Message: invalidTokenMsg, Cause: refusal(explain.InvalidToken, c, summary)}
}

func expiredRefusal(keyID string, expires, now time.Time) *Error {
	c := explain.Check{Name: "session token expiry", Expected: []string{"after " + now.UTC().Format(time.RFC3339)},
		Actual: []string{expires.UTC().Format(time.RFC3339)}, Detail: "temporary access key " + keyID}
	return &Error{Kind: ExpiredToken, Message: "The security token included in the request is expired",
		Cause: refusal(explain.ExpiredToken, c, "the session of temporary access key "+keyID+" expired at "+expires.UTC().Format(time.RFC3339)+
			", "+now.Sub(expires).Round(time.Second).String()+" ago; get new credentials")}
}

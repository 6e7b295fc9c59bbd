package saml

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/explain"
)

// Every refusal of Verify carries an explain.Explanation in its Cause: the check that failed
// (Issuer, Audience, Recipient, Destination, a time, the signature, a missing or ambiguous
// element) with the values compared. Only element names, the Issuer, audiences, recipients,
// times and certificate fingerprints enter it: never the response, an assertion, a signature
// or an attribute value.

// refuse is the *Error of a failed check.
func refuse(kind ErrorKind, cause error, c explain.Check, summary, format string, args ...any) *Error {
	e := newError(kind, cause, format, args...)
	e.Cause = explain.Wrap(explanation(kind, c, summary), cause)
	return e
}

func explanation(kind ErrorKind, c explain.Check, summary string) *explain.Explanation {
	outcome := explain.InvalidAssertion
	if kind == Expired {
		outcome = explain.ExpiredToken
	}
	c.Passed = false
	return &explain.Explanation{Outcome: outcome, Summary: summary, Checks: []explain.Check{c}}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func wrongIssuer(issuer, entityID string) *Error {
	c := explain.Check{Name: "Issuer", Expected: []string{entityID}, Actual: []string{issuer}}
	return refuse(InvalidResponse, fmt.Errorf("Issuer %q, provider entityID %q", issuer, entityID), c,
		fmt.Sprintf("the response's Issuer %q is not the SAML provider's entityID %q; upload the identity provider's current metadata or fix its entity ID", issuer, entityID),
		msgIssuer)
}

func wrongAudience(seen, accepted []string) *Error {
	c := explain.Check{Name: "Audience", Expected: accepted, Actual: seen, Detail: "each AudienceRestriction must name an accepted audience"}
	return refuse(InvalidResponse, fmt.Errorf("no accepted Audience in %q", seen), c,
		fmt.Sprintf("the assertion's Audience %s names none of the accepted audiences %s; set the application's audience (SP entity ID) to one of them",
			explain.Quote(seen), explain.Quote(accepted)), msgAudience)
}

// wrongRecipient refuses a Recipient (element "Recipient") or a Destination (element
// "Destination") that is not accepted; value "" means the element is absent.
func wrongRecipient(element, value string, accepted []string) *Error {
	c := explain.Check{Name: element, Expected: accepted}
	summary := fmt.Sprintf("the response has no %s; the identity provider must send one of %s", element, explain.Quote(accepted))
	cause := fmt.Errorf("%s is absent", element)
	if value != "" {
		c.Actual = []string{value}
		summary = fmt.Sprintf("the response's %s %q is not an accepted recipient %s; set the application's ACS URL to one of them", element, value, explain.Quote(accepted))
		cause = fmt.Errorf("%s %q is not accepted", element, value)
	}
	return refuse(InvalidResponse, cause, c, summary, msgRecipient)
}

// tooLate refuses an assertion past a bound (NotOnOrAfter, SessionNotOnOrAfter, the redeem
// window), with the skew allowed.
func tooLate(name string, bound, now time.Time, skew time.Duration, msg string) *Error {
	c := explain.Check{Name: name, Expected: []string{"after " + stamp(now.Add(-skew))}, Actual: []string{stamp(bound)},
		Detail: fmt.Sprintf("now %s minus the clock skew of %s", stamp(now), skew)}
	return refuse(Expired, fmt.Errorf("%s %s, now %s", name, bound, now), c,
		fmt.Sprintf("the assertion's %s %s is past (now %s, clock skew %s); sign in at the identity provider again for a fresh response",
			name, stamp(bound), stamp(now), skew), "%s", msg)
}

// tooEarly refuses an IssueInstant or a NotBefore later than now plus the skew.
func tooEarly(name string, at, now time.Time, skew time.Duration, msg string) *Error {
	c := explain.Check{Name: name, Expected: []string{"at or before " + stamp(now.Add(skew))}, Actual: []string{stamp(at)},
		Detail: fmt.Sprintf("now %s plus the clock skew of %s", stamp(now), skew)}
	return refuse(InvalidResponse, fmt.Errorf("%s %s, now %s", name, at, now), c,
		fmt.Sprintf("the assertion's %s %s is %s ahead of now (%s), more than the clock skew of %s; check the clocks of the identity provider and of Latchkey",
			name, stamp(at), at.Sub(now).Round(time.Second), stamp(now), skew), "%s", msg)
}

// badSignature refuses a response whose signature does not verify with any certificate of the
// provider's metadata; the certificates are named by subject, expiry and SHA-256 fingerprint.
func badSignature(cause error, certs []*x509.Certificate) *Error {
	c := explain.Check{Name: "signature", Expected: describeCerts(certs), Detail: causeText(cause)}
	return refuse(InvalidResponse, cause, c,
		"the response's signature does not verify with the SAML provider's certificates ("+causeText(cause)+"); upload the identity provider's current metadata if it rotated its signing certificate",
		msgSignatureInvalid)
}

func describeCerts(certs []*x509.Certificate) []string {
	out := make([]string, len(certs))
	for i, c := range certs {
		sum := sha256.Sum256(c.Raw)
		out[i] = fmt.Sprintf("%s, valid until %s, SHA-256 %s", c.Subject.String(), stamp(c.NotAfter), hex.EncodeToString(sum[:]))
	}
	return out
}

// explained returns err with an explanation: those built at the failing check are kept; any
// other refusal (a missing or ambiguous element, an unsupported construct) gets one naming the
// element, from the detail the error carries.
func explained(err error) error {
	var e *Error
	if !errors.As(err, &e) || explain.Of(e.Cause) != nil {
		return err
	}
	c := explain.Check{Name: "structure", Detail: causeText(e.Cause)}
	summary := "the SAML response was refused: " + e.Message
	if e.Cause != nil {
		summary += " (" + e.Cause.Error() + ")"
	}
	return &Error{Kind: e.Kind, Message: e.Message, Cause: explain.Wrap(explanation(e.Kind, c, summary), e.Cause)}
}

func causeText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

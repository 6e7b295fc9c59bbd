package sigv4

import (
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/explain"
)

// Every refusal of CheckScope and Verify carries an explain.Explanation in Error.Cause: the
// check that failed (credential scope, date skew, presigned expiry, payload hash, headers left
// unsigned, signature) with the values compared. A signature mismatch shows what AWS's
// SignatureDoesNotMatch message shows — the canonical request and the string to sign the server
// computed — with the session token and the provided signature redacted; never the secret, the
// signing key or the expected signature.

const redacted = "<redacted>"

func explainedError(kind ErrorKind, msg string, c explain.Check, summary string) *Error {
	c.Passed = false
	x := &explain.Explanation{Outcome: explain.InvalidSignature, Summary: summary, Checks: []explain.Check{c}}
	return &Error{Kind: kind, Message: msg, Cause: explain.Wrap(x, nil)}
}

func scopeRefusal(msg, element, want, got string) *Error {
	c := explain.Check{Name: "credential scope " + element, Expected: []string{want}, Actual: []string{got}}
	return explainedError(KindMismatch, msg, c,
		"the credential scope's "+element+" is "+quote(got)+", expected "+quote(want)+"; sign for this "+element)
}

func quote(s string) string { return `"` + s + `"` }

// skewRefusal refuses a request time outside [earliest, latest].
func skewRefusal(msg string, a *Auth, now, earliest, latest time.Time, window string) *Error {
	c := explain.Check{Name: "request date", Expected: []string{"from " + earliest.Format(TimeFormat) + " to " + latest.Format(TimeFormat)},
		Actual: []string{a.AmzDate}, Detail: "now " + now.Format(TimeFormat) + ", " + window}
	return explainedError(KindExpired, msg, c,
		"the request's X-Amz-Date "+a.AmzDate+" is outside "+window+" of now ("+now.Format(TimeFormat)+"); check the client's clock, or presign again")
}

func payloadRefusal(msg, declared, computed string) *Error {
	c := explain.Check{Name: "payload hash", Expected: []string{computed}, Actual: []string{declared}, Detail: "x-amz-content-sha256 must be the hex SHA-256 of the body received"}
	return explainedError(KindMismatch, msg, c, "x-amz-content-sha256 "+declared+" is not the SHA-256 of the body received ("+computed+")")
}

func unsignedRefusal(msg, missing string, a *Auth) *Error {
	c := explain.Check{Name: "signed headers", Expected: strings.Split(missing, ", "), Actual: a.SignedHeaders, Detail: "every x-amz-* header must be signed"}
	return explainedError(KindMismatch, msg, c, "the headers "+missing+" are sent but not in SignedHeaders ("+strings.Join(a.SignedHeaders, ";")+"); sign them")
}

func bodyRefusal(msg string) *Error {
	c := explain.Check{Name: "presigned body", Detail: "a presigned URL signs no body"}
	return explainedError(KindMismatch, msg, c, "a presigned URL was sent with a body; send it with an empty body")
}

// signatureRefusal explains a signature that differs from the one computed. canonical is the
// canonical request as computed, sts the string to sign.
func signatureRefusal(a *Auth, canonical, sts string) *Error {
	for _, secret := range []string{a.SecurityToken, canonicalComponent(a.SecurityToken), a.Signature} {
		if secret != "" {
			canonical = strings.ReplaceAll(canonical, secret, redacted)
		}
	}
	c := explain.Check{Name: "signature", Actual: []string{"access key " + a.AccessKeyID + ", scope " + a.Date + "/" + a.Region + "/" + a.Service + "/" + Terminator},
		Detail: "The canonical string for this request should have been\n'" + canonical + "'\n\nThe String-to-Sign should have been\n'" + sts + "'"}
	return explainedError(KindMismatch, MismatchMessage, c,
		"the signature does not match the one computed with the secret of access key "+a.AccessKeyID+
			"; check the secret access key and that the client signs the same canonical request (the explanation shows it)")
}

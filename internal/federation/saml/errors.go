package saml

import "fmt"

// ErrorKind tells the STS and IAM layers which AWS error a failure becomes.
type ErrorKind int

const (
	// InvalidResponse becomes InvalidIdentityToken (400).
	InvalidResponse ErrorKind = iota + 1
	// Expired becomes ExpiredTokenException (400).
	Expired
	// InvalidMetadata becomes IAM InvalidInput (400).
	InvalidMetadata
	// AccessDenied becomes AccessDenied (403) "Not authorized to perform
	// sts:AssumeRoleWithSAML": AWS answers a response without a NameID this way
	// (observed), not with InvalidIdentityToken.
	AccessDenied
)

func (k ErrorKind) String() string {
	switch k {
	case InvalidResponse:
		return "InvalidResponse"
	case Expired:
		return "Expired"
	case InvalidMetadata:
		return "InvalidMetadata"
	case AccessDenied:
		return "AccessDenied"
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// Error is every failure of this package. Message is safe to send to the client; Cause is the
// internal detail for logs and audit events, never for the wire, because it can help an attacker
// tune a forged document.
type Error struct {
	Kind    ErrorKind
	Message string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("saml: %s: %s (%v)", e.Kind, e.Message, e.Cause)
	}
	return fmt.Sprintf("saml: %s: %s", e.Kind, e.Message)
}

func (e *Error) Unwrap() error { return e.Cause }

func newError(kind ErrorKind, cause error, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Kind: kind, Message: msg, Cause: cause}
}

func invalid(cause error, format string, args ...any) *Error {
	return newError(InvalidResponse, cause, format, args...)
}

func badMetadata(cause error, format string, args ...any) *Error {
	return newError(InvalidMetadata, cause, "Could not parse metadata: "+format, args...)
}

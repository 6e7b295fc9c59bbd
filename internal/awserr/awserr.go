package awserr

import (
	"errors"
	"fmt"
	"net/http"
)

// Kind classifies a failure. A service codes the errors of its own model itself (Coded); for the
// conditions every protocol family spells differently — a refusal by policy, an unreachable
// dependency, an unexpected failure — it says only the kind, and the server picks the family's
// code and status from its catalog.
type Kind uint8

const (
	// Coded: Code and HTTPStatus are the service's own (one of the operation's modeled errors).
	Coded Kind = iota
	// NotFound and Conflict are coded by the service (NoSuchEntity, ResourceNotFoundException, …);
	// the kind lets layers that do not know the service's codes tell them apart.
	NotFound
	Conflict
	// Denied is a refusal by policy: AccessDenied (403) in the query protocols,
	// AccessDeniedException in the JSON ones, with the family's status.
	Denied
	// Unavailable: a dependency (the store) could not be reached; clients retry the 503.
	Unavailable
	// Internal: an unexpected failure. The message says nothing about it; the cause is logged.
	Internal
)

// Error is an AWS error. Cause, when set, is an internal detail that is logged but never sent.
type Error struct {
	Kind       Kind
	Code       string
	Message    string
	HTTPStatus int
	// Fields holds extra members some protocols carry in the error body (QuickSight's ResourceType).
	Fields map[string]string
	Cause  error
}

func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = e.Kind.String()
	}
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s (%v)", code, e.Message, e.Cause)
	}
	return code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// Sender reports whether the client is at fault (4xx); the awsQuery envelope says Sender or Receiver.
func (e *Error) Sender() bool { return e.HTTPStatus < 500 }

func (k Kind) String() string {
	switch k {
	case NotFound:
		return "NotFound"
	case Conflict:
		return "Conflict"
	case Denied:
		return "Denied"
	case Unavailable:
		return "Unavailable"
	case Internal:
		return "Internal"
	}
	return "Coded"
}

// New builds an error with a formatted message.
func New(code string, status int, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg, HTTPStatus: status}
}

// WithField returns e with one extra body member set.
func (e *Error) WithField(k, v string) *Error {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	e.Fields[k] = v
	return e
}

// WithKind returns e classified as k.
func (e *Error) WithKind(k Kind) *Error {
	e.Kind = k
	return e
}

// As extracts an *Error from err. Anything that is not an AWS error is an internal failure: the
// caller logs it and the client sees only the code.
func As(err error) (*Error, bool) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae, true
	}
	return nil, false
}

// IsKind reports whether err is an AWS error of kind k.
func IsKind(err error, k Kind) bool {
	ae, ok := As(err)
	return ok && ae.Kind == k
}

// InternalMessage is what a client is told of an internal failure: nothing about its cause.
const InternalMessage = "We encountered an internal error. Please try again."

// UnavailableMessage is what a client is told when a dependency cannot be reached.
const UnavailableMessage = "Service is unavailable. Please try again."

// InternalError wraps an unexpected failure; the server answers it with its protocol family's
// internal-error code, or with the family's unavailable code when cause is an outage.
func InternalError(cause error) *Error {
	return &Error{Kind: Internal, Message: InternalMessage, HTTPStatus: http.StatusInternalServerError, Cause: cause}
}

// UnavailableError says a dependency could not be reached; cause is kept for the log.
func UnavailableError(cause error) *Error {
	return &Error{Kind: Unavailable, Message: UnavailableMessage, HTTPStatus: http.StatusServiceUnavailable, Cause: cause}
}

// DeniedError is a refusal by policy with the "User: … is not authorized to perform: …" message;
// the query protocols' code is AccessDenied (403), which the server re-codes for the others.
func DeniedError(format string, args ...any) *Error {
	e := New("AccessDenied", http.StatusForbidden, format, args...)
	e.Kind = Denied
	return e
}

package awserr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an AWS error. Cause, when set, is an internal detail that is logged but never sent.
type Error struct {
	Code       string
	Message    string
	HTTPStatus int
	// Fields holds extra members some protocols carry in the error body (QuickSight's ResourceType).
	Fields map[string]string
	Cause  error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s (%v)", e.Code, e.Message, e.Cause)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// Sender reports whether the client is at fault (4xx); the awsQuery envelope says Sender or Receiver.
func (e *Error) Sender() bool { return e.HTTPStatus < 500 }

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

// As extracts an *Error from err. Anything that is not an AWS error is an internal failure: the
// caller logs it and the client sees only the code.
func As(err error) (*Error, bool) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae, true
	}
	return nil, false
}

// Internal wraps an unexpected failure. The message deliberately says nothing about the cause.
func Internal(code string, cause error) *Error {
	return &Error{Code: code, Message: "We encountered an internal error. Please try again.", HTTPStatus: http.StatusInternalServerError, Cause: cause}
}

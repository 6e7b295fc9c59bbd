package server

import (
	"errors"
	"net/http"

	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/store"
)

// family holds the error codes that differ between the query services (STS, IAM), the JSON
// service (Cognito Identity) and the REST service (QuickSight) for the same condition
// (the "Common Errors" pages of the STS, IAM, Cognito Identity and QuickSight API references).
type family struct {
	auth           map[authn.Kind]codeStatus
	validation     codeStatus
	internal       string
	unavailable    codeStatus
	denied         codeStatus
	unknownOp      codeStatus
	tooLarge       codeStatus
	notImplemented codeStatus
}

type codeStatus struct {
	code   string
	status int
}

func (f *family) authError(e *authn.Error) *awserr.Error {
	cs, ok := f.auth[e.Kind]
	if !ok {
		return f.coded(awserr.InternalError(e))
	}
	return &awserr.Error{Code: cs.code, Message: e.Message, HTTPStatus: cs.status, Cause: e.Cause}
}

func (f *family) err(cs codeStatus, msg string) *awserr.Error {
	return &awserr.Error{Code: cs.code, Message: msg, HTTPStatus: cs.status}
}

var unavailable = codeStatus{"ServiceUnavailable", http.StatusServiceUnavailable}

// coded gives an error the service classified only by kind (denied, unavailable, internal) this
// family's code and status, without changing the error the service returned.
func (f *family) coded(ae *awserr.Error) *awserr.Error {
	var cs codeStatus
	switch ae.Kind {
	case awserr.Internal:
		cs = codeStatus{f.internal, http.StatusInternalServerError}
	case awserr.Unavailable:
		cs = f.unavailable
	case awserr.Denied:
		cs = f.denied
	default:
		return ae
	}
	c := *ae
	c.Code, c.HTTPStatus = cs.code, cs.status
	return &c
}

// answer is the one place an error returned while serving op (nil when no operation matched)
// becomes this family's wire error. Anything that is not an AWS error is an internal failure.
// A Conflict the operation's model does not list (a race lost on every retry, for an operation
// whose model has no ConcurrentModification) is answered as the failure it is, internal or
// unavailable. A failure caused by an unreachable store is temporary: clients retry the 503 by
// themselves. The cause is kept in every case, for the log.
func (f *family) answer(err error, op *awsmodel.Operation) *awserr.Error {
	ae, ok := awserr.As(err)
	if !ok {
		ae = awserr.InternalError(err)
	}
	if ae.Kind == awserr.Conflict && !modeled(op, ae.Code) {
		ae = awserr.InternalError(err)
	}
	switch {
	case ae.HTTPStatus >= 500 && errors.Is(err, store.ErrUnavailable):
		ae = awserr.UnavailableError(err)
	case ae.HTTPStatus >= 500 && ae.Code == "InternalFailure":
		// A service that still spells an internal failure in STS's words gets its family's.
		ae = awserr.InternalError(ae.Cause)
	}
	return f.coded(ae)
}

// modeled reports whether op's model lists an error with this code.
func modeled(op *awsmodel.Operation, code string) bool {
	if op == nil {
		return false
	}
	for _, e := range op.Errors {
		if e.Error != nil && e.Error.Code == code {
			return true
		}
	}
	return false
}

// decodeFailed gives a codec's refusal of a malformed request this family's validation code;
// the codecs speak the query protocols' ValidationError.
func (f *family) decodeFailed(err error) error {
	if ae, ok := awserr.As(err); ok && ae.Code == "ValidationError" {
		ae.Code, ae.HTTPStatus = f.validation.code, f.validation.status
	}
	return err
}

func queryFamily(internal string) *family {
	return &family{
		auth: map[authn.Kind]codeStatus{
			authn.Missing:      {"MissingAuthenticationToken", http.StatusForbidden},
			authn.Incomplete:   {"IncompleteSignature", http.StatusBadRequest},
			authn.Mismatch:     {"SignatureDoesNotMatch", http.StatusForbidden},
			authn.Skewed:       {"SignatureDoesNotMatch", http.StatusForbidden},
			authn.InvalidToken: {"InvalidClientTokenId", http.StatusForbidden},
			authn.ExpiredToken: {"ExpiredToken", http.StatusForbidden},
			authn.Unavailable:  unavailable,
		},
		validation:     codeStatus{"ValidationError", http.StatusBadRequest},
		internal:       internal,
		unavailable:    unavailable,
		denied:         codeStatus{"AccessDenied", http.StatusForbidden},
		unknownOp:      codeStatus{"InvalidAction", http.StatusBadRequest},
		tooLarge:       codeStatus{"RequestEntityTooLarge", http.StatusRequestEntityTooLarge},
		notImplemented: codeStatus{"NotImplemented", http.StatusNotImplemented},
	}
}

var (
	stsFamily = queryFamily("InternalFailure")
	iamFamily = queryFamily("ServiceFailure")

	cognitoFamily = &family{
		auth: map[authn.Kind]codeStatus{
			authn.Missing:      {"MissingAuthenticationTokenException", http.StatusForbidden},
			authn.Incomplete:   {"IncompleteSignatureException", http.StatusBadRequest},
			authn.Mismatch:     {"InvalidSignatureException", http.StatusBadRequest},
			authn.Skewed:       {"InvalidSignatureException", http.StatusBadRequest},
			authn.InvalidToken: {"UnrecognizedClientException", http.StatusBadRequest},
			authn.ExpiredToken: {"ExpiredTokenException", http.StatusBadRequest},
			authn.Unavailable:  unavailable,
		},
		// A value that breaks the model's constraints is refused by AWS's front end before Cognito
		// sees it, with the awsJson protocol's ValidationException (not in the Cognito model's
		// error list) and the "1 validation error detected: Value '…' at 'identityPoolId' failed
		// to satisfy constraint: …" text, as real AWS answers quoted in public SDK issues show.
		// Cognito's own refusals of well-formed values keep InvalidParameterException.
		validation:  codeStatus{"ValidationException", http.StatusBadRequest},
		internal:    "InternalErrorException",
		unavailable: unavailable,
		// Cognito answers a refusal by policy with AccessDeniedException and a 400.
		denied:         codeStatus{"AccessDeniedException", http.StatusBadRequest},
		unknownOp:      codeStatus{"UnknownOperationException", http.StatusBadRequest},
		tooLarge:       codeStatus{"RequestEntityTooLargeException", http.StatusRequestEntityTooLarge},
		notImplemented: codeStatus{"NotImplementedException", http.StatusNotImplemented},
	}

	quicksightFamily = &family{
		auth: map[authn.Kind]codeStatus{
			authn.Missing:      {"MissingAuthenticationTokenException", http.StatusForbidden},
			authn.Incomplete:   {"IncompleteSignatureException", http.StatusForbidden},
			authn.Mismatch:     {"InvalidSignatureException", http.StatusForbidden},
			authn.Skewed:       {"InvalidSignatureException", http.StatusForbidden},
			authn.InvalidToken: {"UnrecognizedClientException", http.StatusForbidden},
			authn.ExpiredToken: {"ExpiredTokenException", http.StatusForbidden},
			authn.Unavailable:  unavailable,
		},
		validation:     codeStatus{"InvalidParameterValueException", http.StatusBadRequest},
		internal:       "InternalFailureException",
		unavailable:    codeStatus{"ResourceUnavailableException", http.StatusServiceUnavailable},
		denied:         codeStatus{"AccessDeniedException", http.StatusUnauthorized},
		unknownOp:      codeStatus{"UnknownOperationException", http.StatusNotFound},
		tooLarge:       codeStatus{"RequestEntityTooLargeException", http.StatusRequestEntityTooLarge},
		notImplemented: codeStatus{"NotImplementedException", http.StatusNotImplemented},
	}
)

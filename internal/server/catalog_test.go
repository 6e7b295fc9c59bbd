package server

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/store"
)

// secret stands for what a cause may hold (a DSN, a key id, a SQL fragment): it is logged, never
// sent.
const secret = "postgres://latchkey:hunter2@db.internal/latchkey"

func newCatalogServer(t *testing.T) (*Server, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	s, err := New(Deps{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return s, &log
}

// failed is what fail answered: the status, the code (from the body, or from the header
// restJson1 carries it in), the body and the log (fail's, then the request log's line).
type failed struct {
	status int
	code   string
	body   string
	log    string
}

func (s *Server) failFor(svc *service, op string, err error, log *bytes.Buffer) failed {
	log.Reset()
	rec := httptest.NewRecorder()
	rq := &request{id: "req-1", w: rec, svc: svc, op: op, start: time.Now()}
	s.fail(rq, err)
	s.logRequest(rq, rec.Code)
	body := rec.Body.String()
	code := rec.Header().Get("X-Amzn-Errortype")
	if _, rest, ok := strings.Cut(body, "<Code>"); ok {
		code, _, _ = strings.Cut(rest, "<")
	} else if _, rest, ok := strings.Cut(body, `"__type":"`); ok {
		code, _, _ = strings.Cut(rest, `"`)
	}
	return failed{status: rec.Code, code: code, body: body, log: log.String()}
}

func (s *Server) families() map[string]*service {
	return map[string]*service{"sts": &s.sts, "iam": &s.iam, "cognito": &s.cognito, "quicksight": &s.quicksight}
}

// TestCatalogCodesKinds: an error the service classified only by kind gets its family's code and
// status; an error the service coded itself is sent as it is.
func TestCatalogCodesKinds(t *testing.T) {
	s, log := newCatalogServer(t)
	type want struct {
		code   string
		status int
	}
	kinds := []struct {
		name string
		err  func() error
		want map[string]want
	}{
		{"internal", func() error { return awserr.InternalError(errors.New(secret)) }, map[string]want{
			"sts": {"InternalFailure", 500}, "iam": {"ServiceFailure", 500},
			"cognito": {"InternalErrorException", 500}, "quicksight": {"InternalFailureException", 500},
		}},
		{"unavailable", func() error { return awserr.UnavailableError(errors.New(secret)) }, map[string]want{
			"sts": {"ServiceUnavailable", 503}, "iam": {"ServiceUnavailable", 503},
			"cognito": {"ServiceUnavailable", 503}, "quicksight": {"ResourceUnavailableException", 503},
		}},
		{"denied", func() error { return awserr.DeniedError("User: x is not authorized to perform: y") }, map[string]want{
			"sts": {"AccessDenied", 403}, "iam": {"AccessDenied", 403},
			"cognito": {"AccessDeniedException", 400}, "quicksight": {"AccessDeniedException", 401},
		}},
		{"not found keeps its code", func() error {
			return awserr.New("NoSuchEntity", http.StatusNotFound, "The role with name r cannot be found.").WithKind(awserr.NotFound)
		}, map[string]want{
			"sts": {"NoSuchEntity", 404}, "iam": {"NoSuchEntity", 404}, "cognito": {"NoSuchEntity", 404}, "quicksight": {"NoSuchEntity", 404},
		}},
		{"coded keeps its code", func() error {
			return awserr.New("EntityAlreadyExists", http.StatusConflict, "Role with name r already exists.")
		}, map[string]want{
			"sts": {"EntityAlreadyExists", 409}, "iam": {"EntityAlreadyExists", 409}, "cognito": {"EntityAlreadyExists", 409}, "quicksight": {"EntityAlreadyExists", 409},
		}},
		{"unknown error is internal", func() error { return fmt.Errorf("scan row: %s", secret) }, map[string]want{
			"sts": {"InternalFailure", 500}, "iam": {"ServiceFailure", 500},
			"cognito": {"InternalErrorException", 500}, "quicksight": {"InternalFailureException", 500},
		}},
		{"store outage is unavailable", func() error { return fmt.Errorf("get role %s: %w", secret, store.ErrUnavailable) }, map[string]want{
			"sts": {"ServiceUnavailable", 503}, "iam": {"ServiceUnavailable", 503},
			"cognito": {"ServiceUnavailable", 503}, "quicksight": {"ResourceUnavailableException", 503},
		}},
		{"internal error caused by a store outage is unavailable", func() error {
			return awserr.InternalError(fmt.Errorf("get role %s: %w", secret, store.ErrUnavailable))
		}, map[string]want{
			"sts": {"ServiceUnavailable", 503}, "iam": {"ServiceUnavailable", 503},
			"cognito": {"ServiceUnavailable", 503}, "quicksight": {"ResourceUnavailableException", 503},
		}},
		{"STS-worded internal failure gets the family's code", func() error {
			return awserr.New("InternalFailure", http.StatusInternalServerError, "boom")
		}, map[string]want{
			"sts": {"InternalFailure", 500}, "iam": {"ServiceFailure", 500},
			"cognito": {"InternalErrorException", 500}, "quicksight": {"InternalFailureException", 500},
		}},
	}
	for _, k := range kinds {
		for fam, svc := range s.families() {
			t.Run(k.name+"/"+fam, func(t *testing.T) {
				w := k.want[fam]
				got := s.failFor(svc, "unknown", k.err(), log)
				if got.status != w.status || got.code != w.code {
					t.Fatalf("answered %d %s, want %s (%d)", got.status, got.body, w.code, w.status)
				}
				// The wire never carries a cause.
				if strings.Contains(got.body, "hunter2") {
					t.Fatalf("body leaks the cause: %s", got.body)
				}
			})
		}
	}
}

// TestCausesAreLogged: a failure's cause reaches the log with the request id and the code it
// was answered with; the client sees only the generic message.
func TestCausesAreLogged(t *testing.T) {
	s, log := newCatalogServer(t)
	for _, tc := range []struct {
		name string
		err  error
		msg  string
	}{
		{"unknown error", errors.New(secret), awserr.InternalMessage},
		{"internal", awserr.InternalError(errors.New(secret)), awserr.InternalMessage},
		{"store outage", fmt.Errorf("%s: %w", secret, store.ErrUnavailable), awserr.UnavailableMessage},
		{"outage behind internal", awserr.InternalError(fmt.Errorf("%s: %w", secret, store.ErrUnavailable)), awserr.UnavailableMessage},
	} {
		for fam, svc := range s.families() {
			t.Run(tc.name+"/"+fam, func(t *testing.T) {
				got := s.failFor(svc, "unknown", tc.err, log)
				if !strings.Contains(got.log, "hunter2") || !strings.Contains(got.log, "req-1") {
					t.Fatalf("log lacks the cause or the request id: %s", got.log)
				}
				if strings.Contains(got.log, "err=<nil>") {
					t.Fatalf("log dropped the cause: %s", got.log)
				}
				if strings.Contains(got.body, "hunter2") || !strings.Contains(got.body, tc.msg) {
					t.Fatalf("body = %s, want only %q", got.body, tc.msg)
				}
			})
		}
	}
}

// TestUnservedOperationIsNotAFault: NotImplemented answers a documented absence, so the server's
// error log (Latchkey's own faults only) stays quiet.
func TestUnservedOperationIsNotAFault(t *testing.T) {
	s, log := newCatalogServer(t)
	for fam, svc := range s.families() {
		got := s.failFor(svc, "unknown", svc.family.err(svc.family.notImplemented, "X is not implemented by Latchkey"), log)
		if got.status != http.StatusNotImplemented || strings.Contains(got.log, "level=ERROR") {
			t.Errorf("%s: status %d, log %s", fam, got.status, got.log)
		}
	}
}

// TestConcurrentModificationAnsweredAsTheModelSays: a race lost on every retry (kind Conflict,
// caused by the store's ErrConcurrentModification, which matches ErrUnavailable) is answered as
// ConcurrentModification (409) by the operations whose model lists it, and as ServiceUnavailable
// (503) by the others; iam's TestLostRacesAnswerConcurrentModification checks that the service
// returns that error for the same operations.
func TestConcurrentModificationAnsweredAsTheModelSays(t *testing.T) {
	s, log := newCatalogServer(t)
	lost := fmt.Errorf("test: %w: %w", store.ErrConcurrentModification, store.ErrUnavailable)
	conflict := func() error {
		e := awserr.New("ConcurrentModification", http.StatusConflict, "Multiple requests to change this object were submitted simultaneously.")
		e.Cause = lost
		return e.WithKind(awserr.Conflict)
	}
	for _, tc := range []struct {
		op     string
		code   string
		status int
	}{
		{"TagRole", "ConcurrentModification", 409},
		{"UntagRole", "ConcurrentModification", 409},
		{"UpdateRole", "ServiceUnavailable", 503},
		{"UpdateAssumeRolePolicy", "ServiceUnavailable", 503},
		{"TagUser", "ConcurrentModification", 409},
		{"UpdateUser", "ConcurrentModification", 409},
		{"DeleteUserPermissionsBoundary", "ServiceUnavailable", 503},
		{"AddClientIDToOpenIDConnectProvider", "ConcurrentModification", 409},
		{"EnableOutboundWebIdentityFederation", "ServiceUnavailable", 503},
		// Every other updater of the service.
		{"UntagUser", "ConcurrentModification", 409},
		{"TagPolicy", "ConcurrentModification", 409},
		{"TagMFADevice", "ConcurrentModification", 409},
		{"UpdateSAMLProvider", "ConcurrentModification", 409},
		{"UpdateOpenIDConnectProviderThumbprint", "ConcurrentModification", 409},
		{"PutRolePermissionsBoundary", "ServiceUnavailable", 503},
		{"UpdateRoleDescription", "ServiceUnavailable", 503},
		{"DisableOutboundWebIdentityFederation", "ServiceUnavailable", 503},
	} {
		t.Run(tc.op, func(t *testing.T) {
			if s.iam.model.Operations[tc.op] == nil {
				t.Fatalf("the IAM model has no %s", tc.op)
			}
			got := s.failFor(&s.iam, tc.op, conflict(), log)
			if got.status != tc.status || got.code != tc.code {
				t.Fatalf("answered %d %s, want %s (%d)", got.status, got.body, tc.code, tc.status)
			}
			if !strings.Contains(got.log, "concurrent modification") {
				t.Fatalf("log lacks the store's cause: %s", got.log)
			}
		})
	}
	// A Conflict of an operation the request never reached (no operation matched) is not modeled.
	if got := s.failFor(&s.iam, "unknown", conflict(), log); got.status != 503 {
		t.Fatalf("unmatched operation answered %d %s, want 503", got.status, got.body)
	}
}

// TestDecodeFailuresUseTheFamilysValidationCode: the codecs refuse malformed input with the query
// protocols' ValidationError; each family answers it with its own validation code.
func TestDecodeFailuresUseTheFamilysValidationCode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		f      *family
		code   string
		status int
	}{
		{"sts", stsFamily, "ValidationError", 400},
		{"iam", iamFamily, "ValidationError", 400},
		{"cognito", cognitoFamily, "ValidationException", 400},
		{"quicksight", quicksightFamily, "InvalidParameterValueException", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f.decodeFailed(awserr.New("ValidationError", http.StatusBadRequest, "1 validation error detected"))
			ae, ok := awserr.As(err)
			if !ok || ae.Code != tc.code || ae.HTTPStatus != tc.status || ae.Message != "1 validation error detected" {
				t.Fatalf("got %v, want %s (%d)", err, tc.code, tc.status)
			}
			// Other codec errors pass unchanged.
			other := tc.f.decodeFailed(awserr.New("MalformedQueryString", http.StatusNotFound, "bad"))
			if ae, _ := awserr.As(other); ae.Code != "MalformedQueryString" || ae.HTTPStatus != 404 {
				t.Fatalf("got %v, want MalformedQueryString unchanged", other)
			}
		})
	}
}

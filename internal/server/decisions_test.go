package server

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
)

// TestCodeExplanationCoversRefusals: every refusal code of every family's catalog (signature,
// credential and policy refusals) has a summary of what it means; the codes of validation,
// internal and unavailable answers are not decisions.
func TestCodeExplanationCoversRefusals(t *testing.T) {
	s, _ := newCatalogServer(t)
	for name, svc := range s.families() {
		f := svc.family
		refusals := []string{f.denied.code}
		for kind, cs := range f.auth {
			if kind != authn.Unavailable {
				refusals = append(refusals, cs.code)
			}
		}
		for _, code := range refusals {
			x := codeExplanation(code)
			if x == nil || x.Summary == "" || !strings.Contains(x.Summary, code) {
				t.Errorf("%s: refusal code %s has no summary: %+v", name, code, x)
			}
		}
		for _, code := range []string{f.validation.code, f.internal, f.unavailable.code, f.unknownOp.code, f.tooLarge.code, f.notImplemented.code} {
			if codeExplanation(code) != nil {
				t.Errorf("%s: %s is recorded as a decision", name, code)
			}
		}
	}
	for _, code := range []string{"InvalidIdentityToken", "IDPRejectedClaim", "ExpiredTokenException", "NotAuthorizedException", "InvalidIdentityPoolConfigurationException"} {
		if codeExplanation(code) == nil {
			t.Errorf("token refusal %s has no summary", code)
		}
	}
}

// TestRefusalsAreRecorded: a refusal is recorded with its decider's explanation, or, without one,
// with what its code means, so `latchkey explain` finds every refusal; a validation error is not.
func TestRefusalsAreRecorded(t *testing.T) {
	st := sqltest.Open(t)
	// Read through the recorder, as the node's admin API does: it writes what is queued first.
	rec := audit.NewDecisionRecorder(audit.DecisionDeps{Store: st})
	defer rec.Close()
	s, err := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Decisions: rec})
	if err != nil {
		t.Fatal(err)
	}
	caller := &principal.Principal{Kind: principal.User, AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:user/alice"}
	explained := awserr.DeniedError("User: alice is not authorized")
	explained.Cause = explain.Wrap(&explain.Explanation{Outcome: explain.ImplicitDeny, Summary: "no statement of the trust policy allows alice"}, nil)
	for _, tc := range []struct {
		name, id string
		svc      *service
		err      error
		code     string
		summary  string // "" when nothing may be recorded
	}{
		{"explained", "r-explained", &s.sts, explained, "AccessDenied", "no statement of the trust policy allows alice"},
		{"unexplained denial", "r-denied", &s.sts, awserr.DeniedError("User: alice is not authorized"), "AccessDenied", "refused by policy"},
		{"unexplained signature", "r-sig", &s.cognito, s.cognito.family.authError(&authn.Error{Kind: authn.Mismatch, Message: "bad"}), "InvalidSignatureException", "signature does not match"},
		{"unsigned", "r-unsigned", &s.quicksight, s.quicksight.family.authError(&authn.Error{Kind: authn.Missing, Message: "no"}), "MissingAuthenticationTokenException", "not signed"},
		{"validation", "r-validation", &s.sts, awserr.New("ValidationError", 400, "bad"), "", ""},
		{"internal", "r-internal", &s.iam, errors.New("boom"), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rq := &request{id: tc.id, w: httptest.NewRecorder(), r: httptest.NewRequest("POST", "/", nil), svc: tc.svc, op: "AssumeRole", start: time.Now(), caller: caller}
			s.fail(rq, tc.err)
			d, err := rec.GetDecision(t.Context(), tc.id)
			if tc.summary == "" {
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("recorded %+v, %v", d, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var x explain.Explanation
			if err := json.Unmarshal(d.Explanation, &x); err != nil || !strings.Contains(x.Summary, tc.summary) || d.ErrorCode != tc.code || d.AccountID != caller.AccountID {
				t.Fatalf("recorded %+v (explanation %+v, %v)", d, x, err)
			}
		})
	}
}

package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/store"
)

// DecisionReader is the part of the store that holds recorded refusals; every read names the
// caller's account, or is checked against it, after the admin API's own actions are authorized.
type DecisionReader interface {
	GetDecision(ctx context.Context, requestID string) (store.Decision, error)
	ListDecisions(ctx context.Context, f store.DecisionFilter) ([]store.Decision, error)
}

// IssuanceReader is the part of the store that holds the credentials issued; every read names the
// caller's account, after latchkey:ListIssuances is authorized.
type IssuanceReader interface {
	ListIssuances(ctx context.Context, f store.IssuanceFilter) ([]store.Issuance, error)
}

// listDecisions is latchkey:ListDecisions as the caller, then the store's read of f (whose
// account is always the caller's).
func (c *Console) listDecisions(r *http.Request, s *consoleSession, f store.DecisionFilter) ([]store.Decision, error) {
	if err := c.authorize(r, s, audit.ActionListDecisions, "*"); err != nil {
		return nil, err
	}
	f.AccountID = s.Caller.AccountID
	return c.d.Decisions.ListDecisions(r.Context(), f)
}

// Page sizes: the console shows the newest or first entries and says when there are more.
const (
	activityLimit = 200
	listLimit     = 1000
)

// decisionRow is one refusal in a list.
type decisionRow struct {
	store.Decision
	Summary string
	Outcome explain.Outcome
}

func rows(ds []store.Decision) []decisionRow {
	out := make([]decisionRow, 0, len(ds))
	for _, d := range ds {
		var x explain.Explanation
		_ = json.Unmarshal(d.Explanation, &x)
		out = append(out, decisionRow{Decision: d, Summary: x.Summary, Outcome: x.Outcome})
	}
	return out
}

// The kinds of the Activity page's rows and of its kind filter ("" is both).
const (
	kindIssued  = "issued"
	kindRefused = "refused"
)

// activityRow is one row of the Activity page: a credential issued or a request refused.
type activityRow struct {
	Kind     string
	Time     time.Time
	Action   string
	Issuance *store.Issuance // set for kindIssued
	Refusal  *decisionRow    // set for kindRefused
}

type activityView struct {
	Principal, Action, Since, Kind string
	Error                          string
	Rows                           []activityRow
	More                           bool
	Limit                          int
	// Denied holds a notice per kind whose underlying read the caller may not make; the other
	// kind's rows are still shown.
	Denied []*denial
}

// activity lists the account's recent credentials issued and requests refused in one list, newest
// first, filtered by kind, principal, action pattern and since (a duration back from now, or an
// RFC 3339 time). Each kind is read with its own admin action (latchkey:ListIssuances,
// latchkey:ListDecisions): a caller allowed one sees its rows and a notice for the other.
func (c *Console) activity(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	q := r.URL.Query()
	v := activityView{Principal: q.Get("principal"), Action: q.Get("action"), Since: q.Get("since"), Kind: q.Get("kind"), Limit: activityLimit}
	render := func(status int) {
		c.render(w, status, "activity", page{Title: "Activity", Nav: "activity", Session: s, Data: v})
	}
	f := store.IssuanceFilter{AccountID: s.Caller.AccountID, Principal: v.Principal, Action: v.Action, Limit: activityLimit + 1}
	if v.Kind != "" && v.Kind != kindIssued && v.Kind != kindRefused {
		v.Error = "kind must be issued, refused, or empty for both"
		render(http.StatusBadRequest)
		return
	}
	if v.Since != "" {
		since, err := audit.ParseSince(v.Since, c.d.Now())
		if err != nil {
			v.Error = err.Error()
			render(http.StatusBadRequest)
			return
		}
		f.Since = since
	}
	var issued []activityRow
	var refused []activityRow
	if v.Kind != kindRefused {
		is, err := c.listIssuances(r, s, f)
		if d := deniedBy(err, audit.ActionListIssuances); d != nil {
			v.Denied = append(v.Denied, d)
		} else if err != nil {
			c.failErr(w, r, s, err)
			return
		}
		issued = issuedRows(is)
	}
	if v.Kind != kindIssued {
		ds, err := c.listDecisions(r, s, store.DecisionFilter(f))
		if d := deniedBy(err, audit.ActionListDecisions); d != nil {
			v.Denied = append(v.Denied, d)
		} else if err != nil {
			c.failErr(w, r, s, err)
			return
		}
		refused = refusedRows(rows(ds))
	}
	v.Rows, v.More = mergeNewest(issued, refused, activityLimit)
	if len(v.Denied) > 0 && (v.Kind != "" || len(v.Denied) == 2) {
		// The page people land on after signing in: its frame and a notice, not an error page.
		render(http.StatusForbidden)
		return
	}
	render(http.StatusOK)
}

// listIssuances is latchkey:ListIssuances as the caller, then the store's read of f (whose
// account is always the caller's).
func (c *Console) listIssuances(r *http.Request, s *consoleSession, f store.IssuanceFilter) ([]store.Issuance, error) {
	if err := c.authorize(r, s, audit.ActionListIssuances, "*"); err != nil {
		return nil, err
	}
	f.AccountID = s.Caller.AccountID
	return c.d.Issuances.ListIssuances(r.Context(), f)
}

func issuedRows(is []store.Issuance) []activityRow {
	out := make([]activityRow, 0, len(is))
	for n := range is {
		i := &is[n]
		out = append(out, activityRow{Kind: kindIssued, Time: i.Time, Action: i.Service + ":" + i.Operation, Issuance: i})
	}
	return out
}

func refusedRows(ds []decisionRow) []activityRow {
	out := make([]activityRow, 0, len(ds))
	for n := range ds {
		d := &ds[n]
		out = append(out, activityRow{Kind: kindRefused, Time: d.Time, Action: d.Action, Refusal: d})
	}
	return out
}

// mergeNewest merges two newest-first lists into one, newest first, keeping at most limit rows;
// more reports whether either list, or the two together, held more.
func mergeNewest(a, b []activityRow, limit int) (out []activityRow, more bool) {
	out = make([]activityRow, 0, min(len(a)+len(b), limit))
	for len(out) < limit && (len(a) > 0 || len(b) > 0) {
		if len(b) == 0 || (len(a) > 0 && !a[0].Time.Before(b[0].Time)) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out, len(a) > 0 || len(b) > 0
}

type decisionView struct {
	Decision    store.Decision
	Explanation *explain.Explanation
}

// decision shows one refusal of the caller's account with its explanation tree; another
// account's request id is answered like an unknown one.
func (c *Console) decision(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	id := r.PathValue("requestId")
	if err := c.authorize(r, s, audit.ActionGetDecision, audit.DecisionARN(s.Caller.AccountID, id)); err != nil {
		c.failDenied(w, r, s, err, audit.ActionGetDecision)
		return
	}
	d, err := c.d.Decisions.GetDecision(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.AccountID != s.Caller.AccountID) {
		c.fail(w, r, s, http.StatusNotFound, "Refusal not found", "No recent refusal with request id "+id+" in account "+s.Caller.AccountID+".")
		return
	}
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	x := &explain.Explanation{}
	if err := json.Unmarshal(d.Explanation, x); err != nil {
		x = &explain.Explanation{Summary: "The stored explanation is not readable."}
	}
	c.render(w, http.StatusOK, "decision", page{Title: "Refusal " + id, Nav: "activity", Session: s, Data: decisionView{d, x.ForCaller(s.Caller.AccountID)}})
}

package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

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

type activityView struct {
	Principal, Action, Since string
	Error                    string
	Rows                     []decisionRow
	More                     bool
	Limit                    int
	Denied                   *denial
}

// activity lists the account's recent refusals, newest first, filtered by principal, action
// pattern and since (a duration back from now, or an RFC 3339 time).
func (c *Console) activity(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	q := r.URL.Query()
	v := activityView{Principal: q.Get("principal"), Action: q.Get("action"), Since: q.Get("since"), Limit: activityLimit}
	f := store.DecisionFilter{AccountID: s.Caller.AccountID, Principal: v.Principal, Action: v.Action, Limit: activityLimit + 1}
	if v.Since != "" {
		since, err := audit.ParseSince(v.Since, c.d.Now())
		if err != nil {
			v.Error = err.Error()
			c.render(w, http.StatusBadRequest, "activity", page{Title: "Activity", Nav: "activity", Session: s, Data: v})
			return
		}
		f.Since = since
	}
	ds, err := c.listDecisions(r, s, f)
	if v.Denied = deniedBy(err, audit.ActionListDecisions); v.Denied != nil {
		// The page people land on after signing in: its frame and a notice, not an error page.
		c.render(w, http.StatusForbidden, "activity", page{Title: "Activity", Nav: "activity", Session: s, Data: v})
		return
	}
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	if len(ds) > activityLimit {
		ds, v.More = ds[:activityLimit], true
	}
	v.Rows = rows(ds)
	c.render(w, http.StatusOK, "activity", page{Title: "Activity", Nav: "activity", Session: s, Data: v})
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

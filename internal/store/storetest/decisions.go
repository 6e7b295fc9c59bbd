package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// decisionTests covers the DecisionStore contract: recent refusals keyed by request id.
var decisionTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"DecisionRoundTrip", testDecisionRoundTrip},
	{"PutDecisionsBatch", testPutDecisionsBatch},
	{"ListDecisionsFilters", testListDecisionsFilters},
	{"PruneDecisionsByAge", testPruneDecisionsByAge},
	{"PruneDecisionsByCount", testPruneDecisionsByCount},
}

func decision(id string, i int, acct, principal, action string) store.Decision {
	return store.Decision{RequestID: id, Time: at(i), AccountID: acct, ResourceAccount: acct2, PrincipalARN: principal,
		Service: "sts", Operation: "AssumeRole", Action: action, ErrorCode: "AccessDenied",
		Explanation: []byte(`{"outcome":"ImplicitDeny","summary":"no statement allows ` + action + `"}`)}
}

func testDecisionRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	d := decision("req-1", 3, acct1, "arn:aws:iam::111111111111:user/alice", "sts:AssumeRole")
	noErr(t, "PutDecisions", s.PutDecisions(ctx, []store.Decision{d}))
	got, err := s.GetDecision(ctx, "req-1")
	noErr(t, "GetDecision", err)
	checkTime(t, "Time", got.Time, d.Time)
	got.Time = d.Time
	if fmt.Sprint(got) != fmt.Sprint(d) {
		t.Errorf("GetDecision = %+v, want %+v", got, d)
	}
	_, err = s.GetDecision(ctx, "req-2")
	wantErr(t, "GetDecision of an unknown id", err, store.ErrNotFound)
}

// testPutDecisionsBatch: a batch is stored whole, each record as a batch of one stores it; a request
// id already stored is skipped without failing the batch or changing the stored record; an empty
// batch writes nothing.
func testPutDecisionsBatch(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := decision("b-1", 1, acct1, "", "sts:AssumeRole")
	noErr(t, "PutDecisions", s.PutDecisions(ctx, []store.Decision{first}))
	again := first
	again.ErrorCode = "ExpiredToken"
	noless := decision("b-3", 3, acct2, "arn:aws:iam::222222222222:user/bob", "iam:CreateUser")
	noless.Explanation = nil // stored as {}
	batch := []store.Decision{again, decision("b-2", 2, acct1, "arn:aws:iam::111111111111:user/alice", "sts:GetCallerIdentity"), noless}
	noErr(t, "PutDecisions", s.PutDecisions(ctx, batch))
	noErr(t, "PutDecisions of nothing", s.PutDecisions(ctx, nil))
	got, err := s.ListDecisions(ctx, store.DecisionFilter{})
	noErr(t, "ListDecisions", err)
	if fmt.Sprint(ids(got)) != "[b-3 b-2 b-1]" {
		t.Fatalf("after the batch: %v, want [b-3 b-2 b-1]", ids(got))
	}
	for _, want := range []store.Decision{first, batch[1], noless} {
		d, err := s.GetDecision(ctx, want.RequestID)
		noErr(t, "GetDecision "+want.RequestID, err)
		checkTime(t, "Time", d.Time, want.Time)
		d.Time = want.Time
		if want.Explanation == nil {
			want.Explanation = []byte("{}")
		}
		if fmt.Sprint(d) != fmt.Sprint(want) {
			t.Errorf("GetDecision(%s) = %+v, want %+v", want.RequestID, d, want)
		}
	}
}

func ids(ds []store.Decision) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.RequestID)
	}
	return out
}

func testListDecisionsFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice, bob := "arn:aws:iam::111111111111:user/alice", "arn:aws:iam::222222222222:user/bob"
	for _, d := range []store.Decision{
		decision("a", 1, acct1, alice, "sts:AssumeRole"),
		decision("b", 2, acct1, alice, "sts:AssumeRoleWithWebIdentity"),
		decision("c", 3, acct2, bob, "sts:AssumeRole"),
		decision("d", 4, acct1, alice, "iam:CreateUser"),
		decision("e", 5, acct1, "", "sts:GetCallerIdentity_x%"),
	} {
		noErr(t, "PutDecisions "+d.RequestID, s.PutDecisions(ctx, []store.Decision{d}))
	}
	for _, tc := range []struct {
		name string
		f    store.DecisionFilter
		want string
	}{
		{"all, newest first", store.DecisionFilter{}, "[e d c b a]"},
		{"limit", store.DecisionFilter{Limit: 2}, "[e d]"},
		{"account", store.DecisionFilter{AccountID: acct2}, "[c]"},
		{"since is inclusive", store.DecisionFilter{Since: at(3)}, "[e d c]"},
		{"principal", store.DecisionFilter{Principal: alice}, "[d b a]"},
		{"action prefix, any case", store.DecisionFilter{Action: "STS:assumerole*"}, "[c b a]"},
		{"action exact", store.DecisionFilter{Action: "sts:AssumeRole"}, "[c a]"},
		{"action ?", store.DecisionFilter{Action: "iam:CreateUse?"}, "[d]"},
		{"LIKE wildcards are literal", store.DecisionFilter{Action: "sts:GetCallerIdentity_x%"}, "[e]"},
		{"LIKE _ matches only _", store.DecisionFilter{Action: "sts:AssumeRol_"}, "[]"},
		{"combined", store.DecisionFilter{AccountID: acct1, Principal: alice, Action: "sts:*", Since: at(2)}, "[b]"},
	} {
		got, err := s.ListDecisions(ctx, tc.f)
		noErr(t, tc.name, err)
		if fmt.Sprint(ids(got)) != tc.want {
			t.Errorf("%s: ListDecisions = %v, want %s", tc.name, ids(got), tc.want)
		}
	}
}

func testPruneDecisionsByAge(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i := range 5 {
		noErr(t, "PutDecisions", s.PutDecisions(ctx, []store.Decision{decision(fmt.Sprint("r", i), i, acct1, "", "sts:AssumeRole")}))
	}
	n, err := s.PruneDecisions(ctx, at(2), 0)
	noErr(t, "PruneDecisions", err)
	got, err := s.ListDecisions(ctx, store.DecisionFilter{})
	noErr(t, "ListDecisions", err)
	if n != 2 || fmt.Sprint(ids(got)) != "[r4 r3 r2]" {
		t.Errorf("pruned %d, left %v; want 2 and [r4 r3 r2]", n, ids(got))
	}
	_, err = s.GetDecision(ctx, "r1")
	wantErr(t, "GetDecision of a pruned id", err, store.ErrNotFound)
}

func testPruneDecisionsByCount(t *testing.T, s store.Store) {
	ctx := t.Context()
	n, err := s.PruneDecisions(ctx, time.Time{}, 3)
	noErr(t, "PruneDecisions of nothing", err)
	if n != 0 {
		t.Errorf("pruned %d of nothing", n)
	}
	for i := range 6 {
		noErr(t, "PutDecisions", s.PutDecisions(ctx, []store.Decision{decision(fmt.Sprint("r", i), i, acct1, "", "sts:AssumeRole")}))
	}
	n, err = s.PruneDecisions(ctx, at(1), 3)
	noErr(t, "PruneDecisions", err)
	got, err := s.ListDecisions(ctx, store.DecisionFilter{})
	noErr(t, "ListDecisions", err)
	if n != 3 || fmt.Sprint(ids(got)) != "[r5 r4 r3]" {
		t.Errorf("pruned %d, left %v; want 3 and [r5 r4 r3]", n, ids(got))
	}
	n, err = s.PruneDecisions(ctx, time.Time{}, 10)
	noErr(t, "PruneDecisions under the bound", err)
	if n != 0 {
		t.Errorf("pruned %d under the bound", n)
	}
}

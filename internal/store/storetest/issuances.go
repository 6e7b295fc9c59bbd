package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// issuanceTests covers the IssuanceStore contract: recent credential issuances keyed by request id.
var issuanceTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"IssuanceRoundTrip", testIssuanceRoundTrip},
	{"ListIssuancesFilters", testListIssuancesFilters},
	{"PruneIssuances", testPruneIssuances},
}

func issuance(id string, i int, acct, principal, op string) store.Issuance {
	return store.Issuance{RequestID: id, Time: at(i), AccountID: acct, PrincipalARN: principal, Service: "sts", Operation: op,
		RoleARN: "arn:aws:iam::" + acct + ":role/app", SessionARN: "arn:aws:sts::" + acct + ":assumed-role/app/s-" + id,
		SourceIdentity: "alice", AccessKeyID: "ASIA" + id, Expiration: at(i + 60), SourceIP: "192.0.2.1"}
}

func issuanceIDs(is []store.Issuance) []string {
	out := []string{}
	for _, i := range is {
		out = append(out, i.RequestID)
	}
	return out
}

func testIssuanceRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	noErr(t, "PutIssuances of nothing", s.PutIssuances(ctx, nil))
	a := issuance("req-1", 3, acct1, "arn:aws:iam::111111111111:user/alice", "AssumeRole")
	b := issuance("req-2", 4, acct1, "", "AssumeRoleWithWebIdentity")
	b.Expiration = time.Time{}
	noErr(t, "PutIssuances", s.PutIssuances(ctx, []store.Issuance{a, b}))
	// A retried batch stores each issuance once and fails nothing.
	noErr(t, "PutIssuances again", s.PutIssuances(ctx, []store.Issuance{a}))
	got, err := s.ListIssuances(ctx, store.IssuanceFilter{})
	noErr(t, "ListIssuances", err)
	if len(got) != 2 {
		t.Fatalf("ListIssuances = %v, want [req-2 req-1]", issuanceIDs(got))
	}
	for n, want := range []store.Issuance{b, a} {
		g := got[n]
		checkTime(t, "Time", g.Time, want.Time)
		checkTime(t, "Expiration", g.Expiration, want.Expiration)
		g.Time, g.Expiration = want.Time, want.Expiration
		if fmt.Sprint(g) != fmt.Sprint(want) {
			t.Errorf("issuance %d = %+v, want %+v", n, g, want)
		}
	}
}

func testListIssuancesFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice, bob := "arn:aws:iam::111111111111:user/alice", "arn:aws:iam::222222222222:user/bob"
	noErr(t, "PutIssuances", s.PutIssuances(ctx, []store.Issuance{
		issuance("a", 1, acct1, alice, "AssumeRole"),
		issuance("b", 2, acct1, alice, "AssumeRoleWithWebIdentity"),
		issuance("c", 3, acct2, bob, "AssumeRole"),
		issuance("d", 4, acct1, alice, "GetSessionToken"),
		issuance("e", 5, acct1, "", "GetFederationToken_x%"),
	}))
	for _, tc := range []struct {
		name string
		f    store.IssuanceFilter
		want string
	}{
		{"all, newest first", store.IssuanceFilter{}, "[e d c b a]"},
		{"limit", store.IssuanceFilter{Limit: 2}, "[e d]"},
		{"account", store.IssuanceFilter{AccountID: acct2}, "[c]"},
		{"since is inclusive", store.IssuanceFilter{Since: at(3)}, "[e d c]"},
		{"principal", store.IssuanceFilter{Principal: alice}, "[d b a]"},
		{"action prefix, any case", store.IssuanceFilter{Action: "STS:assumerole*"}, "[c b a]"},
		{"action exact", store.IssuanceFilter{Action: "sts:AssumeRole"}, "[c a]"},
		{"LIKE wildcards are literal", store.IssuanceFilter{Action: "sts:GetFederationToken_x%"}, "[e]"},
		{"LIKE _ matches only _", store.IssuanceFilter{Action: "sts:AssumeRol_"}, "[]"},
		{"combined", store.IssuanceFilter{AccountID: acct1, Principal: alice, Action: "sts:*", Since: at(2)}, "[d b]"},
	} {
		got, err := s.ListIssuances(ctx, tc.f)
		noErr(t, tc.name, err)
		if fmt.Sprint(issuanceIDs(got)) != tc.want {
			t.Errorf("%s: ListIssuances = %v, want %s", tc.name, issuanceIDs(got), tc.want)
		}
	}
}

func testPruneIssuances(t *testing.T, s store.Store) {
	ctx := t.Context()
	var batch []store.Issuance
	for i := range 6 {
		batch = append(batch, issuance(fmt.Sprint("r", i), i, acct1, "", "AssumeRole"))
	}
	noErr(t, "PutIssuances", s.PutIssuances(ctx, batch))
	n, err := s.PruneIssuances(ctx, at(1), 0)
	noErr(t, "PruneIssuances by age", err)
	if n != 1 {
		t.Errorf("pruned %d by age, want 1", n)
	}
	n, err = s.PruneIssuances(ctx, at(1), 3)
	noErr(t, "PruneIssuances by count", err)
	got, err := s.ListIssuances(ctx, store.IssuanceFilter{})
	noErr(t, "ListIssuances", err)
	if n != 2 || fmt.Sprint(issuanceIDs(got)) != "[r5 r4 r3]" {
		t.Errorf("pruned %d, left %v; want 2 and [r5 r4 r3]", n, issuanceIDs(got))
	}
	// Decisions are a table of their own: pruning issuances leaves them be, and the reverse.
	noErr(t, "PutDecisions", s.PutDecisions(ctx, []store.Decision{decision("d0", 0, acct1, "", "sts:AssumeRole")}))
	if _, err := s.PruneIssuances(ctx, at(10), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetDecision(ctx, "d0"); err != nil {
		t.Errorf("GetDecision after pruning issuances: %v", err)
	}
}

package explain

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestOfFindsTheExplanationInAChain(t *testing.T) {
	x := &Explanation{Outcome: ImplicitDeny, Summary: "no statement allows sts:AssumeRole"}
	cause := errors.New("store detail")
	wrapped := fmt.Errorf("authorizing: %w", Wrap(x, cause))
	if Of(wrapped) != x {
		t.Fatal("the explanation was not found through the chain")
	}
	if !errors.Is(wrapped, cause) {
		t.Fatal("the underlying cause is no longer in the chain")
	}
	if Of(cause) != nil || Of(nil) != nil {
		t.Fatal("an error without an explanation has one")
	}
	for _, tc := range []struct {
		in   []string
		want string
	}{{nil, "absent"}, {[]string{"a"}, `"a"`}, {[]string{"a", "b"}, `["a", "b"]`}} {
		if got := Quote(tc.in); got != tc.want {
			t.Fatalf("Quote(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// Another account's caller sees no policy of the resource's account; its own account sees all.
func TestForCallerHidesAnotherAccountsResourcePolicies(t *testing.T) {
	x := &Explanation{Outcome: ImplicitDeny, Summary: `trust policy statement "S": expects ["secret"]`,
		Resource: "arn:aws:iam::111122223333:role/r",
		Policies: []Policy{{Kind: "identity", Name: "user bob/p"}, {Kind: "trust", Name: "arn:aws:iam::111122223333:role/r"}, {Kind: "resource", Name: "bucket"}}}
	if got := x.ForCaller("111122223333"); got != x {
		t.Fatal("the resource's own account got a different view")
	}
	if got := x.ForCaller(""); got != x {
		t.Fatal("an unknown caller account changed the explanation")
	}
	other := x.ForCaller("444455556666")
	if len(other.Policies) != 1 || other.Policies[0].Kind != "identity" || strings.Contains(other.Summary, "secret") {
		t.Fatalf("another account sees %+v", other)
	}
	if len(x.Policies) != 3 || !strings.Contains(x.Summary, "secret") {
		t.Fatal("ForCaller changed its receiver")
	}
	var none *Explanation
	if none.ForCaller("444455556666") != nil {
		t.Fatal("nil explanation")
	}
}

// TestFailed: the checks before the failed one are listed as passed, in order; the failed one is
// last and not passed, even when given as passed.
func TestFailed(t *testing.T) {
	order := []string{"format", "signature", "exp"}
	for _, tc := range []struct {
		name string
		want []string
	}{{"format", []string{"format"}}, {"exp", []string{"format", "signature", "exp"}}, {"other", []string{"other"}}} {
		got := Failed(order, Check{Name: tc.name, Passed: true, Detail: "d"})
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %+v", tc.name, got)
		}
		for i, c := range got {
			last := i == len(got)-1
			if c.Name != tc.want[i] || c.Passed == last || (last && c.Detail != "d") {
				t.Fatalf("%s: %+v", tc.name, got)
			}
		}
	}
}

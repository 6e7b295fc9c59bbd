package explain

import (
	"errors"
	"fmt"
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

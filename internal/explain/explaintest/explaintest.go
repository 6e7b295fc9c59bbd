// Package explaintest holds the assertions the deciders' tests share about the explanation of a
// refusal.
package explaintest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/explain"
)

// FailedCheck fails t unless err carries an explanation with outcome whose last check is the
// failed check named check, showing every one of values (in its detail, expected or actual
// values), and whose JSON and summary hold none of secrets. It returns the explanation.
func FailedCheck(t testing.TB, err error, outcome explain.Outcome, check string, values, secrets []string) *explain.Explanation {
	t.Helper()
	x := explain.Of(err)
	if x == nil {
		t.Fatalf("no explanation in %v", err)
	}
	if len(x.Checks) == 0 {
		t.Fatalf("explanation %+v has no checks", x)
	}
	last := x.Checks[len(x.Checks)-1]
	if x.Outcome != outcome || last.Name != check || last.Passed {
		t.Fatalf("outcome %s, last check %+v; want %s, failed %s", x.Outcome, last, outcome, check)
	}
	have := strings.Join(append(append([]string{last.Detail}, last.Expected...), last.Actual...), "\n")
	for _, v := range values {
		if !strings.Contains(have, v) {
			t.Fatalf("check %+v does not show %q", last, v)
		}
	}
	b, jerr := json.Marshal(x)
	if jerr != nil {
		t.Fatal(jerr)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(string(b), s) {
			t.Fatalf("explanation holds secret %q: %s", s, b)
		}
	}
	return x
}

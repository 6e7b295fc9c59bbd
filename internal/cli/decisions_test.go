package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/store"
)

func decisionWith(t *testing.T, id string, x explain.Explanation) store.Decision {
	t.Helper()
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	return store.Decision{RequestID: id, Time: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), AccountID: "123456789012",
		PrincipalARN: "arn:aws:iam::123456789012:user/bob", Service: "sts", Operation: "AssumeRole", Action: "sts:AssumeRole",
		ErrorCode: "AccessDenied", Explanation: b}
}

// TestRenderDecision: the summary comes first, then a ✓/✗ per policy, statement and condition,
// or per check, with the values compared.
func TestRenderDecision(t *testing.T) {
	yes, no := true, false
	policyX := explain.Explanation{Outcome: explain.ImplicitDeny, Summary: "trust policy statement 0: StringLike sub expects [\"repo:acme/*\"], request has \"repo:other/app\"",
		Action: "sts:AssumeRoleWithWebIdentity", Resource: "arn:aws:iam::123456789012:role/ci",
		Policies: []explain.Policy{{Kind: "trust", Name: "arn:aws:iam::123456789012:role/ci", Decision: "ImplicitDeny", Statements: []explain.Statement{
			{Index: 0, Sid: "GitHub", Effect: "Allow", ActionMatched: true, ResourceMatched: true, PrincipalMatched: &yes, Conditions: []explain.Condition{
				{Operator: "StringEquals", Key: "aud", PolicyValues: []string{"sts.amazonaws.com"}, RequestValues: []string{"sts.amazonaws.com"}, Result: true},
				{Operator: "StringLike", Key: "sub", PolicyValues: []string{"repo:acme/*"}, RequestValues: []string{"repo:other/app"}},
			}},
			{Index: 1, Effect: "Allow", ActionMatched: false, ResourceMatched: true, PrincipalMatched: &no, Conditions: []explain.Condition{
				{Operator: "Bool", Key: "aws:MultiFactorAuthPresent", PolicyValues: []string{"true"}, Absent: true},
			}},
		}}}}
	checkX := explain.Explanation{Outcome: explain.InvalidToken, Summary: "aud is not a client id of the provider",
		Checks: []explain.Check{{Name: "iss", Passed: true, Expected: []string{"https://idp"}, Actual: []string{"https://idp"}},
			{Name: "aud", Expected: []string{"a", "b"}, Actual: []string{"c"}, Detail: "no client id matches"}}}
	for _, tc := range []struct {
		name string
		x    explain.Explanation
		want []string
	}{
		{"policy", policyX, []string{
			policyX.Summary + "\n\nrequest   r-1\n",
			"principal arn:aws:iam::123456789012:user/bob\n",
			"✗ trust policy arn:aws:iam::123456789012:role/ci: ImplicitDeny\n",
			"  ✗ statement 0 (Sid \"GitHub\") Allow: action ✓, resource ✓, principal ✓\n",
			"      ✓ StringEquals aud expects \"sts.amazonaws.com\", request has \"sts.amazonaws.com\"\n",
			"      ✗ StringLike sub expects \"repo:acme/*\", request has \"repo:other/app\"\n",
			"  ✗ statement 1 Allow: action ✗, resource ✓, principal ✗\n",
			"      ✗ Bool aws:MultiFactorAuthPresent expects \"true\", request has absent\n",
		}},
		{"checks", checkX, []string{
			checkX.Summary + "\n\n",
			"refused   AccessDenied, InvalidToken\n",
			"✓ iss: expected \"https://idp\", got \"https://idp\"\n",
			"✗ aud: expected [\"a\", \"b\"], got \"c\" (no client id matches)\n",
		}},
	} {
		var b bytes.Buffer
		if err := RenderDecision(&b, decisionWith(t, "r-1", tc.x)); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.HasPrefix(out, tc.x.Summary+"\n") {
			t.Errorf("%s: output does not start with the summary:\n%s", tc.name, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, w, out)
			}
		}
	}
	if err := RenderDecision(&bytes.Buffer{}, store.Decision{RequestID: "x", Explanation: []byte("{not json")}); err == nil {
		t.Error("an unreadable explanation rendered without error")
	}
}

// TestExplainAndDecisionsCommands: the commands read the store the server writes; unknown ids and
// bad flags are errors.
func TestExplainAndDecisionsCommands(t *testing.T) {
	dir := t.TempDir()
	st := openTestStore(t, dir)
	d := decisionWith(t, "r-1", explain.Explanation{Outcome: explain.ImplicitDeny, Summary: "no identity-based policy allows sts:AssumeRole"})
	d.Time = time.Now().Add(-time.Minute)
	old := decisionWith(t, "r-0", explain.Explanation{Outcome: explain.ImplicitDeny, Summary: "older"})
	old.Time = time.Now().Add(-time.Hour)
	for _, x := range []store.Decision{d, old} {
		if err := st.PutDecisions(t.Context(), []store.Decision{x}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutIssuances(t.Context(), []store.Issuance{{RequestID: "i-1", Time: time.Now().Add(-time.Minute), AccountID: "123456789012",
		PrincipalARN: "arn:aws:iam::123456789012:user/alice", Service: "sts", Operation: "AssumeRole", SessionARN: "arn:aws:sts::123456789012:assumed-role/app/s",
		AccessKeyID: "ASIAISSUED0000000001", Expiration: time.Now().Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out, err := runCLI(t, "--data-dir", dir, "explain", "r-1")
	if err != nil || !strings.HasPrefix(out, "no identity-based policy allows sts:AssumeRole\n") {
		t.Fatalf("explain: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "--data-dir", dir, "explain", "r-9"); err == nil || !strings.Contains(err.Error(), "no recent refusal") {
		t.Fatalf("explain of an unknown id: %v", err)
	}
	out, err = runCLI(t, "--data-dir", dir, "decisions", "--refused", "--since", "10m", "--action", "sts:assume*")
	if err != nil || !strings.Contains(out, "r-1") || strings.Contains(out, "r-0") {
		t.Fatalf("decisions --since 10m: %v\n%s", err, out)
	}
	out, err = runCLI(t, "--data-dir", dir, "decisions", "--refused", "--principal", "arn:aws:iam::123456789012:user/alice")
	if err != nil || !strings.Contains(out, "no recent refusals match") {
		t.Fatalf("decisions --principal alice: %v\n%s", err, out)
	}
	out, err = runCLI(t, "--data-dir", dir, "decisions", "--issued", "--since", "10m", "--action", "sts:assume*")
	if err != nil || !strings.Contains(out, "i-1") || !strings.Contains(out, "ASIAISSUED0000000001") || !strings.Contains(out, "assumed-role/app/s") || strings.Contains(out, "r-1") {
		t.Fatalf("decisions --issued: %v\n%s", err, out)
	}
	out, err = runCLI(t, "--data-dir", dir, "decisions", "--issued", "--principal", "arn:aws:iam::123456789012:user/bob")
	if err != nil || !strings.Contains(out, "no recent credentials issued match") {
		t.Fatalf("decisions --issued --principal bob: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"decisions"}, {"decisions", "--refused", "--issued"}, {"decisions", "--refused", "--since", "soon"}} {
		if _, err := runCLI(t, append([]string{"--data-dir", dir}, args...)...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

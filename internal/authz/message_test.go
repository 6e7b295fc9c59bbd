package authz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
)

// bigExplanation has n policies of 20 statements with a condition each.
func bigExplanation(n int) *explain.Explanation {
	x := &explain.Explanation{Outcome: explain.ImplicitDeny, Summary: "no statement allows sts:AssumeRole", Action: "sts:AssumeRole", Resource: "*"}
	for i := range n {
		p := explain.Policy{Kind: "identity", Name: fmt.Sprintf("inline:bob/p%d", i), Decision: "ImplicitDeny"}
		for j := range 20 {
			p.Statements = append(p.Statements, explain.Statement{Index: j, Effect: "Allow", ActionMatched: j == 0, Conditions: []explain.Condition{
				{Operator: "StringEquals", Key: "aws:PrincipalTag/team", PolicyValues: []string{strings.Repeat("v", 60)}, RequestValues: []string{"red"}}}})
		}
		x.Policies = append(x.Policies, p)
	}
	return x
}

// TestEncodedMessageCarriesExplanation: the decoded message has AWS's members, the summary and
// the explanation; one too large is shortened to stay within EncodedMessage's 10240 characters,
// and a token-shaped value never reaches it.
func TestEncodedMessageCarriesExplanation(t *testing.T) {
	mk, err := keys.NewMasterKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	caller := &principal.Principal{AccountID: "123456789012", ARN: "arn:aws:iam::123456789012:user/bob", UserID: "AIDAEXAMPLE"}
	jwtLike := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl"
	small := bigExplanation(1)
	small.Policies[0].Statements[0].Conditions[0].RequestValues = []string{jwtLike}
	for _, tc := range []struct {
		name           string
		x              *explain.Explanation
		wantStatements int
	}{
		{"whole", small, 20},
		{"shortened", bigExplanation(15), 15},
		{"outcome only", bigExplanation(200), 0},
		{"none", nil, 0},
	} {
		enc := encodeMessage(mk, caller, "sts:AssumeRole", "*", policy.NewContext(), policy.Output{Decision: policy.ImplicitDeny}, tc.x)
		if enc == "" || len(enc) > maxEncodedLen {
			t.Fatalf("%s: encoded length %d", tc.name, len(enc))
		}
		body, account, err := DecodeMessage(mk, enc)
		if err != nil || account != caller.AccountID {
			t.Fatalf("%s: %v %s", tc.name, err, account)
		}
		if strings.Contains(body, jwtLike) {
			t.Errorf("%s: a token-shaped value reached the message", tc.name)
		}
		var m DecodedMessage
		if err := json.Unmarshal([]byte(body), &m); err != nil || m.Allowed || m.Context.Action != "sts:AssumeRole" {
			t.Fatalf("%s: %v %s", tc.name, err, body)
		}
		if tc.x == nil {
			if m.Explanation != nil || m.Summary != "" {
				t.Errorf("%s: explanation %+v", tc.name, m.Explanation)
			}
			continue
		}
		if m.Summary != tc.x.Summary || m.Explanation == nil || m.Explanation.Outcome != explain.ImplicitDeny {
			t.Fatalf("%s: summary %q explanation %+v", tc.name, m.Summary, m.Explanation)
		}
		n := 0
		for _, p := range m.Explanation.Policies {
			n += len(p.Statements)
		}
		if n != tc.wantStatements {
			t.Errorf("%s: %d statements, want %d", tc.name, n, tc.wantStatements)
		}
	}
}

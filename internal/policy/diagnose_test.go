package policy

import (
	"errors"
	"testing"

	"github.com/latchkey/latchkey/internal/explain"
)

// TestParseErrorLocates: a refused document keeps AWS's message and says where and what.
func TestParseErrorLocates(t *testing.T) {
	tests := []struct {
		name, doc string
		kind      Kind
		message   string
		summary   string
	}{
		{"unknown operator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"Tag","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:PrincipalTag/team":"x"}}}]}`,
			Identity, msgSyntax, `statement 1 (Sid "Tag") Condition: unknown condition operator StringEqualz`},
		{"effect", identityDoc(`"Effect":"Permit","Action":"s3:*","Resource":"*"`), Identity, msgSyntax, "statement 0 Effect: Effect must be Allow or Deny"},
		{"effect case", identityDoc(`"Effect":"allow","Action":"s3:*","Resource":"*"`), Identity, msgLegacy, `statement 0 Effect: Effect must be Allow or Deny, spelled exactly (got "allow")`},
		{"invalid JSON", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\" \"Allow\"}]}", Trust, msgInvalidJSON, "document: invalid JSON at line 4 column 15"},
		{"duplicate sid", `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`,
			Identity, msgSidUnique, `statement 1 (Sid "A") Sid: Sid "A" is used by an earlier statement`},
		{"no principal in a trust policy", identityDoc(`"Effect":"Allow","Action":"sts:AssumeRole"`), Trust, msgNoPrincipalTrust, "statement 0 Principal: the statement names no principal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p", tc.doc, tc.kind)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Message != tc.message {
				t.Fatalf("error %v, want message %q", err, tc.message)
			}
			x := pe.Explain()
			if x.Outcome != explain.MalformedPolicy || x.Summary != tc.summary || len(x.Checks) != 1 || x.Checks[0].Passed {
				t.Fatalf("explanation %+v\nwant summary %q", x, tc.summary)
			}
		})
	}
}

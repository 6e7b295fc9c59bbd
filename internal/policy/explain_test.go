package policy

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/explain"
)

const ghProvider = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"

func parseAs(t *testing.T, id string, kind Kind, doc string) *Policy {
	t.Helper()
	p, err := Parse(id, doc, kind)
	if err != nil {
		t.Fatalf("Parse %s: %v", id, err)
	}
	return p
}

// TestExplainNamesTheDecidingStatement: for each kind of policy the explanation of a refusal
// names the statement that decided and the values its condition compared.
func TestExplainNamesTheDecidingStatement(t *testing.T) {
	ghTrust := parseAs(t, roleARN, Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Federated":"`+ghProvider+`"},"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},
		"StringLike":{"token.actions.githubusercontent.com:sub":"repo:acme/*"}}}]}`)
	gh := Principal{Type: "Federated", ARNs: []string{ghProvider}}
	s3Get := Request{Principal: userPrincipal("alice"), Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/key"}
	withCtx := func(r Request, c *Context) Request { r.Context = c; return r }

	tests := []struct {
		name     string
		in       Input
		outcome  explain.Outcome
		summary  string
		policies int
	}{{
		name: "trust: failed StringLike on a token claim",
		in: Input{Request: Request{Principal: gh, Action: "sts:AssumeRoleWithWebIdentity", Resource: roleARN,
			Context: ctxOf("token.actions.githubusercontent.com:aud", "sts.amazonaws.com", "token.actions.githubusercontent.com:sub", "repo:other/app:ref:refs/heads/main")},
			PrincipalAccount: acctA, ResourcePolicy: ghTrust},
		outcome:  explain.ImplicitDeny,
		summary:  `trust policy of ` + roleARN + ` statement 0: StringLike token.actions.githubusercontent.com:sub expects ["repo:acme/*"], request has "repo:other/app:ref:refs/heads/main"`,
		policies: 1,
	}, {
		name: "trust: an absent claim",
		in: Input{Request: Request{Principal: gh, Action: "sts:AssumeRoleWithWebIdentity", Resource: roleARN,
			Context: ctxOf("token.actions.githubusercontent.com:sub", "repo:acme/app")},
			PrincipalAccount: acctA, ResourcePolicy: ghTrust},
		outcome:  explain.ImplicitDeny,
		summary:  `trust policy of ` + roleARN + ` statement 0: StringEquals token.actions.githubusercontent.com:aud expects ["sts.amazonaws.com"], request has absent`,
		policies: 1,
	}, {
		name: "identity: explicit deny with a Sid",
		in: Input{Request: withCtx(s3Get, ctxOf()), PrincipalAccount: acctA, Identity: []*Policy{
			parseAs(t, "user alice/allow", Identity, identityDoc(`"Effect":"Allow","Action":"*","Resource":"*"`)),
			parseAs(t, "arn:aws:iam::111122223333:policy/p", Identity, identityDoc(`"Sid":"DenyAll","Effect":"Deny","Action":"s3:*","Resource":"*"`)),
		}},
		outcome:  explain.ExplicitDeny,
		summary:  `explicit deny in identity policy arn:aws:iam::111122223333:policy/p statement "DenyAll"`,
		policies: 2,
	}, {
		name: "identity: nothing allows",
		in: Input{Request: withCtx(s3Get, ctxOf()), PrincipalAccount: acctA, Identity: []*Policy{
			parseAs(t, "user alice/sts", Identity, identityDoc(`"Effect":"Allow","Action":"sts:*","Resource":"*"`)),
		}},
		outcome:  explain.ImplicitDeny,
		summary:  `no identity-based policy allows s3:GetObject`,
		policies: 1,
	}, {
		name: "identity: NotAction Deny applies to everything it does not list (attack: *:* allowed)",
		in: Input{Request: withCtx(s3Get, ctxOf()), PrincipalAccount: acctA, Identity: []*Policy{
			parseAs(t, "user alice/all", Identity, identityDoc(`"Effect":"Allow","Action":"*","Resource":"*"`)),
			parseAs(t, "user alice/onlyiam", Identity, identityDoc(`"Effect":"Deny","NotAction":"iam:*","Resource":"*"`)),
		}},
		outcome:  explain.ExplicitDeny,
		summary:  `explicit deny in identity policy user alice/onlyiam statement 0`,
		policies: 2,
	}, {
		name: "identity: NotResource Allow leaves out the bucket",
		in: Input{Request: withCtx(s3Get, ctxOf()), PrincipalAccount: acctA, Identity: []*Policy{
			parseAs(t, "user alice/nr", Identity, identityDoc(`"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::bucket/*"`)),
		}},
		outcome:  explain.ImplicitDeny,
		summary:  `no identity-based policy allows s3:GetObject`,
		policies: 1,
	}, {
		name: "boundary: IfExists on a present key that does not match",
		in: Input{Request: withCtx(s3Get, ctxOf("aws:SourceIp", "203.0.113.9")), PrincipalAccount: acctA,
			Identity: []*Policy{parseAs(t, "user alice/all", Identity, identityDoc(`"Effect":"Allow","Action":"*","Resource":"*"`))},
			Boundary: parseAs(t, "arn:aws:iam::111122223333:policy/boundary", Identity, identityDoc(`"Sid":"Office","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddressIfExists":{"aws:SourceIp":"192.0.2.0/24"}}`))},
		outcome:  explain.ImplicitDeny,
		summary:  `permissions boundary arn:aws:iam::111122223333:policy/boundary statement "Office": IpAddressIfExists aws:SourceIp expects ["192.0.2.0/24"], request has "203.0.113.9"`,
		policies: 2,
	}, {
		name: "session: ForAnyValue with no matching value",
		in: Input{Request: withCtx(s3Get, ctxOf("aws:TagKeys", []string{"team", "cost"})), PrincipalAccount: acctA,
			Identity:           []*Policy{parseAs(t, "role r/all", Identity, identityDoc(`"Effect":"Allow","Action":"*","Resource":"*"`))},
			HasSessionPolicies: true,
			Session:            []*Policy{parseAs(t, "session policy", Identity, identityDoc(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["project"]}}`))}},
		outcome:  explain.ImplicitDeny,
		summary:  `session policy session policy statement 0: ForAnyValue:StringEquals aws:TagKeys expects ["project"], request has ["team", "cost"]`,
		policies: 2,
	}, {
		name: "resource: another account's bucket policy names someone else",
		in: Input{Request: withCtx(s3Get, ctxOf()), PrincipalAccount: acctA, ResourceAccount: acctB,
			Identity:       []*Policy{parseAs(t, "user alice/all", Identity, identityDoc(`"Effect":"Allow","Action":"*","Resource":"*"`))},
			ResourcePolicy: parseAs(t, "bucket policy", Resource, identityDoc(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"s3:GetObject","Resource":"*"`))},
		outcome:  explain.ImplicitDeny,
		summary:  `resource policy bucket policy statement 0: Principal does not name "arn:aws:iam::111122223333:user/alice"`,
		policies: 2,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := Decide(&tc.in)
			x := tc.in.Explain(out)
			if x == nil {
				t.Fatalf("no explanation for %v", out.Decision)
			}
			if x.Outcome != tc.outcome || x.Summary != tc.summary {
				t.Fatalf("got %s %q\nwant %s %q", x.Outcome, x.Summary, tc.outcome, tc.summary)
			}
			if len(x.Policies) != tc.policies || x.Action != tc.in.Action {
				t.Fatalf("policies %d (want %d), action %q", len(x.Policies), tc.policies, x.Action)
			}
		})
	}
}

// TestExplainDetail checks the tree behind a summary: every statement with its matches and every
// condition with both sides' values.
func TestExplainDetail(t *testing.T) {
	p := parseAs(t, "user alice/p", Identity, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:PrincipalTag/team":"blue"}}},
		{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`)
	in := &Input{Request: Request{Principal: userPrincipal("alice"), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
		Context: ctxOf("aws:SecureTransport", "true")}, PrincipalAccount: acctA, Identity: []*Policy{p}}
	x := in.Explain(Decide(in))
	if len(x.Policies) != 1 {
		t.Fatalf("policies: %+v", x.Policies)
	}
	xp := x.Policies[0]
	if xp.Kind != KindIdentity || xp.Name != "user alice/p" || xp.Version != "2012-10-17" || xp.Decision != "ImplicitDeny" || len(xp.Statements) != 2 {
		t.Fatalf("policy: %+v", xp)
	}
	s0, s1 := xp.Statements[0], xp.Statements[1]
	if s0.Sid != "Read" || !s0.ActionMatched || !s0.ResourceMatched || s0.Applied || s0.PrincipalMatched != nil || s0.Position == nil || s0.Position.Line != 2 {
		t.Fatalf("statement 0: %+v", s0)
	}
	if s1.ActionMatched || s1.Applied || s1.Index != 1 {
		t.Fatalf("statement 1: %+v", s1)
	}
	want := []explain.Condition{
		{Operator: "Bool", Key: "aws:SecureTransport", PolicyValues: []string{"true"}, RequestValues: []string{"true"}, Result: true},
		{Operator: "StringEquals", Key: "aws:PrincipalTag/team", PolicyValues: []string{"blue"}, Absent: true},
	}
	if len(s0.Conditions) != len(want) {
		t.Fatalf("conditions: %+v", s0.Conditions)
	}
	for i, c := range s0.Conditions {
		w := want[i]
		if c.Operator != w.Operator || c.Key != w.Key || strings.Join(c.PolicyValues, ",") != strings.Join(w.PolicyValues, ",") ||
			strings.Join(c.RequestValues, ",") != strings.Join(w.RequestValues, ",") || c.Absent != w.Absent || c.Result != w.Result {
			t.Fatalf("condition %d: %+v, want %+v", i, c, w)
		}
	}
	if !strings.Contains(x.Summary, `StringEquals aws:PrincipalTag/team expects ["blue"], request has absent`) {
		t.Fatalf("summary %q", x.Summary)
	}
}

// TestExplainRedactsTheExternalID: a caller guessing the external id learns neither the expected
// value nor sees its own echoed (attack: the account root of the trusted account).
func TestExplainRedactsTheExternalID(t *testing.T) {
	trust := parseAs(t, roleARN, Trust, identityDoc(`"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"s3cr3t-ext"}}`))
	in := &Input{Request: Request{Principal: Principal{Type: "AWS", Account: acctA, ARNs: []string{"arn:aws:iam::111122223333:root"}},
		Action: assume, Resource: roleARN, Context: ctxOf("sts:ExternalId", "guess")}, IsRoot: true, PrincipalAccount: acctA, ResourcePolicy: trust}
	out := Decide(in)
	if out.Decision != ImplicitDeny {
		t.Fatalf("decision %v", out.Decision)
	}
	x := in.Explain(out)
	c := x.Policies[0].Statements[0].Conditions[0]
	if strings.Contains(x.Summary, "s3cr3t") || strings.Contains(x.Summary, "guess") || c.PolicyValues[0] != redacted || c.RequestValues[0] != redacted {
		t.Fatalf("external id leaked: %q %+v", x.Summary, c)
	}
}

func TestExplainAllowedIsNil(t *testing.T) {
	in := &Input{Request: Request{Principal: userPrincipal("alice"), Action: assume, Resource: roleARN, Context: ctxOf()},
		PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "id")}}
	if x := in.Explain(Decide(in)); x != nil {
		t.Fatalf("an allowed request has an explanation: %+v", x)
	}
}

package authz

import (
	"testing"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/store"
)

// TestDenialCarriesTheExplanation: the AccessDenied keeps AWS's message and carries, in its
// cause, the explanation naming the policy and statement that decided.
func TestDenialCarriesTheExplanation(t *testing.T) {
	e, src := fixture(t)
	bob := userCaller(acct, "AIDABOB", "bob")
	carol := userCaller(acct, "AIDACAROL", "carol")
	src.putInline(store.KindUser, "AIDABOB", "nos3", `{"Version":"2012-10-17","Statement":[{"Sid":"NoS3","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`)
	tr := trust(t, e, trustStmt(`{"AWS":"`+acct+`"}`, `"sts:AssumeRole"`, `{"StringEquals":{"aws:PrincipalTag/team":"ci"}}`))
	tests := []struct {
		name    string
		req     Request
		outcome explain.Outcome
		summary string
		message string
	}{{
		name:    "explicit deny in an inline policy beats *:*",
		req:     Request{Caller: bob, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"},
		outcome: explain.ExplicitDeny,
		summary: `explicit deny in identity policy user bob/nos3 statement "NoS3"`,
		message: "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k with an explicit deny in an identity-based policy",
	}, {
		name:    "a *:* user outside its boundary",
		req:     Request{Caller: carol, Action: "iam:ListUsers", Resource: "*"},
		outcome: explain.ImplicitDeny,
		summary: "no permissions boundary allows iam:ListUsers",
		message: "User: arn:aws:iam::111122223333:user/carol is not authorized to perform: iam:ListUsers on resource: * because no permissions boundary allows the iam:ListUsers action",
	}, {
		name: "a *:* user the trust policy's condition refuses",
		req: Request{Caller: carol, Action: "sts:AssumeRole", Resource: roleARN, ResourceAccount: acct,
			ResourcePolicy: tr, ResourcePolicyKind: policy.Trust},
		outcome: explain.ImplicitDeny,
		summary: `trust policy of ` + roleARN + ` statement 0: StringEquals aws:PrincipalTag/team expects ["ci"], request has absent`,
		message: "User: arn:aws:iam::111122223333:user/carol is not authorized to perform: sts:AssumeRole on resource: " + roleARN + " because no resource-based policy allows the sts:AssumeRole action",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := e.Authorize(t.Context(), tc.req)
			ae, ok := awserr.As(err)
			if !ok || ae.Kind != awserr.Denied || ae.Message != tc.message {
				t.Fatalf("error %v\nwant message %q", err, tc.message)
			}
			x := explain.Of(err)
			if x == nil || x.Outcome != tc.outcome || x.Summary != tc.summary {
				t.Fatalf("explanation %+v\nwant %s %q", x, tc.outcome, tc.summary)
			}
		})
	}
}

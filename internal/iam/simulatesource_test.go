package iam

import (
	"slices"
	"testing"

	"github.com/latchkey/latchkey/internal/principal"
)

// A user's inline policy and its group's inline policy of the same name are told apart in
// MatchedStatements: each SourcePolicyId names its owner, as IAM's "<kind>_<owner>_<policy>"
// does, with SourcePolicyType "IAM Policy".
func TestSimulateSourcePolicyIDsNameTheirOwner(t *testing.T) {
	f := groupFixture(t)
	if err := f.svc.PutInlinePolicy(ctx, f.root, KindUser, "alice", "read", s3GetDoc); err != nil {
		t.Fatal(err)
	}
	alice := principal.UserARN(testAccount, "/", "alice")
	for _, tc := range []struct {
		name   string
		source string
		want   []string
	}{
		{"user with a group", alice, []string{"group_devs_read", "user_alice_read"}},
		{"group", GroupARN(testAccount, "/team/", "devs"), []string{"group_devs_read"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.svc.SimulatePrincipalPolicy(ctx, f.admin, SimulationInput{PolicySourceARN: tc.source, Actions: []string{"s3:GetObject"},
				Context: []ContextEntry{{Key: "s3:prefix", Values: []string{"x"}}}})
			if err != nil || len(res.Items) != 1 || res.Items[0].Decision != "allowed" {
				t.Fatalf("%+v %v", res.Items, err)
			}
			var ids []string
			for _, m := range res.Items[0].Matched {
				switch {
				case m.SourcePolicyID == f.policy && m.SourcePolicyType == "user-managed":
					// The group's attached policy allows everything.
				case m.SourcePolicyType != "IAM Policy":
					t.Fatalf("matched %+v, want SourcePolicyType IAM Policy", m)
				default:
					ids = append(ids, m.SourcePolicyID)
				}
			}
			slices.Sort(ids)
			if !slices.Equal(ids, tc.want) {
				t.Fatalf("SourcePolicyIds %v, want %v", ids, tc.want)
			}
		})
	}

	// An explicit Deny in the group's policy of the same name wins over the user's Allow, and the
	// statement that decided is the group's.
	if err := f.svc.PutInlinePolicy(ctx, f.root, KindGroup, "devs", "read",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.SimulatePrincipalPolicy(ctx, f.admin, SimulationInput{PolicySourceARN: alice, Actions: []string{"s3:GetObject"},
		Context: []ContextEntry{{Key: "s3:prefix", Values: []string{"x"}}}})
	if err != nil || len(res.Items) != 1 || res.Items[0].Decision != "explicitDeny" {
		t.Fatalf("%+v %v", res.Items, err)
	}
	if m := res.Items[0].Matched; len(m) != 1 || m[0].SourcePolicyID != "group_devs_read" {
		t.Fatalf("matched %+v, want only the group's deny", m)
	}
}

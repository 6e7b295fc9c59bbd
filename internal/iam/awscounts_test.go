package iam

import (
	"slices"
	"testing"

	"github.com/latchkey/latchkey/internal/principal"
)

// Attack: an account learns nothing of another account's use of an AWS managed policy. GetPolicy
// and ListPolicies count only the caller's own attachments and boundaries, and OnlyAttached
// lists only what the caller's account attached. (detailsFixture: the first account attaches
// AdministratorAccess and IAMReadOnlyAccess; the other attaches AdministratorAccess and
// IAMFullAccess.)
func TestAWSManagedPolicyCountsAreTheCallersAccount(t *testing.T) {
	f := detailsFixture(t)
	const fullAccess = "arn:aws:iam::aws:policy/IAMFullAccess"
	for _, tc := range []struct {
		caller   *principal.Principal
		attached []string
		counts   map[string]int
	}{
		{f.admin, []string{"AdministratorAccess", "IAMReadOnlyAccess"}, map[string]int{adminPolicyARN: 1, fullAccess: 0}},
		{f.otherAdmin, []string{"AdministratorAccess", "IAMFullAccess"}, map[string]int{adminPolicyARN: 1, fullAccess: 1}},
	} {
		t.Run(tc.caller.AccountID, func(t *testing.T) {
			for arn, want := range tc.counts {
				p, err := f.svc.GetPolicy(ctx, tc.caller, arn)
				if err != nil || p.AttachmentCount != want || p.BoundaryUsageCount != 0 {
					t.Fatalf("GetPolicy %s: %+v %v, want AttachmentCount %d", arn, p, err, want)
				}
			}
			page, err := f.svc.ListPolicies(ctx, tc.caller, ListPoliciesInput{Scope: "AWS", OnlyAttached: true})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range page.Items {
				names = append(names, p.PolicyName)
			}
			if !slices.Equal(names, tc.attached) {
				t.Fatalf("ListPolicies OnlyAttached = %v, want %v", names, tc.attached)
			}
			all, err := f.svc.ListPolicies(ctx, tc.caller, ListPoliciesInput{Scope: "AWS"})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range all.Items {
				if want, ok := tc.counts[p.ARN]; ok && p.AttachmentCount != want {
					t.Fatalf("ListPolicies %s: AttachmentCount %d, want %d", p.ARN, p.AttachmentCount, want)
				}
			}
		})
	}
}

package integration

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// ListEntitiesForPolicy (IAM API Reference) honours PathPrefix ("only entities whose path begins
// with it"), PolicyUsageFilter (PermissionsPolicy: the policy is attached; PermissionsBoundary:
// it is the entity's boundary; neither: both uses) and EntityFilter, alone and together, so an
// auditor asking "who is bounded by this policy?" gets the roles and users it bounds.
func TestListEntitiesForPolicyHonoursItsFilters(t *testing.T) {
	ts := startServer(t)
	c := ts.rootIAM()
	pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowDoc("s3:GetObject", "*"))})
	if err != nil {
		t.Fatal(err)
	}
	arn := pol.Policy.Arn
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + accountID + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("attached"), Path: aws.String("/team/"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("attached"), PolicyArn: arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bounded"), AssumeRolePolicyDocument: aws.String(trust), PermissionsBoundary: arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob"), Path: aws.String("/team/"), PermissionsBoundary: arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: arn}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   iam.ListEntitiesForPolicyInput
		want []string // users, roles, groups
	}{
		{"every use", iam.ListEntitiesForPolicyInput{}, []string{"user bob", "role attached", "role bounded", "group devs"}},
		{"path prefix excluding all", iam.ListEntitiesForPolicyInput{PathPrefix: aws.String("/nobody/")}, nil},
		{"path prefix", iam.ListEntitiesForPolicyInput{PathPrefix: aws.String("/team/")}, []string{"user bob", "role attached"}},
		{"boundary", iam.ListEntitiesForPolicyInput{PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsBoundary}, []string{"user bob", "role bounded"}},
		{"permissions policy", iam.ListEntitiesForPolicyInput{PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsPolicy}, []string{"role attached", "group devs"}},
		{"boundary roles", iam.ListEntitiesForPolicyInput{PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsBoundary, EntityFilter: iamtypes.EntityTypeRole}, []string{"role bounded"}},
		{"attached under /team/", iam.ListEntitiesForPolicyInput{PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsPolicy, PathPrefix: aws.String("/team/")}, []string{"role attached"}},
		{"groups as boundary", iam.ListEntitiesForPolicyInput{PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsBoundary, EntityFilter: iamtypes.EntityTypeGroup}, nil},
		{"managed policies", iam.ListEntitiesForPolicyInput{EntityFilter: iamtypes.EntityTypeLocalManagedPolicy}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.PolicyArn = arn
			out, err := c.ListEntitiesForPolicy(ctx, &in)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range out.PolicyUsers {
				got = append(got, "user "+aws.ToString(u.UserName))
			}
			for _, r := range out.PolicyRoles {
				got = append(got, "role "+aws.ToString(r.RoleName))
			}
			for _, g := range out.PolicyGroups {
				got = append(got, "group "+aws.ToString(g.GroupName))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

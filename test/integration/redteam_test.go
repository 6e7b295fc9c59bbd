package integration

// Red-team findings through the Go SDK. Each test states what AWS does and fails while Latchkey
// does otherwise.

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// TestRedteamListEntitiesForPolicyHonoursItsFilters: ListEntitiesForPolicy (IAM API Reference)
// takes PathPrefix ("only entities whose path begins with it") and PolicyUsageFilter
// (PermissionsPolicy: the policy is attached; PermissionsBoundary: it is the entity's boundary).
// Latchkey drops both: a PathPrefix that excludes every entity still lists them, and
// PolicyUsageFilter=PermissionsBoundary answers the attachments instead of the role that uses the
// policy as its boundary — an auditor asking "who is bounded by this policy?" gets a wrong answer
// that looks right.
func TestRedteamListEntitiesForPolicyHonoursItsFilters(t *testing.T) {
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
	out, err := c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: arn, PathPrefix: aws.String("/nobody/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PolicyRoles) != 0 {
		t.Errorf("PathPrefix /nobody/ lists %s", aws.ToString(out.PolicyRoles[0].RoleName))
	}
	out, err = c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: arn, PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsBoundary})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PolicyRoles) != 1 || aws.ToString(out.PolicyRoles[0].RoleName) != "bounded" {
		var names []string
		for _, r := range out.PolicyRoles {
			names = append(names, aws.ToString(r.RoleName))
		}
		t.Errorf("PolicyUsageFilter=PermissionsBoundary lists roles %v, want [bounded]", names)
	}
}

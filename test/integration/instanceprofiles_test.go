package integration

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const ec2Trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// TestInstanceProfilesThroughSDK: the instance-profile operations through the Go SDK's IAM client,
// the legitimate path and IAM's refusals, and another account's root refused by its own view.
func TestInstanceProfilesThroughSDK(t *testing.T) {
	ts := startServer(t)
	ctx := t.Context()
	c := ts.rootIAM()
	createRole(t, ts, "web-role", ec2Trust)
	createRole(t, ts, "other-role", ec2Trust)
	out, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web"), Path: aws.String("/ec2/"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	if err != nil {
		t.Fatal(err)
	}
	ip := out.InstanceProfile
	if aws.ToString(ip.Arn) != "arn:aws:iam::123456789012:instance-profile/ec2/web" || len(ip.Roles) != 0 || len(ip.Tags) != 1 {
		t.Fatalf("CreateInstanceProfile = %+v", ip)
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web-role")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other-role")})
	wantAPIError(t, err, "LimitExceeded", 409)
	got, err := c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})
	if err != nil {
		t.Fatal(err)
	}
	if r := got.InstanceProfile.Roles; len(r) != 1 || aws.ToString(r[0].RoleName) != "web-role" || aws.ToString(r[0].AssumeRolePolicyDocument) == "" {
		t.Fatalf("GetInstanceProfile roles = %+v", r)
	}
	forRole, err := c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web-role")})
	if err != nil || len(forRole.InstanceProfiles) != 1 {
		t.Fatalf("ListInstanceProfilesForRole = %+v, %v", forRole, err)
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("web-role")})
	wantAPIError(t, err, "DeleteConflict", 409)
	_, err = c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")})
	wantAPIError(t, err, "DeleteConflict", 409)
	_, err = c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("WEB")})
	wantAPIError(t, err, "EntityAlreadyExists", 409)

	// Paging: three more profiles, listed two at a time with the SDK's paginator.
	for _, n := range []string{"a", "b", "c"} {
		if _, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pages := iam.NewListInstanceProfilesPaginator(c, &iam.ListInstanceProfilesInput{MaxItems: aws.Int32(2)})
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, ip := range p.InstanceProfiles {
			names = append(names, aws.ToString(ip.InstanceProfileName))
		}
	}
	if len(names) != 4 || names[0] != "a" || names[3] != "web" {
		t.Fatalf("paged names = %v", names)
	}
	if p, err := c.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{PathPrefix: aws.String("/ec2/")}); err != nil || len(p.InstanceProfiles) != 1 {
		t.Fatalf("ListInstanceProfiles /ec2/ = %+v, %v", p, err)
	}

	// Tags.
	if _, err := c.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("web"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagInstanceProfile(ctx, &iam.UntagInstanceProfileInput{InstanceProfileName: aws.String("web"), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("web")})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Fatalf("ListInstanceProfileTags = %+v, %v", tags, err)
	}

	// Another account's root sees none of it.
	otherKey, otherSecret := ts.secondAccount(t, "210987654321")
	other := ts.iam(otherKey, otherSecret)
	_, err = other.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")})
	wantAPIError(t, err, "NoSuchEntity", 404)
	_, err = other.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web-role")})
	wantAPIError(t, err, "NoSuchEntity", 404)

	// The model's constraints come first: a name outside the pattern is a ValidationError.
	_, err = c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("bad name!")})
	wantAPIError(t, err, "ValidationError", 400)

	// Back out in IAM's order.
	if _, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web-role")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("web-role")}); err != nil {
		t.Fatal(err)
	}
}

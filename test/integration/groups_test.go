package integration

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func allowDoc(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func denyDoc(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func mustGroup(t *testing.T, c *iam.Client, name, path string) *iamtypes.Group {
	t.Helper()
	out, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(name), Path: aws.String(path)})
	if err != nil {
		t.Fatalf("CreateGroup %s: %v", name, err)
	}
	return out.Group
}

func mustAddToGroup(t *testing.T, c *iam.Client, group, user string) {
	t.Helper()
	if _, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(user)}); err != nil {
		t.Fatalf("AddUserToGroup %s %s: %v", group, user, err)
	}
}

// TestGroupLifecycleThroughSDK: every group operation through the Go SDK's IAM client, with IAM's
// refusals (DeleteConflict, EntityAlreadyExists, LimitExceeded) and its paging.
func TestGroupLifecycleThroughSDK(t *testing.T) {
	ts := startServer(t)
	c := ts.rootIAM()
	for _, u := range []string{"alice", "bob"} {
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
	}
	g := mustGroup(t, c, "devs", "/eng/")
	if aws.ToString(g.Arn) != "arn:aws:iam::"+accountID+":group/eng/devs" || len(aws.ToString(g.GroupId)) != 21 || aws.ToString(g.GroupId)[:4] != "AGPA" {
		t.Fatalf("CreateGroup = %+v", g)
	}
	_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("DEVS")})
	wantAPIError(t, err, "EntityAlreadyExists", 409)
	mustAddToGroup(t, c, "devs", "alice")
	mustAddToGroup(t, c, "devs", "bob")
	mustAddToGroup(t, c, "devs", "bob") // idempotent

	// GetGroup pages its users.
	var members []string
	pages := iam.NewGetGroupPaginator(c, &iam.GetGroupInput{GroupName: aws.String("devs"), MaxItems: aws.Int32(1)})
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(p.Group.GroupName) != "devs" {
			t.Fatalf("GetGroup group = %+v", p.Group)
		}
		for _, u := range p.Users {
			members = append(members, aws.ToString(u.UserName))
		}
	}
	if fmt.Sprint(members) != "[alice bob]" {
		t.Fatalf("GetGroup users = %v", members)
	}

	// Group policies, inline and attached.
	if _, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(allowDoc("s3:GetObject", "*"))}); err != nil {
		t.Fatal(err)
	}
	gp, err := c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("read")})
	if err != nil || aws.ToString(gp.GroupName) != "devs" || aws.ToString(gp.PolicyDocument) == "" {
		t.Fatalf("GetGroupPolicy = %+v %v", gp, err)
	}
	pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(allowDoc("s3:PutObject", "*"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	ents, err := c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: pol.Policy.Arn, EntityFilter: iamtypes.EntityTypeGroup})
	if err != nil || len(ents.PolicyGroups) != 1 || aws.ToString(ents.PolicyGroups[0].GroupName) != "devs" || aws.ToString(ents.PolicyGroups[0].GroupId) != aws.ToString(g.GroupId) {
		t.Fatalf("ListEntitiesForPolicy = %+v %v", ents, err)
	}

	// A rename keeps the members and the policies.
	if _, err := c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("devs"), NewGroupName: aws.String("builders"), NewPath: aws.String("/ci/")}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("builders")})
	if err != nil || aws.ToString(got.Group.Arn) != "arn:aws:iam::"+accountID+":group/ci/builders" || len(got.Users) != 2 {
		t.Fatalf("after rename: %+v %v", got, err)
	}
	names, err := c.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("builders")})
	if err != nil || fmt.Sprint(names.PolicyNames) != "[read]" {
		t.Fatalf("ListGroupPolicies = %+v %v", names, err)
	}
	atts, err := c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("builders")})
	if err != nil || len(atts.AttachedPolicies) != 1 || aws.ToString(atts.AttachedPolicies[0].PolicyArn) != aws.ToString(pol.Policy.Arn) {
		t.Fatalf("ListAttachedGroupPolicies = %+v %v", atts, err)
	}
	forUser, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alice")})
	if err != nil || len(forUser.Groups) != 1 || aws.ToString(forUser.Groups[0].GroupName) != "builders" {
		t.Fatalf("ListGroupsForUser = %+v %v", forUser, err)
	}
	mustGroup(t, c, "ops", "/")
	if l, err := c.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/ci/")}); err != nil || len(l.Groups) != 1 {
		t.Fatalf("ListGroups /ci/ = %+v %v", l, err)
	}
	if l, err := c.ListGroups(ctx, &iam.ListGroupsInput{}); err != nil || len(l.Groups) != 2 {
		t.Fatalf("ListGroups = %+v %v", l, err)
	}
	groupRefusalsThroughSDK(t, c, pol.Policy.Arn)
}

// groupRefusalsThroughSDK: what IAM refuses while group builders (members alice and bob, inline
// policy read, attached policy polARN) has users or policies, or a user is in a group; its quotas.
func groupRefusalsThroughSDK(t *testing.T, c *iam.Client, polARN *string) {
	t.Helper()
	_, err := c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("builders")})
	wantAPIError(t, err, "DeleteConflict", 409)
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")})
	wantAPIError(t, err, "DeleteConflict", 409)
	for _, u := range []string{"alice", "bob"} {
		if _, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("builders"), UserName: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("builders"), UserName: aws.String("bob")})
	wantAPIError(t, err, "NoSuchEntity", 404)
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("builders")})
	wantAPIError(t, err, "DeleteConflict", 409) // its policies
	if _, err := c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("builders"), PolicyName: aws.String("read")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("builders")})
	wantAPIError(t, err, "DeleteConflict", 409) // its attached policy
	if _, err := c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("builders"), PolicyArn: polARN}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("builders")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("builders")})
	wantAPIError(t, err, "NoSuchEntity", 404)
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}

	// Quotas: 10 groups per user; 5,120 characters of inline policy per group.
	for i := range 11 {
		name := fmt.Sprint("q", i)
		mustGroup(t, c, name, "/")
		_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(name), UserName: aws.String("alice")})
		if i < 10 && err != nil {
			t.Fatalf("group %d: %v", i, err)
		}
		if i == 10 {
			wantAPIError(t, err, "LimitExceeded", 409)
		}
	}
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + fmt.Sprintf("%05100d", 0) + `"}]}`
	_, err = c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("ops"), PolicyName: aws.String("big"), PolicyDocument: aws.String(big)})
	wantAPIError(t, err, "LimitExceeded", 409)
}

// TestGroupPoliciesDecide: a user's group policies are its own wherever its permissions are
// evaluated. A user allowed sts:AssumeRole only by a group assumes a role that trusts its account,
// but not one whose trust policy names someone else; is refused once removed from the group; a group's Deny beats the user's own
// Allow; SimulatePrincipalPolicy agrees with the live decision.
func TestGroupPoliciesDecide(t *testing.T) {
	ts := startServer(t)
	c := ts.rootIAM()
	devKey, devSecret := createUserWithKey(t, ts, "dev")
	createUserWithKey(t, ts, "ops")
	deploy := "arn:aws:iam::" + accountID + ":role/deploy"
	locked := "arn:aws:iam::" + accountID + ":role/locked"
	// deploy trusts the account, which leaves the decision to the caller's identity policies;
	// locked trusts only ops.
	createRole(t, ts, "deploy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+accountID+`:root"},"Action":"sts:AssumeRole"}]}`)
	createRole(t, ts, "locked", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+accountID+`:user/ops"},"Action":"sts:AssumeRole"}]}`)
	mustGroup(t, c, "assumers", "/")
	if _, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("assumers"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(allowDoc("sts:AssumeRole", deploy))}); err != nil {
		t.Fatal(err)
	}
	mustGroup(t, c, "admins", "/")
	if _, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	devSTS := ts.sts(devKey, devSecret)
	assume := func(role string) error {
		_, err := devSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("session")})
		return err
	}
	simulate := func(source, role string) iamtypes.PolicyEvaluationDecisionType {
		t.Helper()
		out, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(source),
			ActionNames: []string{"sts:AssumeRole"}, ResourceArns: []string{role}})
		if err != nil || len(out.EvaluationResults) != 1 {
			t.Fatalf("SimulatePrincipalPolicy %s: %+v %v", source, out, err)
		}
		return out.EvaluationResults[0].EvalDecision
	}
	devARN := "arn:aws:iam::" + accountID + ":user/dev"

	wantAPIError(t, assume(deploy), "AccessDenied", 403) // no policy of its own, no group yet
	if d := simulate(devARN, deploy); d != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Fatalf("simulated before the group: %s", d)
	}
	mustAddToGroup(t, c, "assumers", "dev")
	if err := assume(deploy); err != nil {
		t.Fatalf("AssumeRole allowed by the group: %v", err)
	}
	if d := simulate(devARN, deploy); d != iamtypes.PolicyEvaluationDecisionTypeAllowed {
		t.Fatalf("simulated in the group: %s", d)
	}
	if d := simulate("arn:aws:iam::"+accountID+":group/assumers", deploy); d != iamtypes.PolicyEvaluationDecisionTypeAllowed {
		t.Fatalf("simulated for the group: %s", d)
	}

	// Attack: a group granting everything does not get past a trust policy that names someone else.
	mustAddToGroup(t, c, "admins", "dev")
	wantAPIError(t, assume(locked), "AccessDenied", 403)
	if _, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("admins"), UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}

	// Attack: removed from the group, refused (one node: at once; other nodes: within the cache bound).
	if _, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("assumers"), UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, assume(deploy), "AccessDenied", 403)
	if d := simulate(devARN, deploy); d != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Fatalf("simulated after removal: %s", d)
	}

	// Attack: a group's Deny beats the user's own Allow.
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("dev"), PolicyName: aws.String("own"),
		PolicyDocument: aws.String(allowDoc("sts:AssumeRole", deploy))}); err != nil {
		t.Fatal(err)
	}
	if err := assume(deploy); err != nil {
		t.Fatalf("AssumeRole allowed by the user's own policy: %v", err)
	}
	mustGroup(t, c, "frozen", "/")
	if _, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("frozen"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(denyDoc("sts:*", "*"))}); err != nil {
		t.Fatal(err)
	}
	mustAddToGroup(t, c, "frozen", "dev")
	err := assume(deploy)
	wantAPIError(t, err, "AccessDenied", 403)
	if d := simulate(devARN, deploy); d != iamtypes.PolicyEvaluationDecisionTypeExplicitDeny {
		t.Fatalf("simulated with the group's deny: %s", d)
	}
}

// TestGroupAuthorization: group operations are authorized on the group's ARN, so a user allowed
// iam:AddUserToGroup on one group cannot add to another; another account's root sees no group.
func TestGroupAuthorization(t *testing.T) {
	ts := startServer(t)
	c := ts.rootIAM()
	key, secret := createUserWithKey(t, ts, "delegate")
	createUserWithKey(t, ts, "member")
	mustGroup(t, c, "a", "/")
	mustGroup(t, c, "b", "/")
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("delegate"), PolicyName: aws.String("a-only"),
		PolicyDocument: aws.String(allowDoc("iam:AddUserToGroup", "arn:aws:iam::"+accountID+":group/a"))}); err != nil {
		t.Fatal(err)
	}
	delegate := ts.iam(key, secret)
	if _, err := delegate.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("a"), UserName: aws.String("member")}); err != nil {
		t.Fatalf("AddUserToGroup on its group: %v", err)
	}
	_, err := delegate.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("b"), UserName: aws.String("member")})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = delegate.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("a"), UserName: aws.String("member")})
	wantAPIError(t, err, "AccessDenied", 403)
	if g, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("member")}); err != nil || len(g.Groups) != 1 {
		t.Fatalf("member's groups = %+v %v", g, err)
	}

	otherKey, otherSecret := ts.secondAccount(t, "210987654321")
	other := ts.iam(otherKey, otherSecret)
	_, err = other.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("a")})
	wantAPIError(t, err, "NoSuchEntity", 404)
	_, err = other.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("a"), PolicyName: aws.String("x"), PolicyDocument: aws.String(allowDoc("*", "*"))})
	wantAPIError(t, err, "NoSuchEntity", 404)
	_, err = other.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("b")})
	wantAPIError(t, err, "NoSuchEntity", 404)
	if l, err := other.ListGroups(ctx, &iam.ListGroupsInput{}); err != nil || len(l.Groups) != 0 {
		t.Fatalf("other account's ListGroups = %+v %v", l, err)
	}
	if _, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("b")}); err != nil {
		t.Fatalf("group b after the other account's attempts: %v", err)
	}
}

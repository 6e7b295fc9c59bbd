package integration

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// A role's trust policy is bound to the unique ids of the users, roles and role sessions it
// names when it is saved (IAM User Guide, "AWS JSON policy elements: Principal": "if you delete
// the role or user, then the relationship is broken. The policy no longer applies, even if you
// recreate the user or role"). Every attacker below holds an identity policy allowing *:*.

// deleteUser removes a user the way a client must: its keys and inline policies first.
func deleteUser(t *testing.T, c *iam.Client, name string) {
	t.Helper()
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys.AccessKeyMetadata {
		if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: k.AccessKeyId}); err != nil {
			t.Fatal(err)
		}
	}
	pols, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pols.PolicyNames {
		if _, err := c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

// deleteRole removes a role and its inline policies.
func deleteRole(t *testing.T, c *iam.Client, name string) {
	t.Helper()
	pols, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pols.PolicyNames {
		if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

// starRole creates a role trusting trust whose own policy allows *:*.
func starRole(t *testing.T, c *iam.Client, name, trust string) string {
	t.Helper()
	r := mustRole(t, c, name, trust)
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("everything"), PolicyDocument: aws.String(starPolicy)}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(r.RoleId)
}

func userID(t *testing.T, c *iam.Client, name string) string {
	t.Helper()
	u, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(u.User.UserId)
}

// shownTrust is the trust policy GetRole answers, decoded.
func shownTrust(t *testing.T, c *iam.Client, role string) string {
	t.Helper()
	out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := url.QueryUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func listedTrust(t *testing.T, c *iam.Client, role string) string {
	t.Helper()
	out, err := c.ListRoles(ctx, &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Roles {
		if aws.ToString(r.RoleName) == role {
			doc, err := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument))
			if err != nil {
				t.Fatal(err)
			}
			return doc
		}
	}
	t.Fatalf("ListRoles does not list %s", role)
	return ""
}

func wantShown(t *testing.T, c *iam.Client, role, want string) {
	t.Helper()
	if got := shownTrust(t, c, role); got != want {
		t.Fatalf("GetRole shows\n%s\nwant\n%s", got, want)
	}
	if got := listedTrust(t, c, role); got != want {
		t.Fatalf("ListRoles shows\n%s\nwant\n%s", got, want)
	}
}

func TestPrincipalIDsRecreatedUser(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	bob := starUser(t, ts, root, "bob")
	oldID := userID(t, root, "bob")
	trust := trustAWS(userARN("bob"), `"sts:AssumeRole"`, "")
	role := mustRole(t, root, "bobs", trust)
	if _, err := assumeIn(bob, role.Arn, nil); err != nil {
		t.Fatalf("the user the trust policy names: %v", err)
	}

	deleteUser(t, root, "bob")
	newBob := starUser(t, ts, root, "bob")
	_, err := assumeIn(newBob, role.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)
	// GetRole and ListRoles show the broken binding as the old user's unique id, the rest of the
	// document as written.
	wantShown(t, root, "bobs", strings.Replace(trust, userARN("bob"), oldID, 1))
	// Saving the document as shown is refused: the id names no one.
	_, err = root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("bobs"), PolicyDocument: aws.String(shownTrust(t, root, "bobs"))})
	wantAPIError(t, err, "MalformedPolicyDocument", 400)

	// The owner saves the ARN again: the new bob is bound, and trusted.
	if _, err := root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("bobs"), PolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := assumeIn(newBob, role.Arn, nil); err != nil {
		t.Fatalf("the re-created user after the policy was saved again: %v", err)
	}
	wantShown(t, root, "bobs", trust)
}

// A renamed or moved user stays trusted, and the trust policy shows its new ARN (IAM User Guide,
// "Rename an IAM user": such policies "are automatically updated to use the new name or path").
// The name it left is not trusted: a new user created under it is someone else.
func TestPrincipalIDsRenamedUser(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	carol := starUser(t, ts, root, "carol")
	trust := trustAWS(userARN("carol"), `"sts:AssumeRole"`, "")
	role := mustRole(t, root, "carols", trust)
	if _, err := root.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("carol"), NewUserName: aws.String("caroline"), NewPath: aws.String("/team/")}); err != nil {
		t.Fatal(err)
	}
	if _, err := assumeIn(carol, role.Arn, nil); err != nil {
		t.Fatalf("the renamed user: %v", err)
	}
	wantShown(t, root, "carols", strings.Replace(trust, userARN("carol"), "arn:aws:iam::"+accountID+":user/team/caroline", 1))
	impostor := starUser(t, ts, root, "carol")
	_, err := assumeIn(impostor, role.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)
}

// The same across accounts: a role of one account trusting a user of another, which the other
// account's administrator deletes and creates again (the store holds every account).
func TestPrincipalIDsAcrossAccounts(t *testing.T) {
	ts := startServer(t)
	const other = "111111111111"
	otherID, otherSecret := ts.secondAccount(t, other)
	otherIAM := ts.iam(otherID, otherSecret)
	eve := starUser(t, ts, otherIAM, "eve")
	oldID := userID(t, otherIAM, "eve")
	eveARN := "arn:aws:iam::" + other + ":user/eve"
	root := ts.rootIAM()
	trust := trustAWS(eveARN, `"sts:AssumeRole"`, "")
	role := mustRole(t, root, "partner", trust)
	if _, err := assumeIn(eve, role.Arn, nil); err != nil {
		t.Fatalf("the named user of the other account: %v", err)
	}
	deleteUser(t, otherIAM, "eve")
	newEve := starUser(t, ts, otherIAM, "eve")
	_, err := assumeIn(newEve, role.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)
	wantShown(t, root, "partner", strings.Replace(trust, eveARN, oldID, 1))
}

// A role named as a principal, and one of its sessions named exactly: re-creating the role
// breaks both, for sessions of the new role whose policy allows *:*.
func TestPrincipalIDsRecreatedRole(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	admin := starUser(t, ts, root, "admin")
	toR1 := trustAWS(userARN("admin"), `"sts:AssumeRole"`, "")
	r1ID := starRole(t, root, "r1", toR1)
	r1ARN := "arn:aws:iam::" + accountID + ":role/r1"
	ciARN := "arn:aws:sts::" + accountID + ":assumed-role/r1/ci"
	byRole := trustAWS(r1ARN, `"sts:AssumeRole"`, "")
	bySession := trustAWS(ciARN, `"sts:AssumeRole"`, "")
	r2 := mustRole(t, root, "r2", byRole)
	r3 := mustRole(t, root, "r3", bySession)

	r1Session := func(name string) *sts.Client {
		t.Helper()
		out, err := admin.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(r1ARN), RoleSessionName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		c, _ := ts.session(out.Credentials)
		return c
	}
	ci, other := r1Session("ci"), r1Session("other")
	if _, err := assumeIn(ci, r2.Arn, nil); err != nil {
		t.Fatalf("a session of the named role: %v", err)
	}
	if _, err := assumeIn(ci, r3.Arn, nil); err != nil {
		t.Fatalf("the named session: %v", err)
	}
	_, err := assumeIn(other, r3.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)

	deleteRole(t, root, "r1")
	starRole(t, root, "r1", toR1)
	newCI := r1Session("ci")
	_, err = assumeIn(newCI, r2.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = assumeIn(newCI, r3.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)
	wantShown(t, root, "r2", strings.Replace(byRole, r1ARN, r1ID, 1))
	wantShown(t, root, "r3", strings.Replace(bySession, ciARN, r1ID+":ci", 1))
}

// The documented way to keep trusting whoever holds a name is the aws:PrincipalArn condition
// (IAM User Guide, "AWS JSON policy elements: Principal"); it matches by ARN and survives
// re-creation.
func TestPrincipalIDsPrincipalArnConditionSurvives(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	starUser(t, ts, root, "bob")
	role := mustRole(t, root, "by-name", trustAWS("arn:aws:iam::"+accountID+":root", `"sts:AssumeRole"`,
		`{"ArnLike":{"aws:PrincipalArn":"`+userARN("bob")+`"}}`))
	deleteUser(t, root, "bob")
	newBob := starUser(t, ts, root, "bob")
	if _, err := assumeIn(newBob, role.Arn, nil); err != nil {
		t.Fatalf("aws:PrincipalArn after re-creation: %v", err)
	}
	mallory := starUser(t, ts, root, "mallory")
	_, err := assumeIn(mallory, role.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)
}

// The AWS CLI (v1, botocore) prints GetRole's trust policy with the deleted user's unique id in
// place of its ARN.
func TestPrincipalIDsAWSCLIGetRole(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	starUser(t, ts, root, "bob")
	oldID := userID(t, root, "bob")
	mustRole(t, root, "bobs", trustAWS(userARN("bob"), `"sts:AssumeRole"`, ""))
	deleteUser(t, root, "bob")
	starUser(t, ts, root, "bob")

	out := awsCLI(t, ts, "iam", "get-role", "--role-name", "bobs")
	var got struct {
		Role struct {
			AssumeRolePolicyDocument struct {
				Statement []struct {
					Principal struct{ AWS string }
				}
			}
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("aws iam get-role printed %s: %v", out, err)
	}
	if st := got.Role.AssumeRolePolicyDocument.Statement; len(st) != 1 || st[0].Principal.AWS != oldID {
		t.Fatalf("aws iam get-role shows %s, want the principal %s", out, oldID)
	}
}

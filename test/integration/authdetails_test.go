package integration

import (
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const (
	adminAccessARN = "arn:aws:iam::aws:policy/AdministratorAccess"
	iamReadARN     = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
	iamFullARN     = "arn:aws:iam::aws:policy/IAMFullAccess"
)

// noErr fails the test when a call that must succeed fails.
func noErr(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func createPolicy(t *testing.T, c *iam.Client, name, doc string) *string {
	t.Helper()
	out, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Policy.Arn
}

// authDetailsAccount builds what GetAccountAuthorizationDetails reports: users in a group, a role
// in an instance profile, local managed policies (one with two versions, one used as a
// permissions boundary) and AWS managed policies attached to a user and a role.
func authDetailsAccount(t *testing.T, c *iam.Client) {
	t.Helper()
	must := noErr(t)
	shared := createPolicy(t, c, "shared", allowDoc("s3:ListBucket", "*"))
	must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: shared, PolicyDocument: aws.String(allowDoc("s3:*", "*")), SetAsDefault: true}))
	bound := createPolicy(t, c, "bound", allowDoc("*", "*"))
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/"), PermissionsBoundary: bound,
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}))
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("own"), PolicyDocument: aws.String(allowDoc("sqs:*", "*"))}))
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(iamReadARN)}))
	mustGroup(t, c, "devs", "/")
	mustAddToGroup(t, c, "devs", "alice")
	must(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("read"), PolicyDocument: aws.String(allowDoc("s3:GetObject", "*"))}))
	must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: shared}))
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(ec2Trust)}))
	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("logs"), PolicyDocument: aws.String(allowDoc("logs:*", "*"))}))
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(adminAccessARN)}))
	must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("app-profile")}))
	must(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("app-profile"), RoleName: aws.String("app")}))
}

// allAuthDetails pages GetAccountAuthorizationDetails to the end with the SDK's paginator.
func allAuthDetails(t *testing.T, c *iam.Client, pageSize int32, filter ...iamtypes.EntityType) *iam.GetAccountAuthorizationDetailsOutput {
	t.Helper()
	all := &iam.GetAccountAuthorizationDetailsOutput{}
	in := &iam.GetAccountAuthorizationDetailsInput{Filter: filter}
	if pageSize > 0 {
		in.MaxItems = aws.Int32(pageSize)
	}
	pages := iam.NewGetAccountAuthorizationDetailsPaginator(c, in)
	for pages.HasMorePages() {
		p, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(p.UserDetailList) + len(p.GroupDetailList) + len(p.RoleDetailList) + len(p.Policies); pageSize > 0 && n > int(pageSize) {
			t.Fatalf("a page of %d items holds %d", pageSize, n)
		}
		all.UserDetailList = append(all.UserDetailList, p.UserDetailList...)
		all.GroupDetailList = append(all.GroupDetailList, p.GroupDetailList...)
		all.RoleDetailList = append(all.RoleDetailList, p.RoleDetailList...)
		all.Policies = append(all.Policies, p.Policies...)
	}
	return all
}

type detailNames struct{ users, groups, roles, policies []string }

func namesOf(d *iam.GetAccountAuthorizationDetailsOutput) detailNames {
	var n detailNames
	for _, u := range d.UserDetailList {
		n.users = append(n.users, aws.ToString(u.UserName))
	}
	for _, g := range d.GroupDetailList {
		n.groups = append(n.groups, aws.ToString(g.GroupName))
	}
	for _, r := range d.RoleDetailList {
		n.roles = append(n.roles, aws.ToString(r.RoleName))
	}
	for _, p := range d.Policies {
		n.policies = append(n.policies, aws.ToString(p.PolicyName))
	}
	return n
}

func decodedDoc(t *testing.T, s *string) string {
	t.Helper()
	doc, err := url.QueryUnescape(aws.ToString(s))
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", aws.ToString(s), err)
	}
	return doc
}

func attachedARNs(in []iamtypes.AttachedPolicy) []string {
	var out []string
	for _, a := range in {
		out = append(out, aws.ToString(a.PolicyArn))
	}
	return out
}

// TestGetAccountAuthorizationDetailsRoundTrip: what was created comes back, the same in pages
// of 2 as in one page, with documents URL-encoded as GetUserPolicy encodes them.
func TestGetAccountAuthorizationDetailsRoundTrip(t *testing.T) {
	must := noErr(t)
	ts := startServer(t)
	root := ts.rootIAM()
	authDetailsAccount(t, root)
	// Another account attaching AWS managed policies changes nothing here.
	other := adminInOtherAccount(t, ts)
	must(other.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("admin"), PolicyArn: aws.String(adminAccessARN)}))
	must(other.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("admin"), PolicyArn: aws.String(iamFullARN)}))

	whole := allAuthDetails(t, root, 0)
	paged := allAuthDetails(t, root, 2)
	want := detailNames{users: []string{"alice", "bob"}, groups: []string{"devs"}, roles: []string{"app"},
		policies: []string{"bound", "shared", "AdministratorAccess", "IAMReadOnlyAccess"}}
	for _, got := range []detailNames{namesOf(whole), namesOf(paged)} {
		if !slices.Equal(got.users, want.users) || !slices.Equal(got.groups, want.groups) || !slices.Equal(got.roles, want.roles) || !slices.Equal(got.policies, want.policies) {
			t.Fatalf("names = %+v, want %+v", got, want)
		}
	}

	alice := whole.UserDetailList[0]
	if aws.ToString(alice.Path) != "/eng/" || aws.ToString(alice.Arn) != "arn:aws:iam::"+accountID+":user/eng/alice" ||
		!slices.Equal(alice.GroupList, []string{"devs"}) || !slices.Equal(attachedARNs(alice.AttachedManagedPolicies), []string{iamReadARN}) ||
		alice.PermissionsBoundary == nil || len(alice.Tags) != 1 || aws.ToString(alice.Tags[0].Value) != "red" || alice.CreateDate == nil {
		t.Fatalf("alice = %+v", alice)
	}
	if len(alice.UserPolicyList) != 1 || aws.ToString(alice.UserPolicyList[0].PolicyName) != "own" || decodedDoc(t, alice.UserPolicyList[0].PolicyDocument) != allowDoc("sqs:*", "*") {
		t.Fatalf("alice's inline policies = %+v", alice.UserPolicyList)
	}
	got, err := root.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("own")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.PolicyDocument) != aws.ToString(alice.UserPolicyList[0].PolicyDocument) {
		t.Fatalf("GetUserPolicy encodes %q, GetAccountAuthorizationDetails %q", aws.ToString(got.PolicyDocument), aws.ToString(alice.UserPolicyList[0].PolicyDocument))
	}
	if bob := whole.UserDetailList[1]; len(bob.GroupList) != 0 || len(bob.UserPolicyList) != 0 || bob.PermissionsBoundary != nil {
		t.Fatalf("bob = %+v", bob)
	}

	devs := whole.GroupDetailList[0]
	if len(devs.GroupPolicyList) != 1 || decodedDoc(t, devs.GroupPolicyList[0].PolicyDocument) != allowDoc("s3:GetObject", "*") ||
		len(devs.AttachedManagedPolicies) != 1 || aws.ToString(devs.AttachedManagedPolicies[0].PolicyName) != "shared" {
		t.Fatalf("devs = %+v", devs)
	}

	app := whole.RoleDetailList[0]
	if decodedDoc(t, app.AssumeRolePolicyDocument) != ec2Trust || len(app.RolePolicyList) != 1 ||
		!slices.Equal(attachedARNs(app.AttachedManagedPolicies), []string{adminAccessARN}) || app.RoleLastUsed == nil {
		t.Fatalf("app = %+v", app)
	}
	if len(app.InstanceProfileList) != 1 || aws.ToString(app.InstanceProfileList[0].InstanceProfileName) != "app-profile" ||
		len(app.InstanceProfileList[0].Roles) != 1 || aws.ToString(app.InstanceProfileList[0].Roles[0].RoleName) != "app" {
		t.Fatalf("app's instance profiles = %+v", app.InstanceProfileList)
	}

	byName := map[string]iamtypes.ManagedPolicyDetail{}
	for _, p := range whole.Policies {
		byName[aws.ToString(p.PolicyName)] = p
	}
	shared := byName["shared"]
	if aws.ToString(shared.DefaultVersionId) != "v2" || len(shared.PolicyVersionList) != 2 || aws.ToInt32(shared.AttachmentCount) != 1 || !shared.IsAttachable {
		t.Fatalf("shared = %+v", shared)
	}
	for _, v := range shared.PolicyVersionList {
		wantDoc := map[string]string{"v1": allowDoc("s3:ListBucket", "*"), "v2": allowDoc("s3:*", "*")}[aws.ToString(v.VersionId)]
		if decodedDoc(t, v.Document) != wantDoc || v.IsDefaultVersion != (aws.ToString(v.VersionId) == "v2") || v.CreateDate == nil {
			t.Fatalf("shared version = %+v", v)
		}
	}
	if b := byName["bound"]; aws.ToInt32(b.PermissionsBoundaryUsageCount) != 1 || aws.ToInt32(b.AttachmentCount) != 0 {
		t.Fatalf("bound = %+v", b)
	}
	// The other account's attachment of AdministratorAccess is not counted here.
	if a := byName["AdministratorAccess"]; aws.ToInt32(a.AttachmentCount) != 1 || len(a.PolicyVersionList) == 0 {
		t.Fatalf("AdministratorAccess = %+v", a)
	}
}

func TestGetAccountAuthorizationDetailsFilter(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	authDetailsAccount(t, root)
	for _, c := range []struct {
		filter []iamtypes.EntityType
		want   detailNames
	}{
		{[]iamtypes.EntityType{iamtypes.EntityTypeRole}, detailNames{roles: []string{"app"}}},
		{[]iamtypes.EntityType{iamtypes.EntityTypeUser, iamtypes.EntityTypeGroup}, detailNames{users: []string{"alice", "bob"}, groups: []string{"devs"}}},
		{[]iamtypes.EntityType{iamtypes.EntityTypeLocalManagedPolicy}, detailNames{policies: []string{"bound", "shared"}}},
		{[]iamtypes.EntityType{iamtypes.EntityTypeAWSManagedPolicy}, detailNames{policies: []string{"AdministratorAccess", "IAMReadOnlyAccess"}}},
	} {
		for _, size := range []int32{0, 1} {
			got := namesOf(allAuthDetails(t, root, size, c.filter...))
			if !slices.Equal(got.users, c.want.users) || !slices.Equal(got.groups, c.want.groups) || !slices.Equal(got.roles, c.want.roles) || !slices.Equal(got.policies, c.want.policies) {
				t.Fatalf("filter %v, page size %d: %+v, want %+v", c.filter, size, got, c.want)
			}
		}
	}
	_, err := root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Marker: aws.String("not-a-marker!")})
	wantAPIError(t, err, "ValidationError", 400)
	_, err = root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{"Users"}})
	wantAPIError(t, err, "ValidationError", 400)
	_, err = root.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1001)})
	wantAPIError(t, err, "ValidationError", 400)
}

// Attacks: an administrator of another account sees only its own account; a user allowed every
// IAM List and Get action but GetAccountAuthorizationDetails is refused.
func TestGetAccountAuthorizationDetailsRefusals(t *testing.T) {
	must := noErr(t)
	ts := startServer(t)
	root := ts.rootIAM()
	authDetailsAccount(t, root)
	other := adminInOtherAccount(t, ts)
	got := namesOf(allAuthDetails(t, other, 0))
	if !slices.Equal(got.users, []string{"admin"}) || len(got.groups)+len(got.roles)+len(got.policies) != 0 {
		t.Fatalf("another account's administrator sees %+v", got)
	}

	id, secret := createUserWithKey(t, ts, "lister")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("lister"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","iam:Get*"],"Resource":"*"},` +
			`{"Effect":"Deny","Action":"iam:GetAccountAuthorizationDetails","Resource":"*"}]}`)}))
	lister := ts.iam(id, secret)
	must(lister.ListUsers(ctx, &iam.ListUsersInput{}))
	_, err := lister.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	wantAPIError(t, err, "AccessDenied", 403)

	id, secret = createUserWithKey(t, ts, "listonly")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("listonly"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowDoc("iam:List*", "*"))}))
	_, err = ts.iam(id, secret).GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	wantAPIError(t, err, "AccessDenied", 403)
}

// The AWS CLI (botocore) pages get-account-authorization-details itself and decodes the policy
// documents it reads.
func TestGetAccountAuthorizationDetailsAWSCLI(t *testing.T) {
	ts := startServer(t)
	authDetailsAccount(t, ts.rootIAM())
	out := awsCLI(t, ts, "iam", "get-account-authorization-details", "--page-size", "2")
	type doc struct{ Statement []struct{ Action any } }
	var got struct {
		UserDetailList []struct {
			UserName       string
			GroupList      []string
			UserPolicyList []struct{ PolicyDocument doc }
		}
		GroupDetailList []struct{ GroupName string }
		RoleDetailList  []struct {
			RoleName            string
			InstanceProfileList []struct{ InstanceProfileName string }
		}
		Policies []struct {
			PolicyName        string
			PolicyVersionList []struct{ Document doc }
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("the CLI printed %s: %v", out, err)
	}
	if len(got.UserDetailList) != 2 || got.UserDetailList[0].UserName != "alice" || !slices.Equal(got.UserDetailList[0].GroupList, []string{"devs"}) ||
		len(got.UserDetailList[0].UserPolicyList) != 1 || got.UserDetailList[0].UserPolicyList[0].PolicyDocument.Statement[0].Action != "sqs:*" {
		t.Fatalf("the CLI's users: %s", out)
	}
	if len(got.GroupDetailList) != 1 || len(got.RoleDetailList) != 1 || len(got.RoleDetailList[0].InstanceProfileList) != 1 || len(got.Policies) != 4 {
		t.Fatalf("the CLI read %s", out)
	}
}

// awsCLI runs the AWS CLI as the account's root against ts and returns what it printed as JSON;
// the test is skipped where the CLI is not installed.
func awsCLI(t *testing.T, ts *testServer, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	cmd := exec.Command("aws", append(args, "--endpoint-url", ts.URL, "--region", "us-east-1", "--output", "json")...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+rootKeyID, "AWS_SECRET_ACCESS_KEY="+rootSecret,
		"AWS_SESSION_TOKEN=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("aws %v: %v\n%s", args, err, stderr)
	}
	return out
}

func summary(t *testing.T, c *iam.Client) map[string]int32 {
	t.Helper()
	out, err := c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	return out.SummaryMap
}

func TestGetAccountSummary(t *testing.T) {
	must := noErr(t)
	ts := startServer(t)
	root := ts.rootIAM()
	before := summary(t, root)
	for k, v := range map[string]int32{"Users": 0, "Groups": 0, "Roles": 0, "Policies": 0, "PolicyVersionsInUse": 0, "InstanceProfiles": 0,
		"GlobalEndpointTokenVersion": 1, "AccountAccessKeysPresent": 1, "GroupsQuota": 300, "GroupsPerUserQuota": 10,
		"AccessKeysPerUserQuota": 2, "PolicySizeQuota": 6144, "VersionsPerPolicyQuota": 5, "AttachedPoliciesPerRoleQuota": 10,
		"AssumeRolePolicySizeQuota": 2048, "UserPolicySizeQuota": 2048, "RolePolicySizeQuota": 10240, "GroupPolicySizeQuota": 5120,
		"UsersQuota": 5000, "RolesQuota": 1000, "AccountMFAEnabled": 0} {
		if got, ok := before[k]; !ok || got != v {
			t.Fatalf("SummaryMap[%s] = %d (present %v), want %d; map %v", k, got, ok, v, before)
		}
	}
	authDetailsAccount(t, root)
	must(root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("spare")}))
	must(root.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: iamtypes.GlobalEndpointTokenVersionV2Token}))
	after := summary(t, root)
	// PolicyVersionsInUse: shared on devs, IAMReadOnlyAccess on alice, AdministratorAccess on app.
	for k, v := range map[string]int32{"Users": 2, "Groups": 1, "Roles": 1, "Policies": 2, "PolicyVersionsInUse": 3, "InstanceProfiles": 1,
		"MFADevices": 1, "MFADevicesInUse": 0, "GlobalEndpointTokenVersion": 2} {
		if after[k] != v {
			t.Fatalf("after setup SummaryMap[%s] = %d, want %d; map %v", k, after[k], v, after)
		}
	}
	// Another account's administrator counts its own account (one user, admin).
	if o := summary(t, adminInOtherAccount(t, ts)); o["Users"] != 1 || o["Groups"] != 0 || o["Roles"] != 0 || o["GlobalEndpointTokenVersion"] != 1 {
		t.Fatalf("another account's summary = %v", o)
	}
	id, secret := createUserWithKey(t, ts, "lister")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("lister"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowDoc("iam:List*", "*"))}))
	_, err := ts.iam(id, secret).GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	wantAPIError(t, err, "AccessDenied", 403)
}

package integration

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/store"
)

func TestAWSManagedPolicies(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	id, secret := createUserWithKey(t, ts, "admin")
	_, err := ts.iam(id, secret).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("other")})
	wantAPIError(t, err, "AccessDenied", 403)
	admin := aws.String("arn:aws:iam::aws:policy/AdministratorAccess")
	got, err := root.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: admin})
	if err != nil || aws.ToString(got.Policy.PolicyName) != "AdministratorAccess" {
		t.Fatalf("GetPolicy %+v %v", got, err)
	}
	if _, err := root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("admin"), PolicyArn: admin}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.iam(id, secret).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("other")}); err != nil {
		t.Fatalf("AdministratorAccess does not grant CreateUser: %v", err)
	}
	_, err = root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: admin, PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)})
	wantAPIError(t, err, "InvalidInput", 400)
	_, err = root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("admin"), PolicyArn: aws.String("arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy")})
	wantAPIError(t, err, "PolicyNotAttachable", 400)
	// A permissions boundary caps what the attached policy grants.
	if _, err := root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("admin"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.iam(id, secret).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("third")})
	wantAPIError(t, err, "AccessDenied", 403)
	if !strings.Contains(err.Error(), "permissions boundary") {
		t.Fatalf("reason: %v", err)
	}
	if _, err := ts.iam(id, secret).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("boundary and policy both allow ListUsers: %v", err)
	}
}

func TestAssumeRoot(t *testing.T) {
	ts := startServer(t)
	const member, outsider = "222222222222", "333333333333"
	for _, a := range []string{member, outsider} {
		if err := ts.App.Store.CreateAccount(ctx, store.Account{ID: a, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts.App.Store.SetManagementAccount(ctx, member, accountID); err != nil {
		t.Fatal(err)
	}
	id, secret := createUserWithKey(t, ts, "ops")
	task := &ststypes.PolicyDescriptorType{Arn: aws.String("arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials")}
	c := ts.sts(id, secret)
	_, err := c.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: task})
	wantAPIError(t, err, "AccessDenied", 403)
	if _, err := ts.rootIAM().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ops"), PolicyName: aws.String("root"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRoot","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	// Allowed by policy, the member in the organization: still refused until the organization
	// enables root sessions.
	_, err = c.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: task})
	wantAPIError(t, err, "AccessDenied", 403)
	if !strings.Contains(err.Error(), "root sessions are not enabled") {
		t.Fatalf("reason: %v", err)
	}
	if _, err := ts.rootIAM().EnableOrganizationsRootSessions(ctx, &iam.EnableOrganizationsRootSessionsInput{}); err != nil {
		t.Fatal(err)
	}
	out, err := c.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: task})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d > 15*time.Minute || d < 14*time.Minute {
		t.Fatalf("AssumeRoot session lasts %v", d)
	}
	rs, rIAM := ts.session(out.Credentials)
	who, err := rs.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:iam::"+member+":root" || aws.ToString(who.Account) != member {
		t.Fatalf("AssumeRoot identity %+v %v", who, err)
	}
	if _, err := rIAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}); err != nil {
		t.Fatalf("the task policy allows ListAccessKeys: %v", err)
	}
	_, err = rIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("sneaky")})
	wantAPIError(t, err, "AccessDenied", 403)

	_, err = c.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(outsider), TaskPolicyArn: task})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = c.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: &ststypes.PolicyDescriptorType{Arn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}})
	wantAPIError(t, err, "ValidationError", 400)
	_, err = ts.rootSTS().AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: task})
	wantAPIError(t, err, "AccessDenied", 403)

	// Disabled again: refused again.
	if _, err := ts.rootIAM().DisableOrganizationsRootSessions(ctx, &iam.DisableOrganizationsRootSessionsInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.AssumeRoot(ctx, &sts.AssumeRootInput{TargetPrincipal: aws.String(member), TaskPolicyArn: task})
	wantAPIError(t, err, "AccessDenied", 403)
}

func TestAuditLog(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	ts := startServer(t, func(c *config.Config, _ *app.Options) { c.AuditLog = logPath })
	id, secret := createUserWithKey(t, ts, "alice")
	role := mustRole(t, ts.rootIAM(), "app", trustUsers(userARN("alice")))
	if _, err := ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("ok")}); err != nil {
		t.Fatal(err)
	}
	bobID, bobSecret := createUserWithKey(t, ts, "bob")
	_, _ = ts.sts(bobID, bobSecret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("no")})
	_, _ = ts.rootSTS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})

	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("not JSON: %s", sc.Text())
		}
		events = append(events, ev)
		if strings.Contains(sc.Text(), secret) || strings.Contains(sc.Text(), "SessionToken") || strings.Contains(sc.Text(), "secretAccessKey") {
			t.Fatalf("a secret reached the audit log: %s", sc.Text())
		}
	}
	if len(events) != 2 {
		t.Fatalf("want 2 events (issued, refused), got %d", len(events))
	}
	ok, refused := events[0], events[1]
	if ok["eventName"] != "AssumeRole" || ok["eventSource"] != "sts.amazonaws.com" || ok["errorCode"] != nil {
		t.Fatalf("issued event %v", ok)
	}
	uid := ok["userIdentity"].(map[string]any)
	if uid["type"] != "IAMUser" || uid["arn"] != userARN("alice") {
		t.Fatalf("userIdentity %v", uid)
	}
	resp := ok["responseElements"].(map[string]any)
	if resp["assumedRoleUser"] == nil || resp["credentials"].(map[string]any)["accessKeyId"] == nil {
		t.Fatalf("responseElements %v", resp)
	}
	if refused["errorCode"] != "AccessDenied" || !strings.Contains(refused["errorMessage"].(string), "not authorized") {
		t.Fatalf("refused event %v", refused)
	}
}

func TestDecodeAuthorizationMessage(t *testing.T) {
	ts := startServer(t)
	id, secret := createUserWithKey(t, ts, "alice")
	_, err := ts.iam(id, secret).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustUsers(userARN("alice")))})
	wantAPIError(t, err, "AccessDenied", 403)
	const marker = "Encoded authorization failure message: "
	i := strings.Index(err.Error(), marker)
	if i < 0 {
		t.Fatalf("no encoded message in %v", err)
	}
	encoded := strings.Fields(err.Error()[i+len(marker):])[0]
	out, err := ts.rootSTS().DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})
	if err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Allowed bool `json:"allowed"`
		Context struct {
			Principal struct{ Arn string } `json:"principal"`
			Action    string               `json:"action"`
		} `json:"context"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.DecodedMessage)), &decoded); err != nil || decoded.Allowed || decoded.Context.Action != "iam:CreateRole" || decoded.Context.Principal.Arn != userARN("alice") {
		t.Fatalf("decoded %s %v", aws.ToString(out.DecodedMessage), err)
	}
	// The denied user may not decode it without the permission; nobody may decode garbage.
	_, err = ts.sts(id, secret).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = ts.rootSTS().DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded[:len(encoded)-4] + "AAAA")})
	wantAPIError(t, err, "InvalidAuthorizationMessageException", 400)
}

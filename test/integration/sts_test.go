package integration

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/latchkey/latchkey/internal/app"
)

func trustUsers(arns ...string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":%q},"Action":"sts:AssumeRole"}]}`, strings.Join(arns, `","`))
}

func mustRole(t *testing.T, c *iam.Client, name, trust string) *iamtypes.Role {
	t.Helper()
	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Role
}

func (ts *testServer) session(creds *ststypes.Credentials) (*sts.Client, *iam.Client) {
	cfg := ts.awsConfig(aws.ToString(creds.AccessKeyId), aws.ToString(creds.SecretAccessKey), aws.ToString(creds.SessionToken))
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(ts.URL) }),
		iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(ts.URL) })
}

func userARN(name string) string { return "arn:aws:iam::" + accountID + ":user/" + name }

func TestAssumeRoleTrustNamingUser(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	id, secret := createUserWithKey(t, ts, "alice")
	role := mustRole(t, root, "app", trustUsers(userARN("alice")))

	// The trust policy names alice, in her own account: no identity policy is needed.
	out, err := ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") || aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+accountID+":assumed-role/app/s1" ||
		aws.ToString(out.AssumedRoleUser.AssumedRoleId) != aws.ToString(role.RoleId)+":s1" {
		t.Fatalf("unexpected session %+v %+v", out.Credentials, out.AssumedRoleUser)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("default duration: expires in %v", d)
	}
	sessSTS, _ := ts.session(out.Credentials)
	who, err := sessSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != aws.ToString(out.AssumedRoleUser.Arn) || aws.ToString(who.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Fatalf("session identity %+v %v", who, err)
	}
	// GetAccessKeyInfo answers for temporary keys too.
	info, err := ts.rootSTS().GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: out.Credentials.AccessKeyId})
	if err != nil || aws.ToString(info.Account) != accountID {
		t.Fatalf("GetAccessKeyInfo of a session key: %v %v", info, err)
	}

	// Another user is not trusted.
	bobID, bobSecret := createUserWithKey(t, ts, "bob")
	_, err = ts.sts(bobID, bobSecret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1")})
	wantAPIError(t, err, "AccessDenied", 403)
	if !strings.Contains(err.Error(), "User: "+userARN("bob")+" is not authorized to perform: sts:AssumeRole on resource: "+aws.ToString(role.Arn)) {
		t.Fatalf("message: %v", err)
	}
	// Root never assumes roles.
	_, err = ts.rootSTS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1")})
	wantAPIError(t, err, "AccessDenied", 403)
	if !strings.Contains(err.Error(), "Roles may not be assumed by root accounts.") {
		t.Fatalf("message: %v", err)
	}
	// A role that does not exist looks like a denial, as in AWS.
	_, err = ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + accountID + ":role/nope"), RoleSessionName: aws.String("s1")})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + accountID + ":saml-provider/x"), RoleSessionName: aws.String("s1")})
	wantAPIError(t, err, "ValidationError", 400)
	_, err = ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("bad name!")})
	wantAPIError(t, err, "ValidationError", 400)
}

func TestAssumeRoleTrustNamingAccountNeedsIdentityPolicy(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	id, secret := createUserWithKey(t, ts, "alice")
	role := mustRole(t, root, "app", trustUsers("arn:aws:iam::"+accountID+":root"))
	_, err := ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0")})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + aws.ToString(role.Arn) + `"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0")}); err != nil {
		t.Fatal(err)
	}
	// An explicit deny anywhere wins.
	_, err = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0")})
	wantAPIError(t, err, "AccessDenied", 403)
}

func TestAssumeRoleExternalID(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	id, secret := createUserWithKey(t, ts, "vendor")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + userARN("vendor") + `"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}`
	role := mustRole(t, root, "vendor-access", trust)
	c := ts.sts(id, secret)
	for _, ext := range []*string{nil, aws.String("ext-999")} {
		_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), ExternalId: ext})
		wantAPIError(t, err, "AccessDenied", 403)
	}
	if _, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), ExternalId: aws.String("ext-123")}); err != nil {
		t.Fatal(err)
	}
}

func TestAssumeRoleDurationsAndChaining(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	id, secret := createUserWithKey(t, ts, "alice")
	first := mustRole(t, root, "first", trustUsers(userARN("alice")))
	c := ts.sts(id, secret)
	_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: first.Arn, RoleSessionName: aws.String("s0"), DurationSeconds: aws.Int32(7200)})
	wantAPIError(t, err, "ValidationError", 400)
	if !strings.Contains(err.Error(), "MaxSessionDuration") {
		t.Fatalf("message: %v", err)
	}
	if _, err := root.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("first"), MaxSessionDuration: aws.Int32(7200)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: first.Arn, RoleSessionName: aws.String("s0"), DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 119*time.Minute {
		t.Fatalf("7200 s session expires in %v", d)
	}
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: first.Arn, RoleSessionName: aws.String("s0"), DurationSeconds: aws.Int32(600)})
	wantAPIError(t, err, "ValidationError", 400)

	// Role chaining: the first role's session assumes a second role, capped at one hour.
	second := mustRole(t, root, "second", trustUsers(aws.ToString(first.Arn)))
	if _, err := root.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("second"), MaxSessionDuration: aws.Int32(43200)}); err != nil {
		t.Fatal(err)
	}
	sessSTS, _ := ts.session(out.Credentials)
	_, err = sessSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: second.Arn, RoleSessionName: aws.String("chained"), DurationSeconds: aws.Int32(7200)})
	wantAPIError(t, err, "ValidationError", 400)
	if !strings.Contains(err.Error(), "1 hour session limit") {
		t.Fatalf("message: %v", err)
	}
	chained, err := sessSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: second.Arn, RoleSessionName: aws.String("chained")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(chained.AssumedRoleUser.Arn) != "arn:aws:sts::"+accountID+":assumed-role/second/chained" {
		t.Fatalf("chained arn %s", aws.ToString(chained.AssumedRoleUser.Arn))
	}
}

func TestSessionPolicyNarrowsPermissions(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	id, secret := createUserWithKey(t, ts, "alice")
	role := mustRole(t, root, "reader", trustUsers(userARN("alice")))
	_, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","iam:Get*"],"Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	full, err := ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("full")})
	if err != nil {
		t.Fatal(err)
	}
	_, fullIAM := ts.session(full.Credentials)
	if _, err := fullIAM.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("role policy allows ListUsers: %v", err)
	}
	_, err = fullIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	wantAPIError(t, err, "AccessDenied", 403)

	narrow, err := ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("narrow"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if narrow.PackedPolicySize == nil || *narrow.PackedPolicySize < 1 || *narrow.PackedPolicySize > 100 {
		t.Fatalf("PackedPolicySize %v", narrow.PackedPolicySize)
	}
	_, narrowIAM := ts.session(narrow.Credentials)
	if _, err := narrowIAM.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("session policy allows ListRoles: %v", err)
	}
	_, err = narrowIAM.ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", 403)

	_, err = ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("bad"), Policy: aws.String(`{"Statement":`)})
	wantAPIError(t, err, "MalformedPolicyDocument", 400)
	var mpd *ststypes.MalformedPolicyDocumentException
	if !errorsAs(err, &mpd) {
		t.Fatalf("not typed: %T", err)
	}

	// Deleting the role's policies takes effect on existing sessions.
	if _, err := root.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("list")}); err != nil {
		t.Fatal(err)
	}
	_, err = fullIAM.ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", 403)
}

func TestTemporaryCredentialFailures(t *testing.T) {
	var offset atomic.Int64
	ts := startServer(t, withClock(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }))
	id, secret := createUserWithKey(t, ts, "alice")
	role := mustRole(t, ts.rootIAM(), "app", trustUsers(userARN("alice")))
	// Issued by a server clock 10 minutes behind: the 15-minute session ends 5 minutes from now.
	offset.Store(int64(-10 * time.Minute))
	out, err := ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	offset.Store(0)
	c := *out.Credentials
	// Without its token.
	noToken := c
	noToken.SessionToken = nil
	s, _ := ts.session(&noToken)
	_, err = s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)
	// With a tampered token.
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(c.SessionToken))
	raw[len(raw)/2] ^= 1
	tampered := c
	tampered.SessionToken = aws.String(base64.StdEncoding.EncodeToString(raw))
	s, _ = ts.session(&tampered)
	_, err = s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)
	// Truncated, and garbage.
	for _, bad := range []string{aws.ToString(c.SessionToken)[:40], "garbage", ""} {
		t2 := c
		t2.SessionToken = aws.String(bad)
		s, _ = ts.session(&t2)
		_, err = s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantAPIError(t, err, "InvalidClientTokenId", 403)
	}
	// The token of another session with this session's key.
	other, err := ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("other")})
	if err != nil {
		t.Fatal(err)
	}
	swapped := c
	swapped.SessionToken = other.Credentials.SessionToken
	s, _ = ts.session(&swapped)
	_, err = s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)
	// Expired: the server's clock passes the expiry while the request is well inside the skew window.
	s, _ = ts.session(&c)
	if _, err = s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("still valid: %v", err)
	}
	offset.Store(int64(6 * time.Minute))
	_, err = s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken", 403)
}

func TestSessionTagsAndSourceIdentity(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	id, secret := createUserWithKey(t, ts, "alice")
	role := mustRole(t, root, "tagged", trustUsers(userARN("alice")))
	c := ts.sts(id, secret)
	tags := []ststypes.Tag{{Key: aws.String("Project"), Value: aws.String("unicorn")}}
	_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), Tags: tags})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), SourceIdentity: aws.String("alice")})
	wantAPIError(t, err, "AccessDenied", 403)

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + userARN("alice") + `"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`
	if _, err := root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("tagged"), PolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), Tags: tags, TransitiveTagKeys: []string{"Project"}, SourceIdentity: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.SourceIdentity) != "alice" || out.PackedPolicySize == nil {
		t.Fatalf("output %+v", out)
	}
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), Tags: []ststypes.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}})
	if err == nil {
		t.Fatal("reserved tag prefix accepted")
	}
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), Tags: []ststypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("A"), Value: aws.String("2")}}})
	if err == nil {
		t.Fatal("duplicate tag keys accepted")
	}
	many := make([]ststypes.Tag, 0, 50)
	for i := 0; i < 50; i++ {
		many = append(many, ststypes.Tag{Key: aws.String(fmt.Sprintf("k%02d-%s", i, strings.Repeat("k", 100))), Value: aws.String(strings.Repeat("v", 250))})
	}
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), Tags: many})
	wantAPIError(t, err, "PackedPolicyTooLarge", 400)

	// Source identity is immutable through role chaining.
	second := mustRole(t, root, "second", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+aws.ToString(role.Arn)+`"},"Action":["sts:AssumeRole","sts:SetSourceIdentity","sts:TagSession"]}]}`)
	sessSTS, _ := ts.session(out.Credentials)
	_, err = sessSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: second.Arn, RoleSessionName: aws.String("c0"), SourceIdentity: aws.String("mallory")})
	if err == nil {
		t.Fatal("source identity changed through chaining")
	}
	// An incoming transitive tag cannot be overridden.
	_, err = sessSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: second.Arn, RoleSessionName: aws.String("c0"), Tags: []ststypes.Tag{{Key: aws.String("project"), Value: aws.String("other")}}})
	if err == nil {
		t.Fatal("transitive tag overridden")
	}
	chained, err := sessSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: second.Arn, RoleSessionName: aws.String("c0")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(chained.SourceIdentity) != "alice" {
		t.Fatalf("source identity not carried: %+v", chained)
	}
}

func TestCrossAccountAssumeRole(t *testing.T) {
	ts := startServer(t)
	const other = "111111111111"
	otherID, otherSecret := ts.secondAccount(t, other)
	otherRoot := ts.iam(otherID, otherSecret)
	role := mustRole(t, otherRoot, "shared", trustUsers("arn:aws:iam::"+accountID+":root"))
	if !strings.HasPrefix(aws.ToString(role.Arn), "arn:aws:iam::"+other+":role/") {
		t.Fatalf("role in the wrong account: %s", aws.ToString(role.Arn))
	}
	id, secret := createUserWithKey(t, ts, "alice")
	_, err := ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("xx")})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = ts.rootIAM().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("cross"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::` + other + `:role/*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("xx")})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := ts.session(out.Credentials)
	who, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != other {
		t.Fatalf("cross-account session identity %+v %v", who, err)
	}
	// A role in the other account that trusts only its own account refuses alice even with her policy.
	closed := mustRole(t, otherRoot, "closed", trustUsers("arn:aws:iam::"+other+":root"))
	_, err = ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: closed.Arn, RoleSessionName: aws.String("xx")})
	wantAPIError(t, err, "AccessDenied", 403)
}

func TestGetSessionTokenAndFederationToken(t *testing.T) {
	ts := startServer(t)
	id, secret := createUserWithKey(t, ts, "alice")
	out, err := ts.sts(id, secret).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	s, sIAM := ts.session(out.Credentials)
	who, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != userARN("alice") {
		t.Fatalf("GetSessionToken identity %+v %v", who, err)
	}
	_, err = s.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = sIAM.ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)

	// Root's sessions are silently capped at one hour.
	rootOut, err := ts.rootSTS().GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(aws.ToTime(rootOut.Credentials.Expiration)); d > 61*time.Minute {
		t.Fatalf("root session lasts %v", d)
	}

	// GetFederationToken needs the permission.
	_, err = ts.sts(id, secret).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob")})
	wantAPIError(t, err, "AccessDenied", 403)
	fed, err := ts.rootSTS().GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(fed.FederatedUser.Arn) != "arn:aws:sts::"+accountID+":federated-user/bob" || aws.ToString(fed.FederatedUser.FederatedUserId) != accountID+":bob" {
		t.Fatalf("federated user %+v", fed.FederatedUser)
	}
	fs, fIAM := ts.session(fed.Credentials)
	who, err = fs.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != aws.ToString(fed.FederatedUser.Arn) {
		t.Fatalf("federated identity %+v %v", who, err)
	}
	_, err = fIAM.ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = fs.GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("again")})
	wantAPIError(t, err, "AccessDenied", 403)
}

func TestMFAProtectedRole(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	id, secret := createUserWithKey(t, ts, "alice")
	dev, err := root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-phone")})
	if err != nil {
		t.Fatal(err)
	}
	seed := string(dev.VirtualMFADevice.Base32StringSeed)
	if len(seed) < 16 || len(dev.VirtualMFADevice.QRCodePNG) == 0 || !strings.HasPrefix(string(dev.VirtualMFADevice.QRCodePNG[1:4]), "PNG") {
		t.Fatalf("device %q / %d bytes of QR", seed, len(dev.VirtualMFADevice.QRCodePNG))
	}
	code := func(at time.Time) string {
		c, err := totp.GenerateCodeCustom(seed, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	now := time.Now()
	_, err = root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: dev.VirtualMFADevice.SerialNumber, AuthenticationCode1: aws.String("000000"), AuthenticationCode2: aws.String("111111")})
	wantAPIError(t, err, "InvalidAuthenticationCode", 403)
	if _, err := root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: dev.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String(code(now.Add(-60 * time.Second))), AuthenticationCode2: aws.String(code(now.Add(-30 * time.Second)))}); err != nil {
		t.Fatal(err)
	}
	list, err := root.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("alice")})
	if err != nil || len(list.MFADevices) != 1 {
		t.Fatalf("ListMFADevices %+v %v", list, err)
	}

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + userARN("alice") + `"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
	role := mustRole(t, root, "sensitive", trust)
	c := ts.sts(id, secret)
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0")})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), SerialNumber: dev.VirtualMFADevice.SerialNumber, TokenCode: aws.String("123456")})
	wantAPIError(t, err, "AccessDenied", 403)
	good := code(time.Now())
	if _, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), SerialNumber: dev.VirtualMFADevice.SerialNumber, TokenCode: aws.String(good)}); err != nil {
		t.Fatal(err)
	}
	// A code is good once.
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), SerialNumber: dev.VirtualMFADevice.SerialNumber, TokenCode: aws.String(good)})
	wantAPIError(t, err, "AccessDenied", 403)

	_, err = root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: dev.VirtualMFADevice.SerialNumber})
	wantAPIError(t, err, "DeleteConflict", 409)
	if _, err := root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: dev.VirtualMFADevice.SerialNumber}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: dev.VirtualMFADevice.SerialNumber}); err != nil {
		t.Fatal(err)
	}
}

func TestKeyRotationKeepsOldSessions(t *testing.T) {
	var offset atomic.Int64
	ts := startServer(t, withClock(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }))
	id, secret := createUserWithKey(t, ts, "alice")
	role := mustRole(t, ts.rootIAM(), "app", trustUsers(userARN("alice")))
	before, err := ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("before")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.App.SessionKeys.Rotate(ctx, app.SessionTokenLifetime); err != nil {
		t.Fatal(err)
	}
	// A rotated key is published 35 s before it seals, so every node has it first.
	offset.Store(int64(36 * time.Second))
	after, err := ts.sts(id, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("after")})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*ststypes.Credentials{before.Credentials, after.Credentials} {
		s, _ := ts.session(c)
		if _, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
	}
	if aws.ToString(before.Credentials.SessionToken)[:8] == aws.ToString(after.Credentials.SessionToken)[:8] {
		t.Fatal("the new session was sealed with the old key")
	}
}

func TestRolesAndPoliciesThroughIAM(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ghost"), AssumeRolePolicyDocument: aws.String(trustUsers(userARN("nobody")))})
	wantAPIError(t, err, "MalformedPolicyDocument", 400)
	if !strings.Contains(err.Error(), `Invalid principal in policy: "AWS":"`+userARN("nobody")+`"`) {
		t.Fatalf("message: %v", err)
	}
	trust := trustUsers("arn:aws:iam::" + accountID + ":root")
	role := mustRole(t, root, "App", trust)
	_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust)})
	wantAPIError(t, err, "EntityAlreadyExists", 409)
	got, err := root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("APP")})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument))
	if err != nil || doc != trust || aws.ToInt32(got.Role.MaxSessionDuration) != 3600 || aws.ToString(got.Role.RoleId) != aws.ToString(role.RoleId) {
		t.Fatalf("GetRole %q %v %+v", doc, err, got.Role)
	}
	_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)})
	wantAPIError(t, err, "MalformedPolicyDocument", 400)
	_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("big"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 2100) + `","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`)})
	wantAPIError(t, err, "LimitExceeded", 409)

	pol, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	arn := pol.Policy.Arn
	if aws.ToString(arn) != "arn:aws:iam::"+accountID+":policy/p" || aws.ToString(pol.Policy.DefaultVersionId) != "v1" {
		t.Fatalf("policy %+v", pol.Policy)
	}
	_, err = root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("q"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`)})
	wantAPIError(t, err, "MalformedPolicyDocument", 400)
	for i := 2; i <= 5; i++ {
		v, err := root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`), SetAsDefault: i == 5})
		if err != nil || aws.ToString(v.PolicyVersion.VersionId) != fmt.Sprintf("v%d", i) {
			t.Fatalf("version %d: %+v %v", i, v, err)
		}
	}
	_, err = root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
	wantAPIError(t, err, "LimitExceeded", 409)
	_, err = root.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v5")})
	wantAPIError(t, err, "DeleteConflict", 409)
	pv, err := root.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v5")})
	if err != nil || !pv.PolicyVersion.IsDefaultVersion {
		t.Fatalf("v5 %+v %v", pv, err)
	}
	if _, err := root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: arn}); err != nil {
		t.Fatal(err)
	}
	att, err := root.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("app")})
	if err != nil || len(att.AttachedPolicies) != 1 {
		t.Fatalf("attached %+v %v", att, err)
	}
	ents, err := root.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: arn})
	if err != nil || len(ents.PolicyRoles) != 1 || aws.ToString(ents.PolicyRoles[0].RoleName) != "App" {
		t.Fatalf("entities %+v %v", ents, err)
	}
	_, err = root.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
	wantAPIError(t, err, "DeleteConflict", 409)
	_, err = root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")})
	wantAPIError(t, err, "DeleteConflict", 409)
	if _, err := root.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	_, err = root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	wantAPIError(t, err, "NoSuchEntity", 404)
}

// AssumeRole's model sets no length on Policy, so STS itself refuses a longer plaintext: as a
// packing failure once the document parsed, as a malformed document before that. The federated
// operations' models bound it, and their ValidationError comes first.
func TestAssumeRoleLongInlineSessionPolicy(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	id, secret := createUserWithKey(t, ts, "alice")
	role := mustRole(t, root, "r", trustUsers(userARN("alice")))
	c := ts.sts(id, secret)
	long := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("a", 2100) + `"}]}`
	_, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), Policy: aws.String(long)})
	wantAPIError(t, err, "PackedPolicyTooLarge", 400)
	malformed := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + strings.Repeat("a", 2100) + `"`
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), Policy: aws.String(malformed)})
	wantAPIError(t, err, "MalformedPolicyDocument", 400)
	short := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	if _, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s0"), Policy: aws.String(short)}); err != nil {
		t.Fatal(err)
	}
}

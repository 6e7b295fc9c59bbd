package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/quicksight"
	qstypes "github.com/aws/aws-sdk-go-v2/service/quicksight/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/latchkey/latchkey/internal/principal"
	lkqs "github.com/latchkey/latchkey/internal/quicksight"
	"github.com/latchkey/latchkey/internal/token"
)

const qsProvider = "arn:aws:iam::aws:contextProvider/QuickSight"

func trustWithContext(arn string, actions ...string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":%q},"Action":["%s"]}]}`, arn, strings.Join(actions, `","`))
}

func registerQS(t *testing.T, q *quicksight.Client, in *quicksight.RegisterUserInput) *qstypes.User {
	t.Helper()
	if in.AwsAccountId == nil {
		in.AwsAccountId = aws.String(accountID)
	}
	if in.Namespace == nil {
		in.Namespace = aws.String("default")
	}
	out, err := q.RegisterUser(ctx, in)
	if err != nil {
		t.Fatalf("RegisterUser: %v", err)
	}
	if out.Status != 201 || aws.ToString(out.RequestId) == "" {
		t.Fatalf("RegisterUser status %d request id %q", out.Status, aws.ToString(out.RequestId))
	}
	return out.User
}

func identityContext(t *testing.T, q *quicksight.Client, in *quicksight.GetIdentityContextInput) string {
	t.Helper()
	in.AwsAccountId = aws.String(accountID)
	out, err := q.GetIdentityContext(ctx, in)
	if err != nil {
		t.Fatalf("GetIdentityContext: %v", err)
	}
	c := aws.ToString(out.Context)
	if aws.ToInt32(out.Status) != 200 || aws.ToString(out.RequestId) == "" || c == "" || len(c) > 2048 {
		t.Fatalf("GetIdentityContext: status %d, request id %q, context of %d characters", aws.ToInt32(out.Status), aws.ToString(out.RequestId), len(c))
	}
	return c
}

func assumeWithContext(ts *testServer, client *sts.Client, roleARN, provider, assertion string) (*sts.AssumeRoleOutput, error) {
	return client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("reporting"),
		ProvidedContexts: []ststypes.ProvidedContext{{ProviderArn: aws.String(provider), ContextAssertion: aws.String(assertion)}}})
}

// The seed path: register a user, get its identity context, assume a role with it, and use the
// identity-enhanced credentials.
func TestQuickSightIdentityEnhancedSession(t *testing.T) {
	ts := startServer(t)
	q := ts.quicksight(rootKeyID, rootSecret)
	root := ts.rootIAM()
	aliceID, aliceSecret := createUserWithKey(t, ts, "alice")
	aliceARN := "arn:aws:iam::" + accountID + ":user/alice"
	alice := ts.sts(aliceID, aliceSecret)
	enhanced := mustRole(t, root, "reports", trustWithContext(aliceARN, "sts:AssumeRole", "sts:SetContext"))
	plain := mustRole(t, root, "plain", trustWithContext(aliceARN, "sts:AssumeRole"))

	iamUser := registerQS(t, q, &quicksight.RegisterUserInput{IdentityType: qstypes.IdentityTypeIam, IamArn: aws.String(aliceARN),
		Email: aws.String("alice@example.com"), UserRole: qstypes.UserRoleReader})
	if aws.ToString(iamUser.UserName) != "alice" || !strings.HasPrefix(aws.ToString(iamUser.PrincipalId), "federated/iam/AIDA") ||
		aws.ToString(iamUser.Arn) != "arn:aws:quicksight:us-east-1:"+accountID+":user/default/alice" || !iamUser.Active {
		t.Fatalf("IAM user: %+v", iamUser)
	}
	roleUser := registerQS(t, q, &quicksight.RegisterUserInput{IdentityType: qstypes.IdentityTypeIam, IamArn: enhanced.Arn,
		SessionName: aws.String("carol"), Email: aws.String("carol@example.com"), UserRole: qstypes.UserRoleAuthor})
	if aws.ToString(roleUser.UserName) != "reports/carol" || !strings.HasPrefix(aws.ToString(roleUser.PrincipalId), "federated/iam/AROA") ||
		!strings.HasSuffix(aws.ToString(roleUser.Arn), ":user/default/reports/carol") {
		t.Fatalf("role user: %+v", roleUser)
	}
	bob := registerQS(t, q, &quicksight.RegisterUserInput{IdentityType: qstypes.IdentityTypeQuicksight, UserName: aws.String("bob"),
		Email: aws.String("bob@example.com"), UserRole: qstypes.UserRoleReader})
	if bob.Active || aws.ToString(bob.PrincipalId) == "" {
		t.Fatalf("QuickSight user: %+v", bob)
	}
	// A role user's name travels URL-encoded in the path.
	d, err := q.DescribeUser(ctx, &quicksight.DescribeUserInput{AwsAccountId: aws.String(accountID), Namespace: aws.String("default"), UserName: aws.String("reports/carol")})
	if err != nil || d.Status != 200 || aws.ToString(d.User.PrincipalId) != aws.ToString(roleUser.PrincipalId) {
		t.Fatalf("DescribeUser of a role user: %v %+v", err, d)
	}

	// The three identifier forms.
	byName := identityContext(t, q, &quicksight.GetIdentityContextInput{Namespace: aws.String("default"),
		UserIdentifier: &qstypes.UserIdentifierMemberUserName{Value: "bob"}})
	byEmail := identityContext(t, q, &quicksight.GetIdentityContextInput{Namespace: aws.String("default"),
		UserIdentifier: &qstypes.UserIdentifierMemberEmail{Value: "alice@example.com"}})
	byARN := identityContext(t, q, &quicksight.GetIdentityContextInput{
		UserIdentifier:   &qstypes.UserIdentifierMemberUserArn{Value: aws.ToString(roleUser.Arn)},
		SessionExpiresAt: aws.Time(time.Now().Add(time.Hour)), ContextRegion: aws.String("eu-west-1")})

	for _, tc := range []struct {
		assertion, userARN, region string
	}{{byName, aws.ToString(bob.Arn), "us-east-1"}, {byEmail, aws.ToString(iamUser.Arn), "us-east-1"}, {byARN, aws.ToString(roleUser.Arn), "eu-west-1"}} {
		out, err := assumeWithContext(ts, alice, aws.ToString(enhanced.Arn), qsProvider, tc.assertion)
		if err != nil {
			t.Fatalf("AssumeRole with the context of %s: %v", tc.userARN, err)
		}
		s, _ := ts.session(out.Credentials)
		who, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil || !strings.HasSuffix(aws.ToString(who.Arn), ":assumed-role/reports/reporting") {
			t.Fatalf("GetCallerIdentity with identity-enhanced credentials: %v %+v", err, who)
		}
		// The sealed session token carries the identity context.
		p, _, err := (&token.Sealer{Ring: ts.App.SessionKeys}).Open(ctx, aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SessionToken))
		if err != nil {
			t.Fatal(err)
		}
		ic := p.IdentityContext
		if ic == nil || ic.UserARN != tc.userARN || ic.AccountID != accountID || ic.Namespace != "default" || ic.Region != tc.region || ic.Provider != qsProvider {
			t.Fatalf("session identity context = %+v, want user %s in %s", ic, tc.userARN, tc.region)
		}
	}

	// Without sts:SetContext in the trust policy the context is refused; without a context the
	// role is still assumable.
	_, err = assumeWithContext(ts, alice, aws.ToString(plain.Arn), qsProvider, byName)
	wantAPIError(t, err, "AccessDenied", 403)
	if _, err := alice.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: plain.Arn, RoleSessionName: aws.String("xx")}); err != nil {
		t.Fatal(err)
	}

	// Other providers are refused plainly.
	_, err = assumeWithContext(ts, alice, aws.ToString(enhanced.Arn), "arn:aws:iam::aws:contextProvider/IdentityCenter", byName)
	wantAPIError(t, err, "ValidationError", 400)
	var ae interface{ ErrorMessage() string }
	if !errors.As(err, &ae) || !strings.Contains(ae.ErrorMessage(), qsProvider) {
		t.Fatalf("unsupported provider message: %v", err)
	}

	// Tampered: one character of the payload changed.
	parts := strings.Split(byName, ".")
	payload := []byte(parts[1])
	payload[10] ^= 1
	if payload[10] == '.' || payload[10] == '=' {
		payload[10] = 'A'
	}
	tampered := parts[0] + "." + string(payload) + "." + parts[2]
	_, err = assumeWithContext(ts, alice, aws.ToString(enhanced.Arn), qsProvider, tampered)
	wantAPIError(t, err, "ValidationError", 400)
	_, err = assumeWithContext(ts, alice, aws.ToString(enhanced.Arn), qsProvider, byName[:len(byName)-4]+"AAAA")
	wantAPIError(t, err, "ValidationError", 400)

	sign := func(ic principal.IdentityContext, typ string) string { return signContext(t, ts, ic, typ) }
	good := principal.IdentityContext{AccountID: accountID, Namespace: "default", UserARN: aws.ToString(bob.Arn), PrincipalID: aws.ToString(bob.PrincipalId), Region: "us-east-1", Expires: time.Now().Add(time.Minute)}
	if _, err := assumeWithContext(ts, alice, aws.ToString(enhanced.Arn), qsProvider, sign(good, "")); err != nil {
		t.Fatalf("a well-formed context: %v", err)
	}
	expired := good
	expired.Expires = time.Now().Add(-time.Minute)
	_, err = assumeWithContext(ts, alice, aws.ToString(enhanced.Arn), qsProvider, sign(expired, ""))
	wantAPIError(t, err, "ExpiredTokenException", 400)
	foreign := good
	foreign.AccountID = "111111111111"
	foreign.UserARN = "arn:aws:quicksight:us-east-1:111111111111:user/default/bob"
	_, err = assumeWithContext(ts, alice, aws.ToString(enhanced.Arn), qsProvider, sign(foreign, ""))
	wantAPIError(t, err, "AccessDenied", 403)
	// Another token of the same issuer is not a context.
	_, err = assumeWithContext(ts, alice, aws.ToString(enhanced.Arn), qsProvider, sign(good, "JWT"))
	wantAPIError(t, err, "ValidationError", 400)
}

// signContext signs an identity context with the server's issuer, as GetIdentityContext does;
// a typ other than "" replaces the context's type marker.
func signContext(t *testing.T, ts *testServer, ic principal.IdentityContext, typ string) string {
	t.Helper()
	claims := lkqs.ContextClaims(ic, time.Now(), "test")
	if typ != "" {
		claims["typ"] = typ
	}
	tok, err := ts.App.Issuer.Sign(ctx, "ES384", claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestQuickSightUserRegistry(t *testing.T) {
	ts := startServer(t)
	q := ts.quicksight(rootKeyID, rootSecret)
	acct := aws.String(accountID)
	def := aws.String("default")

	// Pagination of ListUsers.
	for i := range 5 {
		registerQS(t, q, &quicksight.RegisterUserInput{IdentityType: qstypes.IdentityTypeQuicksight, UserName: aws.String(fmt.Sprintf("user%d", i)),
			Email: aws.String(fmt.Sprintf("u%d@example.com", i)), UserRole: qstypes.UserRoleReader})
	}
	var names []string
	pages := 0
	p := quicksight.NewListUsersPaginator(q, &quicksight.ListUsersInput{AwsAccountId: acct, Namespace: def, MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.UserList) > 2 || out.Status != 200 {
			t.Fatalf("page of %d users, status %d", len(out.UserList), out.Status)
		}
		for _, u := range out.UserList {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	if pages != 3 || strings.Join(names, ",") != "user0,user1,user2,user3,user4" {
		t.Fatalf("%d pages: %v", pages, names)
	}
	_, err := q.ListUsers(ctx, &quicksight.ListUsersInput{AwsAccountId: acct, Namespace: def, NextToken: aws.String("bogus")})
	wantAPIError(t, err, "InvalidNextTokenException", 400)
	_, err = q.ListUsers(ctx, &quicksight.ListUsersInput{AwsAccountId: acct, Namespace: def, MaxResults: aws.Int32(101)})
	wantAPIError(t, err, "InvalidParameterValueException", 400)

	// ResourceExistsException and ResourceNotFoundException.
	_, err = q.RegisterUser(ctx, &quicksight.RegisterUserInput{AwsAccountId: acct, Namespace: def, IdentityType: qstypes.IdentityTypeQuicksight,
		UserName: aws.String("user0"), Email: aws.String("x@example.com"), UserRole: qstypes.UserRoleReader})
	wantAPIError(t, err, "ResourceExistsException", 409)
	_, err = q.DescribeUser(ctx, &quicksight.DescribeUserInput{AwsAccountId: acct, Namespace: def, UserName: aws.String("nobody")})
	wantAPIError(t, err, "ResourceNotFoundException", 404)
	var rnf *qstypes.ResourceNotFoundException
	if !errors.As(err, &rnf) || rnf.ResourceType != qstypes.ExceptionResourceTypeUser {
		t.Fatalf("ResourceType: %v", err)
	}
	_, err = q.ListUsers(ctx, &quicksight.ListUsersInput{AwsAccountId: acct, Namespace: aws.String("nowhere")})
	wantAPIError(t, err, "ResourceNotFoundException", 404)

	// InvalidParameterValueException.
	_, err = q.RegisterUser(ctx, &quicksight.RegisterUserInput{AwsAccountId: acct, Namespace: def, IdentityType: qstypes.IdentityTypeIamIdentityCenter,
		Email: aws.String("x@example.com"), UserRole: qstypes.UserRoleReader})
	wantAPIError(t, err, "InvalidParameterValueException", 400)
	_, err = q.RegisterUser(ctx, &quicksight.RegisterUserInput{AwsAccountId: acct, Namespace: def, IdentityType: qstypes.IdentityTypeIam,
		IamArn: aws.String("arn:aws:iam::" + accountID + ":user/ghost"), Email: aws.String("x@example.com"), UserRole: qstypes.UserRoleReader})
	wantAPIError(t, err, "InvalidParameterValueException", 400)
	_, err = q.GetIdentityContext(ctx, &quicksight.GetIdentityContextInput{AwsAccountId: acct, UserIdentifier: &qstypes.UserIdentifierMemberUserName{Value: "user0"}})
	wantAPIError(t, err, "InvalidParameterValueException", 400)
	_, err = q.GetIdentityContext(ctx, &quicksight.GetIdentityContextInput{AwsAccountId: acct, Namespace: def,
		UserIdentifier: &qstypes.UserIdentifierMemberUserName{Value: "user0"}, SessionExpiresAt: aws.Time(time.Now().Add(-time.Minute))})
	wantAPIError(t, err, "InvalidParameterValueException", 400)
	_, err = q.GetIdentityContext(ctx, &quicksight.GetIdentityContextInput{AwsAccountId: acct, Namespace: def,
		UserIdentifier: &qstypes.UserIdentifierMemberUserName{Value: "user0"}, SessionExpiresAt: aws.Time(time.Now().Add(13 * time.Hour))})
	wantAPIError(t, err, "InvalidParameterValueException", 400)
	_, err = q.GetIdentityContext(ctx, &quicksight.GetIdentityContextInput{AwsAccountId: acct, Namespace: def,
		UserIdentifier: &qstypes.UserIdentifierMemberUserName{Value: "user0"}, ContextRegion: aws.String("cn-north-1")})
	wantAPIError(t, err, "InvalidParameterValueException", 400)
	_, err = q.GetIdentityContext(ctx, &quicksight.GetIdentityContextInput{AwsAccountId: acct, Namespace: def,
		UserIdentifier: &qstypes.UserIdentifierMemberEmail{Value: "nobody@example.com"}})
	wantAPIError(t, err, "ResourceNotFoundException", 404)
	// Two members of the union (raw clients only; the SDK cannot send this).
	status, body := signedQuickSight(t, ts, "POST", "/accounts/"+accountID+"/identity-context",
		`{"UserIdentifier":{"UserName":"user0","Email":"u0@example.com"},"Namespace":"default"}`)
	if status != 400 || !strings.Contains(body, "Exactly one member") {
		t.Fatalf("two union members: %d %s", status, body)
	}

	// PreconditionNotMetException: the IAM identity behind a user is gone.
	root := ts.rootIAM()
	gone := mustRole(t, root, "gone", trustUsers("arn:aws:iam::"+accountID+":root"))
	registerQS(t, q, &quicksight.RegisterUserInput{IdentityType: qstypes.IdentityTypeIam, IamArn: gone.Arn, Email: aws.String("g@example.com"), UserRole: qstypes.UserRoleReader})
	if _, err := root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("gone")}); err != nil {
		t.Fatal(err)
	}
	_, err = q.GetIdentityContext(ctx, &quicksight.GetIdentityContextInput{AwsAccountId: acct, Namespace: def, UserIdentifier: &qstypes.UserIdentifierMemberUserName{Value: "gone"}})
	wantAPIError(t, err, "PreconditionNotMetException", 400)

	// AccessDeniedException: no policy, or another account in the path.
	aliceID, aliceSecret := createUserWithKey(t, ts, "alice")
	alice := ts.quicksight(aliceID, aliceSecret)
	_, err = alice.DescribeUser(ctx, &quicksight.DescribeUserInput{AwsAccountId: acct, Namespace: def, UserName: aws.String("user0")})
	wantAPIError(t, err, "AccessDeniedException", 401)
	var ade *qstypes.AccessDeniedException
	if !errors.As(err, &ade) || !strings.Contains(aws.ToString(ade.Message), "is not authorized to perform: quicksight:DescribeUser on resource: arn:aws:quicksight:us-east-1:"+accountID+":user/default/user0") {
		t.Fatalf("denial message: %v", err)
	}
	if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("qs"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["quicksight:DescribeUser","quicksight:GetIdentityContext"],"Resource":"arn:aws:quicksight:*:*:user/default/user0"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.DescribeUser(ctx, &quicksight.DescribeUserInput{AwsAccountId: acct, Namespace: def, UserName: aws.String("user0")}); err != nil {
		t.Fatalf("allowed DescribeUser: %v", err)
	}
	identityContext(t, alice, &quicksight.GetIdentityContextInput{Namespace: def, UserIdentifier: &qstypes.UserIdentifierMemberEmail{Value: "u0@example.com"}})
	_, err = alice.GetIdentityContext(ctx, &quicksight.GetIdentityContextInput{AwsAccountId: acct, Namespace: def, UserIdentifier: &qstypes.UserIdentifierMemberUserName{Value: "user1"}})
	wantAPIError(t, err, "AccessDeniedException", 401)
	_, err = alice.DescribeUser(ctx, &quicksight.DescribeUserInput{AwsAccountId: aws.String("111111111111"), Namespace: def, UserName: aws.String("user0")})
	wantAPIError(t, err, "AccessDeniedException", 401)
	_, err = q.ListUsers(ctx, &quicksight.ListUsersInput{AwsAccountId: aws.String("111111111111"), Namespace: def})
	wantAPIError(t, err, "AccessDeniedException", 401)

	// UpdateUser, DeleteUser and DeleteUserByPrincipalId.
	up, err := q.UpdateUser(ctx, &quicksight.UpdateUserInput{AwsAccountId: acct, Namespace: def, UserName: aws.String("user1"),
		Email: aws.String("new@example.com"), Role: qstypes.UserRoleAdmin, CustomPermissionsName: aws.String("perm")})
	if err != nil || aws.ToString(up.User.Email) != "new@example.com" || up.User.Role != qstypes.UserRoleAdmin || aws.ToString(up.User.CustomPermissionsName) != "perm" {
		t.Fatalf("UpdateUser: %v %+v", err, up)
	}
	if _, err := q.DeleteUser(ctx, &quicksight.DeleteUserInput{AwsAccountId: acct, Namespace: def, UserName: aws.String("user1")}); err != nil {
		t.Fatal(err)
	}
	_, err = q.DeleteUser(ctx, &quicksight.DeleteUserInput{AwsAccountId: acct, Namespace: def, UserName: aws.String("user1")})
	wantAPIError(t, err, "ResourceNotFoundException", 404)
	d, err := q.DescribeUser(ctx, &quicksight.DescribeUserInput{AwsAccountId: acct, Namespace: def, UserName: aws.String("user2")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.DeleteUserByPrincipalId(ctx, &quicksight.DeleteUserByPrincipalIdInput{AwsAccountId: acct, Namespace: def, PrincipalId: d.User.PrincipalId}); err != nil {
		t.Fatal(err)
	}
	_, err = q.DeleteUserByPrincipalId(ctx, &quicksight.DeleteUserByPrincipalIdInput{AwsAccountId: acct, Namespace: def, PrincipalId: d.User.PrincipalId})
	wantAPIError(t, err, "ResourceNotFoundException", 404)

	// Namespaces.
	cn, err := q.CreateNamespace(ctx, &quicksight.CreateNamespaceInput{AwsAccountId: acct, Namespace: aws.String("sales"), IdentityStore: qstypes.IdentityStoreQuicksight})
	if err != nil || aws.ToString(cn.Arn) != "arn:aws:quicksight:us-east-1:"+accountID+":namespace/sales" || cn.CreationStatus != qstypes.NamespaceStatusCreated {
		t.Fatalf("CreateNamespace: %v %+v", err, cn)
	}
	_, err = q.CreateNamespace(ctx, &quicksight.CreateNamespaceInput{AwsAccountId: acct, Namespace: aws.String("sales"), IdentityStore: qstypes.IdentityStoreQuicksight})
	wantAPIError(t, err, "ResourceExistsException", 409)
	_, err = q.CreateNamespace(ctx, &quicksight.CreateNamespaceInput{AwsAccountId: acct, Namespace: def, IdentityStore: qstypes.IdentityStoreQuicksight})
	wantAPIError(t, err, "ResourceExistsException", 409)
	if _, err := q.CreateNamespace(ctx, &quicksight.CreateNamespaceInput{AwsAccountId: acct, Namespace: aws.String("alpha"), IdentityStore: qstypes.IdentityStoreQuicksight}); err != nil {
		t.Fatal(err)
	}
	dn, err := q.DescribeNamespace(ctx, &quicksight.DescribeNamespaceInput{AwsAccountId: acct, Namespace: def})
	if err != nil || aws.ToString(dn.Namespace.Name) != "default" {
		t.Fatalf("DescribeNamespace default: %v", err)
	}
	var nss []string
	np := quicksight.NewListNamespacesPaginator(q, &quicksight.ListNamespacesInput{AwsAccountId: acct, MaxResults: aws.Int32(1)})
	for np.HasMorePages() {
		out, err := np.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range out.Namespaces {
			nss = append(nss, aws.ToString(n.Name))
		}
	}
	if strings.Join(nss, ",") != "alpha,default,sales" {
		t.Fatalf("namespaces: %v", nss)
	}
	registerQS(t, q, &quicksight.RegisterUserInput{Namespace: aws.String("sales"), IdentityType: qstypes.IdentityTypeQuicksight, UserName: aws.String("s1"),
		Email: aws.String("s1@example.com"), UserRole: qstypes.UserRoleReader})
	if _, err := q.DeleteNamespace(ctx, &quicksight.DeleteNamespaceInput{AwsAccountId: acct, Namespace: aws.String("sales")}); err != nil {
		t.Fatal(err)
	}
	_, err = q.DescribeNamespace(ctx, &quicksight.DescribeNamespaceInput{AwsAccountId: acct, Namespace: aws.String("sales")})
	wantAPIError(t, err, "ResourceNotFoundException", 404)
	_, err = q.DeleteNamespace(ctx, &quicksight.DeleteNamespaceInput{AwsAccountId: acct, Namespace: def})
	wantAPIError(t, err, "InvalidParameterValueException", 400)
}

// signedQuickSight sends a raw root-signed QuickSight request.
func signedQuickSight(t *testing.T, ts *testServer, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret}, req, hex.EncodeToString(sum[:]), "quicksight", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	status, b := doRaw(t, req)
	return status, string(b)
}

package integration

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// BenchmarkGetCallerIdentityHandler measures the server's own cost of a signed GetCallerIdentity:
// routing, SigV4 verification, the cached key lookup and the XML response, without the network.
func BenchmarkGetCallerIdentityHandler(b *testing.B) {
	ts := startServer(b)
	root := aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret}
	benchHot(b, ts, signedForm(b, ts, root, formRequest("GetCallerIdentity")))
}

// BenchmarkGetCallerIdentitySDK is the full round trip a user sees: SDK signing, loopback HTTP and the server.
func BenchmarkGetCallerIdentitySDK(b *testing.B) {
	ts := startServer(b)
	c := ts.rootSTS()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			b.Fatal(err)
		}
	}
}

// userAndRole creates a user with an access key and a role trusting the user; it returns the
// key and the role's ARN.
func userAndRole(b *testing.B, ts *testServer) (aws.Credentials, string) {
	root := ts.rootIAM()
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		b.Fatal(err)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		b.Fatal(err)
	}
	role, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trustUsers(userARN("alice")))})
	if err != nil {
		b.Fatal(err)
	}
	return aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}, aws.ToString(role.Role.Arn)
}

// BenchmarkAssumeRoleSDK is AssumeRole end to end: SDK signing, SigV4 verification, trust and
// identity evaluation, sealing the session token, and the XML response.
func BenchmarkAssumeRoleSDK(b *testing.B) {
	ts := startServer(b)
	key, role := userAndRole(b, ts)
	c := ts.sts(key.AccessKeyID, key.SecretAccessKey)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("bench")}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionGetCallerIdentityHandler measures a request signed with temporary credentials
// (session token in the X-Amz-Security-Token header): the session token is opened and verified
// without any store read.
func BenchmarkSessionGetCallerIdentityHandler(b *testing.B) {
	ts := startServer(b)
	benchHot(b, ts, signedForm(b, ts, sessionCredentials(b, ts), formRequest("GetCallerIdentity")))
}

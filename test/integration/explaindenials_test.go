package integration

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

func withExplainDenials(c *config.Config, _ *app.Options) { c.ExplainDenials = true }

func apiMessage(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorMessage()
}

// TestExplainDenialsDevelopmentMode: with LATCHKEY_EXPLAIN_DENIALS a web identity refused by the
// trust policy's sub condition says which condition and values decided; without it the message
// is exactly AWS's.
func TestExplainDenialsDevelopmentMode(t *testing.T) {
	const aws403 = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
	for _, dev := range []bool{false, true} {
		var opts []serverOption
		if dev {
			opts = append(opts, withExplainDenials)
		}
		ts := startServer(t, opts...)
		p := startIdP(t, ts, "")
		_, err := ts.anonSTS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(p.role), RoleSessionName: aws.String("gha-1"),
			WebIdentityToken: aws.String(p.token(t, jwt.MapClaims{"sub": "repo:other/app:ref:refs/heads/main"}))})
		wantAPIError(t, err, "AccessDenied", 403)
		msg := apiMessage(t, err)
		want := aws403
		if dev {
			want += ` (Latchkey: trust policy of ` + p.role + ` statement 0: StringLike ` + p.prefix + `:sub expects ["repo:acme/*"], request has "repo:other/app:ref:refs/heads/main")`
		}
		if msg != want {
			t.Fatalf("dev=%v message\n%q\nwant\n%q", dev, msg, want)
		}
	}
}

// TestExplainDenialsMalformedPolicy: in development mode IAM's MalformedPolicyDocument names the
// statement and the unknown operator after AWS's message.
func TestExplainDenialsMalformedPolicy(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Team","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:PrincipalTag/team":"blue"}}}]}`
	for _, dev := range []bool{false, true} {
		var opts []serverOption
		if dev {
			opts = append(opts, withExplainDenials)
		}
		ts := startServer(t, opts...)
		root := ts.rootIAM()
		if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
			t.Fatal(err)
		}
		_, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
		wantAPIError(t, err, "MalformedPolicyDocument", 400)
		want := "Syntax errors in policy."
		if dev {
			want += ` (Latchkey: statement 0 (Sid "Team") Condition: unknown condition operator StringEqualz)`
		}
		if msg := apiMessage(t, err); msg != want || (!dev && strings.Contains(msg, "Latchkey")) {
			t.Fatalf("dev=%v message %q, want %q", dev, msg, want)
		}
	}
}

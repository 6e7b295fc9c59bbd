package integration

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// A refusal by another account's trust policy tells the caller nothing of that policy: not in the
// decision its account can read through the admin API, not in development mode's message. AWS
// tells a caller of another account nothing about a resource's policies.
func TestCrossAccountRefusalHidesTheResourcePolicy(t *testing.T) {
	ts := startServer(t, withExplainDenials)
	const secretValue = "team-only-A-knows-this"
	trust := `{"Version":"2012-10-17","Statement":[{"Sid":"PrivateSid","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},` +
		`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalTag/team":"` + secretValue + `"}}}]}`
	role := mustRole(t, ts.rootIAM(), "private-role", trust)
	otherID, otherSecret := ts.secondAccount(t, "210987654321")
	biam := ts.iam(otherID, otherSecret)
	if _, err := biam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")}); err != nil {
		t.Fatal(err)
	}
	if _, err := biam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("mallory"), PolicyName: aws.String("all"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	k, err := biam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("mallory")})
	if err != nil {
		t.Fatal(err)
	}
	mID, mSecret := aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
	_, err = ts.sts(mID, mSecret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("xx")})
	wantAPIError(t, err, "AccessDenied", 403)
	if strings.Contains(err.Error(), secretValue) || strings.Contains(err.Error(), "PrivateSid") {
		t.Fatalf("development mode shows another account's trust policy: %v", err)
	}
	if !strings.Contains(err.Error(), "(Latchkey: ") {
		t.Fatalf("development mode gave no summary: %v", err)
	}
	msg := err.Error()
	enc := msg[strings.Index(msg, "Encoded authorization failure message: ")+len("Encoded authorization failure message: "):]
	enc = strings.TrimSpace(enc[:strings.Index(enc, " (Latchkey: ")])
	dec, derr := ts.sts(mID, mSecret).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(enc)})
	if derr != nil {
		t.Fatal(derr)
	}
	if d := aws.ToString(dec.DecodedMessage); strings.Contains(d, secretValue) || strings.Contains(d, "PrivateSid") {
		t.Fatalf("the decoded authorization message shows another account's trust policy: %s", d)
	}
	status, body := adminGet(t, ts, mID, mSecret, "/latchkey/v1/decisions/"+requestID(t, err))
	raw, _ := json.Marshal(body)
	if status != 200 {
		t.Fatalf("the caller's account cannot read its own refusal: %d %s", status, raw)
	}
	if strings.Contains(string(raw), secretValue) || strings.Contains(string(raw), "PrivateSid") {
		t.Fatalf("account B reads account A's trust policy through the decision store: %s", raw)
	}
}

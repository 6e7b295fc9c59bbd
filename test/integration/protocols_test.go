package integration

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/quicksight"
	qstypes "github.com/aws/aws-sdk-go-v2/service/quicksight/types"
)

func (ts *testServer) cognito(keyID, secret string) *cognitoidentity.Client {
	return cognitoidentity.NewFromConfig(ts.awsConfig(keyID, secret, ""), func(o *cognitoidentity.Options) { o.BaseEndpoint = aws.String(ts.URL) })
}

func (ts *testServer) quicksight(keyID, secret string) *quicksight.Client {
	return quicksight.NewFromConfig(ts.awsConfig(keyID, secret, ""), func(o *quicksight.Options) { o.BaseEndpoint = aws.String(ts.URL) })
}

// The JSON and REST front ends authenticate, decode and validate before any operation runs;
// QuickSight labels arrive percent-decoded (a "/" in a user name included).
func TestCognitoFrontEnd(t *testing.T) {
	ts := startServer(t)
	c := ts.cognito(rootKeyID, rootSecret)
	if _, err := c.ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(10)}); err != nil {
		t.Fatal(err)
	}
	_, err := c.ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(61)})
	wantAPIError(t, err, "ValidationException", 400)
	if !strings.Contains(err.Error(), "Member must have value less than or equal to 60") {
		t.Fatalf("message: %v", err)
	}
	_, err = ts.cognito("AKIAUNKNOWNKEY000000", rootSecret).ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(10)})
	wantAPIError(t, err, "UnrecognizedClientException", 400)
	_, err = ts.cognito(rootKeyID, "wrong-secret-wrong-secret-wrong-secret00").ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(10)})
	wantAPIError(t, err, "InvalidSignatureException", 400)

	// GetId is unsigned: no credentials needed to reach validation.
	anon := cognitoidentity.NewFromConfig(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1}, func(o *cognitoidentity.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	_, err = anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String("not a pool id")})
	wantAPIError(t, err, "ValidationException", 400)
	_, err = anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String("us-east-1:11111111-2222-3333-4444-555555555555")})
	wantAPIError(t, err, "ResourceNotFoundException", 400)
	_, err = anon.ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(10)})
	wantAPIError(t, err, "MissingAuthenticationTokenException", 403)

	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.Frobnicate")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	status, body := doRaw(t, req)
	if status != 400 || !strings.Contains(string(body), `"__type":"UnknownOperationException"`) {
		t.Fatalf("unknown target: %d %s", status, body)
	}
	req, _ = http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader(`{"IdentityPoolId": [`))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.GetId")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	status, body = doRaw(t, req)
	if status != 400 || !strings.Contains(string(body), "SerializationException") {
		t.Fatalf("malformed JSON: %d %s", status, body)
	}
}

func TestQuickSightFrontEnd(t *testing.T) {
	ts := startServer(t)
	q := ts.quicksight(rootKeyID, rootSecret)
	_, err := q.DescribeUser(ctx, &quicksight.DescribeUserInput{AwsAccountId: aws.String(accountID), Namespace: aws.String("default"), UserName: aws.String("alice/x y")})
	wantAPIError(t, err, "ResourceNotFoundException", 404)
	if !strings.Contains(err.Error(), "user/default/alice/x y") {
		t.Fatalf("the label was not decoded: %v", err)
	}
	_, err = q.ListUsers(ctx, &quicksight.ListUsersInput{AwsAccountId: aws.String(accountID), Namespace: aws.String("bad namespace!")})
	wantAPIError(t, err, "InvalidParameterValueException", 400)
	var ipv *qstypes.InvalidParameterValueException
	if !errorsAs(err, &ipv) {
		t.Fatalf("not typed: %T", err)
	}
	_, err = ts.quicksight("AKIAUNKNOWNKEY000000", rootSecret).DescribeUser(ctx, &quicksight.DescribeUserInput{AwsAccountId: aws.String(accountID), Namespace: aws.String("default"), UserName: aws.String("a")})
	wantAPIError(t, err, "UnrecognizedClientException", 403)

	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/accounts/"+accountID+"/nowhere", nil)
	status, body := doRaw(t, req)
	if status != 404 || !strings.Contains(string(body), "Message") {
		t.Fatalf("unknown path: %d %s", status, body)
	}
}

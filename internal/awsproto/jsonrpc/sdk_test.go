package jsonrpc_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/smithy-go"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/awsproto/jsonrpc"
)

const requestID = "c6104cbe-af31-11e0-8154-cbc7ccf896c7"

// fake is a Cognito endpoint built from the codec alone: it records what it decoded and answers
// with whatever the test's reply function returns.
type fake struct {
	t     *testing.T
	svc   *awsmodel.Service
	reply func(op string, in map[string]any) (map[string]any, *awserr.Error)

	mu     sync.Mutex
	op     string
	in     map[string]any
	header http.Header
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, aerr := jsonrpc.Operation(f.svc, r.Header.Get("X-Amz-Target"))
	if aerr != nil {
		jsonrpc.WriteError(w, aerr, requestID)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("reading body: %v", err)
	}
	in, err := jsonrpc.Decode(op.Input, body)
	if err != nil {
		ae, _ := awserr.As(err)
		jsonrpc.WriteError(w, ae, requestID)
		return
	}
	f.mu.Lock()
	f.op, f.in, f.header = op.Name, in, r.Header.Clone()
	f.mu.Unlock()
	out, aerr := f.reply(op.Name, in)
	if aerr != nil {
		jsonrpc.WriteError(w, aerr, requestID)
		return
	}
	jsonrpc.WriteResponse(w, op.Output, out, requestID)
}

func (f *fake) last() (string, map[string]any, http.Header) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.op, f.in, f.header
}

func newClient(t *testing.T, reply func(string, map[string]any) (map[string]any, *awserr.Error)) (*cognitoidentity.Client, *fake) {
	t.Helper()
	f := &fake{t: t, svc: awsmodel.MustLoad("cognito-identity"), reply: reply}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "secret", ""),
	}
	client := cognitoidentity.NewFromConfig(cfg, func(o *cognitoidentity.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
	return client, f
}

func fixed(out map[string]any) func(string, map[string]any) (map[string]any, *awserr.Error) {
	return func(string, map[string]any) (map[string]any, *awserr.Error) { return out, nil }
}

func failing(e *awserr.Error) func(string, map[string]any) (map[string]any, *awserr.Error) {
	return func(string, map[string]any) (map[string]any, *awserr.Error) { return nil, e }
}

func TestSDKGetId(t *testing.T) {
	client, f := newClient(t, fixed(map[string]any{"IdentityId": "eu-west-1:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}))
	out, err := client.GetId(context.Background(), &cognitoidentity.GetIdInput{
		IdentityPoolId: aws.String("eu-west-1:11111111-2222-3333-4444-555555555555"),
		AccountId:      aws.String("123456789012"),
		Logins:         map[string]string{"accounts.google.com": "tok", "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc": "tok2"},
	})
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}
	if got := aws.ToString(out.IdentityId); got != "eu-west-1:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" {
		t.Errorf("IdentityId = %q", got)
	}
	op, in, hdr := f.last()
	want := map[string]any{
		"IdentityPoolId": "eu-west-1:11111111-2222-3333-4444-555555555555",
		"AccountId":      "123456789012",
		"Logins":         map[string]any{"accounts.google.com": "tok", "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc": "tok2"},
	}
	if op != "GetId" || !reflect.DeepEqual(in, want) {
		t.Errorf("decoded %s %#v, want GetId %#v", op, in, want)
	}
	if hdr.Get("Authorization") != "" {
		t.Errorf("GetId is unsigned, but the SDK sent Authorization %q", hdr.Get("Authorization"))
	}
}

func TestSDKGetCredentialsForIdentity(t *testing.T) {
	exp := time.Date(2026, 11, 22, 13, 30, 0, 250_000_000, time.UTC)
	client, f := newClient(t, fixed(map[string]any{
		"IdentityId": "eu-west-1:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
		"Credentials": map[string]any{
			"AccessKeyId":  "ASIAQXAMPLEKEYID1234",
			"SecretKey":    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			"SessionToken": "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN",
			"Expiration":   exp,
		},
	}))
	out, err := client.GetCredentialsForIdentity(context.Background(), &cognitoidentity.GetCredentialsForIdentityInput{
		IdentityId:    aws.String("eu-west-1:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"),
		Logins:        map[string]string{"cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc": "tok"},
		CustomRoleArn: aws.String("arn:aws:iam::123456789012:role/x"),
	})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity: %v", err)
	}
	c := out.Credentials
	if c == nil || aws.ToString(c.AccessKeyId) != "ASIAQXAMPLEKEYID1234" || aws.ToString(c.SecretKey) != "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" ||
		aws.ToString(c.SessionToken) != "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN" {
		t.Fatalf("Credentials = %+v", c)
	}
	if c.Expiration == nil || !c.Expiration.Equal(exp) {
		t.Errorf("Expiration = %v, want %v", c.Expiration, exp)
	}
	_, in, _ := f.last()
	if in["CustomRoleArn"] != "arn:aws:iam::123456789012:role/x" || in["IdentityId"] != "eu-west-1:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" {
		t.Errorf("decoded %#v", in)
	}
}

func TestSDKSetIdentityPoolRoles(t *testing.T) {
	client, f := newClient(t, fixed(nil))
	_, err := client.SetIdentityPoolRoles(context.Background(), &cognitoidentity.SetIdentityPoolRolesInput{
		IdentityPoolId: aws.String("us-east-1:11111111-2222-3333-4444-555555555555"),
		Roles:          map[string]string{"authenticated": "arn:aws:iam::123456789012:role/auth", "unauthenticated": "arn:aws:iam::123456789012:role/unauth"},
		RoleMappings: map[string]types.RoleMapping{
			"graph.facebook.com": {
				Type:                    types.RoleMappingTypeRules,
				AmbiguousRoleResolution: types.AmbiguousRoleResolutionTypeDeny,
				RulesConfiguration: &types.RulesConfigurationType{Rules: []types.MappingRule{
					{Claim: aws.String("aud"), MatchType: types.MappingRuleMatchTypeEquals, Value: aws.String("x"), RoleARN: aws.String("arn:aws:iam::123456789012:role/a")},
					{Claim: aws.String("sub"), MatchType: types.MappingRuleMatchTypeNotEqual, Value: aws.String("y"), RoleARN: aws.String("arn:aws:iam::123456789012:role/b")},
				}},
			},
		},
	})
	if err != nil {
		t.Fatalf("SetIdentityPoolRoles: %v", err)
	}
	op, in, hdr := f.last()
	want := map[string]any{
		"IdentityPoolId": "us-east-1:11111111-2222-3333-4444-555555555555",
		"Roles":          map[string]any{"authenticated": "arn:aws:iam::123456789012:role/auth", "unauthenticated": "arn:aws:iam::123456789012:role/unauth"},
		"RoleMappings": map[string]any{"graph.facebook.com": map[string]any{
			"Type":                    "Rules",
			"AmbiguousRoleResolution": "Deny",
			"RulesConfiguration": map[string]any{"Rules": []any{
				map[string]any{"Claim": "aud", "MatchType": "Equals", "Value": "x", "RoleARN": "arn:aws:iam::123456789012:role/a"},
				map[string]any{"Claim": "sub", "MatchType": "NotEqual", "Value": "y", "RoleARN": "arn:aws:iam::123456789012:role/b"},
			}},
		}},
	}
	if op != "SetIdentityPoolRoles" || !reflect.DeepEqual(in, want) {
		t.Errorf("decoded %s\n%#v\nwant\n%#v", op, in, want)
	}
	if !strings.HasPrefix(hdr.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/") {
		t.Errorf("SetIdentityPoolRoles should be signed, Authorization = %q", hdr.Get("Authorization"))
	}
}

func TestSDKListAndDescribe(t *testing.T) {
	created := time.Unix(1699999999, 123_000_000).UTC()
	client, f := newClient(t, func(op string, in map[string]any) (map[string]any, *awserr.Error) {
		switch op {
		case "ListIdentityPools":
			return map[string]any{
				"IdentityPools": []any{
					map[string]any{"IdentityPoolId": "us-east-1:1", "IdentityPoolName": "one"},
					map[string]any{"IdentityPoolId": "us-east-1:2", "IdentityPoolName": "two \"quoted\" <&>"},
				},
				"NextToken": "next/+=",
			}, nil
		case "DescribeIdentity":
			return map[string]any{
				"IdentityId":       in["IdentityId"],
				"Logins":           []any{"accounts.google.com", "graph.facebook.com"},
				"CreationDate":     created,
				"LastModifiedDate": created.Add(time.Hour),
			}, nil
		}
		return nil, awserr.New("InternalErrorException", 500, "unexpected %s", op)
	})
	list, err := client.ListIdentityPools(context.Background(), &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(10), NextToken: aws.String("tok")})
	if err != nil {
		t.Fatalf("ListIdentityPools: %v", err)
	}
	if len(list.IdentityPools) != 2 || aws.ToString(list.IdentityPools[1].IdentityPoolName) != `two "quoted" <&>` || aws.ToString(list.NextToken) != "next/+=" {
		t.Errorf("ListIdentityPools = %+v", list)
	}
	if _, in, _ := f.last(); !reflect.DeepEqual(in, map[string]any{"MaxResults": int64(10), "NextToken": "tok"}) {
		t.Errorf("decoded %#v", in)
	}
	desc, err := client.DescribeIdentity(context.Background(), &cognitoidentity.DescribeIdentityInput{IdentityId: aws.String("us-east-1:abc")})
	if err != nil {
		t.Fatalf("DescribeIdentity: %v", err)
	}
	if aws.ToString(desc.IdentityId) != "us-east-1:abc" || !reflect.DeepEqual(desc.Logins, []string{"accounts.google.com", "graph.facebook.com"}) ||
		desc.CreationDate == nil || !desc.CreationDate.Equal(created) || !desc.LastModifiedDate.Equal(created.Add(time.Hour)) {
		t.Errorf("DescribeIdentity = %+v", desc)
	}
}

func TestSDKErrors(t *testing.T) {
	ctx := context.Background()
	getID := func(c *cognitoidentity.Client) error {
		_, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String("eu-west-1:11111111-2222-3333-4444-555555550000")})
		return err
	}

	t.Run("ResourceNotFoundException", func(t *testing.T) {
		msg := "IdentityPool 'eu-west-1:11111111-2222-3333-4444-555555550000' not found."
		client, _ := newClient(t, failing(awserr.New("ResourceNotFoundException", 400, "%s", msg)))
		var target *types.ResourceNotFoundException
		if err := getID(client); !errors.As(err, &target) {
			t.Fatalf("err = %v (%T), want *types.ResourceNotFoundException", err, err)
		}
		if target.ErrorMessage() != msg {
			t.Errorf("message = %q", target.ErrorMessage())
		}
	})
	t.Run("NotAuthorizedException", func(t *testing.T) {
		client, _ := newClient(t, failing(awserr.New("NotAuthorizedException", 400, "Invalid login token. Token is expired.")))
		var target *types.NotAuthorizedException
		if err := getID(client); !errors.As(err, &target) || target.ErrorMessage() != "Invalid login token. Token is expired." {
			t.Fatalf("err = %v, want *types.NotAuthorizedException with the message", err)
		}
	})
	t.Run("InternalErrorException is a fault", func(t *testing.T) {
		client, _ := newClient(t, failing(&awserr.Error{Code: "InternalErrorException", Message: awserr.InternalMessage, HTTPStatus: 500, Cause: errors.New("db down")}))
		var target *types.InternalErrorException
		err := getID(client)
		if !errors.As(err, &target) || target.ErrorFault() != smithy.FaultServer {
			t.Fatalf("err = %v, want *types.InternalErrorException", err)
		}
		if strings.Contains(err.Error(), "db down") {
			t.Errorf("internal cause leaked to the client: %v", err)
		}
	})
	t.Run("unmodeled code", func(t *testing.T) {
		client, _ := newClient(t, failing(awserr.New("UnknownOperationException", 400, "Unknown operation.")))
		var api smithy.APIError
		if err := getID(client); !errors.As(err, &api) || api.ErrorCode() != "UnknownOperationException" || api.ErrorMessage() != "Unknown operation." {
			t.Fatalf("err = %v, want APIError UnknownOperationException", err)
		}
	})
	t.Run("ValidationException, which the Cognito model does not list", func(t *testing.T) {
		// The front end's answer to a value that breaks the model, in AWS's words.
		msg := "1 validation error detected: Value 'eu-west-1_abc' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+"
		client, _ := newClient(t, failing(awserr.New("ValidationException", 400, "%s", msg)))
		err := getID(client)
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" || api.ErrorMessage() != msg {
			t.Fatalf("err = %v, want an APIError ValidationException with the message", err)
		}
		var generic *smithy.GenericAPIError
		var invalid *types.InvalidParameterException
		if !errors.As(err, &generic) || errors.As(err, &invalid) {
			t.Fatalf("err = %T, want a generic API error, not a modeled exception", err)
		}
		var re interface{ HTTPStatusCode() int }
		if !errors.As(err, &re) || re.HTTPStatusCode() != 400 {
			t.Fatalf("err = %v, want HTTP 400", err)
		}
	})
	t.Run("malformed request reaches the SDK as SerializationException", func(t *testing.T) {
		f := &fake{t: t, svc: awsmodel.MustLoad("cognito-identity"), reply: fixed(nil)}
		srv := httptest.NewServer(f)
		defer srv.Close()
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"IdentityPoolId": 5}`))
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.GetId")
		req.Header.Set("Content-Type", jsonrpc.ContentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-Errortype") != "SerializationException" ||
			!strings.HasPrefix(string(body), `{"__type":"SerializationException","message":"Expected a string at 'IdentityPoolId'`) {
			t.Errorf("got %d %v %s", resp.StatusCode, resp.Header, body)
		}
	})
}

func TestOperation(t *testing.T) {
	svc := awsmodel.MustLoad("cognito-identity")
	if op, err := jsonrpc.Operation(svc, "AWSCognitoIdentityService.GetCredentialsForIdentity"); err != nil || op.Name != "GetCredentialsForIdentity" {
		t.Errorf("Operation = %v, %v", op, err)
	}
	for _, target := range []string{"", "GetId", "AWSCognitoIdentityService.", "AWSCognitoIdentityService.Nope", "AWSCognitoIdentityProviderService.GetId", "awscognitoidentityservice.GetId"} {
		op, err := jsonrpc.Operation(svc, target)
		if op != nil || err == nil || err.Code != "UnknownOperationException" || err.HTTPStatus != 400 {
			t.Errorf("Operation(%q) = %v, %v; want UnknownOperationException", target, op, err)
		}
	}
}

func TestWireFormat(t *testing.T) {
	svc := awsmodel.MustLoad("cognito-identity")
	op := svc.Operations["GetCredentialsForIdentity"]

	rec := httptest.NewRecorder()
	jsonrpc.WriteResponse(rec, op.Output, map[string]any{
		// Deliberately out of model order: the output must follow the model.
		"Credentials": map[string]any{"Expiration": time.Unix(1795354200, 0), "AccessKeyId": "A"},
		"IdentityId":  "i",
	}, requestID)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/x-amz-json-1.1" || rec.Header().Get("X-Amzn-Requestid") != requestID {
		t.Errorf("headers %d %v", rec.Code, rec.Header())
	}
	if got, want := rec.Body.String(), `{"IdentityId":"i","Credentials":{"AccessKeyId":"A","Expiration":1795354200}}`; got != want {
		t.Errorf("body %s\nwant %s", got, want)
	}

	for _, shape := range []*awsmodel.Shape{nil, op.Output} {
		rec = httptest.NewRecorder()
		jsonrpc.WriteResponse(rec, shape, nil, requestID)
		if rec.Body.String() != "{}" {
			t.Errorf("empty output rendered as %q", rec.Body.String())
		}
	}

	rec = httptest.NewRecorder()
	jsonrpc.WriteError(rec, awserr.New("ResourceConflictException", 400, `Login "x" is already linked.`), requestID)
	if rec.Code != 400 || rec.Header().Get("X-Amzn-Errortype") != "ResourceConflictException" || rec.Header().Get("Content-Type") != "application/x-amz-json-1.1" ||
		rec.Header().Get("X-Amzn-Requestid") != requestID {
		t.Errorf("error headers %d %v", rec.Code, rec.Header())
	}
	if got, want := rec.Body.String(), `{"__type":"ResourceConflictException","message":"Login \"x\" is already linked."}`; got != want {
		t.Errorf("error body %s\nwant %s", got, want)
	}

	rec = httptest.NewRecorder()
	jsonrpc.WriteError(rec, &awserr.Error{Code: "X", Message: "no status"}, requestID)
	if rec.Code != 500 {
		t.Errorf("an error without a status must become 500, got %d", rec.Code)
	}
}

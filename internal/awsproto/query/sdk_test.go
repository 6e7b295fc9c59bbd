package query_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/awsproto/query"
)

// fakeQuery is an STS+IAM endpoint built from the codec and the validator alone. It records the
// decoded input and answers with whatever reply returns.
type fakeQuery struct {
	t     *testing.T
	reply func(op string, in map[string]any) (map[string]any, *awserr.Error)

	mu sync.Mutex
	op string
	in map[string]any
}

func (f *fakeQuery) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("reading body: %v", err)
	}
	p, err := query.ParseParams(r.URL.RawQuery, r.Header.Get("Content-Type"), body)
	if err != nil {
		query.WriteError(w, stsModel.XMLNamespace, awserr.New("MalformedQueryString", 404, "%s", err.Error()), requestID)
		return
	}
	svc := stsModel
	if p["Version"] == iamModel.APIVersion {
		svc = iamModel
	}
	op := svc.Operations[p["Action"]]
	if op == nil {
		query.WriteError(w, svc.XMLNamespace, awserr.New("InvalidAction", 400, "no action %s", p["Action"]), requestID)
		return
	}
	in, err := query.Decode(op.Input, p)
	if err != nil {
		ae, _ := awserr.As(err)
		query.WriteError(w, svc.XMLNamespace, ae, requestID)
		return
	}
	if msg := awsmodel.Validate(op.Input, in); msg != "" {
		query.WriteError(w, svc.XMLNamespace, awserr.New("ValidationError", 400, "%s", msg), requestID)
		return
	}
	f.mu.Lock()
	f.op, f.in = op.Name, in
	f.mu.Unlock()
	out, aerr := f.reply(op.Name, in)
	if aerr != nil {
		query.WriteError(w, svc.XMLNamespace, aerr, requestID)
		return
	}
	query.WriteResponse(w, svc, op, out, requestID)
}

func (f *fakeQuery) last() (string, map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.op, f.in
}

func newFake(t *testing.T, reply func(string, map[string]any) (map[string]any, *awserr.Error)) (*sts.Client, *iam.Client, *fakeQuery) {
	t.Helper()
	f := &fakeQuery{t: t, reply: reply}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:           "eu-west-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	}
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	iamClient := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return stsClient, iamClient, f
}

func answer(out map[string]any) func(string, map[string]any) (map[string]any, *awserr.Error) {
	return func(string, map[string]any) (map[string]any, *awserr.Error) { return out, nil }
}

func refuse(e *awserr.Error) func(string, map[string]any) (map[string]any, *awserr.Error) {
	return func(string, map[string]any) (map[string]any, *awserr.Error) { return nil, e }
}

func TestSDKGetCallerIdentity(t *testing.T) {
	client, _, f := newFake(t, answer(map[string]any{
		"Arn": "arn:aws:sts::123456789012:assumed-role/demo/sess-1", "UserId": "AROAQXAMPLEROLEID1234:sess-1", "Account": "123456789012",
	}))
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Arn) != "arn:aws:sts::123456789012:assumed-role/demo/sess-1" || aws.ToString(out.UserId) != "AROAQXAMPLEROLEID1234:sess-1" ||
		aws.ToString(out.Account) != "123456789012" {
		t.Errorf("parsed %+v", out)
	}
	if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); id != requestID {
		t.Errorf("request id %q", id)
	}
	if op, in := f.last(); op != "GetCallerIdentity" || len(in) != 0 {
		t.Errorf("decoded %s %#v", op, in)
	}
}

func TestSDKAssumeRole(t *testing.T) {
	exp := time.Date(2026, 11, 22, 13, 30, 0, 0, time.UTC)
	client, _, f := newFake(t, answer(map[string]any{
		"Credentials": map[string]any{
			"AccessKeyId": "ASIAQXAMPLEKEYID1234", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			"SessionToken": "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN", "Expiration": exp,
		},
		"AssumedRoleUser":  map[string]any{"AssumedRoleId": "AROAQXAMPLEROLEID1234:sess-1", "Arn": "arn:aws:sts::123456789012:assumed-role/demo/sess-1"},
		"PackedPolicySize": int64(7),
		"SourceIdentity":   "alice",
	}))
	out, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn:           aws.String("arn:aws:iam::123456789012:role/demo"),
		RoleSessionName:   aws.String("sess-1"),
		DurationSeconds:   aws.Int32(1800),
		PolicyArns:        []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::123456789012:policy/p1")}, {Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}},
		Policy:            aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`),
		Tags:              []ststypes.Tag{{Key: aws.String("Project"), Value: aws.String("Unicorn")}, {Key: aws.String("Team"), Value: aws.String("")}},
		TransitiveTagKeys: []string{},
		ExternalId:        aws.String("ext-123+/=:@"),
		SerialNumber:      aws.String("arn:aws:iam::123456789012:mfa/user"),
		TokenCode:         aws.String("123456"),
		SourceIdentity:    aws.String("alice"),
		ProvidedContexts:  []ststypes.ProvidedContext{{ProviderArn: aws.String("arn:aws:iam::aws:contextProvider/QuickSight"), ContextAssertion: aws.String("abcd1234")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if aws.ToString(c.AccessKeyId) != "ASIAQXAMPLEKEYID1234" || aws.ToString(c.SecretAccessKey) != "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" ||
		aws.ToString(c.SessionToken) != "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN" || !aws.ToTime(c.Expiration).Equal(exp) {
		t.Errorf("credentials %+v", c)
	}
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/demo/sess-1" || aws.ToInt32(out.PackedPolicySize) != 7 ||
		aws.ToString(out.SourceIdentity) != "alice" {
		t.Errorf("parsed %+v", out)
	}
	want := map[string]any{
		"RoleArn":         "arn:aws:iam::123456789012:role/demo",
		"RoleSessionName": "sess-1",
		"DurationSeconds": int64(1800),
		"PolicyArns": []any{
			map[string]any{"arn": "arn:aws:iam::123456789012:policy/p1"},
			map[string]any{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
		},
		"Policy":            `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
		"Tags":              []any{map[string]any{"Key": "Project", "Value": "Unicorn"}, map[string]any{"Key": "Team", "Value": ""}},
		"TransitiveTagKeys": []any{},
		"ExternalId":        "ext-123+/=:@",
		"SerialNumber":      "arn:aws:iam::123456789012:mfa/user",
		"TokenCode":         "123456",
		"SourceIdentity":    "alice",
		"ProvidedContexts":  []any{map[string]any{"ProviderArn": "arn:aws:iam::aws:contextProvider/QuickSight", "ContextAssertion": "abcd1234"}},
	}
	if op, in := f.last(); op != "AssumeRole" || !reflect.DeepEqual(in, want) {
		t.Errorf("decoded %s\n%#v\nwant\n%#v", op, in, want)
	}
}

func TestSDKAssumeRoot(t *testing.T) {
	client, _, f := newFake(t, answer(map[string]any{}))
	_, err := client.AssumeRoot(context.Background(), &sts.AssumeRootInput{
		TargetPrincipal: aws.String("123456789012"),
		TaskPolicyArn:   &ststypes.PolicyDescriptorType{Arn: aws.String("arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials")},
		DurationSeconds: aws.Int32(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"TargetPrincipal": "123456789012",
		"TaskPolicyArn":   map[string]any{"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"},
		"DurationSeconds": int64(0),
	}
	if _, in := f.last(); !reflect.DeepEqual(in, want) {
		t.Errorf("decoded %#v", in)
	}
}

func TestSDKSTSErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    *awserr.Error
		target any
	}{
		{"expired token", awserr.New("ExpiredTokenException", 400, "Token expired: current date/time must be before the expiration date/time"), new(*ststypes.ExpiredTokenException)},
		{"packed policy", awserr.New("PackedPolicyTooLarge", 400, "%s", "Packed size of consolidated session policies and session tags exceeds 100%."), new(*ststypes.PackedPolicyTooLargeException)},
		{"malformed policy", awserr.New("MalformedPolicyDocument", 400, "bad <policy> & more"), new(*ststypes.MalformedPolicyDocumentException)},
		{"region disabled", awserr.New("RegionDisabledException", 403, "off"), new(*ststypes.RegionDisabledException)},
	} {
		t.Run(c.name, func(t *testing.T) {
			client, _, _ := newFake(t, refuse(c.err))
			_, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/demo"), RoleSessionName: aws.String("s1")})
			if !errors.As(err, c.target) {
				t.Fatalf("err = %T %v, want %T", err, err, reflect.ValueOf(c.target).Elem().Interface())
			}
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != c.err.Code || api.ErrorMessage() != c.err.Message || api.ErrorFault() != smithy.FaultClient {
				t.Errorf("api error %v", err)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != c.err.HTTPStatus || re.ServiceRequestID() != requestID {
				t.Errorf("response error %v", err)
			}
		})
	}
}

// A constraint the SDK does not check client-side comes back as AWS's ValidationError.
func TestSDKValidationError(t *testing.T) {
	client, _, _ := newFake(t, answer(nil))
	_, err := client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/demo"), RoleSessionName: aws.String("a b"), DurationSeconds: aws.Int32(60),
	})
	var api smithy.APIError
	want := `2 validation errors detected: Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*; ` +
		`Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationError" || api.ErrorMessage() != want {
		t.Errorf("err = %v", err)
	}
}

func TestSDKIAMErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    *awserr.Error
		target any
		fault  smithy.ErrorFault
	}{
		{"no such entity", awserr.New("NoSuchEntity", 404, "The role with name r1 cannot be found."), new(*iamtypes.NoSuchEntityException), smithy.FaultClient},
		{"service failure", awserr.New("ServiceFailure", 500, "We encountered an internal error. Please try again."), new(*iamtypes.ServiceFailureException), smithy.FaultServer},
		{"limit exceeded", awserr.New("LimitExceeded", 409, "Cannot exceed quota for PoliciesPerRole: 10"), new(*iamtypes.LimitExceededException), smithy.FaultClient},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, client, _ := newFake(t, refuse(c.err))
			_, err := client.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String("r1")})
			if !errors.As(err, c.target) {
				t.Fatalf("err = %T %v", err, err)
			}
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorMessage() != c.err.Message || api.ErrorFault() != c.fault {
				t.Errorf("api error %v", err)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != c.err.HTTPStatus || re.ServiceRequestID() != requestID {
				t.Errorf("response error %v", err)
			}
		})
	}
}

func TestSDKCreateOpenIDConnectProvider(t *testing.T) {
	_, client, f := newFake(t, answer(map[string]any{
		"OpenIDConnectProviderArn": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
		"Tags":                     []any{map[string]any{"Key": "a", "Value": "b"}},
	}))
	out, err := client.CreateOpenIDConnectProvider(context.Background(), &iam.CreateOpenIDConnectProviderInput{
		Url:            aws.String("https://token.actions.githubusercontent.com"),
		ClientIDList:   []string{"sts.amazonaws.com", "other"},
		ThumbprintList: []string{"6938fd4d98bab03faadb97b34396831e3780aea1"},
		Tags:           []iamtypes.Tag{{Key: aws.String("a"), Value: aws.String("b")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.OpenIDConnectProviderArn) != "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" ||
		len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "a" || aws.ToString(out.Tags[0].Value) != "b" {
		t.Errorf("parsed %+v", out)
	}
	want := map[string]any{
		"Url":            "https://token.actions.githubusercontent.com",
		"ClientIDList":   []any{"sts.amazonaws.com", "other"},
		"ThumbprintList": []any{"6938fd4d98bab03faadb97b34396831e3780aea1"},
		"Tags":           []any{map[string]any{"Key": "a", "Value": "b"}},
	}
	if op, in := f.last(); op != "CreateOpenIDConnectProvider" || !reflect.DeepEqual(in, want) {
		t.Errorf("decoded %s %#v", op, in)
	}
}

func TestSDKSimulatePrincipalPolicy(t *testing.T) {
	_, client, f := newFake(t, answer(map[string]any{
		"EvaluationResults": []any{map[string]any{
			"EvalActionName": "s3:GetObject", "EvalResourceName": "*", "EvalDecision": "allowed",
			"MissingContextValues": []any{"aws:SourceVpc"},
		}},
		"IsTruncated": true,
		"Marker":      "next",
	}))
	out, err := client.SimulatePrincipalPolicy(context.Background(), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/alice"),
		ActionNames:     []string{"s3:GetObject"},
		ContextEntries: []iamtypes.ContextEntry{
			{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyType: iamtypes.ContextKeyTypeEnumIpList, ContextKeyValues: []string{"10.0.0.1", "10.0.0.2"}},
			{ContextKeyName: aws.String("aws:username"), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{"alice"}},
		},
		MaxItems: aws.Int32(10),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.EvaluationResults) != 1 || out.EvaluationResults[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed ||
		!reflect.DeepEqual(out.EvaluationResults[0].MissingContextValues, []string{"aws:SourceVpc"}) || !out.IsTruncated || aws.ToString(out.Marker) != "next" {
		t.Errorf("parsed %+v", out)
	}
	want := map[string]any{
		"PolicySourceArn": "arn:aws:iam::123456789012:user/alice",
		"ActionNames":     []any{"s3:GetObject"},
		"ContextEntries": []any{
			map[string]any{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": []any{"10.0.0.1", "10.0.0.2"}, "ContextKeyType": "ipList"},
			map[string]any{"ContextKeyName": "aws:username", "ContextKeyValues": []any{"alice"}, "ContextKeyType": "string"},
		},
		"MaxItems": int64(10),
	}
	if _, in := f.last(); !reflect.DeepEqual(in, want) {
		t.Errorf("decoded %#v", in)
	}
}

func TestSDKListRoles(t *testing.T) {
	created := time.Date(2019, 7, 15, 23, 28, 33, 0, time.UTC)
	_, client, _ := newFake(t, answer(map[string]any{
		"Roles": []any{
			map[string]any{
				"Path": "/", "RoleName": "r1", "RoleId": "AROAEXAMPLE1", "Arn": "arn:aws:iam::123456789012:role/r1", "CreateDate": created,
				"AssumeRolePolicyDocument": `{"a":"<&>"}`, "Description": `it's "quoted" & <tagged>`, "MaxSessionDuration": int64(3600),
				"Tags": []any{},
			},
		},
		"IsTruncated": false,
	}))
	out, err := client.ListRoles(context.Background(), &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Roles) != 1 || out.IsTruncated || out.Marker != nil {
		t.Fatalf("parsed %+v", out)
	}
	r := out.Roles[0]
	if aws.ToString(r.RoleName) != "r1" || !aws.ToTime(r.CreateDate).Equal(created) || aws.ToString(r.Description) != `it's "quoted" & <tagged>` ||
		aws.ToString(r.AssumeRolePolicyDocument) != `{"a":"<&>"}` || aws.ToInt32(r.MaxSessionDuration) != 3600 || len(r.Tags) != 0 {
		t.Errorf("role %+v", r)
	}
}

func TestSDKDeleteRoleWithoutOutput(t *testing.T) {
	_, client, f := newFake(t, answer(nil))
	if _, err := client.DeleteRole(context.Background(), &iam.DeleteRoleInput{RoleName: aws.String("r1")}); err != nil {
		t.Fatal(err)
	}
	if op, in := f.last(); op != "DeleteRole" || !reflect.DeepEqual(in, map[string]any{"RoleName": "r1"}) {
		t.Errorf("decoded %s %#v", op, in)
	}
}

package restjson_test

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
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/quicksight"
	"github.com/aws/aws-sdk-go-v2/service/quicksight/types"
	"github.com/aws/smithy-go"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/awsproto/restjson"
)

const requestID = "c6104cbe-af31-11e0-8154-cbc7ccf896c7"

type reply func(op string, in map[string]any) (map[string]any, *awserr.Error)

// fake is a QuickSight endpoint built from the codec alone: route, decode, record, answer.
type fake struct {
	t      *testing.T
	router *restjson.Router
	reply  reply

	mu   sync.Mutex
	op   string
	in   map[string]any
	path string
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, labels, pathMatched := f.router.Match(r.Method, r.URL.EscapedPath())
	if op == nil {
		code, status := "UnknownOperationException", http.StatusNotFound
		if pathMatched {
			status = http.StatusMethodNotAllowed
		}
		restjson.WriteError(w, awserr.New(code, status, "No operation matches %s %s.", r.Method, r.URL.EscapedPath()), requestID)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("reading body: %v", err)
	}
	in, err := restjson.Decode(op, labels, r.URL.RawQuery, r.Header, body)
	if err != nil {
		ae, _ := awserr.As(err)
		restjson.WriteError(w, ae, requestID)
		return
	}
	f.mu.Lock()
	f.op, f.in, f.path = op.Name, in, r.URL.EscapedPath()
	f.mu.Unlock()
	out, aerr := f.reply(op.Name, in)
	if aerr != nil {
		restjson.WriteError(w, aerr, requestID)
		return
	}
	restjson.WriteResponse(w, op, out, requestID)
}

func (f *fake) last() (string, map[string]any, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.op, f.in, f.path
}

func newClient(t *testing.T, rep reply) (*quicksight.Client, *fake) {
	t.Helper()
	f := &fake{t: t, router: restjson.NewRouter(awsmodel.MustLoad("quicksight")), reply: rep}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "secret", ""),
	}
	client := quicksight.NewFromConfig(cfg, func(o *quicksight.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
	return client, f
}

func fixed(out map[string]any) reply {
	return func(string, map[string]any) (map[string]any, *awserr.Error) { return out, nil }
}

func failing(e *awserr.Error) reply {
	return func(string, map[string]any) (map[string]any, *awserr.Error) { return nil, e }
}

func TestSDKDescribeUser(t *testing.T) {
	for _, name := range []string{"alice/x y", "josé", "a+b%c", "bob"} {
		t.Run(name, func(t *testing.T) {
			client, f := newClient(t, func(op string, in map[string]any) (map[string]any, *awserr.Error) {
				return map[string]any{
					"Status": int64(200),
					"User": map[string]any{
						"Arn":          "arn:aws:quicksight:us-east-1:123456789012:user/default/" + in["UserName"].(string),
						"UserName":     in["UserName"],
						"Email":        "a@example.com",
						"Role":         "READER",
						"IdentityType": "IAM",
						"Active":       true,
						"PrincipalId":  "federated/iam/AIDAEXAMPLE",
					},
				}, nil
			})
			out, err := client.DescribeUser(context.Background(), &quicksight.DescribeUserInput{
				AwsAccountId: aws.String("123456789012"), Namespace: aws.String("default"), UserName: aws.String(name),
			})
			if err != nil {
				t.Fatalf("DescribeUser: %v", err)
			}
			op, in, _ := f.last()
			want := map[string]any{"AwsAccountId": "123456789012", "Namespace": "default", "UserName": name}
			if op != "DescribeUser" || !reflect.DeepEqual(in, want) {
				t.Errorf("decoded %s %#v, want %#v", op, in, want)
			}
			if out.Status != 200 || aws.ToString(out.RequestId) != requestID || out.User == nil || aws.ToString(out.User.UserName) != name ||
				!out.User.Active || out.User.Role != types.UserRoleReader || out.User.IdentityType != types.IdentityTypeIam {
				t.Errorf("DescribeUser = %+v %+v", out, out.User)
			}
		})
	}
}

func TestSDKListUsers(t *testing.T) {
	client, f := newClient(t, fixed(map[string]any{
		"Status":    int64(200),
		"UserList":  []any{map[string]any{"UserName": "a"}, map[string]any{"UserName": "b"}},
		"NextToken": "page/2+=",
	}))
	out, err := client.ListUsers(context.Background(), &quicksight.ListUsersInput{
		AwsAccountId: aws.String("123456789012"), Namespace: aws.String("default"),
		MaxResults: aws.Int32(5), NextToken: aws.String("page/1+= &x"),
	})
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	_, in, _ := f.last()
	want := map[string]any{"AwsAccountId": "123456789012", "Namespace": "default", "MaxResults": int64(5), "NextToken": "page/1+= &x"}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("decoded %#v, want %#v", in, want)
	}
	if len(out.UserList) != 2 || aws.ToString(out.UserList[1].UserName) != "b" || aws.ToString(out.NextToken) != "page/2+=" || out.Status != 200 {
		t.Errorf("ListUsers = %+v", out)
	}
}

func TestSDKGetIdentityContext(t *testing.T) {
	expires := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	client, f := newClient(t, fixed(map[string]any{"Status": int64(200), "Context": "AQICAHh...opaque-context-token..."}))
	out, err := client.GetIdentityContext(context.Background(), &quicksight.GetIdentityContextInput{
		AwsAccountId:     aws.String("123456789012"),
		UserIdentifier:   &types.UserIdentifierMemberUserName{Value: "alice"},
		Namespace:        aws.String("default"),
		SessionExpiresAt: aws.Time(expires),
		ContextRegion:    aws.String("us-west-2"),
	})
	if err != nil {
		t.Fatalf("GetIdentityContext: %v", err)
	}
	op, in, _ := f.last()
	want := map[string]any{
		"AwsAccountId":     "123456789012",
		"UserIdentifier":   map[string]any{"UserName": "alice"},
		"Namespace":        "default",
		"SessionExpiresAt": expires,
		"ContextRegion":    "us-west-2",
	}
	if op != "GetIdentityContext" || !reflect.DeepEqual(in, want) {
		t.Errorf("decoded %s %#v, want %#v", op, in, want)
	}
	if aws.ToString(out.Context) != "AQICAHh...opaque-context-token..." || aws.ToString(out.RequestId) != requestID || aws.ToInt32(out.Status) != 200 {
		t.Errorf("GetIdentityContext = %+v", out)
	}
}

func TestSDKStatusFromHTTP(t *testing.T) {
	client, f := newClient(t, func(op string, in map[string]any) (map[string]any, *awserr.Error) {
		if op == "DeleteUser" {
			return nil, nil
		}
		return map[string]any{"Status": int64(201), "User": map[string]any{"UserName": in["UserName"], "Email": in["Email"]}, "UserInvitationUrl": "https://example.com/invite"}, nil
	})
	out, err := client.RegisterUser(context.Background(), &quicksight.RegisterUserInput{
		AwsAccountId: aws.String("123456789012"), Namespace: aws.String("default"),
		IdentityType: types.IdentityTypeQuicksight, Email: aws.String("c@example.com"), UserRole: types.UserRoleAuthor, UserName: aws.String("carol"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("bi")}},
	})
	if err != nil {
		t.Fatalf("RegisterUser: %v", err)
	}
	if out.Status != 201 || aws.ToString(out.User.UserName) != "carol" || aws.ToString(out.UserInvitationUrl) != "https://example.com/invite" {
		t.Errorf("RegisterUser = %+v", out)
	}
	_, in, _ := f.last()
	if tags := in["Tags"]; !reflect.DeepEqual(tags, []any{map[string]any{"Key": "team", "Value": "bi"}}) || in["IdentityType"] != "QUICKSIGHT" {
		t.Errorf("decoded %#v", in)
	}

	del, err := client.DeleteUser(context.Background(), &quicksight.DeleteUserInput{
		AwsAccountId: aws.String("123456789012"), Namespace: aws.String("default"), UserName: aws.String("x/y"),
	})
	if err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if op, in, path := f.last(); op != "DeleteUser" || in["UserName"] != "x/y" || path != "/accounts/123456789012/namespaces/default/users/x%2Fy" {
		t.Errorf("decoded %s %v from %s", op, in, path)
	}
	if del.Status != 200 || aws.ToString(del.RequestId) != requestID {
		t.Errorf("DeleteUser = %+v", del)
	}
}

func TestSDKErrors(t *testing.T) {
	ctx := context.Background()
	describe := func(c *quicksight.Client) error {
		_, err := c.DescribeUser(ctx, &quicksight.DescribeUserInput{AwsAccountId: aws.String("123456789012"), Namespace: aws.String("default"), UserName: aws.String("bob")})
		return err
	}

	t.Run("ResourceNotFoundException", func(t *testing.T) {
		msg := "User not found: arn:aws:quicksight:us-east-1:123456789012:user/default/bob"
		client, _ := newClient(t, failing(awserr.New("ResourceNotFoundException", 404, "%s", msg).WithField("ResourceType", "USER")))
		var target *types.ResourceNotFoundException
		if err := describe(client); !errors.As(err, &target) {
			t.Fatalf("err = %v (%T), want *types.ResourceNotFoundException", err, err)
		}
		if target.ErrorMessage() != msg || target.ResourceType != types.ExceptionResourceTypeUser || aws.ToString(target.RequestId) != requestID {
			t.Errorf("exception = %+v", target)
		}
	})
	t.Run("AccessDeniedException", func(t *testing.T) {
		client, _ := newClient(t, failing(awserr.New("AccessDeniedException", 401, "User: arn:aws:iam::123456789012:user/x is not authorized to perform: quicksight:DescribeUser")))
		var target *types.AccessDeniedException
		if err := describe(client); !errors.As(err, &target) || aws.ToString(target.RequestId) != requestID {
			t.Fatalf("err = %v, want *types.AccessDeniedException", err)
		}
	})
	t.Run("ThrottlingException", func(t *testing.T) {
		client, _ := newClient(t, failing(awserr.New("ThrottlingException", 429, "Rate exceeded")))
		var target *types.ThrottlingException
		if err := describe(client); !errors.As(err, &target) {
			t.Fatalf("err = %v, want *types.ThrottlingException", err)
		}
	})
	t.Run("InternalFailureException", func(t *testing.T) {
		client, _ := newClient(t, failing(&awserr.Error{Code: "InternalFailureException", Message: awserr.InternalMessage, HTTPStatus: 500, Cause: errors.New("secret detail")}))
		var target *types.InternalFailureException
		if err := describe(client); !errors.As(err, &target) || target.ErrorFault() != smithy.FaultServer {
			t.Fatalf("err = %v, want *types.InternalFailureException", err)
		}
	})
	t.Run("unknown route", func(t *testing.T) {
		f := &fake{t: t, router: restjson.NewRouter(awsmodel.MustLoad("quicksight")), reply: fixed(nil)}
		for _, tc := range []struct {
			method, path string
			status       int
		}{
			{http.MethodGet, "/accounts/123456789012/nothing", http.StatusNotFound},
			{http.MethodPatch, "/accounts/123456789012/namespaces/default/users/bob", http.StatusMethodNotAllowed},
		} {
			rec := httptest.NewRecorder()
			f.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.status || rec.Header().Get("X-Amzn-Errortype") != "UnknownOperationException" {
				t.Errorf("%s %s: %d %v", tc.method, tc.path, rec.Code, rec.Header())
			}
		}
	})
	t.Run("unmodeled code", func(t *testing.T) {
		client, _ := newClient(t, failing(awserr.New("UnknownOperationException", 404, "Unknown operation.")))
		var api smithy.APIError
		if err := describe(client); !errors.As(err, &api) || api.ErrorCode() != "UnknownOperationException" || api.ErrorMessage() != "Unknown operation." {
			t.Fatalf("err = %v, want APIError UnknownOperationException", err)
		}
	})
	t.Run("bad query value", func(t *testing.T) {
		// The SDK cannot send a non-integer max-results, so the request is built by hand.
		req := httptest.NewRequest(http.MethodGet, "/accounts/123456789012/namespaces/default/users?max-results=ten", nil)
		rec := httptest.NewRecorder()
		f := &fake{t: t, router: restjson.NewRouter(awsmodel.MustLoad("quicksight")), reply: fixed(nil)}
		f.ServeHTTP(rec, req)
		if rec.Code != 400 || rec.Header().Get("X-Amzn-Errortype") != "InvalidParameterValueException" {
			t.Errorf("got %d %v %s", rec.Code, rec.Header(), rec.Body.String())
		}
	})
}

package restjson

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
)

func account(extra map[string]string) map[string]string {
	l := map[string]string{"AwsAccountId": "123456789012", "Namespace": "default"}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name   string
		op     string
		path   string // routed to get the labels, so the test covers escaping end to end
		query  string
		body   string
		want   map[string]any
		method string
	}{
		{
			name: "DescribeUser with / and space", op: "DescribeUser", method: "GET",
			path: "/accounts/123456789012/namespaces/default/users/alice%2Fx%20y",
			want: map[string]any{"AwsAccountId": "123456789012", "Namespace": "default", "UserName": "alice/x y"},
		},
		{
			name: "DescribeUser with é", op: "DescribeUser", method: "GET",
			path: "/accounts/123456789012/namespaces/default/users/jos%C3%A9",
			want: map[string]any{"AwsAccountId": "123456789012", "Namespace": "default", "UserName": "josé"},
		},
		{
			name: "malformed query ignored when no member reads it", op: "DescribeUser", method: "GET",
			path: "/accounts/123456789012/namespaces/default/users/bob", query: "x=%zz",
			want: map[string]any{"AwsAccountId": "123456789012", "Namespace": "default", "UserName": "bob"},
		},
		{
			name: "ListUsers paging", op: "ListUsers", method: "GET",
			path:  "/accounts/123456789012/namespaces/default/users",
			query: "max-results=5&next-token=abc%2Fdef%3D%3D+x",
			want:  map[string]any{"AwsAccountId": "123456789012", "Namespace": "default", "MaxResults": int64(5), "NextToken": "abc/def== x"},
		},
		{
			name: "unread parameters may repeat", op: "ListNamespaces", method: "GET",
			path: "/accounts/123456789012/namespaces", query: "max-results=7&unrelated=1&unrelated=2",
			want: map[string]any{"AwsAccountId": "123456789012", "MaxResults": int64(7)},
		},
		{
			name: "GetIdentityContext union and timestamp", op: "GetIdentityContext", method: "POST",
			path: "/accounts/123456789012/identity-context",
			body: `{"UserIdentifier": {"UserName": "alice"}, "Namespace": "default", "SessionExpiresAt": 1795352400, "ContextRegion": "us-west-2"}`,
			want: map[string]any{
				"AwsAccountId":     "123456789012",
				"UserIdentifier":   map[string]any{"UserName": "alice"},
				"Namespace":        "default",
				"SessionExpiresAt": time.Unix(1795352400, 0).UTC(),
				"ContextRegion":    "us-west-2",
			},
		},
		{
			name: "a body member cannot override a label", op: "GetIdentityContext", method: "POST",
			path: "/accounts/123456789012/identity-context",
			body: `{"AwsAccountId":"999999999999","UserIdentifier":{"UserArn":"arn:aws:quicksight:us-east-1:123456789012:user/default/a"}}`,
			want: map[string]any{"AwsAccountId": "123456789012", "UserIdentifier": map[string]any{"UserArn": "arn:aws:quicksight:us-east-1:123456789012:user/default/a"}},
		},
		{
			name: "RegisterUser with tags", op: "RegisterUser", method: "POST",
			path: "/accounts/123456789012/namespaces/default/users",
			body: `{"IdentityType":"IAM","Email":"a@example.com","UserRole":"READER","IamArn":"arn:aws:iam::123456789012:role/r","SessionName":"s","Tags":[{"Key":"k","Value":"v"}]}`,
			want: map[string]any{
				"AwsAccountId": "123456789012", "Namespace": "default",
				"IdentityType": "IAM", "Email": "a@example.com", "UserRole": "READER", "IamArn": "arn:aws:iam::123456789012:role/r", "SessionName": "s",
				"Tags": []any{map[string]any{"Key": "k", "Value": "v"}},
			},
		},
		{
			name: "UpdateUser boolean", op: "UpdateUser", method: "PUT",
			path: "/accounts/123456789012/namespaces/default/users/bob",
			body: `{"Email":"b@example.com","Role":"AUTHOR","UnapplyCustomPermissions":true}`,
			want: map[string]any{
				"AwsAccountId": "123456789012", "Namespace": "default", "UserName": "bob",
				"Email": "b@example.com", "Role": "AUTHOR", "UnapplyCustomPermissions": true,
			},
		},
	}
	r := NewRouter(quicksight)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op, labels, _ := r.Match(tt.method, tt.path)
			if op == nil || op.Name != tt.op {
				t.Fatalf("routed to %v, want %s", op, tt.op)
			}
			got, err := Decode(op, labels, tt.query, http.Header{}, []byte(tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name, op    string
		labels      map[string]string
		query, body string
		code        string
		message     string
	}{
		{"max-results not a number", "ListUsers", account(nil), "max-results=abc", "", "InvalidParameterValueException", "Value 'abc' at 'maxResults' failed to satisfy constraint: Member must be an integer"},
		{"max-results fractional", "ListUsers", account(nil), "max-results=1.5", "", "InvalidParameterValueException", "maxResults"},
		{"max-results huge", "ListUsers", account(nil), "max-results=99999999999999999999999", "", "InvalidParameterValueException", "maxResults"},
		{"malformed query", "ListUsers", account(nil), "max-results=%zz", "", "InvalidParameterValueException", "query string is malformed"},
		// The sorted canonical query does not sign the order of repeated values.
		{"repeated scalar parameter", "ListNamespaces", account(nil), "max-results=7&max-results=8", "", "InvalidParameterValueException", "'max-results' appears more than once"},
		{"repeated scalar parameter, reordered", "ListUsers", account(nil), "next-token=b&max-results=1&next-token=a", "", "InvalidParameterValueException", "'next-token' appears more than once"},
		{"malformed body", "GetIdentityContext", account(nil), "", `{"UserIdentifier":`, "SerializationException", "not valid JSON"},
		{"body not an object", "GetIdentityContext", account(nil), "", `[1]`, "SerializationException", "must be a JSON object"},
		{"union of the wrong type", "GetIdentityContext", account(nil), "", `{"UserIdentifier":"alice"}`, "SerializationException", "Expected an object at 'UserIdentifier'"},
		{"timestamp as a string", "GetIdentityContext", account(nil), "", `{"SessionExpiresAt":"2026-11-22T12:00:00Z"}`, "SerializationException", "SessionExpiresAt"},
		{"boolean as a string", "UpdateUser", account(map[string]string{"UserName": "b"}), "", `{"UnapplyCustomPermissions":"yes"}`, "SerializationException", "Expected a boolean"},
		{"deep body", "RegisterUser", account(nil), "", `{"Tags":[{"Key":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}]}`, "SerializationException", "Expected a string"},
		{"deep unknown body member", "RegisterUser", account(nil), "", `{"X":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "SerializationException", "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(quicksight.Operations[tt.op], tt.labels, tt.query, http.Header{}, []byte(tt.body))
			ae, ok := awserr.As(err)
			if !ok {
				t.Fatalf("Decode = %#v, %v; want %s", got, err, tt.code)
			}
			if ae.Code != tt.code || ae.HTTPStatus != 400 || !strings.Contains(ae.Message, tt.message) {
				t.Errorf("error %s %d %q, want %s 400 containing %q", ae.Code, ae.HTTPStatus, ae.Message, tt.code, tt.message)
			}
		})
	}
}

// Validation is not the codec's job, but its output must be what Validate expects, including for
// the union.
func TestDecodeThenValidateUnion(t *testing.T) {
	op := quicksight.Operations["GetIdentityContext"]
	in, err := Decode(op, map[string]string{"AwsAccountId": "123456789012"}, "", nil, []byte(`{"UserIdentifier":{"UserName":"a","Email":"a@example.com"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if msg := awsmodel.Validate(op.Input, in); !strings.Contains(msg, "Exactly one member must be set, but 2 were set") {
		t.Errorf("Validate = %q", msg)
	}
	in, _ = Decode(op, map[string]string{"AwsAccountId": "123456789012"}, "", nil, []byte(`{"UserIdentifier":{"Email":"a@example.com"}}`))
	if msg := awsmodel.Validate(op.Input, in); msg != "" {
		t.Errorf("Validate = %q, want valid", msg)
	}
}

// No QuickSight operation in scope binds headers, so header and query-map bindings are checked on
// a hand-built input shape. Only the HTTP-bound members are exercised: body members need the
// model's member index, which only awsmodel can build.
func TestDecodeHeaderAndQueryMapBindings(t *testing.T) {
	str := &awsmodel.Shape{Name: "S", Type: "string"}
	integer := &awsmodel.Shape{Name: "I", Type: "integer"}
	ts := &awsmodel.Shape{Name: "T", Type: "timestamp"}
	boolean := &awsmodel.Shape{Name: "B", Type: "boolean"}
	strList := &awsmodel.Shape{Name: "L", Type: "list", Member: &awsmodel.Member{Name: "member", Shape: str}}
	strMap := &awsmodel.Shape{Name: "M", Type: "map", Key: &awsmodel.Member{Name: "key", Shape: str}, Value: &awsmodel.Member{Name: "value", Shape: str}}
	listMap := &awsmodel.Shape{Name: "LM", Type: "map", Key: &awsmodel.Member{Name: "key", Shape: str}, Value: &awsmodel.Member{Name: "value", Shape: strList}}
	input := &awsmodel.Shape{Name: "In", Type: "structure", Members: []*awsmodel.Member{
		{Name: "Token", Shape: str, Location: "header", LocationName: "X-Token"},
		{Name: "Count", Shape: integer, Location: "header", LocationName: "X-Count"},
		{Name: "Since", Shape: ts, Location: "header", LocationName: "If-Modified-Since"},
		{Name: "Tags", Shape: strList, Location: "header", LocationName: "X-Tags"},
		{Name: "Meta", Shape: strMap, Location: "headers", LocationName: "X-Meta-"},
		{Name: "Ids", Shape: strList, Location: "querystring", LocationName: "id"},
		{Name: "At", Shape: ts, Location: "querystring", LocationName: "at"},
		{Name: "Flag", Shape: boolean, Location: "querystring", LocationName: "flag"},
		{Name: "Rest", Shape: listMap, Location: "querystring"},
		{Name: "Absent", Shape: str, Location: "header", LocationName: "X-Absent"},
	}}
	op := &awsmodel.Operation{Name: "Synthetic", Input: input}
	h := http.Header{}
	h.Set("X-Token", "tok")
	h.Set("X-Count", "42")
	h.Set("If-Modified-Since", "Sun, 22 Nov 2026 12:00:00 GMT")
	h.Add("X-Tags", "a, b")
	h.Add("X-Tags", "c")
	h.Set("X-Meta-Color", "red")
	got, err := Decode(op, nil, "id=1&id=2&at=2026-11-22T12:00:00Z&flag=true&other=x&other=y", h, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"Token": "tok", "Count": int64(42), "Since": time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC),
		"Tags": []any{"a", "b", "c"}, "Meta": map[string]any{"Color": "red"},
		"Ids": []any{"1", "2"}, "At": time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), "Flag": true,
		"Rest": map[string]any{"other": []any{"x", "y"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decode =\n%#v\nwant\n%#v", got, want)
	}
	h.Set("X-Count", "many")
	_, err = Decode(op, nil, "flag=maybe", h, nil)
	ae, ok := awserr.As(err)
	if !ok || ae.Code != "InvalidParameterValueException" || !strings.HasPrefix(ae.Message, "2 validation errors detected") {
		t.Errorf("err = %v, want two InvalidParameterValueException failures", err)
	}
}

func TestWriteResponse(t *testing.T) {
	op := quicksight.Operations["DescribeUser"]
	user := map[string]any{"Arn": "arn:aws:quicksight:us-east-1:123456789012:user/default/alice/x y", "UserName": "alice/x y", "Active": true, "PrincipalId": "federated/iam/AIDA"}
	rec := httptest.NewRecorder()
	WriteResponse(rec, op, map[string]any{"Status": int64(200), "User": user}, "rid-1")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("X-Amzn-Requestid") != "rid-1" {
		t.Errorf("headers %d %v", rec.Code, rec.Header())
	}
	body := rec.Body.String()
	if strings.Contains(body, "Status") || !strings.HasPrefix(body, `{"User":{"Arn":`) || !strings.HasSuffix(body, `,"RequestId":"rid-1"}`) {
		t.Errorf("body %s", body)
	}

	rec = httptest.NewRecorder()
	WriteResponse(rec, quicksight.Operations["RegisterUser"], map[string]any{"Status": 201, "RequestId": "mine"}, "rid-2")
	if rec.Code != 201 || rec.Body.String() != `{"RequestId":"mine"}` {
		t.Errorf("RegisterUser: %d %s", rec.Code, rec.Body.String())
	}

	rec = httptest.NewRecorder()
	WriteResponse(rec, quicksight.Operations["DeleteUser"], nil, "rid-3")
	if rec.Code != 200 || rec.Body.String() != `{"RequestId":"rid-3"}` {
		t.Errorf("DeleteUser: %d %s", rec.Code, rec.Body.String())
	}

	rec = httptest.NewRecorder()
	WriteResponse(rec, quicksight.Operations["DeleteUser"], map[string]any{"Status": int64(7)}, "rid-4")
	if rec.Code != 200 {
		t.Errorf("an impossible status must fall back to 200, got %d", rec.Code)
	}

	rec = httptest.NewRecorder()
	WriteResponse(rec, &awsmodel.Operation{Name: "NoOutput"}, map[string]any{"x": 1}, "rid-5")
	if rec.Code != 200 || rec.Body.String() != "{}" {
		t.Errorf("no output shape: %d %s", rec.Code, rec.Body.String())
	}
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	e := awserr.New("ResourceNotFoundException", 404, "User not found: arn:aws:quicksight:us-east-1:123456789012:user/default/bob").WithField("ResourceType", "USER")
	WriteError(rec, e, "rid")
	if rec.Code != 404 || rec.Header().Get("X-Amzn-Errortype") != "ResourceNotFoundException" || rec.Header().Get("Content-Type") != "application/json" ||
		rec.Header().Get("X-Amzn-Requestid") != "rid" {
		t.Errorf("headers %d %v", rec.Code, rec.Header())
	}
	want := `{"Message":"User not found: arn:aws:quicksight:us-east-1:123456789012:user/default/bob","RequestId":"rid","ResourceType":"USER"}`
	if rec.Body.String() != want {
		t.Errorf("body %s\nwant %s", rec.Body.String(), want)
	}

	rec = httptest.NewRecorder()
	WriteError(rec, awserr.New("AccessDeniedException", 401, "no").WithField("Message", "shadow"), "rid")
	if rec.Body.String() != `{"Message":"no","RequestId":"rid"}` {
		t.Errorf("a field must not duplicate an envelope key: %s", rec.Body.String())
	}
}

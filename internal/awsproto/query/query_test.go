package query_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/awsproto/query"
)

const (
	formType  = "application/x-www-form-urlencoded; charset=utf-8"
	requestID = "c6104cbe-af31-11e0-8154-cbc7ccf896c7"
)

var (
	stsModel = awsmodel.MustLoad("sts")
	iamModel = awsmodel.MustLoad("iam")
)

func input(t testing.TB, svc *awsmodel.Service, op string) *awsmodel.Shape {
	t.Helper()
	o := svc.Operations[op]
	if o == nil || o.Input == nil {
		t.Fatalf("%s has no operation %s with an input", svc.ID, op)
	}
	return o.Input
}

// Bodies captured from the clients (botocore and the AWS SDK for Go v2).
const (
	botocoreAssumeRole = `Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=sess-1&DurationSeconds=1800&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fp1&PolicyArns.member.2.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess&Policy=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D&Tags.member.1.Key=Project&Tags.member.1.Value=Unicorn&Tags.member.2.Key=Team&Tags.member.2.Value=Automation&TransitiveTagKeys.member.1=Project&ExternalId=ext-123&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fuser&TokenCode=123456&SourceIdentity=alice&ProvidedContexts.member.1.ProviderArn=arn%3Aaws%3Aiam%3A%3Aaws%3AcontextProvider%2FQuickSight&ProvidedContexts.member.1.ContextAssertion=abcd1234`
	goV2AssumeRole     = `Action=AssumeRole&ProvidedContexts.member.1.ContextAssertion=abcd&ProvidedContexts.member.1.ProviderArn=arn%3Aaws%3Aiam%3A%3Aaws%3AcontextProvider%2FQuickSight&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=s1&Tags.member.1.Key=k&Tags.member.1.Value=v&Version=2011-06-15`
	botocoreOIDC       = `Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url=https%3A%2F%2Ftoken.actions.githubusercontent.com&ClientIDList.member.1=sts.amazonaws.com&ThumbprintList.member.1=6938fd4d98bab03faadb97b34396831e3780aea1&Tags.member.1.Key=a&Tags.member.1.Value=b`
	simulateBody       = `Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Falice&ActionNames.member.1=s3%3AGetObject&ActionNames.member.2=s3%3APutObject&ContextEntries.member.1.ContextKeyName=aws%3ASourceIp&ContextEntries.member.1.ContextKeyValues.member.1=10.0.0.1&ContextEntries.member.1.ContextKeyValues.member.2=10.0.0.2&ContextEntries.member.1.ContextKeyType=ipList&ContextEntries.member.2.ContextKeyName=aws%3Ausername&ContextEntries.member.2.ContextKeyValues.member.1=alice&ContextEntries.member.2.ContextKeyType=string&MaxItems=10`
)

var assumeRoleTree = map[string]any{
	"RoleArn":         "arn:aws:iam::123456789012:role/demo",
	"RoleSessionName": "sess-1",
	"DurationSeconds": int64(1800),
	"PolicyArns": []any{
		map[string]any{"arn": "arn:aws:iam::123456789012:policy/p1"},
		map[string]any{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
	},
	"Policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
	"Tags": []any{
		map[string]any{"Key": "Project", "Value": "Unicorn"},
		map[string]any{"Key": "Team", "Value": "Automation"},
	},
	"TransitiveTagKeys": []any{"Project"},
	"ExternalId":        "ext-123",
	"SerialNumber":      "arn:aws:iam::123456789012:mfa/user",
	"TokenCode":         "123456",
	"SourceIdentity":    "alice",
	"ProvidedContexts": []any{
		map[string]any{"ProviderArn": "arn:aws:iam::aws:contextProvider/QuickSight", "ContextAssertion": "abcd1234"},
	},
}

func TestDecode(t *testing.T) {
	qs := awsmodel.MustLoad("quicksight")
	for _, c := range []struct {
		name  string
		shape *awsmodel.Shape
		body  string
		want  map[string]any
	}{
		{"botocore AssumeRole, every list kind", input(t, stsModel, "AssumeRole"), botocoreAssumeRole, assumeRoleTree},
		{"SDK Go v2 AssumeRole, sorted keys", input(t, stsModel, "AssumeRole"), goV2AssumeRole, map[string]any{
			"RoleArn":          "arn:aws:iam::123456789012:role/demo",
			"RoleSessionName":  "s1",
			"Tags":             []any{map[string]any{"Key": "k", "Value": "v"}},
			"ProvidedContexts": []any{map[string]any{"ProviderArn": "arn:aws:iam::aws:contextProvider/QuickSight", "ContextAssertion": "abcd"}},
		}},
		{"CreateOpenIDConnectProvider", input(t, iamModel, "CreateOpenIDConnectProvider"), botocoreOIDC, map[string]any{
			"Url":            "https://token.actions.githubusercontent.com",
			"ClientIDList":   []any{"sts.amazonaws.com"},
			"ThumbprintList": []any{"6938fd4d98bab03faadb97b34396831e3780aea1"},
			"Tags":           []any{map[string]any{"Key": "a", "Value": "b"}},
		}},
		{"list in a list", input(t, iamModel, "SimulatePrincipalPolicy"), simulateBody, map[string]any{
			"PolicySourceArn": "arn:aws:iam::123456789012:user/alice",
			"ActionNames":     []any{"s3:GetObject", "s3:PutObject"},
			"ContextEntries": []any{
				map[string]any{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": []any{"10.0.0.1", "10.0.0.2"}, "ContextKeyType": "ipList"},
				map[string]any{"ContextKeyName": "aws:username", "ContextKeyValues": []any{"alice"}, "ContextKeyType": "string"},
			},
			"MaxItems": int64(10),
		}},
		{"empty lists are present", input(t, stsModel, "AssumeRole"), "Action=AssumeRole&RoleArn=r&RoleSessionName=s&TransitiveTagKeys=&PolicyArns=", map[string]any{
			"RoleArn": "r", "RoleSessionName": "s", "TransitiveTagKeys": []any{}, "PolicyArns": []any{},
		}},
		{"empty string is present", input(t, stsModel, "AssumeRole"), "RoleArn=&RoleSessionName", map[string]any{"RoleArn": "", "RoleSessionName": ""}},
		{"nested structure", input(t, stsModel, "AssumeRoot"), "Action=AssumeRoot&Version=2011-06-15&TargetPrincipal=123456789012&TaskPolicyArn.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Froot-task%2FIAMAuditRootUserCredentials&DurationSeconds=900", map[string]any{
			"TargetPrincipal": "123456789012",
			"TaskPolicyArn":   map[string]any{"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"},
			"DurationSeconds": int64(900),
		}},
		{"keys are case-sensitive", input(t, stsModel, "AssumeRole"), "roleArn=x&RoleSessionName=s&PolicyArns.member.1.Arn=y&tags.member.1.Key=k", map[string]any{
			"RoleSessionName": "s", "PolicyArns": []any{map[string]any{}},
		}},
		{"a list stops at the first gap", input(t, iamModel, "CreateOpenIDConnectProvider"), "Url=u&ClientIDList.member.1=a&ClientIDList.member.2=b&ClientIDList.member.4=d&ClientIDList.member.0=z", map[string]any{
			"Url": "u", "ClientIDList": []any{"a", "b"},
		}},
		{"index 10 after 9", input(t, iamModel, "CreateOpenIDConnectProvider"), func() string {
			var b []string
			for i := 10; i >= 1; i-- {
				b = append(b, fmt.Sprintf("ClientIDList.member.%d=c%d", i, i))
			}
			return strings.Join(b, "&")
		}(), map[string]any{"ClientIDList": []any{"c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10"}}},
		{"booleans", input(t, iamModel, "CreatePolicyVersion"), "PolicyArn=arn%3Ap&PolicyDocument=%7B%7D&SetAsDefault=true", map[string]any{
			"PolicyArn": "arn:p", "PolicyDocument": "{}", "SetAsDefault": true,
		}},
		{"boolean false", input(t, iamModel, "CreatePolicyVersion"), "SetAsDefault=false", map[string]any{"SetAsDefault": false}},
		{"timestamp", qs.Operations["GetIdentityContext"].Input, "SessionExpiresAt=2026-11-22T13%3A30%3A00Z&UserIdentifier.UserName=alice", map[string]any{
			"SessionExpiresAt": time.Date(2026, 11, 22, 13, 30, 0, 0, time.UTC),
			"UserIdentifier":   map[string]any{"UserName": "alice"},
		}},
		{"fractional timestamp with offset", qs.Operations["GetIdentityContext"].Input, "SessionExpiresAt=2026-11-22T14%3A30%3A00.123456%2B01%3A00", map[string]any{
			"SessionExpiresAt": time.Date(2026, 11, 22, 13, 30, 0, 123456000, time.UTC),
		}},
		{"unknown and routing keys ignored", input(t, stsModel, "GetCallerIdentity"), "Action=GetCallerIdentity&Version=2011-06-15&Foo=bar&Foo.member.1=x", map[string]any{}},
		{"no parameters", input(t, stsModel, "AssumeRole"), "", map[string]any{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := query.ParseParams("", formType, []byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			got, err := query.Decode(c.shape, p)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %#v\nwant %#v", got, c.want)
			}
		})
	}
}

// The same parameters in any order decode to the same tree, and the captured AssumeRole passes
// validation.
func TestDecodeOrderIndependent(t *testing.T) {
	shape := input(t, stsModel, "AssumeRole")
	parts := strings.Split(botocoreAssumeRole, "&")
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20; i++ {
		r.Shuffle(len(parts), func(a, b int) { parts[a], parts[b] = parts[b], parts[a] })
		p, err := query.ParseParams("", formType, []byte(strings.Join(parts, "&")))
		if err != nil {
			t.Fatal(err)
		}
		got, err := query.Decode(shape, p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, assumeRoleTree) {
			t.Fatalf("order %v decoded to %#v", parts, got)
		}
	}
	if msg := awsmodel.Validate(shape, assumeRoleTree); msg != "" {
		t.Errorf("captured AssumeRole fails validation: %s", msg)
	}
}

func TestDecodeNilShape(t *testing.T) {
	got, err := query.Decode(nil, query.Params{"A": "b"})
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("Decode(nil) = %#v, %v", got, err)
	}
}

func TestDecodeBadScalars(t *testing.T) {
	qs := awsmodel.MustLoad("quicksight")
	for _, c := range []struct {
		name  string
		shape *awsmodel.Shape
		body  string
		want  string
	}{
		{"integer", input(t, stsModel, "AssumeRole"), "RoleArn=r&RoleSessionName=s&DurationSeconds=abc",
			"1 validation error detected: Value 'abc' at 'durationSeconds' failed to satisfy constraint: Member must be an integer"},
		{"fraction", input(t, stsModel, "AssumeRole"), "DurationSeconds=900.5",
			"1 validation error detected: Value '900.5' at 'durationSeconds' failed to satisfy constraint: Member must be an integer"},
		{"integer beyond 32 bits", input(t, stsModel, "AssumeRole"), "DurationSeconds=4294968196",
			"1 validation error detected: Value '4294968196' at 'durationSeconds' failed to satisfy constraint: Member must be an integer"},
		{"boolean", input(t, iamModel, "CreatePolicyVersion"), "SetAsDefault=yes",
			"1 validation error detected: Value 'yes' at 'setAsDefault' failed to satisfy constraint: Member must be true or false"},
		{"empty boolean", input(t, iamModel, "CreatePolicyVersion"), "SetAsDefault=",
			"1 validation error detected: Value '' at 'setAsDefault' failed to satisfy constraint: Member must be true or false"},
		{"timestamp", qs.Operations["GetIdentityContext"].Input, "SessionExpiresAt=tomorrow",
			"1 validation error detected: Value 'tomorrow' at 'sessionExpiresAt' failed to satisfy constraint: Member must be an ISO 8601 timestamp"},
		{"timestamp NaN", qs.Operations["GetIdentityContext"].Input, "SessionExpiresAt=NaN",
			"1 validation error detected: Value 'NaN' at 'sessionExpiresAt' failed to satisfy constraint: Member must be an ISO 8601 timestamp"},
		{"timestamp out of range", qs.Operations["GetIdentityContext"].Input, "SessionExpiresAt=1e300",
			"1 validation error detected: Value '1e300' at 'sessionExpiresAt' failed to satisfy constraint: Member must be an ISO 8601 timestamp"},
		{"integer inside a list item", input(t, iamModel, "SimulatePrincipalPolicy"), "MaxItems=x&ContextEntries.member.1.ContextKeyName=k",
			"1 validation error detected: Value 'x' at 'maxItems' failed to satisfy constraint: Member must be an integer"},
		{"bad value beside good ones", input(t, stsModel, "AssumeRoot"), "DurationSeconds=1h&TaskPolicyArn.arn=x&TargetPrincipal=p&Unused=1",
			"1 validation error detected: Value '1h' at 'durationSeconds' failed to satisfy constraint: Member must be an integer"},
		{"IAM paging", input(t, iamModel, "ListRoles"), "MaxItems=ten&Marker=m&PathPrefix=%2F",
			"1 validation error detected: Value 'ten' at 'maxItems' failed to satisfy constraint: Member must be an integer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := query.ParseParams("", formType, []byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			got, err := query.Decode(c.shape, p)
			ae, ok := awserr.As(err)
			if !ok || got != nil {
				t.Fatalf("Decode = %#v, %v; want a ValidationError", got, err)
			}
			if ae.Code != "ValidationError" || ae.HTTPStatus != http.StatusBadRequest || ae.Message != c.want {
				t.Errorf("got %s %d %q\nwant ValidationError 400 %q", ae.Code, ae.HTTPStatus, ae.Message, c.want)
			}
		})
	}
}

// Two unparseable members in different places give one combined message with AWS's paths.
func TestDecodeMultipleBadScalars(t *testing.T) {
	// No STS, IAM or QuickSight input has two non-string scalars, so a synthetic shape built from
	// IAM's scalar shapes stands in.
	shape := &awsmodel.Shape{Name: "Synthetic", Type: "structure", Members: []*awsmodel.Member{
		{Name: "SetAsDefault", Shape: iamModel.Shapes["booleanType"]},
		{Name: "Entries", Shape: &awsmodel.Shape{Type: "list", Member: &awsmodel.Member{Name: "member", Shape: &awsmodel.Shape{
			Type: "structure", Members: []*awsmodel.Member{{Name: "Count", Shape: iamModel.Shapes["maxItemsType"]}},
		}}}},
	}}
	p := query.Params{"SetAsDefault": "maybe", "Entries.member.1.Count": "1", "Entries.member.2.Count": "two"}
	_, err := query.Decode(shape, p)
	want := "2 validation errors detected: Value 'maybe' at 'setAsDefault' failed to satisfy constraint: Member must be true or false; " +
		"Value 'two' at 'entries.2.member.count' failed to satisfy constraint: Member must be an integer"
	if ae, ok := awserr.As(err); !ok || ae.Message != want {
		t.Errorf("got %v\nwant %q", err, want)
	}
}

func TestParseParams(t *testing.T) {
	for _, c := range []struct {
		name, query, contentType, body string
		want                           query.Params
	}{
		{"botocore content type", "", "application/x-www-form-urlencoded; charset=utf-8", "Action=GetCallerIdentity&Version=2011-06-15",
			query.Params{"Action": "GetCallerIdentity", "Version": "2011-06-15"}},
		{"SDK Go v2 content type", "", "application/x-www-form-urlencoded", "Version=2011-06-15&Action=GetCallerIdentity",
			query.Params{"Action": "GetCallerIdentity", "Version": "2011-06-15"}},
		{"content type case and spacing", "", " Application/X-WWW-Form-URLEncoded ;charset=UTF-8", "A=1", query.Params{"A": "1"}},
		{"no content type", "", "", "A=1", query.Params{"A": "1"}},
		{"JSON content type without a body", "Action=GetCallerIdentity", "application/json", "", query.Params{"Action": "GetCallerIdentity"}},
		{"query string and body merge", "Action=GetCallerIdentity&Q=1", formType, "X=body&Version=2011-06-15",
			query.Params{"Action": "GetCallerIdentity", "Version": "2011-06-15", "X": "body", "Q": "1"}},
		{"query string only", "Action=GetCallerIdentity&Version=2011-06-15", "", "", query.Params{"Action": "GetCallerIdentity", "Version": "2011-06-15"}},
		{"plus is a space, %2B a plus", "", formType, "A=a+b&B=a%2Bb&C=a%20b", query.Params{"A": "a b", "B": "a+b", "C": "a b"}},
		{"key without value", "", formType, "A&B=", query.Params{"A": "", "B": ""}},
		{"empty pairs skipped", "", formType, "&&A=1&", query.Params{"A": "1"}},
		{"unicode and reserved characters", "", formType, "Policy=%7B%22a%22%3A%22%C3%A9%E2%82%AC%F0%9F%98%80%3D%26%22%7D",
			query.Params{"Policy": `{"a":"é€😀=&"}`}},
		{"escaped key", "", formType, "Tags.member.1.Key%3D=x", query.Params{"Tags.member.1.Key=": "x"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := query.ParseParams(c.query, c.contentType, []byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %#v, want %#v", got, c.want)
			}
		})
	}
	for _, c := range []struct{ name, query, contentType, body, msg string }{
		{"bad escape in body", "", formType, "A=%zz", "malformed"},
		{"truncated escape in body", "", formType, "A=abc%2", "malformed"},
		{"bad escape in key", "", formType, "%G1=x", "malformed"},
		{"bad escape in query", "A=%", formType, "", "malformed"},
		{"semicolon separator", "", formType, "A=1;B=2", "malformed"},
		// A signed query is canonicalised sorted, so the order of repeated values is not signed:
		// whichever one won, the holder of the URL could choose it.
		{"repeated in the query", "Action=AssumeRole&RoleSessionName=a&RoleSessionName=b", formType, "", `"RoleSessionName" appears more than once`},
		{"repeated in the query, reordered", "RoleSessionName=b&Action=AssumeRole&RoleSessionName=a", formType, "", `"RoleSessionName" appears more than once`},
		{"repeated in the body", "", formType, "A=1&A=2", `"A" appears more than once`},
		{"repeated through an escape", "", formType, "A=1&%41=2", `"A" appears more than once`},
		{"in both query and body", "Version=2011-06-15", formType, "Action=GetCallerIdentity&Version=2010-05-08", `"Version" appears more than once`},
		// Ignoring a body that is not a form would let an unsigned Content-Type drop signed parameters.
		{"JSON body", "Action=AssumeRole", "application/json", `{"Policy":"x"}`, "application/x-www-form-urlencoded"},
		{"form body under a text content type", "Action=AssumeRole&Version=2011-06-15", "text/plain", "Policy=%7B%7D", "application/x-www-form-urlencoded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := query.ParseParams(c.query, c.contentType, []byte(c.body))
			if err == nil {
				t.Fatalf("accepted as %#v", p)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %q does not say %q", err, c.msg)
			}
		})
	}
}

// node is a generic XML element, so tests can look at what was written without a schema.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n *node) child(name string) *node {
	for i := range n.Nodes {
		if n.Nodes[i].XMLName.Local == name {
			return &n.Nodes[i]
		}
	}
	return nil
}

func (n *node) path(names ...string) *node {
	cur := n
	for _, name := range names {
		if cur = cur.child(name); cur == nil {
			return nil
		}
	}
	return cur
}

func (n *node) names() []string {
	var out []string
	for _, c := range n.Nodes {
		out = append(out, c.XMLName.Local)
	}
	return out
}

func parseXML(t *testing.T, body []byte) *node {
	t.Helper()
	var n node
	if err := xml.Unmarshal(body, &n); err != nil {
		t.Fatalf("response is not XML: %v\n%s", err, body)
	}
	return &n
}

func respond(t *testing.T, svc *awsmodel.Service, op string, out map[string]any) (*httptest.ResponseRecorder, *node) {
	t.Helper()
	rec := httptest.NewRecorder()
	query.WriteResponse(rec, svc, svc.Operations[op], out, requestID)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/xml" {
		t.Errorf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
		t.Errorf("Content-Length %s for %d bytes", cl, rec.Body.Len())
	}
	if id := rec.Header().Get("x-amzn-RequestId"); id != requestID {
		t.Errorf("x-amzn-RequestId %q", id)
	}
	return rec, parseXML(t, rec.Body.Bytes())
}

func TestWriteResponseGetCallerIdentity(t *testing.T) {
	rec, _ := respond(t, stsModel, "GetCallerIdentity", map[string]any{
		"Arn": "arn:aws:sts::123456789012:assumed-role/demo/sess-1", "UserId": "AROAQXAMPLEROLEID1234:sess-1", "Account": "123456789012",
		"NotInModel": "dropped",
	})
	var resp struct {
		XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
		Result  struct {
			Arn, UserId, Account string
		} `xml:"GetCallerIdentityResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("%v\n%s", err, rec.Body)
	}
	if resp.Result.Arn != "arn:aws:sts::123456789012:assumed-role/demo/sess-1" || resp.Result.UserId != "AROAQXAMPLEROLEID1234:sess-1" ||
		resp.Result.Account != "123456789012" || resp.RequestID != requestID {
		t.Errorf("parsed %+v", resp)
	}
	// Model order, as AWS writes it.
	want := `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><UserId>AROAQXAMPLEROLEID1234:sess-1</UserId><Account>123456789012</Account><Arn>arn:aws:sts::123456789012:assumed-role/demo/sess-1</Arn></GetCallerIdentityResult><ResponseMetadata><RequestId>` + requestID + `</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
	if rec.Body.String() != want {
		t.Errorf("body\n%s\nwant\n%s", rec.Body, want)
	}
}

func TestWriteResponseAssumeRole(t *testing.T) {
	exp := time.Date(2026, 11, 22, 14, 30, 0, 0, time.FixedZone("CET", 3600))
	_, n := respond(t, stsModel, "AssumeRole", map[string]any{
		"Credentials": map[string]any{
			"AccessKeyId": "ASIAQXAMPLEKEYID1234", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			"SessionToken": "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN", "Expiration": exp,
		},
		"AssumedRoleUser":  map[string]any{"AssumedRoleId": "AROAQXAMPLEROLEID1234:sess-1", "Arn": "arn:aws:sts::123456789012:assumed-role/demo/sess-1"},
		"PackedPolicySize": int64(7),
		"SourceIdentity":   "alice",
	})
	if n.XMLName.Space != stsModel.XMLNamespace || n.XMLName.Local != "AssumeRoleResponse" {
		t.Errorf("root %v", n.XMLName)
	}
	r := n.child("AssumeRoleResult")
	if r == nil {
		t.Fatal("no AssumeRoleResult")
	}
	if got := r.path("Credentials", "Expiration").Text; got != "2026-11-22T13:30:00Z" {
		t.Errorf("Expiration = %q, want UTC ISO 8601", got)
	}
	if got := r.path("PackedPolicySize").Text; got != "7" {
		t.Errorf("PackedPolicySize = %q", got)
	}
	if got := strings.Join(r.child("Credentials").names(), " "); got != "AccessKeyId SecretAccessKey SessionToken Expiration" {
		t.Errorf("Credentials members %s", got)
	}
	if got := strings.Join(n.names(), " "); got != "AssumeRoleResult ResponseMetadata" {
		t.Errorf("envelope %s", got)
	}
}

func TestWriteResponseLists(t *testing.T) {
	created := time.Date(2019, 7, 15, 23, 28, 33, 0, time.UTC)
	rec, n := respond(t, iamModel, "ListRoles", map[string]any{
		"Roles": []any{
			map[string]any{
				"Path": "/", "RoleName": "r1", "RoleId": "AROA1", "Arn": "arn:aws:iam::123456789012:role/r1", "CreateDate": created,
				"Description": `a<b & c>"d"'e`, "MaxSessionDuration": int64(3600),
				"Tags":         []any{map[string]any{"Key": "a", "Value": "b"}, map[string]any{"Key": "c", "Value": ""}},
				"RoleLastUsed": map[string]any{},
			},
			nil,
			map[string]any{"RoleName": "r2", "Tags": []any{}},
		},
		"IsTruncated": false,
	})
	roles := n.path("ListRolesResult", "Roles")
	if roles == nil || len(roles.Nodes) != 2 || roles.Nodes[0].XMLName.Local != "member" || roles.Nodes[1].XMLName.Local != "member" {
		t.Fatalf("Roles = %+v\n%s", roles, rec.Body)
	}
	r1 := roles.Nodes[0]
	if got := r1.path("Description").Text; got != `a<b & c>"d"'e` {
		t.Errorf("Description round trip = %q", got)
	}
	if got := r1.path("CreateDate").Text; got != "2019-07-15T23:28:33Z" {
		t.Errorf("CreateDate = %q", got)
	}
	tags := r1.child("Tags")
	if len(tags.Nodes) != 2 || tags.Nodes[1].path("Key").Text != "c" || tags.Nodes[1].path("Value") == nil || tags.Nodes[1].path("Value").Text != "" {
		t.Errorf("Tags = %+v", tags)
	}
	if r2tags := roles.Nodes[1].child("Tags"); r2tags == nil || len(r2tags.Nodes) != 0 {
		t.Errorf("empty list must be written as an empty element, got %+v", r2tags)
	}
	if !strings.Contains(rec.Body.String(), "<Tags/>") || !strings.Contains(rec.Body.String(), "<RoleLastUsed></RoleLastUsed>") {
		t.Errorf("body %s", rec.Body)
	}
	if got := n.path("ListRolesResult", "IsTruncated").Text; got != "false" {
		t.Errorf("IsTruncated = %q", got)
	}
	if n.path("ListRolesResult", "Marker") != nil {
		t.Error("absent Marker was written")
	}
}

func TestWriteResponseEscapesEverything(t *testing.T) {
	nasty := "<&>\"' \t\r\n\x00\x01\x1f\ufffe\xff end"
	rec, n := respond(t, stsModel, "GetCallerIdentity", map[string]any{"Arn": nasty})
	got := n.path("GetCallerIdentityResult", "Arn").Text
	// Characters XML cannot carry become U+FFFD; everything else survives.
	want := "<&>\"' \t\r\n\ufffd\ufffd\ufffd\ufffd\ufffd end"
	if got != want {
		t.Errorf("Arn = %q, want %q\n%s", got, want, rec.Body)
	}
}

func TestWriteResponseScalarsAndMaps(t *testing.T) {
	// STS and IAM outputs hold no blobs, doubles or maps, so a synthetic operation checks them.
	str := &awsmodel.Shape{Type: "string"}
	out := &awsmodel.Shape{Name: "Out", Type: "structure", Members: []*awsmodel.Member{
		{Name: "Blob", Shape: &awsmodel.Shape{Type: "blob"}},
		{Name: "Ratio", Shape: &awsmodel.Shape{Type: "double"}},
		{Name: "Attrs", Shape: &awsmodel.Shape{Type: "map", Key: &awsmodel.Member{Name: "key", Shape: str}, Value: &awsmodel.Member{Name: "value", Shape: str}}},
		{Name: "Items", Shape: &awsmodel.Shape{Type: "list", Member: &awsmodel.Member{Name: "member", Shape: str, LocationName: "item"}}},
		{Name: "Renamed", Shape: str, LocationName: "wireName"},
	}}
	op := &awsmodel.Operation{Name: "Synthetic", Output: out}
	rec := httptest.NewRecorder()
	query.WriteResponse(rec, stsModel, op, map[string]any{
		"Blob": []byte{0, 1, 0xfe}, "Ratio": 0.25, "Attrs": map[string]any{"b": "2", "a": "1", "z": nil},
		"Items": []any{"x", nil, "y"}, "Renamed": "r",
	}, requestID)
	want := `<SyntheticResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><SyntheticResult>` +
		`<Blob>` + base64.StdEncoding.EncodeToString([]byte{0, 1, 0xfe}) + `</Blob><Ratio>0.25</Ratio>` +
		`<Attrs><entry><key>a</key><value>1</value></entry><entry><key>b</key><value>2</value></entry></Attrs>` +
		`<Items><item>x</item><item>y</item></Items><wireName>r</wireName>` +
		`</SyntheticResult><ResponseMetadata><RequestId>` + requestID + `</RequestId></ResponseMetadata></SyntheticResponse>`
	if rec.Body.String() != want {
		t.Errorf("body\n%s\nwant\n%s", rec.Body, want)
	}
}

func TestWriteResponseWithoutOutput(t *testing.T) {
	rec, n := respond(t, iamModel, "DeleteRole", nil)
	want := `<DeleteRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>` + requestID + `</RequestId></ResponseMetadata></DeleteRoleResponse>`
	if rec.Body.String() != want {
		t.Errorf("body %s", rec.Body)
	}
	if n.child("DeleteRoleResult") != nil {
		t.Error("operation without output has a Result element")
	}
	// An operation with an output but nothing to say still has its Result element.
	rec, n = respond(t, iamModel, "ListRoles", nil)
	if r := n.child("ListRolesResult"); r == nil || len(r.Nodes) != 0 {
		t.Errorf("empty result: %s", rec.Body)
	}
}

func TestWriteError(t *testing.T) {
	for _, c := range []struct {
		name     string
		ns       string
		err      *awserr.Error
		typ      string
		wantBody string
	}{
		{"IAM sender", iamModel.XMLNamespace, awserr.New("NoSuchEntity", 404, "The role with name r1 cannot be found."), "Sender",
			`<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name r1 cannot be found.</Message></Error><RequestId>` + requestID + `</RequestId></ErrorResponse>`},
		{"STS 403", stsModel.XMLNamespace, awserr.New("AccessDenied", 403, `User: <x> & "y" is not authorized`), "Sender", ""},
		{"receiver", iamModel.XMLNamespace, awserr.New("ServiceFailure", 500, "boom"), "Receiver", ""},
		{"503 receiver", stsModel.XMLNamespace, awserr.New("ServiceUnavailable", 503, "later"), "Receiver", ""},
		{"internal with cause", stsModel.XMLNamespace, &awserr.Error{Code: "InternalFailure", Message: awserr.InternalMessage, HTTPStatus: 500, Cause: errors.New("db password wrong")}, "Receiver", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			query.WriteError(rec, c.ns, c.err, requestID)
			if rec.Code != c.err.HTTPStatus || rec.Header().Get("Content-Type") != "text/xml" || rec.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) ||
				rec.Header().Get("x-amzn-RequestId") != requestID {
				t.Errorf("status %d headers %v", rec.Code, rec.Header())
			}
			if c.wantBody != "" && rec.Body.String() != c.wantBody {
				t.Errorf("body\n%s\nwant\n%s", rec.Body, c.wantBody)
			}
			var resp struct {
				XMLName xml.Name
				Error   struct{ Type, Code, Message string }
				ReqID   string `xml:"RequestId"`
			}
			if err := xml.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatalf("%v\n%s", err, rec.Body)
			}
			if resp.XMLName.Space != c.ns || resp.XMLName.Local != "ErrorResponse" || resp.Error.Type != c.typ ||
				resp.Error.Code != c.err.Code || resp.Error.Message != c.err.Message || resp.ReqID != requestID {
				t.Errorf("parsed %+v", resp)
			}
			if strings.Contains(rec.Body.String(), "db password") {
				t.Error("internal cause leaked")
			}
		})
	}
}

// TestDecodeHostileInputIsCheap feeds bodies that would be quadratic or unbounded under a naive
// decoder. Each finishes in milliseconds; the generous bound only catches a regression to O(n²).
func TestDecodeHostileInputIsCheap(t *testing.T) {
	var many, dotted strings.Builder
	for i := 1; i <= 9000; i++ {
		fmt.Fprintf(&many, "ContextEntries.member.%d.ContextKeyValues.member.1=v&", i)
		fmt.Fprintf(&dotted, "ContextEntries.member.1.ContextKeyValues.member.1.%d.x.y.z=1&", i)
	}
	for _, c := range []struct{ name, body string }{
		{"huge index", "ActionNames.member.999999999=x&ContextEntries.member.99999999999999999999.ContextKeyName=y"},
		{"one long dotted key", strings.Repeat("a.", 1<<20) + "=1"},
		{"long dotted key under a list", "ContextEntries.member.1." + strings.Repeat("ContextKeyValues.member.1.", 1<<16) + "=1"},
		{"thousands of dotted keys", dotted.String()},
		{"thousands of list items", many.String()},
		{"long value", "PolicySourceArn=" + strings.Repeat("%41", 1<<20)},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			p, err := query.ParseParams("", formType, []byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			for _, shape := range []*awsmodel.Shape{input(t, iamModel, "SimulatePrincipalPolicy"), input(t, stsModel, "AssumeRole")} {
				if tree, err := query.Decode(shape, p); err == nil {
					awsmodel.Validate(shape, tree)
				}
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// flatten is the client side of the awsQuery serialization rules (Smithy, "AWS query protocol"), written independently of
// the decoder so that a round trip checks one against the other.
func flatten(shape *awsmodel.Shape, tree map[string]any) url.Values {
	out := url.Values{}
	var walk func(s *awsmodel.Shape, key string, v any)
	walk = func(s *awsmodel.Shape, key string, v any) {
		switch s.Type {
		case "structure":
			m := v.(map[string]any)
			if len(m) == 0 {
				out.Set(key, "")
			}
			for _, mem := range s.Members {
				if mv, ok := m[mem.Name]; ok {
					walk(mem.Shape, joinKey(key, mem.Name), mv)
				}
			}
		case "list":
			items := v.([]any)
			if len(items) == 0 {
				out.Set(key, "")
			}
			for i, it := range items {
				walk(s.Member.Shape, fmt.Sprintf("%s.member.%d", key, i+1), it)
			}
		case "map":
			m := v.(map[string]any)
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if len(keys) == 0 {
				out.Set(key, "")
			}
			for i, k := range keys {
				out.Set(fmt.Sprintf("%s.entry.%d.key", key, i+1), k)
				walk(s.Value.Shape, fmt.Sprintf("%s.entry.%d.value", key, i+1), m[k])
			}
		default:
			switch x := v.(type) {
			case string:
				out.Set(key, x)
			case int64:
				out.Set(key, strconv.FormatInt(x, 10))
			case bool:
				out.Set(key, strconv.FormatBool(x))
			case float64:
				out.Set(key, strconv.FormatFloat(x, 'g', -1, 64))
			case time.Time:
				out.Set(key, x.Format(time.RFC3339Nano))
			case []byte:
				out.Set(key, base64.StdEncoding.EncodeToString(x))
			default:
				panic(fmt.Sprintf("flatten: %T at %s", v, key))
			}
		}
	}
	walk(shape, "", tree)
	return out
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// conforms reports where a decoded tree breaks the value-tree convention for its shape.
func conforms(s *awsmodel.Shape, v any, path string) error {
	if v == nil {
		return nil // a list item whose parameters named no value
	}
	ok := false
	switch s.Type {
	case "structure":
		var m map[string]any
		if m, ok = v.(map[string]any); ok {
			for k, mv := range m {
				mem := s.MemberByName(k)
				if mem == nil {
					return fmt.Errorf("%s: unknown member %s", path, k)
				}
				if mv == nil {
					return fmt.Errorf("%s.%s: nil member", path, k)
				}
				if err := conforms(mem.Shape, mv, path+"."+k); err != nil {
					return err
				}
			}
		}
	case "list":
		var items []any
		if items, ok = v.([]any); ok {
			for i, it := range items {
				if err := conforms(s.Member.Shape, it, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	case "map":
		var m map[string]any
		if m, ok = v.(map[string]any); ok {
			for k, mv := range m {
				if err := conforms(s.Value.Shape, mv, path+"["+k+"]"); err != nil {
					return err
				}
			}
		}
	case "string":
		_, ok = v.(string)
	case "integer", "long":
		var n int64
		n, ok = v.(int64)
		if s.Type == "integer" && (n > 1<<31-1 || n < -1<<31) {
			return fmt.Errorf("%s: %d overflows a 32-bit integer", path, n)
		}
	case "boolean":
		_, ok = v.(bool)
	case "timestamp":
		_, ok = v.(time.Time)
	case "blob":
		_, ok = v.([]byte)
	case "double", "float":
		_, ok = v.(float64)
	}
	if !ok {
		return fmt.Errorf("%s: %T for %s", path, v, s.Type)
	}
	return nil
}

func hasNil(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		for _, e := range x {
			if hasNil(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasNil(e) {
				return true
			}
		}
	}
	return false
}

// FuzzDecode checks that no query string or body makes ParseParams, Decode, Validate or
// WriteResponse panic or crawl; that every refusal is a 400 ValidationError; that decoded trees
// follow the value-tree convention; that flattening a decoded tree decodes to the same tree; and
// that whatever was decoded renders as well-formed XML.
func FuzzDecode(f *testing.F) {
	seeds := [][2]string{
		{"", botocoreAssumeRole},
		{"", goV2AssumeRole},
		{"", botocoreOIDC},
		{"", simulateBody},
		{"Action=AssumeRole&Version=2011-06-15", "TransitiveTagKeys=&PolicyArns=&RoleArn=r"},
		{"", "A.member.999999999=x"},
		{"", "ActionNames.member.999999999=x&ActionNames.member.1=y"},
		{"", "ContextEntries.member.1.ContextKeyValues.member.1.member.1=x&ContextEntries.member.1=y&ContextEntries=z"},
		{"", "Tags.member.1=scalar&Tags.member.2.Key.member.1=k&PolicyArns.member.1.arn.x=y"},
		{"", "DurationSeconds=1e3&MaxItems=-0&SetAsDefault=TRUE&DurationSeconds=2"},
		{"", "RoleSessionName=%FF%FE%00&Policy=%EF%BF%BE&Tags.member.1.Key=%F0%9F%98%80"},
		{"", strings.Repeat("a.", 2000) + "=1&" + strings.Repeat(".", 100) + "=2&...member..1=3"},
		{"", strings.Repeat("ContextEntries.member.1.ContextKeyValues.member.1.x=1&", 200)},
		{"", "=&&=x&%=&a=%zz"},
		{"TaskPolicyArn.arn=x", "TaskPolicyArn=y&TargetPrincipal.arn=z"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	shapes := []*awsmodel.Shape{
		input(f, stsModel, "AssumeRole"),
		input(f, stsModel, "AssumeRoot"),
		input(f, iamModel, "SimulatePrincipalPolicy"),
		input(f, iamModel, "CreatePolicyVersion"),
	}
	f.Fuzz(func(t *testing.T, rawQuery, body string) {
		p, err := query.ParseParams(rawQuery, formType, []byte(body))
		if err != nil {
			return
		}
		for _, shape := range shapes {
			tree, err := query.Decode(shape, p)
			if err != nil {
				if ae, ok := awserr.As(err); !ok || ae.Code != "ValidationError" || ae.HTTPStatus != 400 {
					t.Fatalf("%s: unexpected error %#v", shape.Name, err)
				}
				continue
			}
			if err := conforms(shape, tree, shape.Name); err != nil {
				t.Fatal(err)
			}
			awsmodel.Validate(shape, tree)
			if !hasNil(tree) {
				again, err := query.Decode(shape, query.Params(firsts(flatten(shape, tree))))
				if err != nil {
					t.Fatalf("%s: re-decoding %#v: %v", shape.Name, tree, err)
				}
				if !reflect.DeepEqual(tree, again) {
					t.Fatalf("%s: round trip changed the tree\n%#v\n%#v", shape.Name, tree, again)
				}
			}
			rec := httptest.NewRecorder()
			query.WriteResponse(rec, stsModel, &awsmodel.Operation{Name: "Echo", Output: shape}, tree, requestID)
			dec := xml.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
			for {
				if _, err := dec.Token(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("%s: rendered XML is malformed: %v\n%s", shape.Name, err, rec.Body)
				}
			}
		}
	})
}

func firsts(v url.Values) map[string]string {
	out := make(map[string]string, len(v))
	for k, vs := range v {
		out[k] = vs[0]
	}
	return out
}

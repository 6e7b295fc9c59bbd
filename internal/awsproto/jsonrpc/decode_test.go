package jsonrpc

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
)

var cognito = awsmodel.MustLoad("cognito-identity")

func shape(t testing.TB, name string) *awsmodel.Shape {
	t.Helper()
	s := cognito.Shapes[name]
	if s == nil {
		t.Fatalf("no shape %s in the cognito-identity model", name)
	}
	return s
}

func nested(open, close string, n int, inner string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name  string
		shape string
		body  string
		want  map[string]any
	}{
		{"empty body", "GetIdInput", "", map[string]any{}},
		{"whitespace body", "GetIdInput", " \n\t", map[string]any{}},
		{"empty object", "GetIdInput", "{}", map[string]any{}},
		{
			"GetId with Logins map", "GetIdInput",
			`{"IdentityPoolId": "eu-west-1:11111111-2222-3333-4444-555555555555", "AccountId": "123456789012", "Logins": {"accounts.google.com": "tok", "graph.facebook.com": "fb"}}`,
			map[string]any{
				"IdentityPoolId": "eu-west-1:11111111-2222-3333-4444-555555555555",
				"AccountId":      "123456789012",
				"Logins":         map[string]any{"accounts.google.com": "tok", "graph.facebook.com": "fb"},
			},
		},
		{
			"unknown members are ignored, including nested ones", "GetIdInput",
			`{"IdentityPoolId":"p","Extra":{"a":[1,2,{"b":null}]},"Logins":{"x":"y"},"Another":true}`,
			map[string]any{"IdentityPoolId": "p", "Logins": map[string]any{"x": "y"}},
		},
		{
			"null members are absent", "GetIdInput",
			`{"IdentityPoolId":"p","AccountId":null,"Logins":{"a":null,"b":"t"}}`,
			map[string]any{"IdentityPoolId": "p", "Logins": map[string]any{"b": "t"}},
		},
		{
			"duplicate key, last wins", "GetIdInput",
			`{"IdentityPoolId":"a","IdentityPoolId":"b"}`,
			map[string]any{"IdentityPoolId": "b"},
		},
		{
			"SetIdentityPoolRoles with role mappings and rules", "SetIdentityPoolRolesInput",
			`{"IdentityPoolId":"us-east-1:p","Roles":{"authenticated":"arn:aws:iam::123456789012:role/auth"},
			  "RoleMappings":{"graph.facebook.com":{"Type":"Rules","AmbiguousRoleResolution":"Deny",
			    "RulesConfiguration":{"Rules":[
			      {"Claim":"aud","MatchType":"Equals","Value":"x","RoleARN":"arn:aws:iam::123456789012:role/a"},
			      {"Claim":"sub","MatchType":"StartsWith","Value":"y","RoleARN":"arn:aws:iam::123456789012:role/b"}]}},
			    "accounts.google.com":{"Type":"Token"}}}`,
			map[string]any{
				"IdentityPoolId": "us-east-1:p",
				"Roles":          map[string]any{"authenticated": "arn:aws:iam::123456789012:role/auth"},
				"RoleMappings": map[string]any{
					"graph.facebook.com": map[string]any{
						"Type":                    "Rules",
						"AmbiguousRoleResolution": "Deny",
						"RulesConfiguration": map[string]any{"Rules": []any{
							map[string]any{"Claim": "aud", "MatchType": "Equals", "Value": "x", "RoleARN": "arn:aws:iam::123456789012:role/a"},
							map[string]any{"Claim": "sub", "MatchType": "StartsWith", "Value": "y", "RoleARN": "arn:aws:iam::123456789012:role/b"},
						}},
					},
					"accounts.google.com": map[string]any{"Type": "Token"},
				},
			},
		},
		{
			"CreateIdentityPool booleans, lists and list of structures", "CreateIdentityPoolInput",
			`{"IdentityPoolName":"pool","AllowUnauthenticatedIdentities":false,"AllowClassicFlow":true,
			  "OpenIdConnectProviderARNs":["arn:a","arn:b"],"SamlProviderARNs":[],
			  "CognitoIdentityProviders":[{"ProviderName":"cognito-idp.us-east-1.amazonaws.com/us-east-1_x","ClientId":"c","ServerSideTokenCheck":true},{}],
			  "IdentityPoolTags":{"team":"","env":"prod"}}`,
			map[string]any{
				"IdentityPoolName":               "pool",
				"AllowUnauthenticatedIdentities": false,
				"AllowClassicFlow":               true,
				"OpenIdConnectProviderARNs":      []any{"arn:a", "arn:b"},
				"SamlProviderARNs":               []any{},
				"CognitoIdentityProviders": []any{
					map[string]any{"ProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_x", "ClientId": "c", "ServerSideTokenCheck": true},
					map[string]any{},
				},
				"IdentityPoolTags": map[string]any{"team": "", "env": "prod"},
			},
		},
		{"integer", "ListIdentityPoolsInput", `{"MaxResults":60}`, map[string]any{"MaxResults": int64(60)}},
		{"integral integer spelled as a double", "ListIdentityPoolsInput", `{"MaxResults":10.0}`, map[string]any{"MaxResults": int64(10)}},
		{"integral integer in exponent form", "ListIdentityPoolsInput", `{"MaxResults":1e1}`, map[string]any{"MaxResults": int64(10)}},
		{"negative integer (range is Validate's job)", "ListIdentityPoolsInput", `{"MaxResults":-3}`, map[string]any{"MaxResults": int64(-3)}},
		{"largest long", "GetOpenIdTokenForDeveloperIdentityInput", `{"TokenDuration":9223372036854775807}`, map[string]any{"TokenDuration": int64(9223372036854775807)}},
		{"long beyond 32 bits", "GetOpenIdTokenForDeveloperIdentityInput", `{"TokenDuration":86400000000}`, map[string]any{"TokenDuration": int64(86400000000)}},
		{"integer timestamp", "IdentityDescription", `{"CreationDate":1795354200}`, map[string]any{"CreationDate": time.Unix(1795354200, 0).UTC()}},
		{"fractional timestamp", "IdentityDescription", `{"CreationDate":1795354200.5}`, map[string]any{"CreationDate": time.Unix(1795354200, 500000000).UTC()}},
		{"millisecond timestamp keeps its milliseconds", "IdentityDescription", `{"CreationDate":1699999999.123}`, map[string]any{"CreationDate": time.Unix(1699999999, 123000000).UTC()}},
		{"exponent timestamp", "IdentityDescription", `{"LastModifiedDate":1.699999999E9}`, map[string]any{"LastModifiedDate": time.Unix(1699999999, 0).UTC()}},
		{"negative timestamp", "IdentityDescription", `{"CreationDate":-1.5}`, map[string]any{"CreationDate": time.Unix(-2, 500000000).UTC()}},
		{
			"nested timestamp", "GetCredentialsForIdentityResponse",
			`{"IdentityId":"i","Credentials":{"AccessKeyId":"A","SecretKey":"S","SessionToken":"T","Expiration":1795354200.0}}`,
			map[string]any{"IdentityId": "i", "Credentials": map[string]any{"AccessKeyId": "A", "SecretKey": "S", "SessionToken": "T", "Expiration": time.Unix(1795354200, 0).UTC()}},
		},
		{"unicode and escapes", "GetIdInput", `{"IdentityPoolId":"caf\u00e9 \"q\" ☃"}`, map[string]any{"IdentityPoolId": "café \"q\" ☃"}},
		{"deep unknown member within the bound", "GetIdInput", `{"X":` + nested("[", "]", 60, "1") + `,"IdentityPoolId":"p"}`, map[string]any{"IdentityPoolId": "p"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(shape(t, tt.shape), []byte(tt.body))
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
		name    string
		shape   string
		body    string
		message string // substring of the error message
	}{
		{"truncated object", "GetIdInput", `{"IdentityPoolId":"p"`, "not valid JSON"},
		{"missing value", "GetIdInput", `{"IdentityPoolId":}`, "not valid JSON"},
		{"trailing comma", "GetIdInput", `{"IdentityPoolId":"p",}`, "not valid JSON"},
		{"bare garbage", "GetIdInput", `hello`, "not valid JSON"},
		{"top-level array", "GetIdInput", `[]`, "must be a JSON object"},
		{"top-level string", "GetIdInput", `"x"`, "must be a JSON object"},
		{"top-level null", "GetIdInput", `null`, "must be a JSON object"},
		{"two objects", "GetIdInput", `{}{}`, "after the JSON object"},
		{"trailing garbage", "GetIdInput", `{} x`, "after the JSON object"},
		{"string given a number", "GetIdInput", `{"IdentityPoolId":5}`, "Expected a string at 'IdentityPoolId' but found a number"},
		{"string given an object", "GetIdInput", `{"IdentityPoolId":{}}`, "Expected a string at 'IdentityPoolId' but found an object"},
		{"map given an array", "GetIdInput", `{"Logins":["a"]}`, "Expected an object at 'Logins' but found an array"},
		{"map value of the wrong type", "GetIdInput", `{"Logins":{"accounts.google.com":1}}`, `Logins["accounts.google.com"]`},
		{"boolean given a string", "CreateIdentityPoolInput", `{"AllowUnauthenticatedIdentities":"true"}`, "Expected a boolean"},
		{"boolean given a number", "CreateIdentityPoolInput", `{"AllowUnauthenticatedIdentities":1}`, "Expected a boolean"},
		{"list given a string", "CreateIdentityPoolInput", `{"OpenIdConnectProviderARNs":"arn"}`, "Expected an array"},
		{"structure given a list", "SetIdentityPoolRolesInput", `{"RoleMappings":{"p":[]}}`, `RoleMappings["p"]`},
		{
			"deep path in the message", "SetIdentityPoolRolesInput",
			`{"RoleMappings":{"p":{"Type":"Rules","RulesConfiguration":{"Rules":[{"Claim":"a"},{"Claim":7}]}}}}`,
			`RoleMappings["p"].RulesConfiguration.Rules[1].Claim`,
		},
		{"fractional integer", "ListIdentityPoolsInput", `{"MaxResults":1.5}`, "Expected an integer at 'MaxResults' but found 1.5"},
		{"integer given a string", "ListIdentityPoolsInput", `{"MaxResults":"10"}`, "Expected an integer"},
		{"integer beyond 32 bits", "ListIdentityPoolsInput", `{"MaxResults":2147483648}`, "out of range for a 32-bit integer"},
		{"huge integer", "ListIdentityPoolsInput", `{"MaxResults":` + strings.Repeat("9", 400) + `}`, "out of range"},
		{"long beyond 64 bits", "GetOpenIdTokenForDeveloperIdentityInput", `{"TokenDuration":9223372036854775808}`, "out of range"},
		{"huge exponent integer", "GetOpenIdTokenForDeveloperIdentityInput", `{"TokenDuration":1e999999999}`, "out of range"},
		{"timestamp as ISO string", "IdentityDescription", `{"CreationDate":"2026-11-22T12:00:00Z"}`, "Expected a timestamp in epoch seconds"},
		{"huge timestamp", "IdentityDescription", `{"CreationDate":1e300}`, "not a valid number of epoch seconds"},
		{"overflowing timestamp", "IdentityDescription", `{"CreationDate":1e400}`, "not a valid number of epoch seconds"},
		{"too deep in a known member", "SetIdentityPoolRolesInput", `{"RoleMappings":` + nested(`{"a":`, "}", 100, "1") + `}`, "nested deeper than 64"},
		{"too deep in an unknown member", "GetIdInput", `{"X":` + nested("[", "]", 65, "") + `}`, "nested deeper than 64"},
		{"hostile nesting", "GetIdInput", `{"X":` + nested(`{"a":[`, "]}", 200000, "") + `}`, "nested deeper than 64"},
		{"hostile nesting, unterminated", "GetIdInput", `{"X":` + strings.Repeat("[", 1<<20), "nested deeper than 64"},
		{"unterminated unknown member", "GetIdInput", `{"X":[1,2`, "unexpected end of input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(shape(t, tt.shape), []byte(tt.body))
			if err == nil {
				t.Fatalf("Decode accepted %.80q as %#v", tt.body, got)
			}
			ae, ok := awserr.As(err)
			if !ok || ae.Code != "SerializationException" || ae.HTTPStatus != 400 {
				t.Fatalf("error = %#v, want SerializationException 400", err)
			}
			if !strings.Contains(ae.Message, tt.message) {
				t.Errorf("message %q does not contain %q", ae.Message, tt.message)
			}
		})
	}
}

// The structure-typed "too deep" case above stops at a type mismatch; this one nests a type the
// model allows recursively (none do in Cognito), so it checks the bound through unknown members
// inside known structures too.
func TestDecodeDepthInsideKnownMembers(t *testing.T) {
	body := `{"RoleMappings":{"p":{"Type":"Token","Junk":` + nested("[", "]", 70, "") + `}}}`
	_, err := Decode(shape(t, "SetIdentityPoolRolesInput"), []byte(body))
	if ae, ok := awserr.As(err); !ok || !strings.Contains(ae.Message, "nested deeper") {
		t.Fatalf("err = %v, want a depth error", err)
	}
	body = `{"RoleMappings":{"p":{"Type":"Token","Junk":` + nested("[", "]", 58, "") + `}}}`
	if _, err := Decode(shape(t, "SetIdentityPoolRolesInput"), []byte(body)); err != nil {
		t.Fatalf("61 levels must be accepted: %v", err)
	}
}

func TestDecodeNilShape(t *testing.T) {
	got, err := Decode(nil, []byte(`{"anything":[1,{"x":2}]}`))
	if err != nil || len(got) != 0 {
		t.Fatalf("Decode(nil) = %v, %v; want empty input", got, err)
	}
	if _, err := Decode(nil, []byte(`{"x":`)); err == nil {
		t.Fatal("Decode(nil) accepted malformed JSON")
	}
}

// Decoding must hand awsmodel.Validate exactly the types it expects, so the two compose.
func TestDecodeThenValidate(t *testing.T) {
	s := shape(t, "SetIdentityPoolRolesInput")
	in, err := Decode(s, []byte(`{"IdentityPoolId":"us-east-1:11111111-2222-3333-4444-555555555555","Roles":{"authenticated":"short"},
		"RoleMappings":{"p":{"Type":"Rules","RulesConfiguration":{"Rules":[]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	msg := awsmodel.Validate(s, in)
	for _, want := range []string{"2 validation errors detected", "Value '{authenticated=short}' at 'roles'", "roleMappings.p.member.rulesConfiguration.rules"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Validate message %q lacks %q", msg, want)
		}
	}
}

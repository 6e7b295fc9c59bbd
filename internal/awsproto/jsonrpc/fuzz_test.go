package jsonrpc

import (
	"reflect"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsproto/jsonvalue"
)

// FuzzDecodeJSON checks that no body makes Decode panic, that every refusal is a
// SerializationException, and that whatever is accepted survives a render/decode round trip (the
// shapes used have no timestamps or floats, whose text forms are not canonical).
func FuzzDecodeJSON(f *testing.F) {
	seeds := []string{
		``, `{}`, `null`, `[]`, `{"IdentityPoolId":"p"}`,
		`{"IdentityPoolId":"us-east-1:p","Roles":{"authenticated":"arn:aws:iam::123456789012:role/auth"},"RoleMappings":{"graph.facebook.com":{"Type":"Rules","AmbiguousRoleResolution":"Deny","RulesConfiguration":{"Rules":[{"Claim":"aud","MatchType":"Equals","Value":"x","RoleARN":"arn:aws:iam::123456789012:role/a"}]}}}}`,
		`{"IdentityPoolName":"pool","AllowUnauthenticatedIdentities":false,"AllowClassicFlow":true,"SupportedLoginProviders":{"graph.facebook.com":"123"},"OpenIdConnectProviderARNs":["arn:a"],"CognitoIdentityProviders":[{"ProviderName":"p","ClientId":"c","ServerSideTokenCheck":true}],"IdentityPoolTags":{"k":"v"}}`,
		`{"RoleMappings":{"p":null},"Roles":{"a":null},"X":[[[{"y":1e999}]]]}`,
		`{"AllowUnauthenticatedIdentities":"true"}`,
		`{"CognitoIdentityProviders":[null,{},{"ServerSideTokenCheck":1}]}`,
		`{"IdentityPoolId":"\ud800","Roles":{"\u0000":"\u2028"}}`,
		`{"X":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`,
		`{"IdentityPoolId":"a"}{}`,
		`{"IdentityPoolId":"a",}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	shapes := []string{"SetIdentityPoolRolesInput", "CreateIdentityPoolInput"}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, name := range shapes {
			s := cognito.Shapes[name]
			got, err := Decode(s, body)
			if err != nil {
				if ae, ok := awserr.As(err); !ok || ae.Code != "SerializationException" || ae.HTTPStatus != 400 {
					t.Fatalf("%s: unexpected error %#v", name, err)
				}
				continue
			}
			again, err := Decode(s, jsonvalue.Encode(s, got))
			if err != nil {
				t.Fatalf("%s: re-decoding the rendered tree failed: %v", name, err)
			}
			if !reflect.DeepEqual(got, again) {
				t.Fatalf("%s: round trip changed the tree\n%#v\n%#v", name, got, again)
			}
		}
	})
}

package restjson

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsproto/jsonvalue"
)

// FuzzDecode drives the whole request path (route, bindings, body) with arbitrary input. Nothing may
// panic, every refusal must be one of the two client errors, and an accepted body must survive a
// render/decode round trip.
func FuzzDecode(f *testing.F) {
	f.Add("POST", "/accounts/123456789012/identity-context", "", []byte(`{"UserIdentifier":{"UserName":"alice"},"Namespace":"default","SessionExpiresAt":1795352400}`))
	f.Add("POST", "/accounts/123456789012/identity-context", "", []byte(`{"UserIdentifier":{"UserName":"a","Email":"b"},"SessionExpiresAt":1.699999999E9}`))
	f.Add("POST", "/accounts/123456789012/identity-context", "", []byte(`{"AwsAccountId":"x","UserIdentifier":null,"SessionExpiresAt":-1e300}`))
	f.Add("GET", "/accounts/123456789012/namespaces/default/users", "max-results=5&next-token=a%2Fb", []byte(nil))
	f.Add("GET", "/accounts/123456789012/namespaces/default/users", "max-results=1.5&max-results=x&%zz", []byte(nil))
	f.Add("GET", "/accounts/123456789012/namespaces/default/users/alice%2Fx%20y", "", []byte(nil))
	f.Add("GET", "/accounts/1/namespaces/d/users/jos%C3%A9%", "", []byte(nil))
	f.Add("POST", "/accounts/123456789012/namespaces/default/users", "", []byte(`{"IdentityType":"IAM","Tags":[{"Key":"k","Value":"v"},null,{}]}`))
	f.Add("PUT", "/accounts/1/namespaces/d/users/u", "", []byte(`{"UnapplyCustomPermissions":true,"X":[[[[{}]]]]}`))
	f.Add("POST", "/accounts/1", "", []byte(`{"Namespace":"n","Tags":"x"}`))
	f.Add("DELETE", "//accounts//", "", []byte(`{`))
	r := NewRouter(quicksight)
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte) {
		op, labels, matched := r.Match(method, path)
		if op == nil {
			if labels != nil {
				t.Fatalf("labels %v without an operation", labels)
			}
			return
		}
		if !matched {
			t.Fatal("an operation matched but pathMatched is false")
		}
		for k, v := range labels {
			if v == "" {
				t.Fatalf("empty label %s", k)
			}
		}
		in, err := Decode(op, labels, query, http.Header{}, body)
		if err != nil {
			ae, ok := awserr.As(err)
			if !ok || ae.HTTPStatus != 400 || (ae.Code != "SerializationException" && ae.Code != "InvalidParameterValueException") {
				t.Fatalf("unexpected error %#v", err)
			}
			return
		}
		for _, m := range op.Input.Members {
			if m.Location == "uri" && in[m.Name] != labels[m.LocationName] {
				t.Fatalf("label %s = %v, want %q", m.Name, in[m.Name], labels[m.LocationName])
			}
		}
		// Timestamps are rendered at millisecond precision, so compare after one normalising pass.
		once, err := jsonvalue.DecodeBody(op.Input, jsonvalue.EncodeBody(op.Input, in))
		if err != nil {
			t.Fatalf("re-decoding %v: %v", in, err)
		}
		twice, err := jsonvalue.DecodeBody(op.Input, jsonvalue.EncodeBody(op.Input, once))
		if err != nil || !reflect.DeepEqual(once, twice) {
			t.Fatalf("round trip is not stable: %v / %v (%v)", once, twice, err)
		}
		if strings.Contains(string(jsonvalue.EncodeBody(op.Input, in)), `"AwsAccountId"`) {
			t.Fatal("a label leaked into the body")
		}
	})
}

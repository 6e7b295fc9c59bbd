package restjson

import (
	"reflect"
	"testing"

	"github.com/latchkey/latchkey/internal/awsmodel"
)

var quicksight = awsmodel.MustLoad("quicksight")

func TestRouterQuickSight(t *testing.T) {
	r := NewRouter(quicksight)
	tests := []struct {
		method, path string
		op           string
		labels       map[string]string
	}{
		{"POST", "/accounts/123456789012/identity-context", "GetIdentityContext", map[string]string{"AwsAccountId": "123456789012"}},
		{"POST", "/accounts/123456789012/namespaces/default/users", "RegisterUser", map[string]string{"AwsAccountId": "123456789012", "Namespace": "default"}},
		{"GET", "/accounts/123456789012/namespaces/default/users/bob", "DescribeUser", map[string]string{"AwsAccountId": "123456789012", "Namespace": "default", "UserName": "bob"}},
		{"GET", "/accounts/123456789012/namespaces/default/users", "ListUsers", map[string]string{"AwsAccountId": "123456789012", "Namespace": "default"}},
		{"DELETE", "/accounts/123456789012/namespaces/default/users/bob", "DeleteUser", map[string]string{"AwsAccountId": "123456789012", "Namespace": "default", "UserName": "bob"}},
		{"DELETE", "/accounts/123456789012/namespaces/default/user-principals/p-1", "DeleteUserByPrincipalId", map[string]string{"AwsAccountId": "123456789012", "Namespace": "default", "PrincipalId": "p-1"}},
		{"PUT", "/accounts/123456789012/namespaces/default/users/bob", "UpdateUser", map[string]string{"AwsAccountId": "123456789012", "Namespace": "default", "UserName": "bob"}},
		{"POST", "/accounts/123456789012", "CreateNamespace", map[string]string{"AwsAccountId": "123456789012"}},
		{"GET", "/accounts/123456789012/namespaces/ns1", "DescribeNamespace", map[string]string{"AwsAccountId": "123456789012", "Namespace": "ns1"}},
		{"GET", "/accounts/123456789012/namespaces", "ListNamespaces", map[string]string{"AwsAccountId": "123456789012"}},
		{"DELETE", "/accounts/123456789012/namespaces/ns1", "DeleteNamespace", map[string]string{"AwsAccountId": "123456789012", "Namespace": "ns1"}},
		// Escaping: %2F stays inside its label, and each segment is unescaped after splitting.
		{"GET", "/accounts/123456789012/namespaces/default/users/alice%2Fx%20y", "DescribeUser", map[string]string{"AwsAccountId": "123456789012", "Namespace": "default", "UserName": "alice/x y"}},
		{"GET", "/accounts/123456789012/namespaces/default/users/jos%C3%A9", "DescribeUser", map[string]string{"AwsAccountId": "123456789012", "Namespace": "default", "UserName": "josé"}},
		{"GET", "/accounts/123456789012/namespaces/default/users/a+b%2B%25", "DescribeUser", map[string]string{"AwsAccountId": "123456789012", "Namespace": "default", "UserName": "a+b+%"}},
		{"DELETE", "/accounts/123456789012/namespaces/default/users/%2F", "DeleteUser", map[string]string{"AwsAccountId": "123456789012", "Namespace": "default", "UserName": "/"}},
		{"GET", "/accounts/123456789012/namespaces/default/users/bob?ignored=1", "DescribeUser", map[string]string{"AwsAccountId": "123456789012", "Namespace": "default", "UserName": "bob"}},
		// A label whose value happens to equal a literal of another template is still a label.
		{"GET", "/accounts/123456789012/namespaces/users", "DescribeNamespace", map[string]string{"AwsAccountId": "123456789012", "Namespace": "users"}},
		{"GET", "/accounts/namespaces/namespaces/users/users", "ListUsers", map[string]string{"AwsAccountId": "namespaces", "Namespace": "users"}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		op, labels, pathMatched := r.Match(tt.method, tt.path)
		if op == nil {
			t.Errorf("%s %s: no match (pathMatched=%v), want %s", tt.method, tt.path, pathMatched, tt.op)
			continue
		}
		if op.Name != tt.op || !reflect.DeepEqual(labels, tt.labels) || !pathMatched {
			t.Errorf("%s %s = %s %v %v, want %s %v", tt.method, tt.path, op.Name, labels, pathMatched, tt.op, tt.labels)
		}
		seen[op.Name] = true
	}
	for name := range quicksight.Operations {
		if !seen[name] {
			t.Errorf("operation %s is not covered by the routing table", name)
		}
	}
}

func TestRouterNoMatch(t *testing.T) {
	r := NewRouter(quicksight)
	tests := []struct {
		method, path string
		pathMatched  bool
	}{
		{"GET", "/", false},
		{"GET", "", false},
		{"GET", "accounts/123456789012", false},
		{"GET", "/accounts", false},
		{"GET", "/accounts/", false},
		{"GET", "/nope", false},
		{"GET", "/accounts/123456789012/namespaces/default/users/bob/extra", false},
		{"GET", "/accounts/123456789012/namespaces/default/users/", false},
		{"GET", "/accounts/123456789012/namespaces//users", false},
		{"GET", "/Accounts/123456789012/namespaces", false},
		{"GET", "/accounts/123456789012/namespaces/default/users/%zz", false},
		{"GET", "/accounts/123456789012/identity-context%2Fx", false},
		// Known paths, wrong methods.
		{"PATCH", "/accounts/123456789012/namespaces/default/users/bob", true},
		{"POST", "/accounts/123456789012/namespaces/default/users/bob", true},
		{"GET", "/accounts/123456789012/identity-context", true},
		{"POST", "/accounts/123456789012/namespaces", true},
		{"GET", "/accounts/123456789012", true},
		{"get", "/accounts/123456789012/namespaces", true},
		{"HEAD", "/accounts/123456789012/namespaces/default/users", true},
	}
	for _, tt := range tests {
		op, labels, pathMatched := r.Match(tt.method, tt.path)
		if op != nil || labels != nil || pathMatched != tt.pathMatched {
			t.Errorf("%s %q = %v %v %v, want no operation, pathMatched=%v", tt.method, tt.path, op, labels, pathMatched, tt.pathMatched)
		}
	}
}

// The QuickSight templates never overlap, so the precedence rule is checked on a synthetic model.
// Building the router many times shuffles Go's map order, which must not change the outcome.
func TestRouterLiteralWins(t *testing.T) {
	svc := &awsmodel.Service{Operations: map[string]*awsmodel.Operation{
		"GetThing":       {Name: "GetThing", HTTPMethod: "GET", RequestURI: "/things/{Id}"},
		"GetSpecial":     {Name: "GetSpecial", HTTPMethod: "GET", RequestURI: "/things/special"},
		"GetThingPart":   {Name: "GetThingPart", HTTPMethod: "GET", RequestURI: "/things/{Id}/{Part}"},
		"GetThingDetail": {Name: "GetThingDetail", HTTPMethod: "GET", RequestURI: "/things/{Id}/detail"},
		"GetSpecialPart": {Name: "GetSpecialPart", HTTPMethod: "GET", RequestURI: "/things/special/{Part}"},
		"PutSpecial":     {Name: "PutSpecial", HTTPMethod: "PUT", RequestURI: "/things/special?x=y"},
		"NoHTTP":         {Name: "NoHTTP"},
	}}
	tests := []struct{ method, path, op string }{
		{"GET", "/things/special", "GetSpecial"},
		{"GET", "/things/other", "GetThing"},
		{"GET", "/things/special/detail", "GetSpecialPart"},
		{"GET", "/things/x/detail", "GetThingDetail"},
		{"GET", "/things/x/y", "GetThingPart"},
		{"PUT", "/things/special", "PutSpecial"},
		// Method filtering happens before precedence: a literal template for another method does
		// not hide a label template for this one.
		{"DELETE", "/things/special", ""},
	}
	for i := 0; i < 50; i++ {
		r := NewRouter(svc)
		for _, tt := range tests {
			op, _, _ := r.Match(tt.method, tt.path)
			name := ""
			if op != nil {
				name = op.Name
			}
			if name != tt.op {
				t.Fatalf("%s %s routed to %q, want %q", tt.method, tt.path, name, tt.op)
			}
		}
	}
	svc.Operations["PutThing"] = &awsmodel.Operation{Name: "PutThing", HTTPMethod: "POST", RequestURI: "/things/{Id}"}
	if op, labels, _ := NewRouter(svc).Match("POST", "/things/special"); op == nil || op.Name != "PutThing" || labels["Id"] != "special" {
		t.Errorf("POST /things/special = %v %v, want PutThing", op, labels)
	}
}

func TestRouterNonREST(t *testing.T) {
	r := NewRouter(awsmodel.MustLoad("sts"))
	if op, _, matched := r.Match("POST", "/"); op != nil || matched {
		t.Errorf("the STS model has requestUri \"/\" for every operation; got %v %v", op, matched)
	}
}

package policy

import (
	"fmt"
	"testing"
)

func mustParse(t testing.TB, kind Kind, doc string) *Policy {
	t.Helper()
	p, err := Parse("test", doc, kind)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	return p
}

// ctxOf builds a context from key, value pairs; a value is a string or a []string.
func ctxOf(kv ...any) *Context {
	c := NewContext()
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		switch v := kv[i+1].(type) {
		case string:
			c.Set(k, v)
		case []string:
			c.Set(k, v...)
		default:
			panic(fmt.Sprintf("bad value %T", v))
		}
	}
	return c
}

// identityDoc wraps one statement body (without braces) in a 2012-10-17 document.
func identityDoc(stmt string) string {
	return `{"Version":"2012-10-17","Statement":{` + stmt + `}}`
}

// userPrincipal is an IAM user caller in account 111122223333.
func userPrincipal(name string) Principal {
	return Principal{Type: "AWS", Account: "111122223333", ARNs: []string{"arn:aws:iam::111122223333:user/" + name}}
}

// sessionPrincipal is a role session caller.
func sessionPrincipal(account, role, session string) Principal {
	return Principal{Type: "AWS", Account: account, ARNs: []string{
		"arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session,
		"arn:aws:iam::" + account + ":role/" + role,
	}}
}

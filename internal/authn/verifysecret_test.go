package authn

import (
	"context"
	"strings"
	"testing"
)

// TestVerifySecret: the console's sign-in accepts exactly the root key with its secret; a wrong
// secret, an unknown key, a temporary key and an empty id are refused alike, and the refusal's
// message never carries the secret.
func TestVerifySecret(t *testing.T) {
	a := newAuthenticator(t)
	cases := []struct {
		name, id, secret string
		ok               bool
	}{
		{"root key and secret", rootKey, rootSecret, true},
		{"wrong secret", rootKey, rootSecret[:len(rootSecret)-1] + "X", false},
		{"secret prefix", rootKey, rootSecret[:10], false},
		{"unknown key", "AKIAUNKNOWNKEY000000", rootSecret, false},
		{"temporary key", sessKey, sessSecret, false},
		{"empty", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := a.VerifySecret(context.Background(), c.id, c.secret)
			if c.ok {
				if err != nil || p.ARN != "arn:aws:iam::"+account+":root" {
					t.Fatalf("VerifySecret = %v, %v; want the root", p, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("VerifySecret(%s) accepted", c.name)
			}
			if c.secret != "" && strings.Contains(err.Error(), c.secret) {
				t.Fatalf("refusal %q carries the secret", err)
			}
		})
	}
}

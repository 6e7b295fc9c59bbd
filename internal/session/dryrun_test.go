package session_test

import (
	"testing"

	"github.com/latchkey/latchkey/internal/session"
)

// TestDryRun: a dry run passes or refuses exactly as the real request would, and when it passes it
// issues nothing: no access key, secret or token, and the role's last use is not recorded. The
// attack case: a federated identity the trust policy does not name is refused by the dry run too.
func TestDryRun(t *testing.T) {
	cases := []struct {
		name  string
		trust string
		fed   bool
		code  string
	}{
		{"trusted caller", bobTrust("arn:aws:iam::111122223333:user/bob", assume), false, ""},
		{"trusted provider", trustDoc(fedOIDC, webID, ""), true, ""},
		{"untrusted provider", trustDoc(fedCog, webID, ""), true, denied},
		{"untrusted caller", trustDoc(`{"AWS":"arn:aws:iam::444455556666:root"}`, assume, ""), false, denied},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			role := f.role(t, "target", c.trust)
			r := session.Request{Action: "sts:AssumeRole", Caller: f.bob, Role: role, SessionName: "s1", DryRun: true}
			if c.fed {
				federated(oidcARN, acctA)(f, &r)
			}
			rs, err := f.svc.AssumeRole(t.Context(), r)
			if c.code != "" {
				wantCode(t, err, c.code, 403)
				return
			}
			if err != nil {
				t.Fatalf("dry run refused: %v", err)
			}
			if rs.Credentials.AccessKeyID != "" || rs.Credentials.SecretAccessKey != "" || rs.Credentials.SessionToken != "" {
				t.Fatalf("dry run issued credentials: %+v", rs.Credentials)
			}
			if rs.ARN != "arn:aws:sts::111122223333:assumed-role/target/s1" || rs.Credentials.Expiration.IsZero() {
				t.Fatalf("dry run session = %+v", rs)
			}
			stored, err := f.st.GetRole(t.Context(), acctA, "target")
			if err != nil {
				t.Fatal(err)
			}
			if stored.LastUsedAt != nil {
				t.Fatalf("dry run recorded the role's use at %v", stored.LastUsedAt)
			}
		})
	}
}

package sts

import (
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// AssumeRole evaluates the role's trust policy with the bindings saved beside it: bob, deleted
// and created again with an identity policy allowing *:*, is not the bob the trust policy named
// (IAM User Guide, "AWS JSON policy elements: Principal"), in the role's account or in another.
// A role whose bindings were never written trusts no named user until IAM binds it.
func TestAssumeRoleMatchesPrincipalsByUniqueID(t *testing.T) {
	cases := []struct {
		name   string
		caller string // "bob" or "eve"
		trust  string
		setup  func(t *testing.T, f *fixture)
		ok     bool
	}{
		{"the named user", "bob", trustDoc(bobP, assume, ""), nil, true},
		{"the named user, re-created with *:*", "bob", trustDoc(bobP, assume, ""), func(t *testing.T, f *fixture) { f.recreateUser(t, "AIDABOB", "AIDABOB2") }, false},
		{"the named user of another account", "eve", trustDoc(`{"AWS":"arn:aws:iam::444455556666:user/eve"}`, assume, ""), nil, true},
		{"the named user of another account, re-created with *:*", "eve", trustDoc(`{"AWS":"arn:aws:iam::444455556666:user/eve"}`, assume, ""), func(t *testing.T, f *fixture) { f.recreateUser(t, "AIDAEVE", "AIDAEVE2") }, false},
		{"the account principal still admits the re-created user with *:*", "bob", trustDoc(acctAP, assume, ""), func(t *testing.T, f *fixture) { f.recreateUser(t, "AIDABOB", "AIDABOB2") }, true},
		{"a role never bound", "bob", trustDoc(bobP, assume, ""), func(t *testing.T, f *fixture) {
			_, err := f.st.UpdateRole(ctx, "AROA"+acctA+"target", func(r *store.Role) error {
				r.PrincipalsBound, r.PrincipalBindings = false, nil
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.putRole(t, acctA, "target", c.trust)
			if c.setup != nil {
				c.setup(t, f)
			}
			caller := f.userNamed(t, c.caller)
			out, err := f.svc.AssumeRole(ctx, caller, AssumeRoleInput{RoleARN: principal.RoleARNOf(acctA, "/", "target"), RoleSessionName: "s1"})
			if !c.ok {
				wantCode(t, err, "AccessDenied", http.StatusForbidden)
				if out.Credentials.AccessKeyID != "" {
					t.Fatal("credentials issued on a refusal")
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

// A session of a role the trust policy named keeps its role's id in its token: once the role is
// deleted and re-created, sessions of the new role are refused, with *:* on the new role.
func TestChainedSessionOfRecreatedRoleRefused(t *testing.T) {
	f := newFixture(t)
	f.putRole(t, acctA, "target", trustDoc(`{"AWS":"arn:aws:iam::111122223333:role/builder"}`, assume, ""))
	in := AssumeRoleInput{RoleARN: principal.RoleARNOf(acctA, "/", "target"), RoleSessionName: "s1"}
	if _, err := f.svc.AssumeRole(ctx, builderSession(), in); err != nil {
		t.Fatalf("a session of the named role: %v", err)
	}
	recreated := builderSession()
	recreated.RoleID, recreated.UserID = "AROA"+acctA+"builder-2", "AROA"+acctA+"builder-2:ci"
	f.recreateRole(t, acctA, "builder", recreated.RoleID)
	_, err := f.svc.AssumeRole(ctx, recreated, in)
	wantCode(t, err, "AccessDenied", http.StatusForbidden)
}

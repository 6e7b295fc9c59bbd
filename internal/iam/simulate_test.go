package iam

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/authz"
)

// denyUnder is an authorizer that allows everything except any action on a resource under
// prefix (as an identity policy "Deny iam:* on arn:aws:iam::ACCOUNT:user/admins/*" would).
type denyUnder struct{ prefix string }

func (d denyUnder) Authorize(_ context.Context, req authz.Request) error {
	if strings.HasPrefix(req.Resource, d.prefix) {
		return authz.Denied(req.Caller, req.Action, req.Resource, "")
	}
	return nil
}

// SimulatePrincipalPolicy and GetContextKeysForPrincipalPolicy authorize the entity the
// PolicySourceArn resolves to, on its own ARN (Service Authorization Reference: their resource
// is the user, group or role), and an ARN whose path is not the entity's names no entity. A
// caller allowed everything but denied iam:* under */admins/* (path-based delegation, "IAM
// identifiers") cannot reach an entity there by writing its ARN with another path or another
// case; with the Deny lifted, the entity's own ARN and its name in another case resolve.
func TestSimulatePrincipalPolicyAuthorizesTheEntitysARN(t *testing.T) {
	f := newRuleFixture(t)
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"BossOnly","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/secret-key":"x"}}}]}`
	if _, err := f.svc.CreateUser(ctx, f.root, CreateUserInput{UserName: "boss", Path: "/admins/"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateRole(ctx, f.root, CreateRoleInput{RoleName: "boss-role", Path: "/admins/", AssumeRolePolicyDocument: trust}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateGroup(ctx, f.root, "boss-group", "/admins/"); err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct {
		kind PrincipalKind
		name string
	}{{KindUser, "boss"}, {KindRole, "boss-role"}, {KindGroup, "boss-group"}} {
		if err := f.svc.PutInlinePolicy(ctx, f.root, e.kind, e.name, "secret", doc); err != nil {
			t.Fatal(err)
		}
	}
	arn := func(typ, path, name string) string { return "arn:aws:iam::" + testAccount + ":" + typ + path + name }
	cases := []struct {
		typ, name string
	}{{"user", "boss"}, {"role", "boss-role"}, {"group", "boss-group"}}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			f.svc.Authz = denyUnder{arn(c.typ, "/admins/", "")}
			real := arn(c.typ, "/admins/", c.name)
			_, err := f.svc.SimulatePrincipalPolicy(ctx, f.admin, SimulationInput{PolicySourceARN: real, Actions: []string{"s3:GetObject"}})
			wantAWSError(t, err, "AccessDenied", http.StatusForbidden)
			for _, forged := range []string{arn(c.typ, "/", c.name), arn(c.typ, "/elsewhere/", strings.ToUpper(c.name)), arn(c.typ, "/admins/", strings.ToUpper(c.name))} {
				_, err := f.svc.SimulatePrincipalPolicy(ctx, f.admin, SimulationInput{PolicySourceARN: forged, Actions: []string{"s3:GetObject"}})
				if err == nil {
					t.Errorf("SimulatePrincipalPolicy of %s: simulated", forged)
				}
				if keys, err := f.svc.GetContextKeysForPrincipalPolicy(ctx, f.admin, forged, nil); err == nil {
					t.Errorf("GetContextKeysForPrincipalPolicy of %s: %v", forged, keys)
				}
			}
			f.svc.Authz = denyUnder{"nothing"}
			wrongPath := arn(c.typ, "/", c.name)
			_, err = f.svc.SimulatePrincipalPolicy(ctx, f.admin, SimulationInput{PolicySourceARN: wrongPath, Actions: []string{"s3:GetObject"}})
			wantAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
			for _, ok := range []string{real, arn(c.typ, "/admins/", strings.ToUpper(c.name))} {
				keys, err := f.svc.GetContextKeysForPrincipalPolicy(ctx, f.admin, ok, nil)
				if err != nil || len(keys) != 1 || keys[0] != "aws:RequestTag/secret-key" {
					t.Fatalf("GetContextKeysForPrincipalPolicy of %s: %v %v", ok, keys, err)
				}
				if _, err := f.svc.SimulatePrincipalPolicy(ctx, f.admin, SimulationInput{PolicySourceARN: ok, Actions: []string{"s3:GetObject"}}); err != nil {
					t.Fatalf("SimulatePrincipalPolicy of %s: %v", ok, err)
				}
			}
		})
	}
}

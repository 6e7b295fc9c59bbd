package iam

// Red-team findings against IAM. Each test states what AWS does and fails while Latchkey does
// otherwise.

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/principal"
)

// TestRedteamUpdateRoleMaxSessionOfServiceLinkedRole: IAM lets a person edit only the
// description of a service-linked role ("Service-linked roles", IAM User Guide: "you can edit
// only the description"; UpdateRole's Errors list UnmodifiableEntity). UpdateRole with
// MaxSessionDuration changes the role's session limit, which only the service may; Latchkey's
// refuseServiceLinked list lacks iam:UpdateRole, so the change is accepted for every broad caller.
func TestRedteamUpdateRoleMaxSessionOfServiceLinkedRole(t *testing.T) {
	const slr = "AWSServiceRoleForECS"
	for _, b := range broadCallers {
		t.Run(b.name, func(t *testing.T) {
			f := newRuleFixture(t)
			if _, err := f.svc.CreateServiceLinkedRole(ctx, f.root, CreateServiceLinkedRoleInput{AWSServiceName: "ecs.amazonaws.com"}); err != nil {
				t.Fatal(err)
			}
			err := f.svc.UpdateRole(ctx, b.of(f), slr, nil, 43200)
			r, gerr := f.svc.GetRole(ctx, f.root, slr)
			if gerr != nil {
				t.Fatal(gerr)
			}
			if err == nil || r.MaxSessionDuration != DefaultMaxSessionDuration {
				t.Fatalf("UpdateRole MaxSessionDuration=43200 on a service-linked role: err %v, role now allows %d s", err, r.MaxSessionDuration)
			}
			wantAWSError(t, err, "UnmodifiableEntity", http.StatusBadRequest)
		})
	}
}

// denyUnder is an authorizer that allows everything except any action on a resource under
// prefix (as an identity policy "Deny iam:* on arn:aws:iam::ACCOUNT:user/admins/*" would).
type denyUnder struct{ prefix string }

func (d denyUnder) Authorize(_ context.Context, req authz.Request) error {
	if strings.HasPrefix(req.Resource, d.prefix) {
		return authz.Denied(req.Caller, req.Action, req.Resource, "")
	}
	return nil
}

// TestRedteamSimulatePrincipalPolicyAuthorizesTheCallersARN: SimulatePrincipalPolicy and
// GetContextKeysForPrincipalPolicy authorize the PolicySourceArn string the caller sent, then load
// the entity by its name alone, ignoring the path. A caller denied every iam: action on
// user/admins/* (the IAM User Guide's path-based delegation, "IAM identifiers": paths let a
// policy scope administration) names user boss by the ARN arn:aws:iam::ACCOUNT:user/boss (path
// "/", which is not boss's) and gets boss's policies simulated and its condition keys listed. IAM
// authorizes an action on the entity it acts on (Service Authorization Reference: the resource of
// iam:SimulatePrincipalPolicy is the user, group or role), so the explicit Deny applies; an ARN
// whose path is not the entity's names no entity (NoSuchEntity) in IAM.
func TestRedteamSimulatePrincipalPolicyAuthorizesTheCallersARN(t *testing.T) {
	f := newRuleFixture(t)
	if _, err := f.svc.CreateUser(ctx, f.root, CreateUserInput{UserName: "boss", Path: "/admins/"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.PutInlinePolicy(ctx, f.root, KindUser, "boss", "secret",
		`{"Version":"2012-10-17","Statement":[{"Sid":"BossOnly","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/secret-key":"x"}}}]}`); err != nil {
		t.Fatal(err)
	}
	f.svc.Authz = denyUnder{"arn:aws:iam::" + testAccount + ":user/admins/"}
	real := principal.UserARN(testAccount, "/admins/", "boss")
	_, err := f.svc.SimulatePrincipalPolicy(ctx, f.admin, SimulationInput{PolicySourceARN: real, Actions: []string{"s3:GetObject"}})
	wantAWSError(t, err, "AccessDenied", http.StatusForbidden) // the Deny works on the real ARN
	for _, forged := range []string{principal.UserARN(testAccount, "/", "boss"), principal.UserARN(testAccount, "/elsewhere/", "BOSS")} {
		out, err := f.svc.SimulatePrincipalPolicy(ctx, f.admin, SimulationInput{PolicySourceARN: forged, Actions: []string{"s3:GetObject"}})
		if err == nil {
			t.Errorf("SimulatePrincipalPolicy of %s (boss is at /admins/): simulated %+v", forged, out.Items)
		}
		keys, err := f.svc.GetContextKeysForPrincipalPolicy(ctx, f.admin, forged, nil)
		if err == nil {
			t.Errorf("GetContextKeysForPrincipalPolicy of %s (boss is at /admins/): %v", forged, keys)
		}
	}
}

// TestRedteamAddServiceLinkedRoleToInstanceProfile: AddRoleToInstanceProfile's Errors (IAM API
// Reference) list UnmodifiableEntity, IAM's answer for a service-linked role, which only its
// service may put to use. Latchkey authorizes iam:PassRole on the role and adds it, so an EC2
// instance profile (and Latchkey's IMDS) can carry a service-linked role.
func TestRedteamAddServiceLinkedRoleToInstanceProfile(t *testing.T) {
	for _, b := range broadCallers {
		t.Run(b.name, func(t *testing.T) {
			f := newRuleFixture(t)
			if _, err := f.svc.CreateServiceLinkedRole(ctx, f.root, CreateServiceLinkedRoleInput{AWSServiceName: "ecs.amazonaws.com"}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.CreateInstanceProfile(ctx, f.root, CreateInstanceProfileInput{InstanceProfileName: "web"}); err != nil {
				t.Fatal(err)
			}
			wantAWSError(t, f.svc.AddRoleToInstanceProfile(ctx, b.of(f), "web", "AWSServiceRoleForECS"), "UnmodifiableEntity", http.StatusBadRequest)
		})
	}
}

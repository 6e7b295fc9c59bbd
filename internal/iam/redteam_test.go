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


package iam

// Red-team findings against IAM. Each test states what AWS does and fails while Latchkey does
// otherwise.

import (
	"net/http"
	"testing"
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

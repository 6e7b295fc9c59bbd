package authz

import (
	"context"
	"net/http"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
)

// Authorizer answers one authorization question.
type Authorizer interface {
	Authorize(ctx context.Context, caller *principal.Principal, action, resource, resourceAccount string) error
}

// Default implements AWS's decision for an account whose principals have no policies attached.
type Default struct{}

// Authorize allows root in its own account and denies everyone else with AWS's wording.
func (Default) Authorize(_ context.Context, caller *principal.Principal, action, resource, resourceAccount string) error {
	if caller.Kind == principal.Root && (resourceAccount == "" || resourceAccount == caller.AccountID) {
		return nil
	}
	return Denied(caller, action, resource, "no identity-based policy allows the "+action+" action")
}

// Denied builds AWS's AccessDenied message: "User: ARN is not authorized to perform: ACTION on
// resource: ARN because REASON".
func Denied(caller *principal.Principal, action, resource, reason string) *awserr.Error {
	msg := "User: " + caller.ARN + " is not authorized to perform: " + action + " on resource: " + resource
	if reason != "" {
		msg += " because " + reason
	}
	return awserr.New("AccessDenied", http.StatusForbidden, "%s", msg)
}

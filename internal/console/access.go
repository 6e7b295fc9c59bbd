package console

import (
	"context"
	"net/http"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/cognito"
	"github.com/latchkey/latchkey/internal/iam"
	"github.com/latchkey/latchkey/internal/principal"
)

// IAMService is the part of iam.Service the console calls, always as the signed-in caller: the
// policy simulator and the reads the Roles, Providers and Try a token pages show the results of.
type IAMService interface {
	Simulator
	GetRole(ctx context.Context, caller *principal.Principal, name string) (iam.Role, error)
	ListRoles(ctx context.Context, caller *principal.Principal, pathPrefix, marker string, maxItems int) (iam.Page[iam.Role], error)
	ListInlinePolicies(ctx context.Context, caller *principal.Principal, kind iam.PrincipalKind, ownerName, marker string, maxItems int) (iam.Page[string], error)
	GetInlinePolicy(ctx context.Context, caller *principal.Principal, kind iam.PrincipalKind, ownerName, policyName string) (iam.InlinePolicy, string, error)
	ListAttached(ctx context.Context, caller *principal.Principal, kind iam.PrincipalKind, ownerName, pathPrefix, marker string, maxItems int) (iam.Page[iam.Attachment], error)
	ListOpenIDConnectProviders(ctx context.Context, caller *principal.Principal) ([]iam.OIDCProvider, error)
	ListSAMLProviders(ctx context.Context, caller *principal.Principal) ([]iam.SAMLProvider, error)
	GetSAMLProvider(ctx context.Context, caller *principal.Principal, arn string) (iam.SAMLProvider, error)
}

// PoolService is the part of cognito.Service the Identity pools pages call as the caller.
type PoolService interface {
	ListIdentityPools(ctx context.Context, caller *principal.Principal, maxResults int, nextToken string) (cognito.PoolPage, error)
	DescribeIdentityPool(ctx context.Context, caller *principal.Principal, poolID string) (cognito.IdentityPool, error)
	GetIdentityPoolRoles(ctx context.Context, caller *principal.Principal, poolID string) (cognito.PoolRoles, error)
	ListIdentities(ctx context.Context, caller *principal.Principal, poolID string, maxResults int, nextToken string, hideDisabled bool) (cognito.IdentityPage, error)
}

// denial is a part of a page the caller may not see: the action it needs and the service's
// refusal, shown in place of the data.
type denial struct {
	Action  string
	Code    string
	Message string
}

// deniedBy is err as a denial when it is a refusal by policy, nil otherwise.
func deniedBy(err error, action string) *denial {
	ae, ok := awserr.As(err)
	if !ok || ae.Kind != awserr.Denied {
		return nil
	}
	return &denial{Action: action, Code: ae.Code, Message: ae.Message}
}

// failDenied renders a page whose underlying operation the caller may not call: 403 with a
// notice naming the action, never the data. Other errors are failErr's.
func (c *Console) failDenied(w http.ResponseWriter, r *http.Request, s *consoleSession, err error, action string) {
	if d := deniedBy(err, action); d != nil {
		c.fail(w, r, s, http.StatusForbidden, "AccessDenied",
			"This page shows the result of "+action+", which your policies do not allow: "+d.Message)
		return
	}
	c.failErr(w, r, s, err)
}

// notFound is how a page says its operation's not-found error: the service's code, and the
// page's heading and message.
type notFound struct{ Code, Heading, Message string }

// failRead renders the error of a page's first read: the operation's not-found as a 404 page,
// a refusal as failDenied's notice, anything else as failErr's.
func (c *Console) failRead(w http.ResponseWriter, r *http.Request, s *consoleSession, err error, action string, nf notFound) {
	if ae, ok := awserr.As(err); ok && ae.Code == nf.Code {
		c.fail(w, r, s, http.StatusNotFound, nf.Heading, nf.Message)
		return
	}
	c.failDenied(w, r, s, err, action)
}

package sts

import (
	"context"

	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// CognitoTokens verifies the Cognito identity tokens callers give to AssumeRoleWithWebIdentity
// (the basic, or classic, flow); the Cognito service implements it.
type CognitoTokens interface {
	// IsCognitoToken tells, from its unverified iss, whether tok is a Cognito identity token.
	IsCognitoToken(tok string) bool
	// VerifyCognitoToken verifies the token and its pool (which must allow the classic flow).
	VerifyCognitoToken(ctx context.Context, tok string) (session.Claims, error)
}

// federatedInput is what AssumeRoleWithWebIdentity and AssumeRoleWithSAML ask of the session
// once the token or assertion is verified and the role is read.
type federatedInput struct {
	action      string
	role        store.Role
	sessionName string
	duration    int
	maxDuration int // the assertion's cap (SAML SessionDuration), 0 = none
	policies    SessionPolicies
	dryRun      bool
}

func (s *Service) federatedSession(ctx context.Context, in federatedInput, c *session.Claims) (RoleSession, error) {
	return s.d.Sessions.AssumeRole(ctx, session.Request{
		Action: in.action, Federated: &c.Identity, Role: in.role, SessionName: in.sessionName,
		DurationSeconds: in.duration, MaxDuration: in.maxDuration, Policies: in.policies,
		Tags: c.Tags, TransitiveTagKeys: c.TransitiveTagKeys, SourceIdentity: c.SourceIdentity, Condition: c.Condition, DryRun: in.dryRun,
	})
}

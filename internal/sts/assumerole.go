package sts

import (
	"context"
	"net/http"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
)

// AssumeRoleInput is the AssumeRole request.
type AssumeRoleInput struct {
	RoleARN           string
	RoleSessionName   string
	DurationSeconds   int
	ExternalID        string
	SerialNumber      string
	TokenCode         string
	SourceIdentity    string
	Session           SessionPolicies
	Tags              []SessionTag
	TransitiveTagKeys []string
	// Contexts are the ProvidedContexts (only the QuickSight provider is supported); HasContexts
	// is set whenever the request carries any, and adds sts:SetContext to the checked actions.
	Contexts    []ProvidedContext
	HasContexts bool
}

// AssumeRole issues a role session to an IAM user or a role session (role chaining).
func (s *Service) AssumeRole(ctx context.Context, caller *principal.Principal, in AssumeRoleInput) (RoleSession, error) {
	if caller.Kind == principal.Root {
		return RoleSession{}, accessDenied("Roles may not be assumed by root accounts.")
	}
	if caller.Kind == principal.FederatedUser {
		return RoleSession{}, authz.Denied(caller, "sts:AssumeRole", in.RoleARN, "")
	}
	ref, ok := session.ParseRoleARN(in.RoleARN)
	if !ok {
		return RoleSession{}, validation("Request ARN is invalid")
	}
	if err := checkProviders(in.Contexts); err != nil {
		return RoleSession{}, err
	}
	role, found, err := s.d.Sessions.FindRole(ctx, ref)
	if err != nil {
		return RoleSession{}, err
	}
	if !found {
		return RoleSession{}, authz.Denied(caller, "sts:AssumeRole", in.RoleARN, "")
	}
	cond := map[string][]string{}
	if in.ExternalID != "" {
		cond["sts:ExternalId"] = []string{in.ExternalID}
	}
	r := session.Request{
		Action: "sts:AssumeRole", Caller: caller, Role: role, SessionName: in.RoleSessionName, DurationSeconds: in.DurationSeconds,
		Policies: in.Session, Tags: in.Tags, TransitiveTagKeys: in.TransitiveTagKeys, SourceIdentity: in.SourceIdentity,
		MFA: session.MFA{Serial: in.SerialNumber, Code: in.TokenCode}, SetContext: in.HasContexts || len(in.Contexts) > 0, Condition: cond,
	}
	if len(in.Contexts) > 0 {
		// Copies, so that the request and the role stay off the heap when there are no contexts.
		account, contexts := role.AccountID, in.Contexts
		r.IdentityContext = func(ctx context.Context) (*principal.IdentityContext, error) {
			return s.verifyContexts(ctx, account, contexts)
		}
	}
	return s.d.Sessions.AssumeRole(ctx, r)
}

// GetSessionTokenInput is the GetSessionToken request.
type GetSessionTokenInput struct {
	DurationSeconds int
	SerialNumber    string
	TokenCode       string
}

// GetSessionToken issues temporary credentials with the caller's own identity, optionally MFA-marked.
func (s *Service) GetSessionToken(ctx context.Context, caller *principal.Principal, in GetSessionTokenInput) (Credentials, error) {
	if caller.Temporary {
		return Credentials{}, accessDenied("Cannot call GetSessionToken with session credentials")
	}
	return s.d.Sessions.SessionToken(ctx, caller, in.DurationSeconds, session.MFA{Serial: in.SerialNumber, Code: in.TokenCode})
}

// GetFederationTokenInput is the GetFederationToken request.
type GetFederationTokenInput struct {
	Name            string
	DurationSeconds int
	Session         SessionPolicies
	Tags            []SessionTag
}

// GetFederationToken issues a federated-user session whose permissions are the calling user's
// intersected with the session policies (none without them).
func (s *Service) GetFederationToken(ctx context.Context, caller *principal.Principal, in GetFederationTokenInput) (FederatedSession, error) {
	if caller.Temporary {
		return FederatedSession{}, accessDenied("Cannot call GetFederationToken with session credentials")
	}
	fedARN := principal.FederatedUserARN(caller.AccountID, in.Name)
	cond := map[string][]string{}
	session.TagCondition(cond, in.Tags, nil)
	actions := []string{"sts:GetFederationToken"}
	if len(in.Tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	for _, act := range actions {
		if err := s.d.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: act, Resource: fedARN, ResourceAccount: caller.AccountID, Context: cond}); err != nil {
			return FederatedSession{}, err
		}
	}
	return s.d.Sessions.FederationToken(ctx, session.FederationRequest{Caller: caller, Name: in.Name, DurationSeconds: in.DurationSeconds, Policies: in.Session, Tags: in.Tags})
}

// SessionRestriction enforces what GetSessionToken and GetFederationToken credentials may not
// call (IAM User Guide, "Compare AWS STS credentials"), before any policy is consulted.
func SessionRestriction(p *principal.Principal, service, operation string) error {
	if p == nil || !p.Temporary {
		return nil
	}
	switch p.Source {
	case "GetSessionToken":
		if service == "iam" && !p.MFAAuthenticated {
			return awserr.New("InvalidClientTokenId", http.StatusForbidden, "The security token included in the request is invalid")
		}
		if service == "sts" && operation != "AssumeRole" && operation != "GetCallerIdentity" {
			return accessDenied("Cannot call " + operation + " with session credentials")
		}
	case "GetFederationToken":
		if service == "iam" {
			return accessDenied("User: " + p.ARN + " is not authorized to perform: iam:" + operation + " because federated users cannot call IAM APIs")
		}
		if service == "sts" && operation != "GetCallerIdentity" {
			return accessDenied("Cannot call " + operation + " with session credentials")
		}
	default:
		if service == "sts" && (operation == "GetSessionToken" || operation == "GetFederationToken") {
			return accessDenied("Cannot call " + operation + " with session credentials")
		}
	}
	return nil
}

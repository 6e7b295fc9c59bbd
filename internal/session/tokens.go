package session

import (
	"context"

	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// tokenDuration applies GetSessionToken's and GetFederationToken's default, which AWS silently
// shortens for root.
func tokenDuration(caller *principal.Principal, seconds int) int {
	if seconds == 0 {
		seconds = DefaultTokenSession
	}
	if caller.Kind == principal.Root && seconds > RootTokenSessionMax {
		seconds = RootTokenSessionMax
	}
	return seconds
}

// SessionToken is GetSessionToken's session: the caller's own identity, MFA-marked when the
// request proves MFA.
func (s *Service) SessionToken(ctx context.Context, caller *principal.Principal, durationSeconds int, m MFA) (Credentials, error) {
	duration := tokenDuration(caller, durationSeconds)
	mfa, err := s.verifyMFA(ctx, caller, m)
	if err != nil {
		return Credentials{}, err
	}
	now := s.now()
	p := *caller
	p.AccessKeyID, p.Temporary = "", false
	p.Source = "GetSessionToken"
	p.IssuedAt = now
	p.Expires = expiry(now, duration)
	p.MFAAuthenticated = mfa
	if caller.Kind == principal.User {
		p.BaseUserID = caller.UserID
	}
	if mfa {
		p.MFAAuthTime = now
	}
	return s.seal(ctx, &p)
}

// FederationRequest asks for GetFederationToken's session; the caller's own policies have
// already allowed it.
type FederationRequest struct {
	Caller          *principal.Principal
	Name            string
	DurationSeconds int
	Policies        Policies
	Tags            []Tag
}

// FederatedSession is GetFederationToken's answer.
type FederatedSession struct {
	Credentials      Credentials
	FederatedUserID  string
	ARN              string
	PackedPolicySize *int
}

// FederationToken issues a federated-user session whose permissions are the calling user's
// intersected with the session policies (none without them).
func (s *Service) FederationToken(ctx context.Context, r FederationRequest) (FederatedSession, error) {
	caller := r.Caller
	tagSize, err := CheckTags(r.Tags, nil, nil)
	if err != nil {
		return FederatedSession{}, err
	}
	packed, err := s.packedSize(ctx, caller.AccountID, r.Policies, r.Tags, tagSize, true)
	if err != nil {
		return FederatedSession{}, err
	}
	duration := tokenDuration(caller, r.DurationSeconds)
	var baseTags []store.Tag
	baseUser := ""
	if caller.Kind == principal.User {
		baseUser = caller.UserID
		if u, err := s.d.Store.GetUserByID(ctx, caller.UserID); err == nil {
			baseTags = u.Tags
		}
	}
	now := s.now()
	p := &principal.Principal{
		Kind:               principal.FederatedUser,
		AccountID:          caller.AccountID,
		ARN:                principal.FederatedUserARN(caller.AccountID, r.Name),
		UserID:             caller.AccountID + ":" + r.Name,
		Expires:            expiry(now, duration),
		IssuedAt:           now,
		Source:             "GetFederationToken",
		BaseUserID:         baseUser,
		SessionName:        r.Name,
		HasSessionPolicies: r.Policies.Present(),
		SessionPolicy:      r.Policies.Policy,
		SessionPolicyARNs:  r.Policies.PolicyARNs,
		Tags:               mergeTags(baseTags, r.Tags),
	}
	creds, err := s.seal(ctx, p)
	if err != nil {
		return FederatedSession{}, err
	}
	return FederatedSession{Credentials: creds, FederatedUserID: p.UserID, ARN: p.ARN, PackedPolicySize: packed}, nil
}

// RootRequest asks for AssumeRoot's session of a member account; the organization and the
// caller's policies have already allowed it.
type RootRequest struct {
	Member          string
	TaskPolicyARN   string
	SourceIdentity  string
	DurationSeconds int
}

// RootSession issues short root credentials of a member account, scoped by one task policy.
func (s *Service) RootSession(ctx context.Context, r RootRequest) (Credentials, error) {
	now := s.now()
	return s.seal(ctx, &principal.Principal{
		Kind:           principal.Root,
		AccountID:      r.Member,
		ARN:            principal.RootARN(r.Member),
		UserID:         r.Member,
		Expires:        expiry(now, r.DurationSeconds),
		IssuedAt:       now,
		Source:         "AssumeRoot",
		TaskPolicyARN:  r.TaskPolicyARN,
		SourceIdentity: r.SourceIdentity,
	})
}

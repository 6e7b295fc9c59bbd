package sts

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/federation/saml"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// KeyStore finds long-term keys whose id does not embed an account (operator-chosen root keys).
type KeyStore interface {
	GetAccessKey(ctx context.Context, accessKeyID string) (store.AccessKey, error)
}

// TokenSigner signs the JWTs of GetWebIdentityToken (Latchkey's OIDC issuer).
type TokenSigner interface {
	Sign(ctx context.Context, alg string, claims map[string]any) (string, error)
}

// Deps are what the STS service is built from.
type Deps struct {
	Keys KeyStore
	// Authz decides the operations STS authorizes by the caller's own policies.
	Authz authz.Authorizer
	// Sessions mints every session STS answers with.
	Sessions *session.Service
	Orgs     OrgStore
	// IdentityTokens signs GetWebIdentityToken's tokens; Outbound says which accounts may use it.
	IdentityTokens TokenSigner
	Outbound       OutboundStore
	// Providers and WebIdentity verify federated callers.
	Providers   ProviderStore
	WebIdentity WebIdentityVerifier
	// SAMLRecipients and SAMLAudiences are the accepted Recipient and Audience values.
	SAMLRecipients []string
	SAMLAudiences  []string
	// Cognito verifies Cognito identity tokens (the classic flow); nil routes none to it.
	Cognito CognitoTokens
	// Contexts verifies AssumeRole's ProvidedContexts assertions.
	Contexts ContextVerifier
	// Messages opens the encoded authorization messages that denials carry.
	Messages *keys.MasterKey
	Now      func() time.Time
}

// Service is the STS domain service.
type Service struct {
	d            Deps
	samlMetadata saml.MetadataCache
}

// New builds the STS service.
func New(d Deps) *Service {
	return &Service{d: d}
}

// The shapes of STS answers are the session package's.
type (
	Credentials      = session.Credentials
	SessionPolicies  = session.Policies
	SessionTag       = session.Tag
	RoleSession      = session.RoleSession
	FederatedSession = session.FederatedSession
)

func (s *Service) now() time.Time {
	if s.d.Now != nil {
		return s.d.Now().UTC()
	}
	return time.Now().UTC()
}

func validation(format string, args ...any) *awserr.Error {
	return session.Validation(format, args...)
}

func accessDenied(msg string) *awserr.Error {
	return awserr.New("AccessDenied", http.StatusForbidden, "%s", msg)
}

// Identity is GetCallerIdentity's answer.
type Identity struct {
	UserID  string
	Account string
	ARN     string
}

// GetCallerIdentity needs no permission and cannot be denied, even by an explicit Deny.
func (s *Service) GetCallerIdentity(_ context.Context, caller *principal.Principal) Identity {
	return Identity{UserID: caller.UserID, Account: caller.AccountID, ARN: caller.ARN}
}

// GetAccessKeyInfo reports the account that owns a key. Key ids minted by Latchkey (and AWS's
// current ones) embed it; others are looked up.
func (s *Service) GetAccessKeyInfo(ctx context.Context, caller *principal.Principal, keyID string) (string, error) {
	if err := s.d.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "sts:GetAccessKeyInfo", Resource: "*"}); err != nil {
		return "", err
	}
	if acct, ok := ids.AccountFromAccessKeyID(keyID); ok {
		return acct, nil
	}
	k, err := s.d.Keys.GetAccessKey(ctx, keyID)
	if errors.Is(err, store.ErrNotFound) {
		return "", awserr.New("InvalidParameterValue", http.StatusBadRequest, "The access key ID %s does not exist.", keyID)
	}
	if err != nil {
		return "", awserr.InternalError(err)
	}
	return k.AccountID, nil
}

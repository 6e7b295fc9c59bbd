package sts

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// KeyStore finds long-term keys whose id does not embed an account (operator-chosen root keys).
type KeyStore interface {
	GetAccessKey(ctx context.Context, accessKeyID string) (store.AccessKey, error)
}

// Service is the STS domain service.
type Service struct {
	Store  KeyStore
	Roles  RoleStore
	Engine Decider
	Issuer *Issuer
	MFA    MFAVerifier
	Orgs   OrgStore
	// Tokens is Latchkey's OIDC issuer; Outbound says which accounts may use it.
	Tokens   *token.Issuer
	Outbound OutboundStore
	// Providers and WebIdentity verify federated callers.
	Providers   ProviderStore
	WebIdentity WebIdentityVerifier
	// SAMLRecipients and SAMLAudiences are the accepted Recipient and Audience values.
	SAMLRecipients []string
	SAMLAudiences  []string
	samlMetadata   metadataCache
	// CognitoIssuer is the iss of Cognito identity tokens (LATCHKEY_COGNITO_ISSUER); such tokens
	// are verified with Latchkey's issuer keys.
	CognitoIssuer string
	// CognitoPool reads an identity pool once (cognito.Service.CognitoPool): the account that
	// owns it, "" when the pool is unknown, and whether its tokens may be used directly with
	// AssumeRoleWithWebIdentity (classic flow), false when it is unknown. Roles of any other
	// account accept the pool's identities only under a trust policy that pins the pool (see
	// crossAccountCognitoKeys). nil refuses every Cognito identity token and treats every role
	// as another account's.
	CognitoPool func(ctx context.Context, poolID string) (account string, classicFlow bool, err error)
	// Messages opens the encoded authorization messages that denials carry.
	Messages *keys.MasterKey
	Now      func() time.Time

	useMu   sync.Mutex
	roleUse map[string]time.Time
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
	if err := s.Engine.Authorize(ctx, authz.Request{Caller: caller, Action: "sts:GetAccessKeyInfo", Resource: "*"}); err != nil {
		return "", err
	}
	if acct, ok := ids.AccountFromAccessKeyID(keyID); ok {
		return acct, nil
	}
	k, err := s.Store.GetAccessKey(ctx, keyID)
	if errors.Is(err, store.ErrNotFound) {
		return "", awserr.New("InvalidParameterValue", http.StatusBadRequest, "The access key ID %s does not exist.", keyID)
	}
	if err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			return "", awserr.New("ServiceUnavailable", http.StatusServiceUnavailable, "Service is unavailable. Please try again.")
		}
		return "", awserr.InternalError(err)
	}
	return k.AccountID, nil
}

package cognito

import (
	"context"
	"encoding/base64"
	"errors"
	"github.com/latchkey/latchkey/internal/federation/saml"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// Quotas and defaults: "Quotas in Amazon Cognito" (identity pools per account and region, user
// pool providers per identity pool, role-based access control rules per provider, results of
// one list or lookup) and the Amazon Cognito Identity API Reference (TagResource: 50 tags;
// MergeDeveloperIdentities: 20 linked logins; DeveloperUserIdentifier: 1024 characters;
// GetOpenIdToken and GetOpenIdTokenForDeveloperIdentity: the token lifetimes).
const (
	MaxPoolsPerAccount        = 1000
	MaxTagsPerPool            = 50
	MaxUserPoolProviders      = 50
	MaxRulesPerMapping        = 25
	MaxLinkedLoginsAfterMerge = 20
	MaxDeveloperUserIDLength  = 1024
	DefaultListResults        = 60
	// OpenIDTokenLifetime is GetOpenIdToken's token lifetime (10 minutes).
	OpenIDTokenLifetime = 10 * time.Minute
	// DefaultDeveloperTokenDuration is GetOpenIdTokenForDeveloperIdentity's default TokenDuration.
	DefaultDeveloperTokenDuration = 15 * time.Minute
)

// CognitoProvider is the Logins key of a token this service issued, and the federated principal
// roles trust for Cognito identities.
const CognitoProvider = "cognito-identity.amazonaws.com"

// CognitoSessionName is the session name of enhanced-flow credentials, as AWS names them.
const CognitoSessionName = "CognitoIdentityCredentials"

// opWebIdentity is the action both flows' role sessions are checked for.
const opWebIdentity = "sts:AssumeRoleWithWebIdentity"

// Store is the part of the store the service uses: its own aggregate and the IAM identity
// providers pools refer to.
type Store interface {
	store.CognitoStore
	GetOIDCProvider(ctx context.Context, arn string) (store.OIDCProvider, error)
	GetSAMLProvider(ctx context.Context, arn string) (store.SAMLProvider, error)
}

// Reads are the reads of the unsigned credential paths (GetId, GetOpenIdToken,
// GetCredentialsForIdentity and the logins they link), which may come from caches that see
// another node's change within the documented bound (cachedstore). Signed operations, whose
// callers manage pools and identities, read Store.
type Reads interface {
	GetIdentityPool(ctx context.Context, id string) (store.IdentityPool, error)
	GetIdentity(ctx context.Context, id string) (store.Identity, error)
	FindLogin(ctx context.Context, poolID, provider, subject string) (store.IdentityLogin, error)
	ListLogins(ctx context.Context, identityID string) ([]store.IdentityLogin, error)
	GetOIDCProvider(ctx context.Context, arn string) (store.OIDCProvider, error)
}

// TokenIssuer signs the OpenID tokens and verifies the ones it signed (token.Issuer).
type TokenIssuer interface {
	Sign(ctx context.Context, alg string, claims map[string]any) (string, error)
	Verify(ctx context.Context, tok string) (map[string]any, error)
}

// WebIdentityVerifier verifies upstream ID tokens (oidc.Verifier).
type WebIdentityVerifier interface {
	Verify(ctx context.Context, token string, lookup func(iss string) (oidc.Provider, bool)) (*oidc.Claims, error)
}

// RoleSessions reads roles and mints the enhanced flow's role sessions (session.Service).
type RoleSessions interface {
	FindRole(ctx context.Context, ref session.RoleRef) (store.Role, bool, error)
	AssumeRole(ctx context.Context, r session.Request) (session.RoleSession, error)
}

// Deps are what the Cognito Identity domain service works with.
type Deps struct {
	Store Store
	// Reads, when set, serves the reads of the unsigned credential paths; nil reads Store.
	Reads    Reads
	Authz    authz.Authorizer
	Tokens   TokenIssuer
	Sessions RoleSessions
	Verifier WebIdentityVerifier
	// Region is the region of signed calls whose context carries none (authz.Info); a signed
	// call's own region is the region of its signature's credential scope.
	Region string
	// Issuer is the iss of the tokens this service signs (LATCHKEY_COGNITO_ISSUER).
	Issuer string
	// SAMLRecipients and SAMLAudiences are the Recipient and Audience values SAML logins may carry.
	SAMLRecipients []string
	SAMLAudiences  []string
	Now            func() time.Time
	// NewID returns a lowercase GUID; nil uses random UUIDs.
	NewID func() string
}

// Service is built by New; nothing changes it while it serves.
type Service struct {
	Deps
	samlMetadata saml.MetadataCache
}

// New builds the service from its dependencies.
func New(d Deps) *Service { return &Service{Deps: d} }

// reads is where the unsigned credential paths read: Reads, or Store when it is nil.
func (s *Service) reads() Reads {
	if s.Reads != nil {
		return s.Reads
	}
	return s.Store
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// newID returns a new pool or identity id of region: identities take their pool's region.
func (s *Service) newID(region string) string {
	if s.NewID != nil {
		return region + ":" + s.NewID()
	}
	return region + ":" + uuid.NewString()
}

// requestRegion is the region a signed call was sent to: the region of its signature's
// credential scope, which every SDK sets to the region it is configured for. Identity pools
// live in the region that created them, as they do in AWS, where each region's endpoint is a
// separate service. Unsigned calls (GetId and the other public operations) carry no region that
// Latchkey can trust or even see behind a custom endpoint, so they are routed by the region in
// the pool or identity id they name, which is the region that id was created in.
func (s *Service) requestRegion(ctx context.Context) string {
	if r := authz.Info(ctx).Region; r != "" {
		return r
	}
	return s.Region
}

// maxRegionLength keeps "<region>:<GUID>" within the model's 55 characters for an id.
const maxRegionLength = 55 - len(":00000000-0000-0000-0000-000000000000")

// Errors, with the codes the Amazon Cognito Identity API Reference lists under each operation's
// Errors.

func invalidParameter(format string, args ...any) *awserr.Error {
	return awserr.New("InvalidParameterException", http.StatusBadRequest, format, args...)
}

func notAuthorized(format string, args ...any) *awserr.Error {
	return awserr.New("NotAuthorizedException", http.StatusBadRequest, format, args...)
}

func resourceNotFound(format string, args ...any) *awserr.Error {
	return awserr.New("ResourceNotFoundException", http.StatusBadRequest, format, args...)
}

// forbidden is what AWS answers for an identity that cannot be used: one whose last login was
// removed, or that lost a merge, and an authenticated identity asked for without its logins.
func forbidden(identityID string) *awserr.Error {
	return notAuthorized("Access to Identity '%s' is forbidden.", identityID)
}

func resourceConflict(format string, args ...any) *awserr.Error {
	return awserr.New("ResourceConflictException", http.StatusBadRequest, format, args...)
}

func limitExceeded(format string, args ...any) *awserr.Error {
	return awserr.New("LimitExceededException", http.StatusBadRequest, format, args...)
}

func poolNotFound(id string) *awserr.Error {
	return resourceNotFound("IdentityPool '%s' not found.", id)
}

func identityNotFound(id string) *awserr.Error {
	return resourceNotFound("Identity '%s' not found.", id)
}

// Messages AWS sends (observed).
const (
	msgUnsupportedProvider = "Token is not from a supported provider of this identity pool."
	msgCognitoToken        = "Invalid login token. Can't pass in a Cognito token."
	msgUnauthDisabled      = "Unauthenticated access is not supported for this identity pool."
	msgLoginsDontMatch     = "Logins don't match. Please include at least one valid login for this identity or identity pool."
	msgClassicDisabled     = "Basic (classic) flow is not enabled, please use enhanced flow."
	msgInvalidConfig       = "Invalid identity pool configuration. Check assigned IAM roles for this pool."
)

func invalidConfig(cause error) *awserr.Error {
	return &awserr.Error{Code: "InvalidIdentityPoolConfigurationException", Message: msgInvalidConfig, HTTPStatus: http.StatusBadRequest, Cause: cause}
}

func storeTags(m map[string]string) []store.Tag {
	if len(m) == 0 {
		return nil
	}
	out := make([]store.Tag, 0, len(m))
	for k, v := range m {
		out = append(out, store.Tag{Key: k, Value: v})
	}
	return out
}

// authorize checks cognito-identity:<op> on resource for a signed caller.
func (s *Service) authorize(ctx context.Context, caller *principal.Principal, op, resource string, tags map[string]string, extra map[string][]string) error {
	if caller == nil {
		return notAuthorized("Missing credentials for %s.", op)
	}
	account := caller.AccountID
	if resource == "*" {
		account = ""
	}
	err := s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "cognito-identity:" + op, Resource: resource,
		ResourceAccount: account, ResourceTags: storeTags(tags), Context: extra})
	return err
}

// PoolARN is the policy resource of a pool.
func PoolARN(account, poolID string) string {
	return "arn:aws:cognito-identity:" + ids.RegionOf(poolID) + ":" + account + ":identitypool/" + poolID
}

// signedPool loads a pool for a signed operation and authorizes op on it. A pool of another
// account, or of another region than the call's, is reported as not found, after the
// authorization a pool of the caller's account with that id would get.
func (s *Service) signedPool(ctx context.Context, caller *principal.Principal, op, poolID string, extra map[string][]string) (store.IdentityPool, error) {
	p, err := s.Store.GetIdentityPool(ctx, poolID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return p, awserr.InternalError(err)
	}
	found := err == nil && caller != nil && p.AccountID == caller.AccountID && ids.RegionOf(p.ID) == s.requestRegion(ctx)
	var tags map[string]string
	if found {
		tags = p.Tags
	}
	account := ""
	if caller != nil {
		account = caller.AccountID
	}
	if aerr := s.authorize(ctx, caller, op, PoolARN(account, poolID), tags, extra); aerr != nil {
		return store.IdentityPool{}, aerr
	}
	if !found {
		return store.IdentityPool{}, poolNotFound(poolID)
	}
	return p, nil
}

// signedIdentity loads an identity and its pool for a signed operation and authorizes op on the pool.
func (s *Service) signedIdentity(ctx context.Context, caller *principal.Principal, op, identityID string) (store.Identity, store.IdentityPool, error) {
	id, err := s.Store.GetIdentity(ctx, identityID)
	if errors.Is(err, store.ErrNotFound) {
		// No pool to authorize against: the pattern of every pool of the caller's account.
		if aerr := s.authorize(ctx, caller, op, "arn:aws:cognito-identity:"+ids.RegionOf(identityID)+":"+caller.AccountID+":identitypool/*", nil, nil); aerr != nil {
			return id, store.IdentityPool{}, aerr
		}
		return id, store.IdentityPool{}, identityNotFound(identityID)
	}
	if err != nil {
		return id, store.IdentityPool{}, awserr.InternalError(err)
	}
	p, err := s.signedPool(ctx, caller, op, id.PoolID, nil)
	if err != nil {
		if ae, ok := awserr.As(err); ok && ae.Code == "ResourceNotFoundException" {
			return id, p, identityNotFound(identityID)
		}
		return id, p, err
	}
	return id, p, nil
}

// publicPool loads a pool for an unsigned operation.
func (s *Service) publicPool(ctx context.Context, poolID string) (store.IdentityPool, error) {
	p, err := s.reads().GetIdentityPool(ctx, poolID)
	if errors.Is(err, store.ErrNotFound) {
		return p, poolNotFound(poolID)
	}
	if err != nil {
		return p, awserr.InternalError(err)
	}
	return p, nil
}

// publicIdentity loads an identity and its pool for an unsigned operation. A disabled identity
// (the loser of a merge, or one whose last login was removed) is refused: it is inaccessible, and
// nobody may take it over by linking a login of their own.
func (s *Service) publicIdentity(ctx context.Context, identityID string) (store.Identity, store.IdentityPool, error) {
	id, err := s.reads().GetIdentity(ctx, identityID)
	if errors.Is(err, store.ErrNotFound) {
		return id, store.IdentityPool{}, identityNotFound(identityID)
	}
	if err != nil {
		return id, store.IdentityPool{}, awserr.InternalError(err)
	}
	p, err := s.reads().GetIdentityPool(ctx, id.PoolID)
	if errors.Is(err, store.ErrNotFound) {
		return id, p, identityNotFound(identityID)
	}
	if err != nil {
		return id, p, awserr.InternalError(err)
	}
	if id.Disabled {
		return id, p, forbidden(identityID)
	}
	return id, p, nil
}

// Pagination tokens are opaque to clients: the store's resume key, base64url-encoded with a
// prefix naming the listing, so a token of one listing is refused by another.

func encodeToken(kind, next string) string {
	if next == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + next))
}

func decodeToken(kind, tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", invalidParameter("Invalid NextToken.")
	}
	after, ok := strings.CutPrefix(string(raw), kind+":")
	if !ok || after == "" {
		return "", invalidParameter("Invalid NextToken.")
	}
	return after, nil
}

func listLimit(n int) int {
	if n <= 0 || n > DefaultListResults {
		return DefaultListResults
	}
	return n
}

func awsErr(code, format string, args ...any) *awserr.Error {
	return awserr.New(code, http.StatusBadRequest, format, args...)
}

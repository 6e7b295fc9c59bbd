package sts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// CognitoProvider is the built-in federated principal of Cognito identity tokens.
const CognitoProvider = "cognito-identity.amazonaws.com"

// CognitoSessionName is the session name of enhanced-flow credentials, as AWS names them.
const CognitoSessionName = "CognitoIdentityCredentials"

// crossAccountCognitoKeys are the condition keys a role's trust policy must pin before the
// identities of a pool in another account may assume it. The STS API reference
// (AssumeRoleWithWebIdentity, RoleArn) requires cognito-identity.amazonaws.com:aud for such
// roles, and the Amazon Cognito Developer Guide ("Security best practices for Amazon Cognito
// identity pools") says STS requires both aud and amr for cross-account basic authentication;
// without them a guest of any pool in any account could assume a role that merely trusts
// cognito-identity.amazonaws.com.
var crossAccountCognitoKeys = []string{CognitoProvider + ":aud", CognitoProvider + ":amr"}

// cognitoPool reads, once, what STS needs to know of an identity pool (see CognitoPool): the
// account that owns it, "" when that cannot be told, and whether its tokens may be used directly.
// Without CognitoPool, no pool's account is known and no pool allows the classic flow.
func (s *Service) cognitoPool(ctx context.Context, pool string) (account string, classicFlow bool, err error) {
	if s.CognitoPool == nil {
		return "", false, nil
	}
	account, classicFlow, err = s.CognitoPool(ctx, pool)
	if err != nil {
		if _, ok := awserr.As(err); ok {
			return "", false, err
		}
		return "", false, s.storeErr(err)
	}
	return account, classicFlow, nil
}

// cognitoTrustKeys returns the condition keys the role's trust policy must pin for identities of
// a pool of poolAccount: none when the pool belongs to the role's account, crossAccountCognitoKeys
// otherwise, including when the pool's account cannot be told ("").
func cognitoTrustKeys(poolAccount, roleAccount string) []string {
	if poolAccount != "" && poolAccount == roleAccount {
		return nil
	}
	return crossAccountCognitoKeys
}

// CognitoRequest asks for enhanced-flow credentials for one identity.
type CognitoRequest struct {
	RoleARN string
	PoolID  string
	// PoolAccount is the account that owns the pool, which the Cognito service has just read
	// (a pool's account never changes); "" has STS read it through CognitoPool.
	PoolAccount string
	IdentityID  string
	AMR         []string
	Tags        []SessionTag
}

// AssumeRoleForCognito is the AssumeRoleWithWebIdentity GetCredentialsForIdentity performs: the
// role's trust policy must allow cognito-identity.amazonaws.com with the pool's aud and amr.
// Errors are STS's own; the Cognito service reports them as InvalidIdentityPoolConfigurationException.
func (s *Service) AssumeRoleForCognito(ctx context.Context, r CognitoRequest) (Credentials, error) {
	account, path, name, ok := ParseRoleARN(r.RoleARN)
	if !ok {
		return Credentials{}, validation("Request ARN is invalid")
	}
	role, err := s.Roles.GetRole(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && role.Path != path) {
		return Credentials{}, webIdentityDenied()
	}
	if err != nil {
		return Credentials{}, s.storeErr(err)
	}
	// The enhanced flow makes the same AssumeRoleWithWebIdentity call on the identity's behalf,
	// so the cross-account rule applies to it as well.
	poolAccount := r.PoolAccount
	if poolAccount == "" {
		if poolAccount, _, err = s.cognitoPool(ctx, r.PoolID); err != nil {
			return Credentials{}, err
		}
	}
	session, err := s.federatedSession(ctx, federatedRequest{
		op: "sts:AssumeRoleWithWebIdentity", role: role, providerARN: CognitoProvider, sessionName: CognitoSessionName,
		duration: DefaultRoleSession, tags: r.Tags, context: cognitoContext(r.PoolID, r.IdentityID, r.AMR), denied: webIdentityDenied,
		requireKeys: cognitoTrustKeys(poolAccount, role.AccountID),
	})
	if err != nil {
		return Credentials{}, err
	}
	return session.Credentials, nil
}

func cognitoContext(pool, identity string, amr []string) map[string][]string {
	ctx := map[string][]string{
		"sts:RoleSessionName":    {CognitoSessionName},
		"aws:FederatedProvider":  {CognitoProvider},
		CognitoProvider + ":aud": {pool},
		CognitoProvider + ":sub": {identity},
	}
	if len(amr) > 0 {
		ctx[CognitoProvider+":amr"] = amr
	}
	return ctx
}

// tokenIssuer reads the iss claim of a compact JWS without verifying it, to route the token to
// the right verifier. Nothing read here is trusted.
func tokenIssuer(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return ""
	}
	return c.Iss
}

// cognitoToken is a Cognito identity token verified for the classic flow.
type cognitoToken struct {
	pool, identity string
	// poolAccount is the account that owns the pool, "" when it cannot be told.
	poolAccount string
	amr         []string
	tags        []SessionTag
	transitive  []string
}

// classicCognito verifies a Cognito identity token (signed by Latchkey's issuer) for the classic
// flow, reading its pool once.
func (s *Service) classicCognito(ctx context.Context, tok string) (cognitoToken, error) {
	claims, verr := s.Tokens.Verify(ctx, tok)
	if verr != nil {
		if errors.Is(verr, token.ErrTokenInvalid) {
			return cognitoToken{}, awserr.New("InvalidIdentityToken", http.StatusBadRequest, "Couldn't verify the Cognito identity token's signature.")
		}
		return cognitoToken{}, awserr.InternalError(verr)
	}
	exp, ok := token.Expiry(claims)
	if !ok {
		return cognitoToken{}, awserr.New("InvalidIdentityToken", http.StatusBadRequest, "Missing a required claim: exp")
	}
	now := s.now()
	if !now.Before(exp) {
		return cognitoToken{}, awserr.New("ExpiredTokenException", http.StatusBadRequest, "Token expired: current date/time %d must be before the expiration date/time%d", now.Unix(), exp.Unix())
	}
	var t cognitoToken
	t.pool, _ = claims["aud"].(string)
	t.identity, _ = claims["sub"].(string)
	if t.pool == "" || t.identity == "" {
		return cognitoToken{}, awserr.New("InvalidIdentityToken", http.StatusBadRequest, "Missing a required claim: aud")
	}
	if list, ok := claims["amr"].([]any); ok {
		for _, v := range list {
			if s, ok := v.(string); ok {
				t.amr = append(t.amr, s)
			}
		}
	}
	var err error
	if t.tags, t.transitive, err = tokenTags(claims[tagsClaim]); err != nil {
		return cognitoToken{}, err
	}
	if s.CognitoPool == nil {
		return cognitoToken{}, awserr.New("InvalidIdentityToken", http.StatusBadRequest, "Cognito identity tokens are not accepted by this server.")
	}
	account, classicFlow, err := s.cognitoPool(ctx, t.pool)
	if err != nil {
		return cognitoToken{}, err
	}
	if !classicFlow {
		return cognitoToken{}, awserr.New("InvalidIdentityToken", http.StatusBadRequest, "Basic (classic) flow is not enabled for identity pool %s, please use enhanced flow.", t.pool)
	}
	t.poolAccount = account
	return t, nil
}

// assumeWithCognitoToken is AssumeRoleWithWebIdentity for a Cognito identity token (classic flow).
func (s *Service) assumeWithCognitoToken(ctx context.Context, in WebIdentityInput) (WebIdentitySession, error) {
	account, path, name, ok := ParseRoleARN(in.RoleARN)
	if !ok {
		return WebIdentitySession{}, validation("Request ARN is invalid")
	}
	t, err := s.classicCognito(ctx, in.Token)
	if err != nil {
		return WebIdentitySession{}, err
	}
	role, err := s.Roles.GetRole(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && role.Path != path) {
		return WebIdentitySession{}, webIdentityDenied()
	}
	if err != nil {
		return WebIdentitySession{}, s.storeErr(err)
	}
	reqCtx := cognitoContext(t.pool, t.identity, t.amr)
	reqCtx["sts:RoleSessionName"] = []string{in.RoleSessionName}
	tagContext(reqCtx, t.tags, t.transitive)
	session, err := s.federatedSession(ctx, federatedRequest{
		op: "sts:AssumeRoleWithWebIdentity", role: role, providerARN: CognitoProvider, sessionName: in.RoleSessionName,
		duration: in.DurationSeconds, sessionPolicies: in.Session, tags: t.tags, transitive: t.transitive, context: reqCtx, denied: webIdentityDenied,
		requireKeys: cognitoTrustKeys(t.poolAccount, role.AccountID),
	})
	if err != nil {
		return WebIdentitySession{}, err
	}
	return WebIdentitySession{RoleSession: session, Subject: t.identity, Provider: CognitoProvider, Audience: t.pool}, nil
}

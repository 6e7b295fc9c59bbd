package cognito

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// crossAccountKeys are the condition keys a role's trust policy must pin before the identities
// of a pool in another account may assume it. The STS API reference (AssumeRoleWithWebIdentity,
// RoleArn) requires cognito-identity.amazonaws.com:aud for such roles, and the Amazon Cognito
// Developer Guide ("Security best practices for Amazon Cognito identity pools") says STS
// requires both aud and amr for cross-account basic authentication; without them a guest of any
// pool in any account could assume a role that merely trusts cognito-identity.amazonaws.com.
// Both flows apply them: the enhanced flow makes the same AssumeRoleWithWebIdentity call on the
// identity's behalf.
var crossAccountKeys = []string{CognitoProvider + ":aud", CognitoProvider + ":amr"}

// poolIdentity is who an identity of a pool of account is, to the trust policy of a role.
// account "" (a pool that cannot be told) is treated as another account's.
func poolIdentity(account string) session.Identity {
	return session.Identity{ProviderARN: CognitoProvider, Kind: principal.WebIdentity, HomeAccount: account, CrossAccountKeys: crossAccountKeys}
}

// poolCondition holds the cognito-identity.amazonaws.com keys trust policies test.
func poolCondition(pool, identity string, amr []string) map[string][]string {
	cond := map[string][]string{
		CognitoProvider + ":aud": {pool},
		CognitoProvider + ":sub": {identity},
	}
	if len(amr) > 0 {
		cond[CognitoProvider+":amr"] = amr
	}
	return cond
}

// PoolReader reads identity pools.
type PoolReader interface {
	GetIdentityPool(ctx context.Context, id string) (store.IdentityPool, error)
}

// ClassicFlow verifies the Cognito identity tokens (GetOpenIdToken's, signed by Latchkey's
// issuer) that callers give to STS AssumeRoleWithWebIdentity: the basic (classic) flow.
type ClassicFlow struct {
	Tokens TokenIssuer
	// Pools reads the token's pool; nil refuses every Cognito identity token.
	Pools PoolReader
	// Issuer is the iss of Cognito identity tokens (LATCHKEY_COGNITO_ISSUER); "" recognizes none.
	Issuer string
	Now    func() time.Time
}

// IsCognitoToken reads the iss claim of a compact JWS without verifying it, to route the token
// to this verifier. Nothing read here is trusted.
func (c *ClassicFlow) IsCognitoToken(tok string) bool {
	if c.Issuer == "" {
		return false
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	return json.Unmarshal(raw, &claims) == nil && claims.Iss == c.Issuer
}

func invalidToken(format string, args ...any) *awserr.Error {
	return awserr.New("InvalidIdentityToken", http.StatusBadRequest, format, args...)
}

// VerifyCognitoToken verifies a Cognito identity token for the classic flow, reading its pool
// once: for the pool's account, and whether the pool allows the classic flow (a pool that never
// set AllowClassicFlow does, as AWS observed behaviour shows).
func (c *ClassicFlow) VerifyCognitoToken(ctx context.Context, tok string) (session.Claims, error) {
	claims, verr := c.Tokens.Verify(ctx, tok)
	if verr != nil {
		if errors.Is(verr, token.ErrTokenInvalid) {
			return session.Claims{}, unverifiedToken(invalidToken("Couldn't verify the Cognito identity token's signature."), tok)
		}
		return session.Claims{}, awserr.InternalError(verr)
	}
	exp, ok := token.Expiry(claims)
	if !ok {
		return session.Claims{}, missingClaim(invalidToken("Missing a required claim: exp"), "exp")
	}
	now := time.Now().UTC()
	if c.Now != nil {
		now = c.Now().UTC()
	}
	if !now.Before(exp) {
		return session.Claims{}, expiredToken(awserr.New("ExpiredTokenException", http.StatusBadRequest, "Token expired: current date/time %d must be before the expiration date/time%d", now.Unix(), exp.Unix()), now, exp)
	}
	pool, _ := claims["aud"].(string)
	identity, _ := claims["sub"].(string)
	if pool == "" || identity == "" {
		claim := "aud"
		if pool != "" {
			claim = "sub"
		}
		return session.Claims{}, missingClaim(invalidToken("Missing a required claim: aud"), claim)
	}
	var amr []string
	if list, ok := claims["amr"].([]any); ok {
		for _, v := range list {
			if s, ok := v.(string); ok {
				amr = append(amr, s)
			}
		}
	}
	tags, transitive, err := session.TokenTags(claims[session.TagsClaim])
	if err != nil {
		return session.Claims{}, err
	}
	account, err := c.classicPool(ctx, pool)
	if err != nil {
		return session.Claims{}, err
	}
	return session.Claims{Identity: poolIdentity(account), Subject: identity, Audience: pool,
		Condition: poolCondition(pool, identity, amr), Tags: tags, TransitiveTagKeys: transitive}, nil
}

// classicPool returns the account of a pool that allows the classic flow, "" for a pool that
// cannot be told; it refuses a pool that does not allow it.
func (c *ClassicFlow) classicPool(ctx context.Context, poolID string) (string, error) {
	if c.Pools == nil {
		return "", explained(invalidToken("Cognito identity tokens are not accepted by this server."), explain.InvalidToken,
			explain.Check{Name: "classic flow", Detail: "this server has no Cognito Identity store"}, "this server does not accept Cognito identity tokens")
	}
	p, err := c.Pools.GetIdentityPool(ctx, poolID)
	if errors.Is(err, store.ErrNotFound) {
		return "", explained(invalidToken("Basic (classic) flow is not enabled for identity pool %s, please use enhanced flow.", poolID), explain.InvalidToken,
			explain.Check{Name: "aud", Actual: []string{poolID}, Detail: "no identity pool has this id"},
			fmt.Sprintf("the Cognito token's aud %q names no identity pool of this server (it was deleted, or the token comes from another deployment)", poolID))
	}
	if err != nil {
		return "", awserr.InternalError(err)
	}
	if p.AllowClassicFlow != nil && !*p.AllowClassicFlow {
		return "", explained(invalidToken("Basic (classic) flow is not enabled for identity pool %s, please use enhanced flow.", poolID), explain.InvalidToken,
			explain.Check{Name: "AllowClassicFlow", Expected: []string{"true"}, Actual: []string{"false"}, Detail: "identity pool " + poolID},
			fmt.Sprintf("identity pool %s has AllowClassicFlow false; use GetCredentialsForIdentity, or enable the classic flow with UpdateIdentityPool", poolID))
	}
	return p.AccountID, nil
}

// ClassicFlow is the classic-flow verifier of this service's tokens and pools.
func (s *Service) ClassicFlow() *ClassicFlow {
	return &ClassicFlow{Tokens: s.Tokens, Pools: s.Store, Issuer: s.Issuer, Now: s.Now}
}

package quicksight

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/token"
)

// ContextProvider is the context provider ARN under which STS AssumeRole accepts a QuickSight
// identity context in ProvidedContexts (STS API Reference, AssumeRole).
const ContextProvider = "arn:aws:iam::aws:contextProvider/QuickSight"

// ContextType is the "typ" claim that marks a QuickSight identity context, so that no other
// token Latchkey's issuer signs (Cognito or web identity tokens) passes for one.
const ContextType = "quicksight-identity-context"

// ContextClaims are the claims of a QuickSight identity context, with short names to keep the
// compact JWS well under ContextAssertion's 2048-character limit.
func ContextClaims(ic principal.IdentityContext, issuedAt time.Time, id string) map[string]any {
	return map[string]any{
		"typ":  ContextType,
		"v":    1,
		"acct": ic.AccountID,
		"ns":   ic.Namespace,
		"arn":  ic.UserARN,
		"pid":  ic.PrincipalID,
		"rgn":  ic.Region,
		"iat":  issuedAt.Unix(),
		"exp":  ic.Expires.Unix(),
		"jti":  id,
	}
}

// TokenVerifier verifies tokens signed by Latchkey's issuer (token.Issuer).
type TokenVerifier interface {
	Verify(ctx context.Context, tok string) (map[string]any, error)
}

// ContextVerifier verifies the identity contexts GetIdentityContext signs, for STS AssumeRole.
// It answers in STS's codes, since it verifies an STS parameter: ValidationError for an
// assertion that is not a QuickSight identity context, ExpiredTokenException for an expired one.
type ContextVerifier struct {
	Tokens TokenVerifier
	Now    func() time.Time
}

func errInvalidContext(reason string) *awserr.Error {
	return awserr.New("ValidationError", http.StatusBadRequest, "The ContextAssertion of provider %s is not a valid QuickSight identity context: %s.", ContextProvider, reason)
}

// VerifyContext verifies that assertion verifies with Latchkey's issuer keys, carries the
// QuickSight type marker, is unexpired and names a QuickSight user.
func (v ContextVerifier) VerifyContext(ctx context.Context, assertion string) (principal.IdentityContext, error) {
	if v.Tokens == nil {
		return principal.IdentityContext{}, errInvalidContext("no issuer is configured")
	}
	claims, err := v.Tokens.Verify(ctx, assertion)
	if errors.Is(err, token.ErrTokenInvalid) {
		return principal.IdentityContext{}, unverified(assertion)
	}
	if err != nil {
		return principal.IdentityContext{}, awserr.InternalError(err)
	}
	str := func(k string) string { s, _ := claims[k].(string); return s }
	if typ := str("typ"); typ != ContextType {
		return principal.IdentityContext{}, wrongType(typ)
	}
	exp, ok := token.Expiry(claims)
	if !ok {
		return principal.IdentityContext{}, noExpiry()
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if !now.Before(exp) {
		return principal.IdentityContext{}, expiredContext(now, exp)
	}
	ic := principal.IdentityContext{Provider: ContextProvider, AccountID: str("acct"), Namespace: str("ns"), UserARN: str("arn"),
		PrincipalID: str("pid"), Region: str("rgn"), Expires: exp.UTC()}
	if ic.AccountID == "" || ic.UserARN == "" || ic.Namespace == "" {
		return principal.IdentityContext{}, noUser(ic.AccountID, ic.Namespace, ic.UserARN)
	}
	return ic, nil
}

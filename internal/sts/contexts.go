package sts

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/token"
)

// Trusted context providers of AssumeRole's ProvidedContexts (STS API Reference, AssumeRole). Only the QuickSight
// provider is supported: its assertions are the Context of QuickSight GetIdentityContext, signed
// by Latchkey's own issuer.
const (
	QuickSightContextProvider = "arn:aws:iam::aws:contextProvider/QuickSight"
	// QuickSightContextType is the "typ" claim that marks a QuickSight identity context, so that
	// no other token Latchkey's issuer signs (Cognito or web identity tokens) passes for one.
	QuickSightContextType = "quicksight-identity-context"
)

// ProvidedContext is one entry of AssumeRole's ProvidedContexts.
type ProvidedContext struct {
	ProviderARN      string
	ContextAssertion string
}

// QuickSightContextClaims are the claims of a QuickSight identity context, with short names to
// keep the compact JWS well under ContextAssertion's 2048-character limit.
func QuickSightContextClaims(ic principal.IdentityContext, issuedAt time.Time, id string) map[string]any {
	return map[string]any{
		"typ":  QuickSightContextType,
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

func errInvalidContext(reason string) *awserr.Error {
	return validation("The ContextAssertion of provider %s is not a valid QuickSight identity context: %s.", QuickSightContextProvider, reason)
}

// checkProviders refuses unknown providers and a provider listed twice (before any policy is read).
func checkProviders(list []ProvidedContext) error {
	seen := map[string]bool{}
	for _, c := range list {
		if c.ProviderARN != QuickSightContextProvider {
			return validation("Unsupported ProviderArn %q in ProvidedContexts: Latchkey supports only %s.", c.ProviderARN, QuickSightContextProvider)
		}
		if seen[c.ProviderARN] {
			return validation("ProvidedContexts lists the provider %s more than once.", c.ProviderARN)
		}
		seen[c.ProviderARN] = true
	}
	return nil
}

// verifyContexts verifies the assertions of an AssumeRole call and returns the identity context
// the session carries. The assertion must verify with Latchkey's issuer keys, carry the QuickSight
// type marker, be unexpired, and name a user of the role's own account (a context of another
// account is refused: cross-account use is not supported).
func (s *Service) verifyContexts(ctx context.Context, roleAccount string, list []ProvidedContext) (*principal.IdentityContext, error) {
	var out *principal.IdentityContext
	for _, c := range list {
		if s.Tokens == nil {
			return nil, errInvalidContext("no issuer is configured")
		}
		claims, err := s.Tokens.Verify(ctx, c.ContextAssertion)
		if errors.Is(err, token.ErrTokenInvalid) {
			return nil, errInvalidContext("its signature does not verify")
		}
		if err != nil {
			return nil, awserr.InternalError(err)
		}
		str := func(k string) string { v, _ := claims[k].(string); return v }
		if str("typ") != QuickSightContextType {
			return nil, errInvalidContext("it is not a QuickSight identity context")
		}
		exp, ok := token.Expiry(claims)
		if !ok {
			return nil, errInvalidContext("it has no expiry")
		}
		if !s.now().Before(exp) {
			return nil, awserr.New("ExpiredTokenException", http.StatusBadRequest, "The QuickSight identity context in ProvidedContexts has expired.")
		}
		ic := &principal.IdentityContext{Provider: c.ProviderARN, AccountID: str("acct"), Namespace: str("ns"), UserARN: str("arn"),
			PrincipalID: str("pid"), Region: str("rgn"), Expires: exp.UTC()}
		if ic.AccountID == "" || ic.UserARN == "" || ic.Namespace == "" {
			return nil, errInvalidContext("it does not name a QuickSight user")
		}
		if ic.AccountID != roleAccount {
			return nil, accessDenied("The QuickSight identity context in ProvidedContexts belongs to account " + ic.AccountID +
				", not to the role's account " + roleAccount + "; contexts can only be used with roles of the same account.")
		}
		out = ic
	}
	return out, nil
}

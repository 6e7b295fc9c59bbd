package sts

import (
	"context"

	"github.com/latchkey/latchkey/internal/explain"

	"github.com/latchkey/latchkey/internal/principal"
)

// QuickSightContextProvider is the only trusted context provider of AssumeRole's
// ProvidedContexts that Latchkey supports (STS API Reference, AssumeRole): its assertions are
// the Context of QuickSight GetIdentityContext, signed by Latchkey's own issuer.
const QuickSightContextProvider = "arn:aws:iam::aws:contextProvider/QuickSight"

// ProvidedContext is one entry of AssumeRole's ProvidedContexts.
type ProvidedContext struct {
	ProviderARN      string
	ContextAssertion string
}

// ContextVerifier verifies a QuickSight identity context assertion (the QuickSight service owns
// its format). Its errors are answered as they are: it codes an invalid assertion as a
// ValidationError and an expired one as ExpiredTokenException, as STS answers them.
type ContextVerifier interface {
	VerifyContext(ctx context.Context, assertion string) (principal.IdentityContext, error)
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
// the session carries, which must name a user of the role's own account (a context of another
// account is refused: cross-account use is not supported).
func (s *Service) verifyContexts(ctx context.Context, roleAccount string, list []ProvidedContext) (*principal.IdentityContext, error) {
	var out *principal.IdentityContext
	for _, c := range list {
		if s.d.Contexts == nil {
			return nil, validation("The ContextAssertion of provider %s is not a valid QuickSight identity context: no issuer is configured.", QuickSightContextProvider)
		}
		ic, err := s.d.Contexts.VerifyContext(ctx, c.ContextAssertion)
		if err != nil {
			return nil, err
		}
		ic.Provider = c.ProviderARN
		if ic.AccountID != roleAccount {
			e := accessDenied("The QuickSight identity context in ProvidedContexts belongs to account " + ic.AccountID +
				", not to the role's account " + roleAccount + "; contexts can only be used with roles of the same account.")
			c := explain.Check{Name: "account", Expected: []string{roleAccount}, Actual: []string{ic.AccountID}, Detail: "the context's user " + ic.UserARN}
			e.Cause = explain.Wrap(&explain.Explanation{Outcome: explain.InvalidToken, Checks: []explain.Check{c},
				Summary: "the QuickSight identity context names a user of account " + ic.AccountID + ", and the role belongs to account " + roleAccount +
					"; get the context from QuickSight in the role's account"}, nil)
			return nil, e
		}
		out = &ic
	}
	return out, nil
}

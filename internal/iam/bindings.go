package iam

import (
	"context"
	"errors"
	"fmt"

	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/store"
)

// bindPageSize is how many unbound roles BindStoredPrincipals reads at a time.
const bindPageSize = 100

// bindAttempts bounds how often one role is bound again when its trust policy keeps changing
// under the binding (a node without bindings rewriting it).
const bindAttempts = 3

var (
	errAlreadyBound = errors.New("iam: the role was bound meanwhile")
	errDocChanged   = errors.New("iam: the trust policy changed while it was being bound")
)

// BindStoredPrincipals binds the trust policies of roles stored without principal bindings
// (before bindings existed, or by a node of an older version) to the principals they name as they
// exist now, and returns how many it bound. Each role is bound in its own store transaction, only
// if it is still unbound and its trust policy is still the one that was resolved, so nodes may
// run it at the same time and again at every start. A named principal that no longer exists is
// left unbound: the document is shown as written and that principal matches no one, as IAM
// would have had it after the deletion.
func (s *Service) BindStoredPrincipals(ctx context.Context) (int, error) {
	bound, after := 0, ""
	for {
		roles, err := s.Store.ListUnboundRoles(ctx, after, bindPageSize)
		if err != nil {
			return bound, fmt.Errorf("listing roles to bind: %w", err)
		}
		if len(roles) == 0 {
			return bound, nil
		}
		for _, r := range roles {
			after = r.RoleID
			did, err := s.bindStoredRole(ctx, r)
			if err != nil {
				return bound, fmt.Errorf("binding the trust policy of role %s: %w", r.RoleID, err)
			}
			if did {
				bound++
			}
		}
	}
}

func (s *Service) bindStoredRole(ctx context.Context, r store.Role) (bool, error) {
	for attempt := 1; ; attempt++ {
		doc := r.AssumeRolePolicyDocument
		var bindings []store.PrincipalBinding
		// A document that no longer parses trusts no one anyway; it is marked bound with nothing.
		if p, err := policy.Parse("trust", doc, policy.Trust); err == nil {
			if bindings, _, err = s.resolvePrincipals(ctx, p); err != nil {
				return false, err
			}
		}
		_, err := s.Store.UpdateRole(ctx, r.RoleID, func(cur *store.Role) error {
			switch {
			case cur.PrincipalsBound:
				return errAlreadyBound
			case cur.AssumeRolePolicyDocument != doc:
				return errDocChanged
			}
			cur.PrincipalBindings, cur.PrincipalsBound = bindings, true
			return nil
		})
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, errAlreadyBound), errors.Is(err, store.ErrNotFound):
			return false, nil
		case errors.Is(err, errDocChanged) && attempt < bindAttempts:
			if r, err = s.Store.GetRoleByID(ctx, r.RoleID); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return false, nil
				}
				return false, err
			}
			if r.PrincipalsBound {
				return false, nil
			}
		default:
			return false, err
		}
	}
}

package cognito

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// LookupInput is the LookupDeveloperIdentity request.
type LookupInput struct {
	PoolID     string
	IdentityID string
	User       string
	MaxResults int
	NextToken  string
}

// LookupResult is LookupDeveloperIdentity's answer.
type LookupResult struct {
	IdentityID string
	Users      []string
	NextToken  string
}

func (s *Service) developerPool(ctx context.Context, caller *principal.Principal, op, poolID, provider string) (store.IdentityPool, error) {
	p, err := s.signedPool(ctx, caller, op, poolID, nil)
	if err != nil {
		return p, err
	}
	if provider != "" && provider != p.DeveloperProviderName {
		return p, invalidParameter("'%s' is not the developer provider of identity pool '%s'.", provider, p.ID)
	}
	return p, nil
}

// findDeveloperUser returns the identity a developer user is linked to.
func (s *Service) findDeveloperUser(ctx context.Context, p store.IdentityPool, user string) (string, error) {
	if p.DeveloperProviderName == "" {
		return "", resourceNotFound("Developer user identifier '%s' not found.", user)
	}
	lk, err := s.Store.FindLogin(ctx, p.ID, p.DeveloperProviderName, user)
	if errors.Is(err, store.ErrNotFound) {
		return "", resourceNotFound("Developer user identifier '%s' not found.", user)
	}
	if err != nil {
		return "", awserr.InternalError(err)
	}
	return lk.IdentityID, nil
}

// poolIdentity loads an identity that must belong to the pool.
func (s *Service) poolIdentity(ctx context.Context, p store.IdentityPool, identityID string) (store.Identity, error) {
	id, err := s.Store.GetIdentity(ctx, identityID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && id.PoolID != p.ID) {
		return id, identityNotFound(identityID)
	}
	if err != nil {
		return id, awserr.InternalError(err)
	}
	return id, nil
}

// LookupDeveloperIdentity finds the identity of a developer user, or the developer users of an
// identity; given both, they must match.
func (s *Service) LookupDeveloperIdentity(ctx context.Context, caller *principal.Principal, in LookupInput) (LookupResult, error) {
	p, err := s.developerPool(ctx, caller, "LookupDeveloperIdentity", in.PoolID, "")
	if err != nil {
		return LookupResult{}, err
	}
	if in.IdentityID == "" && in.User == "" {
		return LookupResult{}, invalidParameter("Either IdentityId or DeveloperUserIdentifier must be provided.")
	}
	if in.User != "" {
		owner, err := s.findDeveloperUser(ctx, p, in.User)
		if err != nil {
			return LookupResult{}, err
		}
		if in.IdentityID != "" && in.IdentityID != owner {
			return LookupResult{}, resourceConflict("Developer user identifier '%s' is not linked to identity '%s'.", in.User, in.IdentityID)
		}
		return LookupResult{IdentityID: owner, Users: []string{in.User}}, nil
	}
	id, err := s.poolIdentity(ctx, p, in.IdentityID)
	if err != nil {
		return LookupResult{}, err
	}
	after, err := decodeToken("developer", in.NextToken)
	if err != nil {
		return LookupResult{}, err
	}
	out := LookupResult{IdentityID: id.ID, Users: []string{}}
	if p.DeveloperProviderName == "" {
		return out, nil
	}
	users, next, err := s.Store.ListLoginSubjects(ctx, id.ID, p.DeveloperProviderName, after, listLimit(in.MaxResults))
	if err != nil {
		return LookupResult{}, awserr.InternalError(err)
	}
	out.Users, out.NextToken = append(out.Users, users...), encodeToken("developer", next)
	return out, nil
}

// MergeDeveloperIdentities moves every login of the source user's identity to the destination
// user's identity and disables the source identity. The rules of a merge (both users still where
// they were looked up, at most MaxLinkedLoginsAfterMerge logins, one login per provider but the
// developer provider) are checked by the store's transaction on the identities as they are then,
// with their rows locked, so that a concurrent merge, link or unlink cannot slip in between; when
// a user moved meanwhile, the lookup starts over.
func (s *Service) MergeDeveloperIdentities(ctx context.Context, caller *principal.Principal, poolID, provider, source, destination string) (string, error) {
	p, err := s.developerPool(ctx, caller, "MergeDeveloperIdentities", poolID, provider)
	if err != nil {
		return "", err
	}
	for attempt := 0; attempt < linkAttempts; attempt++ {
		src, err := s.findDeveloperUser(ctx, p, source)
		if err != nil {
			return "", err
		}
		dst, err := s.findDeveloperUser(ctx, p, destination)
		if err != nil {
			return "", err
		}
		if src == dst {
			return dst, nil
		}
		err = s.Store.MergeIdentities(ctx, store.Merge{WinnerID: dst, LoserIDs: []string{src}, At: s.now().UTC().Truncate(time.Second),
			Check: developerMerge(p.DeveloperProviderName, source, destination)})
		if ae, ok := awserr.As(err); ok {
			return "", ae
		}
		switch {
		case errors.Is(err, errStale), errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrIdentityDisabled):
			// A user was unlinked, or its identity merged or deleted, since it was looked up:
			// look both up again.
			continue
		case err != nil:
			return "", awserr.InternalError(err)
		}
		return dst, nil
	}
	return "", resourceConflict("The developer users are being merged concurrently; please retry.")
}

// developerMerge is the precondition of merging the identity of the developer user source into
// that of destination.
func developerMerge(developerProvider, source, destination string) func(store.IdentityWithLogins, []store.IdentityWithLogins) error {
	return func(dst store.IdentityWithLogins, losers []store.IdentityWithLogins) error {
		if len(losers) != 1 || !hasLogin(dst.Logins, developerProvider, destination) || !hasLogin(losers[0].Logins, developerProvider, source) {
			return errStale
		}
		src := losers[0]
		if n := len(src.Logins) + len(dst.Logins); n > MaxLinkedLoginsAfterMerge {
			return invalidParameter("The merged identity would have %d linked logins; at most %d are allowed.", n, MaxLinkedLoginsAfterMerge)
		}
		for _, a := range src.Logins {
			if a.Provider == developerProvider {
				continue
			}
			if slices.ContainsFunc(dst.Logins, func(b store.IdentityLogin) bool { return b.Provider == a.Provider && b.Subject != a.Subject }) {
				return resourceConflict("Both users have a different login of %s; they cannot be merged.", a.Provider)
			}
		}
		return nil
	}
}

// UnlinkDeveloperIdentity removes a developer user from an identity. Removing its last login
// disables the identity in the same store transaction ("If, for a given Cognito identity, you
// remove all federated identities as well as the developer user identifier, the Cognito identity
// becomes inaccessible", Cognito API reference, UnlinkDeveloperIdentity).
func (s *Service) UnlinkDeveloperIdentity(ctx context.Context, caller *principal.Principal, poolID, identityID, provider, user string) error {
	p, err := s.developerPool(ctx, caller, "UnlinkDeveloperIdentity", poolID, provider)
	if err != nil {
		return err
	}
	id, err := s.poolIdentity(ctx, p, identityID)
	if err != nil {
		return err
	}
	owner, err := s.findDeveloperUser(ctx, p, user)
	if err != nil {
		return err
	}
	if owner != id.ID {
		return resourceConflict("Developer user identifier '%s' is not linked to identity '%s'.", user, id.ID)
	}
	now := s.now().UTC().Truncate(time.Second)
	_, err = s.Store.UpdateIdentity(ctx, id.ID, func(cur *store.IdentityWithLogins) error {
		i := slices.IndexFunc(cur.Logins, isLogin(p.DeveloperProviderName, user))
		if i < 0 {
			return resourceNotFound("Developer user identifier '%s' not found.", user) // unlinked meanwhile
		}
		cur.Logins = slices.Delete(cur.Logins, i, i+1)
		disableWhenLoginless(cur, now)
		return nil
	})
	return s.identityUpdateErr(err, id.ID)
}

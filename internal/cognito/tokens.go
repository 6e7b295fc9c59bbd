package cognito

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// authenticatedAMR is the amr of an authenticated identity: "authenticated", then each login's
// provider (IAM User Guide, "IAM and AWS STS condition context keys", amr) and its
// provider-specific entry (observed).
func authenticatedAMR(logins []login) []string {
	sorted := append([]login(nil), logins...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Provider < sorted[j].Provider })
	amr := []string{"authenticated"}
	for _, l := range sorted {
		amr = append(amr, l.Provider, l.Detail)
	}
	return amr
}

// mint signs an OpenID token for an identity.
func (s *Service) mint(ctx context.Context, poolID, identityID string, amr []string, tags map[string]string, ttl time.Duration) (string, error) {
	now := s.now()
	claims := map[string]any{
		"iss": s.Issuer, "aud": poolID, "sub": identityID, "amr": amr,
		"iat": now.Unix(), "exp": now.Add(ttl).Unix(),
	}
	if len(tags) > 0 {
		pt := make(map[string]any, len(tags))
		for k, v := range tags {
			pt[k] = []string{v}
		}
		claims[tagsClaim] = map[string]any{"principal_tags": pt}
	}
	tok, err := s.Tokens.Sign(ctx, token.RS256, claims)
	if err != nil {
		return "", awserr.InternalError(err)
	}
	return tok, nil
}

// OpenIDToken is the answer of GetOpenIdToken and GetOpenIdTokenForDeveloperIdentity.
type OpenIDToken struct {
	IdentityID string
	Token      string
}

// GetOpenIdToken returns a 10-minute token for the basic (classic) flow. An authenticated
// identity must present at least one login already linked to it; new logins are linked.
func (s *Service) GetOpenIdToken(ctx context.Context, identityID string, logins map[string]string) (OpenIDToken, error) {
	id, p, err := s.publicIdentity(ctx, identityID)
	if err != nil {
		return OpenIDToken{}, err
	}
	if p.AllowClassicFlow != nil && !*p.AllowClassicFlow {
		return OpenIDToken{}, invalidParameter(msgClassicDisabled)
	}
	verified, _, err := s.verifyLogins(ctx, p, logins, false)
	if err != nil {
		return OpenIDToken{}, err
	}
	var amr []string
	if len(verified) == 0 {
		if err := s.requireGuest(ctx, p, id, notAuthorized(msgLoginsDontMatch)); err != nil {
			return OpenIDToken{}, err
		}
		amr = []string{RoleUnauthenticated}
	} else {
		iid, err := s.link(ctx, linkRequest{pool: p, target: &id, logins: verified, proofRequired: true})
		if err != nil {
			return OpenIDToken{}, err
		}
		id.ID = iid
		amr = authenticatedAMR(verified)
	}
	tok, err := s.mint(ctx, p.ID, id.ID, amr, nil, OpenIDTokenLifetime)
	if err != nil {
		return OpenIDToken{}, err
	}
	return OpenIDToken{IdentityID: id.ID, Token: tok}, nil
}

// requireGuest refuses guest access to an identity that has linked logins, with linked, or in a
// pool that does not allow guests.
func (s *Service) requireGuest(ctx context.Context, p store.IdentityPool, id store.Identity, linked *awserr.Error) error {
	links, err := s.reads().ListLogins(ctx, id.ID)
	if err != nil {
		return awserr.InternalError(err)
	}
	if len(links) > 0 {
		return linked
	}
	if !p.AllowUnauthenticated {
		return notAuthorized(msgUnauthDisabled)
	}
	return nil
}

// DeveloperTokenInput is the GetOpenIdTokenForDeveloperIdentity request.
type DeveloperTokenInput struct {
	PoolID        string
	IdentityID    string
	Logins        map[string]string
	PrincipalTags map[string]string
	// TokenDuration in seconds; 0 takes the default of 15 minutes.
	TokenDuration int64
}

// GetOpenIdTokenForDeveloperIdentity registers (or finds) the identity of a developer user and
// returns its token; other logins in the map are linked to it.
func (s *Service) GetOpenIdTokenForDeveloperIdentity(ctx context.Context, caller *principal.Principal, in DeveloperTokenInput) (OpenIDToken, error) {
	p, err := s.signedPool(ctx, caller, "GetOpenIdTokenForDeveloperIdentity", in.PoolID, nil)
	if err != nil {
		return OpenIDToken{}, err
	}
	if p.DeveloperProviderName == "" {
		return OpenIDToken{}, invalidParameter("Identity pool '%s' has no DeveloperProviderName; set one with UpdateIdentityPool.", p.ID)
	}
	user, ok := in.Logins[p.DeveloperProviderName]
	if !ok {
		return OpenIDToken{}, invalidParameter("Logins must contain one login of the developer provider '%s'.", p.DeveloperProviderName)
	}
	if len(user) > MaxDeveloperUserIDLength {
		return OpenIDToken{}, invalidParameter("A developer user identifier has at most %d characters.", MaxDeveloperUserIDLength)
	}
	others := make(map[string]string, len(in.Logins))
	for k, v := range in.Logins {
		if k != p.DeveloperProviderName {
			others[k] = v
		}
	}
	verified, _, err := s.verifyLogins(ctx, p, others, false)
	if err != nil {
		return OpenIDToken{}, err
	}
	dev := login{Provider: p.DeveloperProviderName, Kind: kindDeveloper, Subject: user,
		Claims:      map[string][]string{},
		MappingKeys: []string{p.DeveloperProviderName}, TagKeys: []string{p.DeveloperProviderName},
		Detail: p.DeveloperProviderName + ":" + p.ID + ":" + user}
	all := append([]login{dev}, verified...)
	req := linkRequest{pool: p, logins: all, developer: &dev}
	if in.IdentityID != "" {
		id, err := s.Store.GetIdentity(ctx, in.IdentityID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && id.PoolID != p.ID) {
			return OpenIDToken{}, identityNotFound(in.IdentityID)
		}
		if err != nil {
			return OpenIDToken{}, awserr.InternalError(err)
		}
		if id.Disabled {
			// Inaccessible for good: not even the pool's developer may link a login to it.
			return OpenIDToken{}, forbidden(id.ID)
		}
		req.target = &id
	}
	iid, err := s.link(ctx, req)
	if err != nil {
		return OpenIDToken{}, err
	}
	ttl := DefaultDeveloperTokenDuration
	if in.TokenDuration > 0 {
		ttl = time.Duration(in.TokenDuration) * time.Second
	}
	// The developer provider comes first: GetCredentialsForIdentity maps a Cognito token by amr[1].
	amr := append([]string{"authenticated", dev.Provider, dev.Detail}, authenticatedAMR(verified)[1:]...)
	tok, err := s.mint(ctx, p.ID, iid, amr, in.PrincipalTags, ttl)
	if err != nil {
		return OpenIDToken{}, err
	}
	return OpenIDToken{IdentityID: iid, Token: tok}, nil
}

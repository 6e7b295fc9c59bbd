package cognito

import (
	"context"
	"sort"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// CredentialsInput is the GetCredentialsForIdentity request.
type CredentialsInput struct {
	IdentityID    string
	Logins        map[string]string
	CustomRoleARN string
}

// IdentityCredentials is GetCredentialsForIdentity's answer.
type IdentityCredentials struct {
	IdentityID  string
	Credentials session.Credentials
	RoleARN     string
}

// GetCredentialsForIdentity is the enhanced flow: verify the logins, choose the role (default
// roles and role mappings), and assume it as cognito-identity.amazonaws.com with session name
// CognitoIdentityCredentials. The role refusing the identity is
// InvalidIdentityPoolConfigurationException.
func (s *Service) GetCredentialsForIdentity(ctx context.Context, in CredentialsInput) (IdentityCredentials, error) {
	id, p, err := s.publicIdentity(ctx, in.IdentityID)
	if err != nil {
		return IdentityCredentials{}, err
	}
	verified, cog, err := s.verifyLogins(ctx, p, in.Logins, true)
	if err != nil {
		return IdentityCredentials{}, err
	}
	if cog != nil && cog.IdentityID != id.ID {
		return IdentityCredentials{}, notAuthorized("Invalid login token. The Cognito token was issued for another identity.")
	}
	mappings, err := decodeMappings(p.RoleMappings)
	if err != nil {
		return IdentityCredentials{}, awserr.InternalError(err)
	}
	tagMaps, err := decodeTagMaps(p.PrincipalTagMaps)
	if err != nil {
		return IdentityCredentials{}, awserr.InternalError(err)
	}
	var role string
	var amr []string
	var tags map[string]string
	authenticated := len(verified) > 0 || (cog != nil && cog.Authenticated)
	if !authenticated {
		if err := s.requireGuest(ctx, p, id, forbidden(id.ID)); err != nil {
			return IdentityCredentials{}, err
		}
		if role, err = defaultRole(p, RoleUnauthenticated); err != nil {
			return IdentityCredentials{}, err
		}
		amr = []string{RoleUnauthenticated}
	} else {
		if len(verified) > 0 {
			iid, err := s.link(ctx, linkRequest{pool: p, target: &id, logins: verified, proofRequired: true})
			if err != nil {
				return IdentityCredentials{}, err
			}
			id.ID = iid
		}
		candidates := append([]login(nil), verified...)
		sort.SliceStable(candidates, func(i, j int) bool { return candidates[i].Provider < candidates[j].Provider })
		if cog != nil && cog.Authenticated {
			// The token stands for the login it was issued for (the developer provider for
			// GetOpenIdTokenForDeveloperIdentity): amr[1] names it.
			c := login{Provider: CognitoProvider, Kind: kindCognito, Subject: id.ID, Claims: cog.Claims}
			if len(cog.AMR) > 1 {
				c.MappingKeys = []string{cog.AMR[1]}
			}
			candidates = append([]login{c}, candidates...)
		}
		if role, err = chooseRole(p, mappings, candidates, in.CustomRoleARN); err != nil {
			return IdentityCredentials{}, err
		}
		amr = authenticatedAMR(verified)
		if cog != nil && cog.Authenticated {
			amr = mergeAMR(cog.AMR, amr)
		}
		tags = principalTags(tagMaps, verified)
		if cog != nil {
			for k, v := range cog.Tags {
				if _, set := tags[k]; !set {
					tags[k] = v
				}
			}
		}
	}
	creds, err := s.assumeForIdentity(ctx, enhancedRequest{roleARN: role, pool: p, identityID: id.ID, amr: amr, tags: sortedTags(tags)})
	if err != nil {
		return IdentityCredentials{}, err
	}
	return IdentityCredentials{IdentityID: id.ID, Credentials: creds, RoleARN: role}, nil
}

func sortedTags(tags map[string]string) []session.Tag {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []session.Tag
	for _, k := range keys {
		out = append(out, principal.Tag{Key: k, Value: tags[k]})
	}
	return out
}

// enhancedRequest is the role session the enhanced flow asks for on an identity's behalf.
type enhancedRequest struct {
	roleARN    string
	pool       store.IdentityPool
	identityID string
	amr        []string
	tags       []session.Tag
}

// assumeForIdentity is the AssumeRoleWithWebIdentity the enhanced flow makes on the identity's
// behalf: the role's trust policy must allow cognito-identity.amazonaws.com with the pool's aud
// (and amr, for a role of another account). The role refusing it, or not existing, is
// InvalidIdentityPoolConfigurationException; a failure of the service is answered as it is.
func (s *Service) assumeForIdentity(ctx context.Context, r enhancedRequest) (session.Credentials, error) {
	ref, ok := session.ParseRoleARN(r.roleARN)
	if !ok {
		return session.Credentials{}, invalidConfig(session.Validation("Request ARN is invalid"))
	}
	role, found, err := s.Sessions.FindRole(ctx, ref)
	if err != nil {
		return session.Credentials{}, err
	}
	if !found {
		return session.Credentials{}, invalidConfig(session.FederatedDenied(opWebIdentity))
	}
	id := poolIdentity(r.pool.AccountID)
	rs, err := s.Sessions.AssumeRole(ctx, session.Request{
		Action: opWebIdentity, Federated: &id, Role: role, SessionName: CognitoSessionName,
		Tags: r.tags, TagsUnconditioned: true, Condition: poolCondition(r.pool.ID, r.identityID, r.amr),
	})
	if err != nil {
		if ae, ok := awserr.As(err); ok && ae.HTTPStatus >= 500 {
			return session.Credentials{}, err
		}
		return session.Credentials{}, invalidConfig(err)
	}
	return rs.Credentials, nil
}

// mergeAMR joins the amr of a Cognito token with that of further logins, without repeats.
func mergeAMR(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, v := range b {
		dup := false
		for _, w := range out {
			if v == w {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out
}

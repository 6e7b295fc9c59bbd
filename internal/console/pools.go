package console

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/latchkey/latchkey/internal/cognito"
	"github.com/latchkey/latchkey/internal/store"
)

// Cognito Identity's actions behind the Identity pools pages, named in their AccessDenied notices.
const (
	actionListPools      = "cognito-identity:ListIdentityPools"
	actionDescribePool   = "cognito-identity:DescribeIdentityPool"
	actionGetPoolRoles   = "cognito-identity:GetIdentityPoolRoles"
	actionListIdentities = "cognito-identity:ListIdentities"
)

// LoginReader is the store's read of an identity's linked logins (provider and subject). The
// console reads it only for identities ListIdentities returned to the caller.
type LoginReader interface {
	ListLogins(ctx context.Context, identityID string) ([]store.IdentityLogin, error)
}

type poolsView struct {
	Pools  []cognito.IdentityPool
	More   bool
	Region string
}

// pools is ListIdentityPools as the caller, in the console's region.
func (c *Console) pools(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	pg, err := c.d.Pools.ListIdentityPools(c.requestContext(r), s.Caller, 60, "")
	if err != nil {
		c.failDenied(w, r, s, err, actionListPools)
		return
	}
	c.render(w, http.StatusOK, "pools", page{Title: "Identity pools", Nav: "pools", Session: s, Data: poolsView{pg.Pools, pg.NextToken != "", c.d.Region}})
}

type identityView struct {
	ID     string
	Logins []store.IdentityLogin
	cognito.IdentityDescription
}

type poolView struct {
	Pool             cognito.IdentityPool
	Roles            map[string]string
	RoleKeys         []string
	RoleMappings     string
	Identities       []identityView
	More             bool
	RolesDenied      *denial
	IdentitiesDenied *denial
}

// pool shows one identity pool as DescribeIdentityPool, GetIdentityPoolRoles and ListIdentities
// answer the caller: another account's pool is not found, as in the API; a part the caller may
// not read is a notice naming the action it needs.
func (c *Console) pool(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	ctx, id := c.requestContext(r), r.PathValue("id")
	p, err := c.d.Pools.DescribeIdentityPool(ctx, s.Caller, id)
	if err != nil {
		c.failRead(w, r, s, err, actionDescribePool, notFound{"ResourceNotFoundException", "Identity pool not found", "No identity pool " + id + " in account " + s.Caller.AccountID + "."})
		return
	}
	v := poolView{Pool: p}
	roles, err := c.d.Pools.GetIdentityPoolRoles(ctx, s.Caller, id)
	if v.RolesDenied = deniedBy(err, actionGetPoolRoles); err != nil && v.RolesDenied == nil {
		c.failErr(w, r, s, err)
		return
	}
	v.Roles = roles.Roles
	for k := range roles.Roles {
		v.RoleKeys = append(v.RoleKeys, k)
	}
	slices.Sort(v.RoleKeys)
	if len(roles.RoleMappings) > 0 {
		v.RoleMappings = mappingsJSON(roles.RoleMappings)
	}
	ids, err := c.d.Pools.ListIdentities(ctx, s.Caller, id, 60, "", false)
	if v.IdentitiesDenied = deniedBy(err, actionListIdentities); err != nil && v.IdentitiesDenied == nil {
		c.failErr(w, r, s, err)
		return
	}
	v.More = ids.NextToken != ""
	for _, i := range ids.Identities {
		logins, err := c.d.Logins.ListLogins(r.Context(), i.ID)
		if err != nil {
			c.failErr(w, r, s, err)
			return
		}
		v.Identities = append(v.Identities, identityView{i.ID, logins, i})
	}
	c.render(w, http.StatusOK, "pool", page{Title: "Identity pool " + p.Name, Nav: "pools", Session: s, Data: v})
}

// mappingsJSON is role mappings in the shape GetIdentityPoolRoles returns them (Amazon Cognito
// Identity API Reference, RoleMapping), indented.
func mappingsJSON(m map[string]cognito.RoleMapping) string {
	type rule struct{ Claim, MatchType, Value, RoleARN string }
	type rules struct{ Rules []rule }
	type mapping struct {
		Type                    string
		AmbiguousRoleResolution string `json:",omitempty"`
		RulesConfiguration      *rules `json:",omitempty"`
	}
	out := map[string]mapping{}
	for k, rm := range m {
		mm := mapping{Type: rm.Type, AmbiguousRoleResolution: rm.AmbiguousRoleResolution}
		if rm.Rules != nil {
			mm.RulesConfiguration = &rules{Rules: []rule{}}
			for _, r := range rm.Rules {
				mm.RulesConfiguration.Rules = append(mm.RulesConfiguration.Rules, rule(r))
			}
		}
		out[k] = mm
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	return string(b)
}

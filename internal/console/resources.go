package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/federation/saml"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

func (c *Console) roles(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	pg, err := c.d.Store.ListRoles(r.Context(), s.Caller.AccountID, "/", "", listLimit)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	c.render(w, http.StatusOK, "roles", page{Title: "Roles", Nav: "roles", Session: s, Data: pg})
}

// trusted is one principal a trust policy names, with the statement that names it.
type trusted struct {
	Statement int
	Effect    string
	Type      string // AWS, Federated, Service, *
	Value     string
	Actions   string
}

type namedDoc struct{ Name, Document string }

type roleView struct {
	Role       store.Role
	ARN        string
	Trust      string
	Trusted    []trusted
	TrustError string
	Inline     []namedDoc
	Attached   []string
	Refusals   []decisionRow
}

// role shows one role of the caller's account: its trust policy and whom it names, its
// permission policies and boundary, last use, and recent refusals that named it.
func (c *Console) role(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	ctx := r.Context()
	role, err := c.d.Store.GetRole(ctx, s.Caller.AccountID, r.PathValue("name"))
	if errors.Is(err, store.ErrNotFound) {
		c.fail(w, r, s, http.StatusNotFound, "Role not found", "No role named "+r.PathValue("name")+" in account "+s.Caller.AccountID+".")
		return
	}
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	v := roleView{Role: role, ARN: principal.RoleARNOf(role.AccountID, role.Path, role.RoleName), Trust: indent(role.AssumeRolePolicyDocument)}
	v.Trusted, err = trustedPrincipals(role.AssumeRolePolicyDocument)
	if err != nil {
		v.TrustError = err.Error()
	}
	inline, err := c.d.Store.ListInlinePolicies(ctx, store.KindRole, role.RoleID)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	for _, p := range inline {
		v.Inline = append(v.Inline, namedDoc{p.PolicyName, indent(p.Document)})
	}
	atts, err := c.d.Store.ListAttachments(ctx, store.KindRole, role.RoleID)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	for _, a := range atts {
		v.Attached = append(v.Attached, a.PolicyARN)
	}
	ds, err := c.d.Store.ListDecisions(ctx, store.DecisionFilter{AccountID: s.Caller.AccountID, Limit: activityLimit * 5})
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	for _, d := range rows(ds) {
		var x explain.Explanation
		if json.Unmarshal(d.Explanation, &x) == nil && x.Resource == v.ARN && len(v.Refusals) < 20 {
			v.Refusals = append(v.Refusals, d)
		}
	}
	c.render(w, http.StatusOK, "role", page{Title: "Role " + role.RoleName, Nav: "roles", Session: s, Data: v})
}

// indent pretty-prints a JSON document, or returns it as it is.
func indent(doc string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(doc), "", "  ") != nil {
		return doc
	}
	return b.String()
}

// trustedPrincipals reads the Principal elements of a trust policy's statements.
func trustedPrincipals(doc string) ([]trusted, error) {
	var d struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, errors.New("the trust policy is not readable JSON")
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(d.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(d.Statement, &one); err != nil {
			return nil, errors.New("the trust policy's Statement is not readable")
		}
		stmts = []map[string]json.RawMessage{one}
	}
	var out []trusted
	for i, st := range stmts {
		effect, actions := str(st["Effect"]), strings.Join(strs(st["Action"]), ", ")
		var star string
		if json.Unmarshal(st["Principal"], &star) == nil {
			out = append(out, trusted{i, effect, "*", star, actions})
			continue
		}
		var byType map[string]json.RawMessage
		_ = json.Unmarshal(st["Principal"], &byType)
		types := make([]string, 0, len(byType))
		for t := range byType {
			types = append(types, t)
		}
		sort.Strings(types)
		for _, t := range types {
			for _, v := range strs(byType[t]) {
				out = append(out, trusted{i, effect, t, v, actions})
			}
		}
	}
	return out, nil
}

func str(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

func strs(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

type samlView struct {
	store.SAMLProvider
	EntityID string
	Certs    []certView
	Error    string
}

type certView struct {
	Subject  string
	NotAfter time.Time
	Expired  bool
}

type providersView struct {
	OIDC []store.OIDCProvider
	SAML []samlView
}

// providers lists the account's OIDC providers as registered and its SAML providers with the
// expiry of each signing certificate in their metadata.
func (c *Console) providers(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	oidcs, err := c.d.Store.ListOIDCProviders(r.Context(), s.Caller.AccountID)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	samls, err := c.d.Store.ListSAMLProviders(r.Context(), s.Caller.AccountID)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	v := providersView{OIDC: oidcs}
	now := c.d.Now()
	for _, p := range samls {
		sv := samlView{SAMLProvider: p}
		md, err := saml.ParseMetadata(p.MetadataDocument)
		if err != nil {
			sv.Error = "the stored metadata does not parse"
		} else {
			sv.EntityID = md.EntityID
			for _, cert := range md.Certificates {
				sv.Certs = append(sv.Certs, certView{cert.Subject.String(), cert.NotAfter.UTC(), !now.Before(cert.NotAfter)})
			}
		}
		v.SAML = append(v.SAML, sv)
	}
	c.render(w, http.StatusOK, "providers", page{Title: "Identity providers", Nav: "providers", Session: s, Data: v})
}

func (c *Console) pools(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	ps, next, err := c.d.Store.ListIdentityPools(r.Context(), s.Caller.AccountID, c.d.Region, "", 60)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	c.render(w, http.StatusOK, "pools", page{Title: "Identity pools", Nav: "pools", Session: s, Data: map[string]any{"Pools": ps, "More": next != "", "Region": c.d.Region}})
}

type identityView struct {
	store.Identity
	Logins []store.IdentityLogin
}

type poolView struct {
	Pool         store.IdentityPool
	RoleKeys     []string
	RoleMappings string
	Identities   []identityView
	More         bool
}

// pool shows one identity pool of the caller's account: roles, role mappings, and its first
// identities with their linked logins. Another account's pool is answered like an unknown one.
func (c *Console) pool(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	ctx := r.Context()
	id := r.PathValue("id")
	p, err := c.d.Store.GetIdentityPool(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.AccountID != s.Caller.AccountID) {
		c.fail(w, r, s, http.StatusNotFound, "Identity pool not found", "No identity pool "+id+" in account "+s.Caller.AccountID+".")
		return
	}
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	v := poolView{Pool: p, RoleMappings: indent(p.RoleMappings)}
	for k := range p.Roles {
		v.RoleKeys = append(v.RoleKeys, k)
	}
	slices.Sort(v.RoleKeys)
	ids, next, err := c.d.Store.ListIdentities(ctx, id, false, "", 60)
	if err != nil {
		c.failErr(w, r, s, err)
		return
	}
	v.More = next != ""
	for _, i := range ids {
		logins, err := c.d.Store.ListLogins(ctx, i.ID)
		if err != nil {
			c.failErr(w, r, s, err)
			return
		}
		v.Identities = append(v.Identities, identityView{i, logins})
	}
	c.render(w, http.StatusOK, "pool", page{Title: "Identity pool " + p.Name, Nav: "pools", Session: s, Data: v})
}

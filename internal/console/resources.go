package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/federation/saml"
	"github.com/latchkey/latchkey/internal/iam"
	"github.com/latchkey/latchkey/internal/store"
)

// IAM's actions behind the Roles and Providers pages, named in their AccessDenied notices.
const (
	actionGetRole          = "iam:GetRole"
	actionListRoles        = "iam:ListRoles"
	actionListRolePolicies = "iam:ListRolePolicies"
	actionGetRolePolicy    = "iam:GetRolePolicy"
	actionListAttached     = "iam:ListAttachedRolePolicies"
	actionListOIDC         = "iam:ListOpenIDConnectProviders"
	actionListSAML         = "iam:ListSAMLProviders"
	actionGetSAML          = "iam:GetSAMLProvider"
)

type rolesView struct {
	Roles []iam.Role
	Next  bool
}

// roles is ListRoles as the caller.
func (c *Console) roles(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	pg, err := c.d.IAM.ListRoles(c.requestContext(r), s.Caller, "/", "", listLimit)
	if err != nil {
		c.failDenied(w, r, s, err, actionListRoles)
		return
	}
	c.render(w, http.StatusOK, "roles", page{Title: "Roles", Nav: "roles", Session: s, Data: rolesView{pg.Items, pg.IsTruncated}})
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
	Role             iam.Role
	ARN              string
	Trust            string
	Trusted          []trusted
	TrustError       string
	Inline           []namedDoc
	Attached         []string
	Refusals         []decisionRow
	InlineDenied     *denial
	AttachedDenied   *denial
	RefusalsDenied   *denial
	PoliciesComplete bool
}

// role shows one role of the caller's account as GetRole, ListRolePolicies, GetRolePolicy and
// ListAttachedRolePolicies answer the caller: a part the caller may not read is a notice naming
// the action it needs. Recent refusals that named the role need latchkey:ListDecisions.
func (c *Console) role(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	ctx, name := c.requestContext(r), r.PathValue("name")
	role, err := c.d.IAM.GetRole(ctx, s.Caller, name)
	if err != nil {
		c.failRead(w, r, s, err, actionGetRole, notFound{"NoSuchEntity", "Role not found", "No role named " + name + " in account " + s.Caller.AccountID + "."})
		return
	}
	v := roleView{Role: role, ARN: role.ARN, Trust: indent(role.AssumeRolePolicyDocument)}
	v.Trusted, err = trustedPrincipals(role.AssumeRolePolicyDocument)
	if err != nil {
		v.TrustError = err.Error()
	}
	if err := c.rolePolicies(r, s, &v); err != nil {
		c.failErr(w, r, s, err)
		return
	}
	ds, err := c.listDecisions(r, s, store.DecisionFilter{Limit: activityLimit * 5})
	if v.RefusalsDenied = deniedBy(err, audit.ActionListDecisions); err != nil && v.RefusalsDenied == nil {
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

// rolePolicies fills v's inline and attached policies as the caller may read them; an error
// is one that is not a refusal.
func (c *Console) rolePolicies(r *http.Request, s *consoleSession, v *roleView) error {
	ctx, name := c.requestContext(r), v.Role.RoleName
	names, err := c.d.IAM.ListInlinePolicies(ctx, s.Caller, iam.KindRole, name, "", listLimit)
	if v.InlineDenied = deniedBy(err, actionListRolePolicies); err != nil && v.InlineDenied == nil {
		return err
	}
	for _, pn := range names.Items {
		p, _, err := c.d.IAM.GetInlinePolicy(ctx, s.Caller, iam.KindRole, name, pn)
		if d := deniedBy(err, actionGetRolePolicy); d != nil {
			v.InlineDenied, p.Document = d, ""
		} else if err != nil {
			return err
		}
		v.Inline = append(v.Inline, namedDoc{pn, indent(p.Document)})
	}
	atts, err := c.d.IAM.ListAttached(ctx, s.Caller, iam.KindRole, name, "/", "", listLimit)
	if v.AttachedDenied = deniedBy(err, actionListAttached); err != nil && v.AttachedDenied == nil {
		return err
	}
	for _, a := range atts.Items {
		v.Attached = append(v.Attached, a.PolicyARN)
	}
	v.PoliciesComplete = v.InlineDenied == nil && v.AttachedDenied == nil
	return nil
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
	iam.SAMLProvider
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
	OIDC       []oidcView
	SAML       []samlView
	OIDCDenied *denial
	SAMLDenied *denial
	FetchShown bool // the console knows this node's key-set fetches
}

// oidcView is an OIDC provider with this node's last fetch of its key set.
type oidcView struct {
	iam.OIDCProvider
	Fetch   oidc.FetchStatus
	Fetched bool // false: this node has not fetched the set since it started
}

func (c *Console) oidcView(p iam.OIDCProvider) oidcView {
	v := oidcView{OIDCProvider: p}
	if c.d.KeySets != nil {
		v.Fetch, v.Fetched = c.d.KeySets.LastFetch(p.URL)
		if !v.Fetched && strings.HasSuffix(p.URL, "/") {
			v.Fetch, v.Fetched = c.d.KeySets.LastFetch(strings.TrimSuffix(p.URL, "/"))
		}
	}
	return v
}

// providers lists the account's OIDC providers and SAML providers as ListOpenIDConnectProviders,
// ListSAMLProviders and GetSAMLProvider answer the caller, with the expiry of each SAML signing
// certificate in the metadata GetSAMLProvider returns.
func (c *Console) providers(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	ctx := c.requestContext(r)
	v := providersView{FetchShown: c.d.KeySets != nil}
	oidcs, err := c.d.IAM.ListOpenIDConnectProviders(ctx, s.Caller)
	if v.OIDCDenied = deniedBy(err, actionListOIDC); err != nil && v.OIDCDenied == nil {
		c.failErr(w, r, s, err)
		return
	}
	for _, p := range oidcs {
		v.OIDC = append(v.OIDC, c.oidcView(p))
	}
	samls, err := c.d.IAM.ListSAMLProviders(ctx, s.Caller)
	if v.SAMLDenied = deniedBy(err, actionListSAML); err != nil && v.SAMLDenied == nil {
		c.failErr(w, r, s, err)
		return
	}
	now := c.d.Now()
	for _, listed := range samls {
		p, err := c.d.IAM.GetSAMLProvider(ctx, s.Caller, listed.ARN)
		sv := samlView{SAMLProvider: iam.SAMLProvider{ARN: listed.ARN, Name: listed.Name, ValidUntil: listed.ValidUntil}}
		if d := deniedBy(err, actionGetSAML); d != nil {
			sv.Error = "The metadata is hidden: it needs " + d.Action + "."
			v.SAML = append(v.SAML, sv)
			continue
		} else if err != nil {
			c.failErr(w, r, s, err)
			return
		}
		sv.SAMLProvider = p
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

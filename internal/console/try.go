package console

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/iam"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/sts"
)

// TokenTrier runs AssumeRoleWithWebIdentity and AssumeRoleWithSAML (sts.Service); the console
// always sets DryRun, so they verify and evaluate everything and issue nothing.
type TokenTrier interface {
	AssumeRoleWithWebIdentity(ctx context.Context, in sts.WebIdentityInput) (sts.WebIdentitySession, error)
	AssumeRoleWithSAML(ctx context.Context, in sts.SAMLInput) (sts.SAMLSession, error)
}

type tryForm struct {
	Kind, RoleARN, Token, SessionName, ProviderARN string
}

type tryView struct {
	Form  tryForm
	Roles []iam.Role
	// RolesDenied: the caller may not list roles, so the form asks for the role's ARN.
	RolesDenied *denial
	// Hidden says why the refusal's policy detail is not shown.
	Hidden string
	Error  string
	// Ran says a dry run happened; Allowed says it would have issued Session.
	Ran, Allowed bool
	Session      string
	Expires      time.Time
	Checks       *explain.Explanation
	Code         string
	Message      string
}

func (c *Console) tryForm(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	c.renderTry(w, r, s, http.StatusOK, tryView{Form: tryForm{Kind: "oidc", SessionName: "console-dry-run"}})
}

func (c *Console) renderTry(w http.ResponseWriter, r *http.Request, s *consoleSession, status int, v tryView) {
	pg, err := c.d.IAM.ListRoles(c.requestContext(r), s.Caller, "/", "", listLimit)
	if v.RolesDenied = deniedBy(err, actionListRoles); err != nil && v.RolesDenied == nil {
		c.failErr(w, r, s, err)
		return
	}
	v.Roles = pg.Items
	c.render(w, status, "try", page{Title: "Try a token", Nav: "try", Session: s, Data: v})
}

// try is a dry run of AssumeRoleWithWebIdentity or AssumeRoleWithSAML against a role of the
// caller's own account: the answer is what the call would do, with the checks that decided.
func (c *Console) try(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	f := r.PostForm
	v := tryView{Form: tryForm{Kind: f.Get("kind"), RoleARN: strings.TrimSpace(f.Get("role")), Token: strings.TrimSpace(f.Get("token")),
		SessionName: strings.TrimSpace(f.Get("session_name")), ProviderARN: strings.TrimSpace(f.Get("provider"))}}
	ref, ok := session.ParseRoleARN(v.Form.RoleARN)
	switch {
	case !ok:
		v.Error = "Pick a role of account " + s.Caller.AccountID + "."
	case ref.Account != s.Caller.AccountID:
		c.fail(w, r, s, http.StatusForbidden, "Forbidden", "The console tries tokens only against roles of account "+s.Caller.AccountID+".")
		return
	case v.Form.Token == "":
		v.Error = "Paste a token (a JWT) or a SAML response (base64)."
	case v.Form.Kind != "oidc" && v.Form.Kind != "saml":
		v.Error = "Choose OIDC token or SAML response."
	case v.Form.Kind == "saml" && v.Form.ProviderARN == "":
		v.Error = "A SAML response needs the SAML provider's ARN."
	}
	if v.Form.SessionName == "" {
		v.Form.SessionName = "console-dry-run"
	}
	if v.Error != "" {
		c.renderTry(w, r, s, http.StatusBadRequest, v)
		return
	}
	v.Ran = true
	x := &explain.Explanation{}
	var err error
	if v.Form.Kind == "oidc" {
		var out sts.WebIdentitySession
		out, err = c.d.Tokens.AssumeRoleWithWebIdentity(r.Context(), sts.WebIdentityInput{RoleARN: v.Form.RoleARN, RoleSessionName: v.Form.SessionName, Token: v.Form.Token, DryRun: true})
		if err == nil {
			v.Session, v.Expires = out.ARN, out.Credentials.Expiration
			x.Checks = []explain.Check{
				passed("token signature, iss, aud, exp and kid", "verified against "+out.Provider),
				{Name: "sub", Passed: true, Actual: []string{out.Subject}},
				{Name: "aud", Passed: true, Actual: []string{out.Audience}},
			}
		}
	} else {
		var out sts.SAMLSession
		out, err = c.d.Tokens.AssumeRoleWithSAML(r.Context(), sts.SAMLInput{RoleARN: v.Form.RoleARN, PrincipalARN: v.Form.ProviderARN, Assertion: v.Form.Token, DryRun: true})
		if err == nil {
			v.Session, v.Expires = out.ARN, out.Credentials.Expiration
			x.Checks = []explain.Check{
				passed("signature, Recipient, Audience and validity", "verified against "+v.Form.ProviderARN),
				{Name: "Issuer", Passed: true, Actual: []string{out.Issuer}},
				{Name: "Subject", Passed: true, Actual: []string{out.Subject}, Detail: out.SubjectType},
				{Name: "Audience", Passed: true, Actual: []string{out.Audience}},
			}
		}
	}
	if err == nil {
		v.Allowed = true
		x.Checks = append(x.Checks, passed("trust policy", "allows every action the request needs"), passed("session", "would be "+v.Session+"; nothing was issued"))
		x.Summary = "The request would be allowed; this dry run issued no credentials."
		v.Checks = x
		c.renderTry(w, r, s, http.StatusOK, v)
		return
	}
	ae, ok := awserr.As(err)
	if !ok || ae.HTTPStatus >= 500 {
		c.failErr(w, r, s, err)
		return
	}
	v.Code, v.Message = ae.Code, ae.Message
	// As a stored refusal is: secrets redacted, another account's policies hidden.
	x = explain.Redact(explain.Of(err)).ForCaller(s.Caller.AccountID)
	if v.Checks, v.Hidden, err = c.withoutTrustPolicy(r, s, ref.Name, v.Form.RoleARN, x); err != nil {
		c.failErr(w, r, s, err)
		return
	}
	c.renderTry(w, r, s, http.StatusOK, v)
}

// withoutTrustPolicy is x as the caller may read it. The policies a refusal evaluated, and the
// summary that quotes them, are a read of the role's trust policy: they are shown only to a
// caller that GetRole, as the caller, answers. Otherwise what is left is the verdict and the
// token's own checks (signature, iss, aud, exp), which say nothing of the account's policies,
// with the reason the rest is hidden.
func (c *Console) withoutTrustPolicy(r *http.Request, s *consoleSession, roleName, roleARN string, x *explain.Explanation) (*explain.Explanation, string, error) {
	if x == nil || len(x.Policies) == 0 {
		return x, "", nil
	}
	_, err := c.d.IAM.GetRole(c.requestContext(r), s.Caller, roleName)
	if err == nil {
		return x, "", nil
	}
	if ae, ok := awserr.As(err); !ok || (ae.Kind != awserr.Denied && ae.Code != "NoSuchEntity") {
		return nil, "", err
	}
	h := *x
	h.Policies = nil
	h.Summary = "A policy refused the request."
	return &h, "The policies' statements and values are hidden: reading the role's trust policy needs " + actionGetRole + " on " + roleARN + ", which your policies do not allow.", nil
}

func passed(name, detail string) explain.Check {
	return explain.Check{Name: name, Passed: true, Detail: detail}
}

// clientError is err's message and status when it is the caller's mistake (a 4xx AWS error).
func clientError(err error) (string, int, bool) {
	ae, ok := awserr.As(err)
	if !ok || ae.HTTPStatus < 400 || ae.HTTPStatus >= 500 || ae.Kind == awserr.Internal {
		return "", 0, false
	}
	return ae.Code + ": " + ae.Message, ae.HTTPStatus, true
}

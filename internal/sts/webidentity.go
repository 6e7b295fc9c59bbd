package sts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// WebIdentityVerifier verifies upstream ID tokens.
type WebIdentityVerifier interface {
	Verify(ctx context.Context, token string, lookup func(iss string) (oidc.Provider, bool)) (*oidc.Claims, error)
}

// ProviderStore finds identity providers by ARN.
type ProviderStore interface {
	GetOIDCProvider(ctx context.Context, arn string) (store.OIDCProvider, error)
	GetSAMLProvider(ctx context.Context, arn string) (store.SAMLProvider, error)
}

// Claims STS reads from web identity tokens (IAM User Guide, "Pass session tags in AWS STS";
// STS API Reference, AssumeRoleWithWebIdentity).
const (
	sourceIdentityClaim = "https://aws.amazon.com/source_identity"
)

// providerClaimKeys are the identity-provider-specific claims AWS exposes as condition keys
// (<provider>:<claim>) at assume time (GitHub's, and the common ones of other CI issuers).
var providerClaimKeys = []string{
	"actor", "actor_id", "job_workflow_ref", "repository", "repository_id", "repository_owner",
	"repository_owner_id", "workflow", "ref", "ref_type", "environment", "enterprise_id", "event_name",
	"email", "email_verified", "hd", "project_id", "namespace_id",
}

// WebIdentityInput is the AssumeRoleWithWebIdentity request.
type WebIdentityInput struct {
	RoleARN         string
	RoleSessionName string
	Token           string
	ProviderID      string
	DurationSeconds int
	Session         SessionPolicies
	// DryRun verifies and evaluates everything and issues nothing (session.Request.DryRun).
	DryRun bool
}

// WebIdentitySession is AssumeRoleWithWebIdentity's answer.
type WebIdentitySession struct {
	RoleSession
	Subject  string
	Provider string
	Audience string
}

const opWebIdentity = "sts:AssumeRoleWithWebIdentity"

func webIdentityDenied() *awserr.Error { return session.FederatedDenied(opWebIdentity) }

func fromOIDC(err error) error {
	var oe *oidc.Error
	if !errors.As(err, &oe) {
		return awserr.New("IDPCommunicationError", http.StatusBadRequest, "Couldn't verify the token with its identity provider: %v", err)
	}
	switch oe.Kind {
	case oidc.Expired:
		return &awserr.Error{Code: "ExpiredTokenException", Message: oe.Message, HTTPStatus: http.StatusBadRequest, Cause: oe.Cause}
	case oidc.Communication:
		return &awserr.Error{Code: "IDPCommunicationError", Message: oe.Message, HTTPStatus: http.StatusBadRequest, Cause: oe.Cause}
	default:
		return &awserr.Error{Code: "InvalidIdentityToken", Message: oe.Message, HTTPStatus: http.StatusBadRequest, Cause: oe.Cause}
	}
}

// OIDCProviderARN is the IAM ARN of an issuer URL registered in account.
func OIDCProviderARN(account, issuer string) string {
	return "arn:aws:iam::" + account + ":oidc-provider/" + strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://")
}

// AssumeRoleWithWebIdentity trades an ID token from a registered OIDC provider, or a Cognito
// identity token, for a role session.
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, in WebIdentityInput) (WebIdentitySession, error) {
	if in.ProviderID != "" {
		return WebIdentitySession{}, awserr.New("InvalidParameterValue", http.StatusBadRequest, "ProviderId is only used with OAuth 2.0 access tokens from www.amazon.com or graph.facebook.com, which Latchkey cannot verify offline; register the issuer as an OpenID Connect provider instead.")
	}
	ref, ok := session.ParseRoleARN(in.RoleARN)
	if !ok {
		return WebIdentitySession{}, validation("Request ARN is invalid")
	}
	var claims session.Claims
	var raw map[string]any // an upstream token's claims, read once the role is known to exist
	var err error
	if s.d.Cognito != nil && s.d.Cognito.IsCognitoToken(in.Token) {
		claims, err = s.d.Cognito.VerifyCognitoToken(ctx, in.Token)
	} else {
		claims, raw, err = s.verifyOIDC(ctx, ref.Account, in.Token)
	}
	if err != nil {
		return WebIdentitySession{}, err
	}
	role, found, err := s.d.Sessions.FindRole(ctx, ref)
	if err != nil {
		return WebIdentitySession{}, err
	}
	if !found {
		return WebIdentitySession{}, webIdentityDenied()
	}
	if raw != nil {
		if err := readSessionClaims(raw, &claims); err != nil {
			return WebIdentitySession{}, err
		}
	}
	session, err := s.federatedSession(ctx, federatedInput{action: opWebIdentity, role: role, sessionName: in.RoleSessionName,
		duration: in.DurationSeconds, policies: in.Session, dryRun: in.DryRun}, &claims)
	if err != nil {
		return WebIdentitySession{}, err
	}
	return WebIdentitySession{RoleSession: session, Subject: claims.Subject, Provider: claims.Identity.ProviderARN, Audience: claims.Audience}, nil
}

// verifyOIDC verifies an ID token of an OIDC provider registered in account and reads the
// claims the trust policy may test; it also returns the token's raw claims.
func (s *Service) verifyOIDC(ctx context.Context, account, tok string) (session.Claims, map[string]any, error) {
	var provider store.OIDCProvider
	lookup := func(iss string) (oidc.Provider, bool) {
		p, err := s.d.Providers.GetOIDCProvider(ctx, OIDCProviderARN(account, iss))
		if err != nil || p.AccountID != account {
			return oidc.Provider{}, false
		}
		provider = p
		return oidc.Provider{URL: p.URL, ClientIDs: p.ClientIDs, Thumbprints: p.Thumbprints}, true
	}
	claims, err := s.d.WebIdentity.Verify(ctx, tok, lookup)
	if err != nil {
		return session.Claims{}, nil, fromOIDC(err)
	}
	audience := claims.AZP
	if audience == "" {
		audience = matchedAudience(claims.Audience, provider.ClientIDs)
	}
	prefix := strings.TrimPrefix(strings.TrimPrefix(provider.URL, "https://"), "http://")
	cond := map[string][]string{
		prefix + ":aud":  {audience},
		prefix + ":oaud": claims.Audience,
		prefix + ":sub":  {claims.Subject},
	}
	if len(claims.AMR) > 0 {
		cond[prefix+":amr"] = claims.AMR
	}
	for _, k := range providerClaimKeys {
		if v, ok := claimString(claims.Raw[k]); ok {
			cond[prefix+":"+k] = []string{v}
		}
	}
	return session.Claims{
		Identity: session.Identity{ProviderARN: provider.ARN, Kind: principal.WebIdentity},
		Subject:  claims.Subject, Audience: audience, Condition: cond,
	}, claims.Raw, nil
}

// readSessionClaims reads the session tags and source identity an upstream token carries.
func readSessionClaims(raw map[string]any, c *session.Claims) error {
	var err error
	if c.Tags, c.TransitiveTagKeys, err = session.TokenTags(raw[session.TagsClaim]); err != nil {
		return err
	}
	c.SourceIdentity, _ = raw[sourceIdentityClaim].(string)
	if c.SourceIdentity != "" && !validSourceIdentity(c.SourceIdentity) {
		return awserr.New("InvalidIdentityToken", http.StatusBadRequest, "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"")
	}
	return nil
}

// validSourceIdentity applies the rules of a source identity a token or assertion carries.
func validSourceIdentity(v string) bool {
	return len(v) >= 2 && len(v) <= 64 && !session.ReservedPrefix.MatchString(v) && session.SourceIdentityText.MatchString(v)
}

func matchedAudience(auds, clientIDs []string) string {
	for _, a := range auds {
		for _, c := range clientIDs {
			if a == c {
				return a
			}
		}
	}
	if len(auds) > 0 {
		return auds[0]
	}
	return ""
}

func claimString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return fmt.Sprint(x), true
	}
	return "", false
}

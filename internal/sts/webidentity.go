package sts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
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
	tagsClaim           = "https://aws.amazon.com/tags"
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
}

// WebIdentitySession is AssumeRoleWithWebIdentity's answer.
type WebIdentitySession struct {
	RoleSession
	Subject  string
	Provider string
	Audience string
}

func webIdentityDenied() *awserr.Error {
	return awserr.New("AccessDenied", http.StatusForbidden, "Not authorized to perform sts:AssumeRoleWithWebIdentity")
}

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

// AssumeRoleWithWebIdentity trades an ID token from a registered OIDC provider for a role session.
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, in WebIdentityInput) (WebIdentitySession, error) {
	if in.ProviderID != "" {
		return WebIdentitySession{}, awserr.New("InvalidParameterValue", http.StatusBadRequest, "ProviderId is only used with OAuth 2.0 access tokens from www.amazon.com or graph.facebook.com, which Latchkey cannot verify offline; register the issuer as an OpenID Connect provider instead.")
	}
	if s.CognitoIssuer != "" && tokenIssuer(in.Token) == s.CognitoIssuer {
		return s.assumeWithCognitoToken(ctx, in)
	}
	account, path, name, ok := ParseRoleARN(in.RoleARN)
	if !ok {
		return WebIdentitySession{}, validation("Request ARN is invalid")
	}
	var provider store.OIDCProvider
	lookup := func(iss string) (oidc.Provider, bool) {
		p, err := s.Providers.GetOIDCProvider(ctx, OIDCProviderARN(account, iss))
		if err != nil || p.AccountID != account {
			return oidc.Provider{}, false
		}
		provider = p
		return oidc.Provider{URL: p.URL, ClientIDs: p.ClientIDs, Thumbprints: p.Thumbprints}, true
	}
	claims, err := s.WebIdentity.Verify(ctx, in.Token, lookup)
	if err != nil {
		return WebIdentitySession{}, fromOIDC(err)
	}
	role, err := s.Roles.GetRole(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && role.Path != path) {
		return WebIdentitySession{}, webIdentityDenied()
	}
	if err != nil {
		return WebIdentitySession{}, s.storeErr(err)
	}
	tags, transitive, err := tokenTags(claims.Raw[tagsClaim])
	if err != nil {
		return WebIdentitySession{}, err
	}
	sourceIdentity, _ := claims.Raw[sourceIdentityClaim].(string)
	if sourceIdentity != "" && (len(sourceIdentity) < 2 || len(sourceIdentity) > 64 || reservedPrefix.MatchString(sourceIdentity) || !sourceIdentityRe.MatchString(sourceIdentity)) {
		return WebIdentitySession{}, awserr.New("InvalidIdentityToken", http.StatusBadRequest, "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"")
	}
	audience := claims.AZP
	if audience == "" {
		audience = matchedAudience(claims.Audience, provider.ClientIDs)
	}
	prefix := strings.TrimPrefix(strings.TrimPrefix(provider.URL, "https://"), "http://")
	reqCtx := map[string][]string{
		"sts:RoleSessionName":   {in.RoleSessionName},
		"aws:FederatedProvider": {provider.ARN},
		prefix + ":aud":         {audience},
		prefix + ":oaud":        claims.Audience,
		prefix + ":sub":         {claims.Subject},
	}
	if len(claims.AMR) > 0 {
		reqCtx[prefix+":amr"] = claims.AMR
	}
	for _, k := range providerClaimKeys {
		if v, ok := claimString(claims.Raw[k]); ok {
			reqCtx[prefix+":"+k] = []string{v}
		}
	}
	if sourceIdentity != "" {
		reqCtx["sts:SourceIdentity"] = []string{sourceIdentity}
	}
	tagContext(reqCtx, tags, transitive)
	session, err := s.federatedSession(ctx, federatedRequest{
		op: "sts:AssumeRoleWithWebIdentity", role: role, providerARN: provider.ARN, sessionName: in.RoleSessionName,
		duration: in.DurationSeconds, sessionPolicies: in.Session, tags: tags, transitive: transitive,
		sourceIdentity: sourceIdentity, context: reqCtx, denied: webIdentityDenied,
	})
	if err != nil {
		return WebIdentitySession{}, err
	}
	return WebIdentitySession{RoleSession: session, Subject: claims.Subject, Provider: provider.ARN, Audience: audience}, nil
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

// tokenTags reads the https://aws.amazon.com/tags claim: principal_tags maps each key to an
// array holding exactly one string, transitive_tag_keys lists keys.
func tokenTags(raw any) ([]SessionTag, []string, error) {
	if raw == nil {
		return nil, nil, nil
	}
	bad := func(why string) ([]SessionTag, []string, error) {
		return nil, nil, awserr.New("InvalidIdentityToken", http.StatusBadRequest, "The https://aws.amazon.com/tags claim is invalid: %s", why)
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return bad("it must be an object")
	}
	var tags []SessionTag
	if pt, ok := obj["principal_tags"]; ok {
		m, ok := pt.(map[string]any)
		if !ok {
			return bad("principal_tags must be an object")
		}
		for k, v := range m {
			arr, ok := v.([]any)
			if !ok || len(arr) != 1 {
				return bad("each principal tag must be an array holding exactly one string")
			}
			s, ok := arr[0].(string)
			if !ok {
				return bad("each principal tag must be an array holding exactly one string")
			}
			tags = append(tags, SessionTag{Key: k, Value: s})
		}
	}
	var transitive []string
	if tt, ok := obj["transitive_tag_keys"]; ok {
		arr, ok := tt.([]any)
		if !ok {
			return bad("transitive_tag_keys must be an array of strings")
		}
		for _, v := range arr {
			s, ok := v.(string)
			if !ok {
				return bad("transitive_tag_keys must be an array of strings")
			}
			transitive = append(transitive, s)
		}
	}
	return tags, transitive, nil
}

// federatedRequest is what AssumeRoleWithWebIdentity and AssumeRoleWithSAML share once the token
// or assertion is verified.
type federatedRequest struct {
	op              string
	role            store.Role
	providerARN     string
	sessionName     string
	duration        int
	maxDuration     int // extra cap from the assertion (SAML SessionDuration), 0 = none
	sessionPolicies SessionPolicies
	tags            []SessionTag
	transitive      []string
	sourceIdentity  string
	context         map[string][]string
	denied          func() *awserr.Error
	source          string
	extra           func(p *principal.Principal)
	// requireKeys: only trust Allow statements that pin these condition keys count (a Cognito
	// identity pool assuming a role of another account).
	requireKeys []string
}

// federatedSession evaluates the role's trust policy for a federated caller and issues the session.
func (s *Service) federatedSession(ctx context.Context, fr federatedRequest) (RoleSession, error) {
	role := fr.role
	duration := fr.duration
	if duration == 0 {
		duration = DefaultRoleSession
		if fr.maxDuration > 0 && fr.maxDuration < duration {
			duration = fr.maxDuration
		}
	}
	if duration > role.MaxSessionDuration {
		return RoleSession{}, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if fr.maxDuration > 0 && duration > fr.maxDuration {
		duration = fr.maxDuration
	}
	tagSize, err := checkTags(fr.tags, fr.transitive, nil)
	if err != nil {
		return RoleSession{}, awserr.New("InvalidIdentityToken", http.StatusBadRequest, "%s", err.(*awserr.Error).Message)
	}
	roleARN := principal.RoleARNOf(role.AccountID, role.Path, role.RoleName)
	trust, err := s.Engine.TrustPolicy(role)
	if err != nil {
		return RoleSession{}, fr.denied()
	}
	caller := &principal.Principal{Kind: principal.WebIdentity, AccountID: role.AccountID, ARN: fr.providerARN, UserID: fr.providerARN, FederatedProvider: fr.providerARN}
	if fr.op == "sts:AssumeRoleWithSAML" {
		caller.Kind = principal.SAMLUser
	}
	fed := policy.Principal{Type: "Federated", Account: role.AccountID, ARNs: []string{fr.providerARN}}
	actions := []string{fr.op}
	if len(fr.tags) > 0 || len(fr.transitive) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if fr.sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, act := range actions {
		out, err := s.Engine.Check(ctx, authz.Request{Caller: caller, Principal: &fed, Action: act, Resource: roleARN,
			ResourceAccount: role.AccountID, Context: fr.context, ResourcePolicy: trust, ResourcePolicyKind: policy.Trust,
			RequireConditionKeys: fr.requireKeys, ResourceTags: role.Tags})
		if err != nil {
			if ae, ok := awserr.As(err); ok && ae.Code == "AccessDenied" {
				d := fr.denied()
				d.Cause = fmt.Errorf("%s: %s", act, out.Reason)
				return RoleSession{}, d
			}
			return RoleSession{}, err
		}
	}
	polSize, err := s.checkSessionPolicies(ctx, role.AccountID, fr.sessionPolicies, MaxSessionPolicyText)
	if err != nil {
		return RoleSession{}, err
	}
	var packed *int
	if fr.sessionPolicies.present() || len(fr.tags) > 0 {
		pct, err := packedPercent(polSize + tagSize)
		if err != nil {
			return RoleSession{}, err
		}
		packed = &pct
	}
	now := s.now()
	p := &principal.Principal{
		Kind:               principal.AssumedRole,
		AccountID:          role.AccountID,
		ARN:                principal.AssumedRoleARN(role.AccountID, role.RoleName, fr.sessionName),
		UserID:             role.RoleID + ":" + fr.sessionName,
		Expires:            now.Add(time.Duration(duration) * time.Second).Truncate(time.Second),
		IssuedAt:           now,
		Source:             strings.TrimPrefix(fr.op, "sts:"),
		RoleID:             role.RoleID,
		RoleName:           role.RoleName,
		RoleARN:            roleARN,
		SessionName:        fr.sessionName,
		HasSessionPolicies: fr.sessionPolicies.present(),
		SessionPolicy:      fr.sessionPolicies.Policy,
		SessionPolicyARNs:  fr.sessionPolicies.PolicyARNs,
		Tags:               mergeTags(role.Tags, fr.tags),
		TransitiveTagKeys:  fr.transitive,
		SourceIdentity:     fr.sourceIdentity,
		FederatedProvider:  fr.providerARN,
	}
	if fr.extra != nil {
		fr.extra(p)
	}
	creds, err := s.Issuer.Issue(ctx, p)
	if err != nil {
		return RoleSession{}, awserr.InternalError(err)
	}
	s.recordRoleUse(ctx, role.RoleID, now)
	return RoleSession{Credentials: creds, AssumedRoleID: p.UserID, ARN: p.ARN, PackedPolicySize: packed, SourceIdentity: fr.sourceIdentity}, nil
}

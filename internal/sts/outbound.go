package sts

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// OutboundStore tells whether an account enabled outbound web identity federation.
type OutboundStore interface {
	GetOutboundFederation(ctx context.Context, accountID string) (store.OutboundFederation, error)
}

// Limits of GetWebIdentityToken (STS API Reference, GetWebIdentityToken).
const (
	defaultWebIdentityTokenSeconds = 300
	// maxJWTPayload bounds the claims, which caller tags make arbitrarily large; AWS does not
	// publish its limit.
	maxJWTPayload = 8192
)

// WebIdentityTokenInput is the GetWebIdentityToken request.
type WebIdentityTokenInput struct {
	Audience         []string
	DurationSeconds  int
	SigningAlgorithm string
	Tags             []SessionTag
}

// GetWebIdentityToken signs a JWT that states who the caller is, for services outside AWS.
func (s *Service) GetWebIdentityToken(ctx context.Context, caller *principal.Principal, in WebIdentityTokenInput) (string, time.Time, error) {
	if in.SigningAlgorithm != token.RS256 && in.SigningAlgorithm != token.ES384 {
		return "", time.Time{}, validation("1 validation error detected: Value '%s' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RS256, ES384]", in.SigningAlgorithm)
	}
	duration := in.DurationSeconds
	if duration == 0 {
		duration = defaultWebIdentityTokenSeconds
	}
	reqCtx := map[string][]string{
		"sts:IdentityTokenAudience": in.Audience,
		"sts:DurationSeconds":       {itoa(duration)},
		"sts:SigningAlgorithm":      {in.SigningAlgorithm},
	}
	session.TagCondition(reqCtx, in.Tags, nil)
	if err := s.d.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "sts:GetWebIdentityToken", Resource: "*", Context: reqCtx}); err != nil {
		return "", time.Time{}, err
	}
	if len(in.Tags) > 0 {
		if err := s.d.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "sts:TagGetWebIdentityToken", Resource: "*", Context: reqCtx}); err != nil {
			return "", time.Time{}, err
		}
	}
	if _, err := session.CheckTags(in.Tags, nil, nil); err != nil {
		return "", time.Time{}, err
	}
	f, err := s.d.Outbound.GetOutboundFederation(ctx, caller.AccountID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !f.Enabled) {
		return "", time.Time{}, awserr.New("OutboundWebIdentityFederationDisabledException", http.StatusForbidden, "Outbound web identity federation is disabled for this account. Enable it with iam:EnableOutboundWebIdentityFederation.")
	}
	if err != nil {
		return "", time.Time{}, awserr.InternalError(err)
	}
	now := s.now()
	exp := now.Add(time.Duration(duration) * time.Second).Truncate(time.Second)
	if caller.Temporary && exp.After(caller.Expires) {
		return "", time.Time{}, awserr.New("SessionDurationEscalationException", http.StatusForbidden, "The requested token lifetime would outlive the calling session, which expires at %s.", caller.Expires.UTC().Format(time.RFC3339))
	}
	sub := caller.ARN
	if caller.RoleARN != "" {
		sub = caller.RoleARN
	}
	awsClaims := map[string]any{"aws_account": caller.AccountID, "source_region": authz.Info(ctx).Region}
	if len(caller.Tags) > 0 {
		pt := map[string]string{}
		for _, t := range caller.Tags {
			pt[t.Key] = t.Value
		}
		awsClaims["principal_tags"] = pt
	}
	if len(in.Tags) > 0 {
		rt := map[string]string{}
		for _, t := range in.Tags {
			rt[t.Key] = t.Value
		}
		awsClaims["request_tags"] = rt
	}
	var aud any = in.Audience
	if len(in.Audience) == 1 {
		aud = in.Audience[0]
	}
	claims := map[string]any{
		"iss": f.IssuerIdentifier, "sub": sub, "aud": aud,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(), "jti": uuid.NewString(),
		"https://sts.amazonaws.com/": awsClaims,
	}
	if b, _ := json.Marshal(claims); len(b) > maxJWTPayload {
		return "", time.Time{}, awserr.New("JWTPayloadSizeExceededException", http.StatusBadRequest, "The token's claims exceed %d bytes; pass fewer or shorter tags.", maxJWTPayload)
	}
	tok, err := s.d.IdentityTokens.Sign(ctx, in.SigningAlgorithm, claims)
	if err != nil {
		return "", time.Time{}, awserr.InternalError(err)
	}
	return tok, exp, nil
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

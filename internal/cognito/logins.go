package cognito

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/federation/saml"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

// providerKind says how a Logins key of a pool is verified (Amazon Cognito Identity API
// Reference, GetId, Logins; Amazon Cognito Developer Guide, "Identity pools third-party identity
// providers").
type providerKind int

const (
	kindUnsupported providerKind = iota
	kindUserPool                 // cognito-idp.<region>.amazonaws.com/<pool>: ID token
	kindOIDC                     // an IAM OIDC provider's name (its URL without scheme)
	kindSocialOIDC               // accounts.google.com, appleid.apple.com: OIDC issuers
	kindOnline                   // Facebook, Amazon, Twitter, Digits: verified only by calling them
	kindSAML                     // an IAM SAML provider ARN: base64 SAML response
	kindDeveloper                // the pool's DeveloperProviderName
	kindCognito                  // cognito-identity.amazonaws.com: a token this service issued
)

// login is one verified entry of a Logins map.
type login struct {
	Provider string // the Logins key
	Kind     providerKind
	Subject  string
	// ClientID is the audience the token was issued to (user pools, OIDC), "" otherwise.
	ClientID string
	// Claims are the token's claims or the SAML attributes, flattened to string lists, for role
	// mapping rules and principal tags.
	Claims map[string][]string
	// MappingKeys are the RoleMappings keys that apply to this login, most specific first.
	MappingKeys []string
	// TagKeys are the principal tag attribute map keys that apply to this login.
	TagKeys []string
	// Detail is the provider-specific amr entry.
	Detail string
}

func (l login) storeLogin(poolID, identityID string) store.IdentityLogin {
	return store.IdentityLogin{PoolID: poolID, IdentityID: identityID, Provider: l.Provider, Subject: l.Subject}
}

// cognitoLogin is a verified token of this service (the cognito-identity.amazonaws.com key).
type cognitoLogin struct {
	IdentityID    string
	AMR           []string
	Authenticated bool
	Tags          map[string]string
	Claims        map[string][]string
}

// classify says which kind of provider a Logins key is for a pool, and the IAM provider ARN for
// OIDC keys.
func classify(p store.IdentityPool, key string) (providerKind, string) {
	switch {
	case key == CognitoProvider:
		return kindCognito, ""
	case p.DeveloperProviderName != "" && key == p.DeveloperProviderName:
		return kindDeveloper, ""
	}
	if _, ok := p.SupportedLoginProviders[key]; ok {
		if key == providerGoogle || key == providerApple {
			return kindSocialOIDC, ""
		}
		return kindOnline, ""
	}
	for _, up := range p.CognitoIdentityProviders {
		if up.ProviderName == key {
			return kindUserPool, ""
		}
	}
	for _, arn := range p.OpenIDConnectProviderARNs {
		if m := oidcProviderARN.FindStringSubmatch(arn); m != nil && m[2] == key {
			return kindOIDC, arn
		}
	}
	for _, arn := range p.SAMLProviderARNs {
		if arn == key {
			return kindSAML, arn
		}
	}
	return kindUnsupported, ""
}

// verifyLogins verifies every entry of a Logins map; any failure fails the whole call. The
// developer provider is never accepted here (only through the signed developer APIs); the
// Cognito key only when allowCognito (GetCredentialsForIdentity).
func (s *Service) verifyLogins(ctx context.Context, p store.IdentityPool, logins map[string]string, allowCognito bool) ([]login, *cognitoLogin, error) {
	keys := make([]string, 0, len(logins))
	for k := range logins {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []login
	var cog *cognitoLogin
	for _, key := range keys {
		kind, arn := classify(p, key)
		value := logins[key]
		switch kind {
		case kindCognito:
			if !allowCognito {
				return nil, nil, unsupportedProvider(notAuthorized(msgCognitoToken), key, "a Cognito token is accepted only by GetCredentialsForIdentity")
			}
			c, err := s.verifyCognitoToken(ctx, p, value)
			if err != nil {
				return nil, nil, err
			}
			cog = c
		case kindUserPool, kindOIDC, kindSocialOIDC:
			l, err := s.verifyOIDCLogin(ctx, p, key, arn, kind, value)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, l)
		case kindSAML:
			l, err := s.verifySAMLLogin(ctx, key, value)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, l)
		case kindOnline:
			return nil, nil, unsupportedProvider(notAuthorized("Invalid login token. Latchkey cannot verify %s tokens: they can only be validated by an online call to their provider, which this server does not make. Register an OpenID Connect provider or a Cognito user pool instead.", key),
				key, "its tokens can only be validated by an online call to the provider, which Latchkey does not make")
		default:
			return nil, nil, unsupportedProvider(notAuthorized(msgUnsupportedProvider), key, "it is neither a login provider, a user pool, an OpenID Connect provider nor a SAML provider of the pool")
		}
	}
	return out, cog, nil
}

// oidcTarget is the issuer and client ids a Logins key accepts.
func (s *Service) oidcTarget(ctx context.Context, p store.IdentityPool, key, arn string, kind providerKind) (oidc.Provider, func(iss string) bool, error) {
	switch kind {
	case kindUserPool:
		var clients []string
		for _, up := range p.CognitoIdentityProviders {
			if up.ProviderName == key {
				clients = append(clients, up.ClientID)
			}
		}
		want := "https://" + key
		return oidc.Provider{URL: want, ClientIDs: clients}, func(iss string) bool { return iss == want }, nil
	case kindSocialOIDC:
		var clients []string
		for _, c := range strings.Split(p.SupportedLoginProviders[key], ";") {
			if c = strings.TrimSpace(c); c != "" {
				clients = append(clients, c)
			}
		}
		// Google's ID tokens may carry iss without the scheme.
		return oidc.Provider{URL: "https://" + key, ClientIDs: clients}, func(iss string) bool { return iss == "https://"+key || iss == key }, nil
	default:
		prov, err := s.reads().GetOIDCProvider(ctx, arn)
		if errors.Is(err, store.ErrNotFound) || (err == nil && prov.AccountID != p.AccountID) {
			return oidc.Provider{}, nil, unsupportedProvider(notAuthorized(msgUnsupportedProvider), key, "no OpenID Connect provider "+arn+" exists in the pool's account")
		}
		if err != nil {
			return oidc.Provider{}, nil, awserr.InternalError(err)
		}
		match := func(iss string) bool {
			return strings.TrimPrefix(strings.TrimPrefix(iss, "https://"), "http://") == key
		}
		return oidc.Provider{URL: prov.URL, ClientIDs: prov.ClientIDs, Thumbprints: prov.Thumbprints}, match, nil
	}
}

func (s *Service) verifyOIDCLogin(ctx context.Context, p store.IdentityPool, key, arn string, kind providerKind, tok string) (login, error) {
	prov, match, err := s.oidcTarget(ctx, p, key, arn, kind)
	if err != nil {
		return login{}, err
	}
	issuerMismatch, tokenIss := false, ""
	claims, err := s.Verifier.Verify(ctx, tok, func(iss string) (oidc.Provider, bool) {
		if !match(iss) {
			issuerMismatch, tokenIss = true, iss
			return oidc.Provider{}, false
		}
		return prov, true
	})
	if err != nil {
		if issuerMismatch {
			e := notAuthorized("Invalid login token. Issuer doesn't match providerName")
			e.Cause = err
			return login{}, claimMismatch(e, "iss", prov.URL, tokenIss, fmt.Sprintf("the token's iss %q is not the issuer %q of the Logins key %q; "+
				"put the token under the key of the provider that issued it", tokenIss, prov.URL, key))
		}
		return login{}, s.fromOIDC(err, tok)
	}
	l := login{Provider: key, Kind: kind, Subject: claims.Subject, Claims: flattenClaims(claims.Raw)}
	l.ClientID = claims.AZP
	if l.ClientID == "" {
		for _, a := range claims.Audience {
			for _, c := range prov.ClientIDs {
				if a == c && l.ClientID == "" {
					l.ClientID = a
				}
			}
		}
	}
	switch kind {
	case kindUserPool:
		if use, ok := claims.Raw["token_use"].(string); ok && use != "id" {
			return login{}, claimMismatch(notAuthorized("Invalid login token. Not an ID token: token_use is %s.", use), "token_use", "id", use,
				fmt.Sprintf("the user pool token has token_use %q: Cognito Identity accepts only the ID token of a user pool sign-in, not its access token", use))
		}
		l.MappingKeys = []string{key + ":" + l.ClientID}
		l.TagKeys = []string{key, key + ":" + l.ClientID}
		l.Detail = key + ":CognitoSignIn:" + l.Subject
	case kindOIDC:
		l.MappingKeys = []string{key, arn}
		l.TagKeys = []string{key, arn}
		l.Detail = key + ":" + l.Subject
	default:
		l.MappingKeys = []string{key}
		l.TagKeys = []string{key}
		l.Detail = key + ":" + l.Subject
	}
	return l, nil
}

// fromOIDC phrases a verification failure as Cognito does: NotAuthorizedException "Invalid
// login token. …", or ExternalServiceException when the IdP could not be reached.
func (s *Service) fromOIDC(err error, tok string) error {
	var oe *oidc.Error
	if !errors.As(err, &oe) {
		return &awserr.Error{Code: "ExternalServiceException", Message: "Couldn't verify the login token with its identity provider.", HTTPStatus: 400, Cause: err}
	}
	switch oe.Kind {
	case oidc.Communication:
		return &awserr.Error{Code: "ExternalServiceException", Message: oe.Message, HTTPStatus: 400, Cause: oe.Cause}
	case oidc.Expired:
		msg := "Invalid login token. Token expired."
		if exp, ok := unverifiedExp(tok); ok {
			msg = fmt.Sprintf("Invalid login token. Token expired: %d >= %d", s.now().Unix(), exp)
		}
		return &awserr.Error{Code: "NotAuthorizedException", Message: msg, HTTPStatus: 400, Cause: oe}
	}
	msg := "Invalid login token. " + oe.Message
	switch {
	case oe.Message == oidc.MsgInvalidSignature:
		msg = "Invalid login token. Couldn't verify signed token."
	case oe.Message == oidc.MsgIncorrectAudience:
		msg = "Invalid login token. Incorrect token audience."
	case strings.HasPrefix(oe.Message, "No OpenIDConnect provider found"):
		msg = "Invalid login token. Issuer doesn't match providerName"
	}
	return &awserr.Error{Code: "NotAuthorizedException", Message: msg, HTTPStatus: 400, Cause: oe}
}

// unverifiedExp reads exp from a token the verifier already refused as expired, for the message.
func unverifiedExp(tok string) (int64, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return 0, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return 0, false
	}
	var c struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return 0, false
	}
	f, err := c.Exp.Float64()
	if err != nil {
		return 0, false
	}
	return int64(f), true
}

// flattenClaims turns token claims into string lists: strings, numbers and booleans become one
// value, arrays of scalars their values; objects are left out.
func flattenClaims(raw map[string]any) map[string][]string {
	out := make(map[string][]string, len(raw))
	for k, v := range raw {
		if s, ok := scalar(v); ok {
			out[k] = []string{s}
			continue
		}
		if arr, ok := v.([]any); ok {
			vals := make([]string, 0, len(arr))
			for _, e := range arr {
				if s, ok := scalar(e); ok {
					vals = append(vals, s)
				}
			}
			out[k] = vals
		}
	}
	return out
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func (s *Service) verifySAMLLogin(ctx context.Context, arn, response string) (login, error) {
	prov, err := s.Store.GetSAMLProvider(ctx, arn)
	if errors.Is(err, store.ErrNotFound) {
		return login{}, unsupportedProvider(notAuthorized(msgUnsupportedProvider), arn, "no SAML provider with this ARN exists")
	}
	if err != nil {
		return login{}, awserr.InternalError(err)
	}
	md, err := s.samlMetadata.Parse(prov.MetadataDocument)
	if err != nil {
		return login{}, explained(notAuthorized("Invalid login token. The SAML provider's metadata is no longer valid."), explain.InvalidAssertion,
			explain.Check{Name: "metadata", Actual: []string{arn}, Detail: err.Error()}, "the metadata document of SAML provider "+arn+" no longer parses; update it with UpdateSAMLProvider")
	}
	a, err := saml.Verify(response, md, saml.Options{Now: s.now, Recipients: s.SAMLRecipients, Audiences: s.SAMLAudiences})
	if err != nil {
		msg := "Invalid login token. Couldn't verify the SAML response."
		var se *saml.Error
		if errors.As(err, &se) && se.Message != "" {
			msg = "Invalid login token. " + se.Message
		}
		return login{}, &awserr.Error{Code: "NotAuthorizedException", Message: msg, HTTPStatus: 400, Cause: err}
	}
	claims := make(map[string][]string, len(a.Attributes))
	for k, v := range a.Attributes {
		claims[k] = v
	}
	return login{Provider: arn, Kind: kindSAML, Subject: a.Subject, Claims: claims,
		MappingKeys: []string{arn}, TagKeys: []string{arn}, Detail: arn + ":" + a.Subject}, nil
}

// verifyCognitoToken checks a token this service signed for the pool.
func (s *Service) verifyCognitoToken(ctx context.Context, p store.IdentityPool, tok string) (*cognitoLogin, error) {
	claims, err := s.Tokens.Verify(ctx, tok)
	if err != nil {
		if errors.Is(err, token.ErrTokenInvalid) {
			return nil, unverifiedToken(&awserr.Error{Code: "NotAuthorizedException", Message: "Invalid login token. Couldn't verify signed token.", HTTPStatus: 400, Cause: err}, tok)
		}
		return nil, awserr.InternalError(err)
	}
	if iss, _ := claims["iss"].(string); iss != s.Issuer {
		return nil, claimMismatch(notAuthorized("Invalid login token. Issuer doesn't match providerName"), "iss", s.Issuer, iss,
			fmt.Sprintf("the token under %s has iss %q, not this server's issuer %q: only a token of GetOpenIdToken goes under that key", CognitoProvider, iss, s.Issuer))
	}
	exp, ok := token.Expiry(claims)
	if !ok {
		return nil, missingClaim(notAuthorized("Invalid login token. Missing a required claim: exp"), "exp")
	}
	if now := s.now(); !now.Before(exp) {
		return nil, expiredToken(notAuthorized("Invalid login token. Token expired: %d >= %d", now.Unix(), exp.Unix()), now, exp)
	}
	if aud, _ := claims["aud"].(string); aud != p.ID {
		return nil, claimMismatch(notAuthorized("Invalid login token. Incorrect token audience."), "aud", p.ID, aud,
			fmt.Sprintf("the Cognito token was issued for identity pool %q, not for %q", aud, p.ID))
	}
	c := &cognitoLogin{Claims: flattenClaims(claims)}
	c.IdentityID, _ = claims["sub"].(string)
	if list, ok := claims["amr"].([]any); ok {
		for _, v := range list {
			if a, ok := v.(string); ok {
				c.AMR = append(c.AMR, a)
				if a == "authenticated" {
					c.Authenticated = true
				}
			}
		}
	}
	if t, ok := claims[tagsClaim].(map[string]any); ok {
		if pt, ok := t["principal_tags"].(map[string]any); ok {
			c.Tags = map[string]string{}
			for k, v := range pt {
				if arr, ok := v.([]any); ok && len(arr) == 1 {
					if sv, ok := arr[0].(string); ok {
						c.Tags[k] = sv
					}
				}
			}
		}
	}
	return c, nil
}

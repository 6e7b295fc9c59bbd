package iam

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/federation/saml"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// Identity provider quotas (IAM User Guide, "IAM and AWS STS quotas").
const (
	MaxOIDCProviders       = 100
	MaxSAMLProviders       = 100
	MaxClientIDsPerOIDC    = 100
	MaxThumbprintsPerOIDC  = 5
	samlProviderKeyIDChars = 22
)

// SAMLMetadataParser validates IdP metadata; ParseSAMLMetadata is the one servers use.
type SAMLMetadataParser func(doc string) (validUntil *time.Time, err error)

// ParseSAMLMetadata validates an IdP metadata document with package saml, answering a document
// it refuses with InvalidInput and the reason, as IAM does.
func ParseSAMLMetadata(doc string) (*time.Time, error) {
	md, err := saml.ParseMetadata(doc)
	if err != nil {
		msg := "Could not parse metadata"
		var se *saml.Error
		if errors.As(err, &se) && se.Message != "" {
			msg = se.Message
		}
		return nil, awserr.New("InvalidInput", http.StatusBadRequest, "%s", msg)
	}
	return md.ValidUntil, nil
}

var thumbprintRe = regexp.MustCompile(`^[0-9A-Fa-f]{40}$`)

func oidcARN(account, u string) string {
	return "arn:aws:iam::" + account + ":oidc-provider/" + strings.TrimPrefix(strings.TrimPrefix(u, "https://"), "http://")
}

func samlARN(account, name string) string {
	return "arn:aws:iam::" + account + ":saml-provider/" + name
}

func noSuchProvider(arn string) *awserr.Error {
	return awserr.New("NoSuchEntity", http.StatusNotFound, "Provider %s not found.", arn)
}

// validateProviderURL applies IAM's rules: https (http only when the deployment allows it for
// tests), a host, no port, no query or fragment.
func (s *Service) validateProviderURL(raw string) error {
	u, err := url.Parse(raw)
	bad := func(why string) error {
		return awserr.New("InvalidInput", http.StatusBadRequest, "The URL %s is not valid: %s", raw, why)
	}
	local := s.LocalIssuer != nil && s.LocalIssuer(raw)
	switch {
	case err != nil || u.Host == "":
		return bad("it must be an absolute URL")
	case u.Scheme == "http" && !s.AllowHTTPIssuers && !local:
		return bad("it must begin with https:// (set LATCHKEY_ALLOW_HTTP_ISSUERS=true to allow http:// for tests)")
	case u.Scheme != "https" && u.Scheme != "http":
		return bad("it must begin with https://")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return bad("it must not have a query, fragment or user information")
	case u.Port() != "" && !s.AllowHTTPIssuers && !local:
		return bad("it must not include a port")
	}
	return nil
}

func normalizeThumbprints(in []string) ([]string, error) {
	if len(in) > MaxThumbprintsPerOIDC {
		return nil, awserr.New("InvalidInput", http.StatusBadRequest, "Thumbprint list must contain at most %d thumbprints.", MaxThumbprintsPerOIDC)
	}
	out := make([]string, 0, len(in))
	for _, t := range in {
		if !thumbprintRe.MatchString(t) {
			return nil, awserr.New("InvalidInput", http.StatusBadRequest, "Thumbprint %s is not a 40-character hex string.", t)
		}
		out = append(out, strings.ToLower(t))
	}
	return out, nil
}

// CreateOIDCProviderInput is the CreateOpenIDConnectProvider request.
type CreateOIDCProviderInput struct {
	URL         string
	ClientIDs   []string
	Thumbprints []string
	Tags        []Tag
}

// createOpenIDConnectProviderRow registers an OIDC issuer. Nothing is fetched at create time.
func (s *Service) createOpenIDConnectProviderRow(ctx context.Context, caller *principal.Principal, in CreateOIDCProviderInput) (store.OIDCProvider, error) {
	arn := oidcARN(caller.AccountID, in.URL)
	if err := s.authorize(ctx, caller, "iam:CreateOpenIDConnectProvider", arn); err != nil {
		return store.OIDCProvider{}, err
	}
	if err := s.validateProviderURL(in.URL); err != nil {
		return store.OIDCProvider{}, err
	}
	if len(in.ClientIDs) > MaxClientIDsPerOIDC {
		return store.OIDCProvider{}, awserr.New("LimitExceeded", http.StatusConflict, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", MaxClientIDsPerOIDC)
	}
	thumbs, err := normalizeThumbprints(in.Thumbprints)
	if err != nil {
		return store.OIDCProvider{}, err
	}
	tags, err := mergeTags(nil, storeTags(in.Tags), false)
	if err != nil {
		return store.OIDCProvider{}, err
	}
	p := store.OIDCProvider{AccountID: caller.AccountID, ARN: arn, URL: in.URL, ClientIDs: dedupe(in.ClientIDs), Thumbprints: thumbs, Tags: tags, CreatedAt: s.Now().UTC().Truncate(time.Second)}
	err = s.Store.CreateOIDCProvider(ctx, p, MaxOIDCProviders)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return p, awserr.New("EntityAlreadyExists", http.StatusConflict, "Provider with url %s already exists.", in.URL)
	case errors.Is(err, store.ErrLimitExceeded):
		return p, awserr.New("LimitExceeded", http.StatusConflict, "Cannot exceed quota for OpenIdConnectProvidersPerAccount: %d", MaxOIDCProviders)
	case err != nil:
		return p, awserr.InternalError(err)
	}
	return p, nil
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(in))
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func (s *Service) oidcProvider(ctx context.Context, caller *principal.Principal, action, arn string) (store.OIDCProvider, error) {
	if err := s.authorize(ctx, caller, action, arn); err != nil {
		return store.OIDCProvider{}, err
	}
	p, err := s.Store.GetOIDCProvider(ctx, arn)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.AccountID != caller.AccountID) {
		return p, noSuchProvider(arn)
	}
	if err != nil {
		return p, awserr.InternalError(err)
	}
	return p, nil
}

// getOpenIDConnectProviderRow returns a provider.
func (s *Service) getOpenIDConnectProviderRow(ctx context.Context, caller *principal.Principal, arn string) (store.OIDCProvider, error) {
	return s.oidcProvider(ctx, caller, "iam:GetOpenIDConnectProvider", arn)
}

// listOpenIDConnectProvidersRow lists the account's providers.
func (s *Service) listOpenIDConnectProvidersRow(ctx context.Context, caller *principal.Principal) ([]store.OIDCProvider, error) {
	if err := s.authorize(ctx, caller, "iam:ListOpenIDConnectProviders", "*"); err != nil {
		return nil, err
	}
	ps, err := s.Store.ListOIDCProviders(ctx, caller.AccountID)
	if err != nil {
		return nil, awserr.InternalError(err)
	}
	return ps, nil
}

// updateOIDC authorizes action on a provider of the caller's account and runs change on it in
// one store transaction, so that concurrent changes (two new client ids) are both kept and the
// quotas change checks hold under concurrency.
func (s *Service) updateOIDC(ctx context.Context, caller *principal.Principal, action, arn string, change func(p *store.OIDCProvider) error) error {
	if _, err := s.oidcProvider(ctx, caller, action, arn); err != nil {
		return err
	}
	if _, err := s.Store.UpdateOIDCProvider(ctx, arn, change); err != nil {
		return s.updateFailed(err, func() *awserr.Error { return noSuchProvider(arn) })
	}
	return nil
}

// AddClientIDToOpenIDConnectProvider adds an audience; adding an existing one is a no-op.
func (s *Service) AddClientIDToOpenIDConnectProvider(ctx context.Context, caller *principal.Principal, arn, clientID string) error {
	return s.updateOIDC(ctx, caller, "iam:AddClientIDToOpenIDConnectProvider", arn, func(p *store.OIDCProvider) error {
		for _, c := range p.ClientIDs {
			if c == clientID {
				return nil
			}
		}
		if len(p.ClientIDs) >= MaxClientIDsPerOIDC {
			return awserr.New("LimitExceeded", http.StatusConflict, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", MaxClientIDsPerOIDC)
		}
		p.ClientIDs = append(p.ClientIDs, clientID)
		return nil
	})
}

// RemoveClientIDFromOpenIDConnectProvider removes an audience; removing an absent one is a no-op.
func (s *Service) RemoveClientIDFromOpenIDConnectProvider(ctx context.Context, caller *principal.Principal, arn, clientID string) error {
	return s.updateOIDC(ctx, caller, "iam:RemoveClientIDFromOpenIDConnectProvider", arn, func(p *store.OIDCProvider) error {
		kept := p.ClientIDs[:0]
		for _, c := range p.ClientIDs {
			if c != clientID {
				kept = append(kept, c)
			}
		}
		p.ClientIDs = kept
		return nil
	})
}

// UpdateOpenIDConnectProviderThumbprint replaces the whole thumbprint list.
func (s *Service) UpdateOpenIDConnectProviderThumbprint(ctx context.Context, caller *principal.Principal, arn string, thumbprints []string) error {
	thumbs, err := normalizeThumbprints(thumbprints)
	if err != nil {
		return err
	}
	return s.updateOIDC(ctx, caller, "iam:UpdateOpenIDConnectProviderThumbprint", arn, func(p *store.OIDCProvider) error {
		p.Thumbprints = thumbs
		return nil
	})
}

func oidcTags(p *store.OIDCProvider) *[]store.Tag { return &p.Tags }

// TagOpenIDConnectProvider adds or replaces tags.
func (s *Service) TagOpenIDConnectProvider(ctx context.Context, caller *principal.Principal, arn string, tags []Tag) error {
	return s.updateOIDC(ctx, caller, "iam:TagOpenIDConnectProvider", arn, tagger(tags, false, oidcTags))
}

// UntagOpenIDConnectProvider removes tags.
func (s *Service) UntagOpenIDConnectProvider(ctx context.Context, caller *principal.Principal, arn string, keys []string) error {
	return s.updateOIDC(ctx, caller, "iam:UntagOpenIDConnectProvider", arn, untagger(keys, false, oidcTags))
}

// DeleteOpenIDConnectProvider removes a provider; tokens of its issuer stop being accepted.
func (s *Service) DeleteOpenIDConnectProvider(ctx context.Context, caller *principal.Principal, arn string) error {
	if _, err := s.oidcProvider(ctx, caller, "iam:DeleteOpenIDConnectProvider", arn); err != nil {
		return err
	}
	if err := s.Store.DeleteOIDCProvider(ctx, arn); err != nil && !errors.Is(err, store.ErrNotFound) {
		return awserr.InternalError(err)
	}
	return nil
}

// CreateSAMLProviderInput is the CreateSAMLProvider request.
type CreateSAMLProviderInput struct {
	Name           string
	Metadata       string
	EncryptionMode string
	AddPrivateKey  string
	Tags           []Tag
}

func (s *Service) parseMetadata(doc string) (*time.Time, error) {
	if s.SAMLMetadata == nil {
		return nil, awserr.New("InvalidInput", http.StatusBadRequest, "SAML metadata cannot be validated by this server.")
	}
	return s.SAMLMetadata(doc)
}

// createSAMLProviderRow registers a SAML IdP from its metadata document.
func (s *Service) createSAMLProviderRow(ctx context.Context, caller *principal.Principal, in CreateSAMLProviderInput) (store.SAMLProvider, error) {
	arn := samlARN(caller.AccountID, in.Name)
	if err := s.authorize(ctx, caller, "iam:CreateSAMLProvider", arn); err != nil {
		return store.SAMLProvider{}, err
	}
	if in.EncryptionMode == "Required" || in.AddPrivateKey != "" {
		return store.SAMLProvider{}, awserr.New("InvalidInput", http.StatusBadRequest, "Latchkey does not support encrypted SAML assertions yet: AssertionEncryptionMode Required and private keys are not accepted.")
	}
	validUntil, err := s.parseMetadata(in.Metadata)
	if err != nil {
		return store.SAMLProvider{}, err
	}
	tags, err := mergeTags(nil, storeTags(in.Tags), false)
	if err != nil {
		return store.SAMLProvider{}, err
	}
	p := store.SAMLProvider{
		AccountID: caller.AccountID, ARN: arn, Name: in.Name, UUID: samlUUID(), MetadataDocument: in.Metadata,
		ValidUntil: validUntil, AssertionEncryptionMode: in.EncryptionMode, Tags: tags, CreatedAt: s.Now().UTC().Truncate(time.Second),
	}
	err = s.Store.CreateSAMLProvider(ctx, p, MaxSAMLProviders)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return p, awserr.New("EntityAlreadyExists", http.StatusConflict, "SAMLProvider named %s already exists.", in.Name)
	case errors.Is(err, store.ErrLimitExceeded):
		return p, awserr.New("LimitExceeded", http.StatusConflict, "Cannot exceed quota for SAMLProvidersPerAccount: %d", MaxSAMLProviders)
	case err != nil:
		return p, awserr.InternalError(err)
	}
	return p, nil
}

// samlUUID is the SAMLProviderUUID: upper-case letters and digits, 22+ characters.
func samlUUID() string {
	return strings.ToUpper(strings.ReplaceAll(uuid.NewString(), "-", ""))
}

func (s *Service) samlProvider(ctx context.Context, caller *principal.Principal, action, arn string) (store.SAMLProvider, error) {
	if err := s.authorize(ctx, caller, action, arn); err != nil {
		return store.SAMLProvider{}, err
	}
	p, err := s.Store.GetSAMLProvider(ctx, arn)
	if errors.Is(err, store.ErrNotFound) || (err == nil && p.AccountID != caller.AccountID) {
		return p, noSuchProvider(arn)
	}
	if err != nil {
		return p, awserr.InternalError(err)
	}
	return p, nil
}

// getSAMLProviderRow returns a provider with its metadata.
func (s *Service) getSAMLProviderRow(ctx context.Context, caller *principal.Principal, arn string) (store.SAMLProvider, error) {
	return s.samlProvider(ctx, caller, "iam:GetSAMLProvider", arn)
}

// listSAMLProvidersRow lists the account's SAML providers.
func (s *Service) listSAMLProvidersRow(ctx context.Context, caller *principal.Principal) ([]store.SAMLProvider, error) {
	if err := s.authorize(ctx, caller, "iam:ListSAMLProviders", "*"); err != nil {
		return nil, err
	}
	ps, err := s.Store.ListSAMLProviders(ctx, caller.AccountID)
	if err != nil {
		return nil, awserr.InternalError(err)
	}
	return ps, nil
}

// updateSAML authorizes action on a provider of the caller's account, runs prepare (which may be
// slow, such as parsing metadata, so it runs before the transaction rather than in it), then runs
// change on the provider in one store transaction.
func (s *Service) updateSAML(ctx context.Context, caller *principal.Principal, action, arn string, prepare func() error, change func(p *store.SAMLProvider) error) error {
	if _, err := s.samlProvider(ctx, caller, action, arn); err != nil {
		return err
	}
	if prepare != nil {
		if err := prepare(); err != nil {
			return err
		}
	}
	if _, err := s.Store.UpdateSAMLProvider(ctx, arn, change); err != nil {
		return s.updateFailed(err, func() *awserr.Error { return noSuchProvider(arn) })
	}
	return nil
}

// UpdateSAMLProvider replaces the metadata (and encryption mode).
func (s *Service) UpdateSAMLProvider(ctx context.Context, caller *principal.Principal, arn, metadata, mode, addKey, removeKey string) error {
	if mode == "Required" || addKey != "" || removeKey != "" {
		return awserr.New("InvalidInput", http.StatusBadRequest, "Latchkey does not support encrypted SAML assertions yet: AssertionEncryptionMode Required and private keys are not accepted.")
	}
	var validUntil *time.Time
	parse := func() error {
		var err error
		if metadata != "" {
			validUntil, err = s.parseMetadata(metadata)
		}
		return err
	}
	return s.updateSAML(ctx, caller, "iam:UpdateSAMLProvider", arn, parse, func(p *store.SAMLProvider) error {
		if metadata != "" {
			p.MetadataDocument, p.ValidUntil = metadata, validUntil
		}
		if mode != "" {
			p.AssertionEncryptionMode = mode
		}
		return nil
	})
}

func samlTags(p *store.SAMLProvider) *[]store.Tag { return &p.Tags }

// TagSAMLProvider adds or replaces tags.
func (s *Service) TagSAMLProvider(ctx context.Context, caller *principal.Principal, arn string, tags []Tag) error {
	return s.updateSAML(ctx, caller, "iam:TagSAMLProvider", arn, nil, tagger(tags, false, samlTags))
}

// UntagSAMLProvider removes tags.
func (s *Service) UntagSAMLProvider(ctx context.Context, caller *principal.Principal, arn string, keys []string) error {
	return s.updateSAML(ctx, caller, "iam:UntagSAMLProvider", arn, nil, untagger(keys, false, samlTags))
}

// DeleteSAMLProvider removes a provider.
func (s *Service) DeleteSAMLProvider(ctx context.Context, caller *principal.Principal, arn string) error {
	if _, err := s.samlProvider(ctx, caller, "iam:DeleteSAMLProvider", arn); err != nil {
		return err
	}
	if err := s.Store.DeleteSAMLProvider(ctx, arn); err != nil && !errors.Is(err, store.ErrNotFound) {
		return awserr.InternalError(err)
	}
	return nil
}

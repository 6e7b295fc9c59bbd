package store

import (
	"context"
	"time"
)

// OIDCProvider is an IAM OpenID Connect provider. Its ARN is
// arn:aws:iam::ACCOUNT:oidc-provider/<URL without scheme>, unique globally.
type OIDCProvider struct {
	AccountID   string
	ARN         string
	URL         string // as registered, with its scheme
	ClientIDs   []string
	Thumbprints []string
	Tags        []Tag
	CreatedAt   time.Time
}

// SAMLProvider is an IAM SAML provider. ARN arn:aws:iam::ACCOUNT:saml-provider/NAME, unique globally.
type SAMLProvider struct {
	AccountID               string
	ARN                     string
	Name                    string
	UUID                    string // SAMLProviderUUID
	MetadataDocument        string
	ValidUntil              *time.Time
	AssertionEncryptionMode string // "", "Allowed" or "Required"
	Tags                    []Tag
	CreatedAt               time.Time
}

// OutboundFederation is an account's outbound web identity federation (STS GetWebIdentityToken).
type OutboundFederation struct {
	AccountID        string
	IssuerIdentifier string
	Enabled          bool
	UpdatedAt        time.Time
}

// FederationStore keeps identity providers and outbound federation settings.
type FederationStore interface {
	// CreateOIDCProvider fails with ErrAlreadyExists for an existing ARN and with ErrLimitExceeded
	// when the account already has maxPerAccount providers (checked in the transaction).
	CreateOIDCProvider(ctx context.Context, p OIDCProvider, maxPerAccount int) error
	GetOIDCProvider(ctx context.Context, arn string) (OIDCProvider, error)
	// ListOIDCProviders lists an account's providers ordered by ARN.
	ListOIDCProviders(ctx context.Context, accountID string) ([]OIDCProvider, error)
	// UpdateOIDCProvider is the updater (see "Updaters") of the provider with arn. ClientIDs,
	// Thumbprints and Tags may change; AccountID, ARN, URL and CreatedAt are fixed.
	UpdateOIDCProvider(ctx context.Context, arn string, fn func(*OIDCProvider) error) (OIDCProvider, error)
	DeleteOIDCProvider(ctx context.Context, arn string) error

	// CreateSAMLProvider fails with ErrAlreadyExists / ErrLimitExceeded like CreateOIDCProvider.
	CreateSAMLProvider(ctx context.Context, p SAMLProvider, maxPerAccount int) error
	GetSAMLProvider(ctx context.Context, arn string) (SAMLProvider, error)
	ListSAMLProviders(ctx context.Context, accountID string) ([]SAMLProvider, error)
	// UpdateSAMLProvider is the updater (see "Updaters") of the provider with arn.
	// MetadataDocument, ValidUntil, AssertionEncryptionMode and Tags may change; AccountID, ARN,
	// Name, UUID and CreatedAt are fixed.
	UpdateSAMLProvider(ctx context.Context, arn string, fn func(*SAMLProvider) error) (SAMLProvider, error)
	DeleteSAMLProvider(ctx context.Context, arn string) error

	// GetOutboundFederation returns ErrNotFound for an account that never enabled it.
	GetOutboundFederation(ctx context.Context, accountID string) (OutboundFederation, error)
	// UpdateOutboundFederation is the updater (see "Updaters") of the account's row, which it
	// creates when there is none: fn gets the stored row and found=true, or a row holding only
	// AccountID and found=false. IssuerIdentifier, Enabled and UpdatedAt may change; AccountID is
	// fixed. ErrNotFound when the account does not exist.
	UpdateOutboundFederation(ctx context.Context, accountID string, fn func(f *OutboundFederation, found bool) error) (OutboundFederation, error)
}

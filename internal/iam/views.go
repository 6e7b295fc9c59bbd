package iam

import (
	"context"

	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// The operations below answer with the service's own entities (types.go): each runs its …Row
// counterpart, which works on the store's rows, and converts the answer once.

// CreatePolicy creates a customer managed policy with its first version.
func (s *Service) CreatePolicy(ctx context.Context, caller *principal.Principal, in ManagedPolicyInput) (ManagedPolicy, error) {
	p, err := s.createPolicyRow(ctx, caller, in)
	return policyOf(p), err
}

// GetPolicy returns a managed policy's metadata.
func (s *Service) GetPolicy(ctx context.Context, caller *principal.Principal, arn string) (ManagedPolicy, error) {
	p, err := s.getPolicyRow(ctx, caller, arn)
	return policyOf(p), err
}

// ListPolicies lists AWS managed and/or customer managed policies.
func (s *Service) ListPolicies(ctx context.Context, caller *principal.Principal, in ListPoliciesInput) (Page[ManagedPolicy], error) {
	p, err := s.listPoliciesRow(ctx, caller, in)
	return mapPage(p, policyOf), err
}

// CreatePolicyVersion adds a version, optionally making it the default.
func (s *Service) CreatePolicyVersion(ctx context.Context, caller *principal.Principal, arn, doc string, setDefault bool) (PolicyVersion, error) {
	v, err := s.createPolicyVersionRow(ctx, caller, arn, doc, setDefault)
	return versionOf(v), err
}

// GetPolicyVersion returns one version with its document, and whether it is the default.
func (s *Service) GetPolicyVersion(ctx context.Context, caller *principal.Principal, arn, versionID string) (PolicyVersion, bool, error) {
	v, isDefault, err := s.getPolicyVersionRow(ctx, caller, arn, versionID)
	return versionOf(v), isDefault, err
}

// ListPolicyVersions lists versions (newest first, as AWS does) and names the default one.
func (s *Service) ListPolicyVersions(ctx context.Context, caller *principal.Principal, arn, marker string, maxItems int) (Page[PolicyVersion], string, error) {
	p, def, err := s.listPolicyVersionsRow(ctx, caller, arn, marker, maxItems)
	return mapPage(p, versionOf), def, err
}

// GetInlinePolicy returns an inline policy and the name of its owner.
func (s *Service) GetInlinePolicy(ctx context.Context, caller *principal.Principal, kind PrincipalKind, ownerName, policyName string) (InlinePolicy, string, error) {
	p, name, err := s.getInlinePolicyRow(ctx, caller, kind, ownerName, policyName)
	return InlinePolicy{PolicyName: p.PolicyName, Document: p.Document}, name, err
}

// ListAttached lists the managed policies attached to a user or role.
func (s *Service) ListAttached(ctx context.Context, caller *principal.Principal, kind PrincipalKind, ownerName, pathPrefix, marker string, maxItems int) (Page[Attachment], error) {
	p, err := s.listAttachedRow(ctx, caller, kind, ownerName, pathPrefix, marker, maxItems)
	return mapPage(p, attachmentOf), err
}

// ListEntitiesForPolicy lists the users, roles and groups that use a policy, as attachment or as
// permissions boundary, as the request's filters select them.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, caller *principal.Principal, in EntitiesForPolicyInput) (Page[Attachment], error) {
	p, err := s.listEntitiesForPolicyRow(ctx, caller, in)
	return mapPage(p, attachmentOf), err
}

// ListMFADevices lists the MFA devices of a user and names the user.
func (s *Service) ListMFADevices(ctx context.Context, caller *principal.Principal, userName, marker string, maxItems int) (Page[MFADevice], string, error) {
	p, name, err := s.listMFADevicesRow(ctx, caller, userName, marker, maxItems)
	return mapPage(p, deviceOf), name, err
}

// ListVirtualMFADevices lists the account's virtual MFA devices, each with the user it is
// assigned to.
func (s *Service) ListVirtualMFADevices(ctx context.Context, caller *principal.Principal, status, marker string, maxItems int) (Page[MFADevice], error) {
	p, err := s.listVirtualMFADevicesRow(ctx, caller, status, marker, maxItems)
	if err != nil {
		return Page[MFADevice]{}, err
	}
	out := mapPage(p, deviceOf)
	for i, d := range p.Items {
		out.Items[i].User = s.assignedUser(ctx, d)
	}
	return out, nil
}

// GetMFADevice returns an MFA device with the user it is assigned to.
func (s *Service) GetMFADevice(ctx context.Context, caller *principal.Principal, serial string) (MFADevice, error) {
	d, err := s.getMFADeviceRow(ctx, caller, serial)
	if err != nil {
		return MFADevice{}, err
	}
	out := deviceOf(d)
	out.User = s.assignedUser(ctx, d)
	return out, nil
}

// assignedUser is the user a device is assigned to; a device whose user cannot be read is shown
// without one rather than failing the listing.
func (s *Service) assignedUser(ctx context.Context, d store.MFADevice) *User {
	if d.UserID == "" {
		return nil
	}
	u, err := s.Store.GetUserByID(ctx, d.UserID)
	if err != nil {
		return nil
	}
	v := userView(u)
	return &v
}

// CreateOpenIDConnectProvider registers an OIDC issuer. Nothing is fetched at create time.
func (s *Service) CreateOpenIDConnectProvider(ctx context.Context, caller *principal.Principal, in CreateOIDCProviderInput) (OIDCProvider, error) {
	p, err := s.createOpenIDConnectProviderRow(ctx, caller, in)
	return oidcOf(p), err
}

// GetOpenIDConnectProvider returns an OIDC provider of the caller's account.
func (s *Service) GetOpenIDConnectProvider(ctx context.Context, caller *principal.Principal, arn string) (OIDCProvider, error) {
	p, err := s.getOpenIDConnectProviderRow(ctx, caller, arn)
	return oidcOf(p), err
}

// ListOpenIDConnectProviders lists the account's OIDC providers.
func (s *Service) ListOpenIDConnectProviders(ctx context.Context, caller *principal.Principal) ([]OIDCProvider, error) {
	ps, err := s.listOpenIDConnectProvidersRow(ctx, caller)
	return mapAll(ps, oidcOf), err
}

// ListOpenIDConnectProviderTags pages through an OIDC provider's tags, authorized as its own
// action (Service Authorization Reference, IAM): GetOpenIDConnectProvider does not grant it.
func (s *Service) ListOpenIDConnectProviderTags(ctx context.Context, caller *principal.Principal, arn, marker string, maxItems int) (Page[Tag], error) {
	p, err := s.oidcProvider(ctx, caller, "iam:ListOpenIDConnectProviderTags", arn)
	if err != nil {
		return Page[Tag]{}, err
	}
	return listTags(p.Tags, marker, maxItems)
}

// CreateSAMLProvider registers a SAML identity provider from its metadata.
func (s *Service) CreateSAMLProvider(ctx context.Context, caller *principal.Principal, in CreateSAMLProviderInput) (SAMLProvider, error) {
	p, err := s.createSAMLProviderRow(ctx, caller, in)
	return samlOf(p), err
}

// GetSAMLProvider returns a SAML provider of the caller's account.
func (s *Service) GetSAMLProvider(ctx context.Context, caller *principal.Principal, arn string) (SAMLProvider, error) {
	p, err := s.getSAMLProviderRow(ctx, caller, arn)
	return samlOf(p), err
}

// ListSAMLProviders lists the account's SAML providers.
func (s *Service) ListSAMLProviders(ctx context.Context, caller *principal.Principal) ([]SAMLProvider, error) {
	ps, err := s.listSAMLProvidersRow(ctx, caller)
	return mapAll(ps, samlOf), err
}

// ListSAMLProviderTags pages through a SAML provider's tags, authorized as its own action
// (Service Authorization Reference, IAM): GetSAMLProvider does not grant it.
func (s *Service) ListSAMLProviderTags(ctx context.Context, caller *principal.Principal, arn, marker string, maxItems int) (Page[Tag], error) {
	p, err := s.samlProvider(ctx, caller, "iam:ListSAMLProviderTags", arn)
	if err != nil {
		return Page[Tag]{}, err
	}
	return listTags(p.Tags, marker, maxItems)
}

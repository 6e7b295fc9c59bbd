package iam

import (
	"context"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
)

// Quotas GetAccountSummary reports that Latchkey does not enforce: AWS's default values (IAM
// User Guide, "IAM and AWS STS quotas"), reported so that tools comparing usage with quotas read
// what a new AWS account shows. Every other quota in the summary is the constant the enforcing
// code checks.
const (
	DefaultUsersQuota                      = 5000
	DefaultRolesQuota                      = 1000
	DefaultPoliciesQuota                   = 1500
	DefaultInstanceProfilesQuota           = 1000
	DefaultServerCertificatesQuota         = 20
	DefaultPolicyVersionsInUseQuota        = 10000
	DefaultSigningCertificatesPerUserQuota = 2
)

// GetAccountSummary returns IAM's SummaryMap for the caller's account (IAM API Reference,
// GetAccountSummary): the entity counts read from the store and the quotas. Latchkey serves no
// server or signing certificates and its root user cannot have an MFA device, so those entries
// are 0. PolicyVersionsInUse counts the managed policies (customer and AWS managed) attached to
// the account's users, groups and roles.
func (s *Service) GetAccountSummary(ctx context.Context, caller *principal.Principal) (map[string]int, error) {
	if err := s.authorizeAccount(ctx, caller, "iam:GetAccountSummary"); err != nil {
		return nil, err
	}
	c, err := s.countEntities(ctx, caller.AccountID)
	if err != nil {
		return nil, err
	}
	version, err := s.GlobalEndpointTokenVersion(ctx, caller.AccountID)
	if err != nil {
		return nil, err
	}
	tokenVersion := 1
	if version == "v2Token" {
		tokenVersion = 2
	}
	return map[string]int{
		"Users": c.users, "UsersQuota": DefaultUsersQuota,
		"Groups": c.groups, "GroupsQuota": MaxGroupsPerAccount,
		"Roles": c.roles, "RolesQuota": DefaultRolesQuota,
		"Policies": c.policies, "PoliciesQuota": DefaultPoliciesQuota,
		"InstanceProfiles": c.instanceProfiles, "InstanceProfilesQuota": DefaultInstanceProfilesQuota,
		"ServerCertificates": 0, "ServerCertificatesQuota": DefaultServerCertificatesQuota,
		"PolicyVersionsInUse": c.attachments, "PolicyVersionsInUseQuota": DefaultPolicyVersionsInUseQuota,
		"MFADevices": c.mfaDevices, "MFADevicesInUse": c.mfaInUse,
		"Providers":                         c.providers,
		"AccountMFAEnabled":                 0,
		"AccountAccessKeysPresent":          c.rootKeys,
		"AccountSigningCertificatesPresent": 0,
		"GlobalEndpointTokenVersion":        tokenVersion,
		"PolicySizeQuota":                   MaxManagedPolicySize,
		"VersionsPerPolicyQuota":            MaxPolicyVersions,
		"UserPolicySizeQuota":               MaxUserInlineAggregate,
		"GroupPolicySizeQuota":              MaxGroupInlineAggregate,
		"RolePolicySizeQuota":               MaxRoleInlineAggregate,
		"AssumeRolePolicySizeQuota":         MaxTrustPolicySize,
		"AccessKeysPerUserQuota":            MaxAccessKeysPerOwner,
		"GroupsPerUserQuota":                MaxGroupsPerUser,
		"SigningCertificatesPerUserQuota":   DefaultSigningCertificatesPerUserQuota,
		"AttachedPoliciesPerUserQuota":      MaxAttachedPerEntity,
		"AttachedPoliciesPerGroupQuota":     MaxAttachedPerEntity,
		"AttachedPoliciesPerRoleQuota":      MaxAttachedPerEntity,
	}, nil
}

type entityCounts struct {
	users, groups, roles, policies, instanceProfiles, attachments int
	mfaDevices, mfaInUse, providers, rootKeys                     int
}

// countEntities counts the account's entities; each count is its own read.
func (s *Service) countEntities(ctx context.Context, account string) (entityCounts, error) {
	var c entityCounts
	fail := func(err error) (entityCounts, error) { return entityCounts{}, awserr.InternalError(err) }
	users, err := s.Store.ListUsers(ctx, account, "/", "", 0)
	if err != nil {
		return fail(err)
	}
	groups, err := s.Store.ListGroups(ctx, account, "/", "", 0)
	if err != nil {
		return fail(err)
	}
	roles, err := s.Store.ListRoles(ctx, account, "/", "", 0)
	if err != nil {
		return fail(err)
	}
	policies, err := s.Store.ListManagedPolicies(ctx, account, "/", false, "", 0)
	if err != nil {
		return fail(err)
	}
	profiles, err := s.Store.ListInstanceProfiles(ctx, account, "/", "", 0)
	if err != nil {
		return fail(err)
	}
	c.users, c.groups, c.roles = len(users.Users), len(groups.Groups), len(roles.Roles)
	c.policies, c.instanceProfiles = len(policies.Policies), len(profiles.InstanceProfiles)
	for _, p := range policies.Policies {
		c.attachments += p.AttachmentCount
	}
	aws, err := s.awsPoliciesInUse(ctx, account)
	if err != nil {
		return entityCounts{}, err
	}
	for _, p := range aws {
		c.attachments += p.AttachmentCount
	}
	return c, s.countAccountLevel(ctx, account, &c)
}

// countAccountLevel counts MFA devices, identity providers and the root user's access keys.
func (s *Service) countAccountLevel(ctx context.Context, account string, c *entityCounts) error {
	devices, err := s.Store.ListMFADevices(ctx, account, "")
	if err != nil {
		return awserr.InternalError(err)
	}
	c.mfaDevices = len(devices)
	for _, d := range devices {
		if d.UserID != "" {
			c.mfaInUse++
		}
	}
	oidc, err := s.Store.ListOIDCProviders(ctx, account)
	if err != nil {
		return awserr.InternalError(err)
	}
	saml, err := s.Store.ListSAMLProviders(ctx, account)
	if err != nil {
		return awserr.InternalError(err)
	}
	c.providers = len(oidc) + len(saml)
	rootKeys, err := s.Store.ListAccessKeys(ctx, account, "")
	if err != nil {
		return awserr.InternalError(err)
	}
	if len(rootKeys) > 0 {
		c.rootKeys = 1
	}
	return nil
}

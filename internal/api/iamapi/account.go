package iamapi

import (
	"context"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/iam"
)

type (
	accountAliasIn      struct{ AccountAlias string }
	listAccountAliasOut struct {
		AccountAliases []string
		IsTruncated    bool
	}
	passwordPolicyIn struct {
		MinimumPasswordLength      *int
		RequireSymbols             *bool
		RequireNumbers             *bool
		RequireUppercaseCharacters *bool
		RequireLowercaseCharacters *bool
		AllowUsersToChangePassword *bool
		MaxPasswordAge             *int
		PasswordReusePrevention    *int
		HardExpiry                 *bool
	}
	passwordPolicyWire struct {
		MinimumPasswordLength      int
		RequireSymbols             bool
		RequireNumbers             bool
		RequireUppercaseCharacters bool
		RequireLowercaseCharacters bool
		AllowUsersToChangePassword bool
		ExpirePasswords            bool
		// MaxPasswordAge and PasswordReusePrevention are left out while unset (0), as IAM
		// leaves them out.
		MaxPasswordAge          *int
		PasswordReusePrevention *int
		HardExpiry              bool
	}
	passwordPolicyOut struct{ PasswordPolicy passwordPolicyWire }
	stsPreferencesIn  struct{ GlobalEndpointTokenVersion string }
	orgFeaturesOut    struct {
		OrganizationId  string
		EnabledFeatures []string
	}
)

func nonZero(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func accountTable(svc *iam.Service, t api.Table) {
	t["CreateAccountAlias"] = api.Op(func(ctx context.Context, c *api.Call, in *accountAliasIn) (*api.Empty, error) {
		return nil, svc.CreateAccountAlias(ctx, c.Caller, in.AccountAlias)
	})
	t["DeleteAccountAlias"] = api.Op(func(ctx context.Context, c *api.Call, in *accountAliasIn) (*api.Empty, error) {
		return nil, svc.DeleteAccountAlias(ctx, c.Caller, in.AccountAlias)
	})
	// Marker and MaxItems have nothing to page: an account has at most one alias.
	t["ListAccountAliases"] = api.Op(func(ctx context.Context, c *api.Call, _ *listPageIn) (*listAccountAliasOut, error) {
		aliases, err := svc.ListAccountAliases(ctx, c.Caller)
		if err != nil {
			return nil, err
		}
		return &listAccountAliasOut{AccountAliases: aliases}, nil
	})
	t["UpdateAccountPasswordPolicy"] = api.Op(func(ctx context.Context, c *api.Call, in *passwordPolicyIn) (*api.Empty, error) {
		return nil, svc.UpdateAccountPasswordPolicy(ctx, c.Caller, iam.PasswordPolicyInput{
			MinimumPasswordLength: in.MinimumPasswordLength, RequireSymbols: in.RequireSymbols, RequireNumbers: in.RequireNumbers,
			RequireUppercaseCharacters: in.RequireUppercaseCharacters, RequireLowercaseCharacters: in.RequireLowercaseCharacters,
			AllowUsersToChangePassword: in.AllowUsersToChangePassword, HardExpiry: in.HardExpiry,
			MaxPasswordAge: in.MaxPasswordAge, PasswordReusePrevention: in.PasswordReusePrevention,
		})
	})
	t["GetAccountPasswordPolicy"] = api.Op(func(ctx context.Context, c *api.Call, _ *api.Empty) (*passwordPolicyOut, error) {
		p, err := svc.GetAccountPasswordPolicy(ctx, c.Caller)
		if err != nil {
			return nil, err
		}
		return &passwordPolicyOut{PasswordPolicy: passwordPolicyWire{
			MinimumPasswordLength: p.MinimumPasswordLength, RequireSymbols: p.RequireSymbols, RequireNumbers: p.RequireNumbers,
			RequireUppercaseCharacters: p.RequireUppercaseCharacters, RequireLowercaseCharacters: p.RequireLowercaseCharacters,
			AllowUsersToChangePassword: p.AllowUsersToChangePassword, ExpirePasswords: p.ExpirePasswords,
			MaxPasswordAge: nonZero(p.MaxPasswordAge), PasswordReusePrevention: nonZero(p.PasswordReusePrevention), HardExpiry: p.HardExpiry,
		}}, nil
	})
	t["DeleteAccountPasswordPolicy"] = api.Op(func(ctx context.Context, c *api.Call, _ *api.Empty) (*api.Empty, error) {
		return nil, svc.DeleteAccountPasswordPolicy(ctx, c.Caller)
	})
	t["SetSecurityTokenServicePreferences"] = api.Op(func(ctx context.Context, c *api.Call, in *stsPreferencesIn) (*api.Empty, error) {
		return nil, svc.SetSecurityTokenServicePreferences(ctx, c.Caller, in.GlobalEndpointTokenVersion)
	})
	organizationTable(svc, t)
	serviceLinkedTable(svc, t)
}

func organizationTable(svc *iam.Service, t api.Table) {
	features := func(f iam.OrganizationFeatures, err error) (*orgFeaturesOut, error) {
		if err != nil {
			return nil, err
		}
		return &orgFeaturesOut{OrganizationId: f.OrganizationID, EnabledFeatures: f.EnabledFeatures}, nil
	}
	t["ListOrganizationsFeatures"] = api.Op(func(ctx context.Context, c *api.Call, _ *api.Empty) (*orgFeaturesOut, error) {
		return features(svc.ListOrganizationsFeatures(ctx, c.Caller))
	})
	for _, op := range []struct {
		name, feature string
		enabled       bool
	}{
		{"EnableOrganizationsRootCredentialsManagement", iam.FeatureRootCredentialsManagement, true},
		{"DisableOrganizationsRootCredentialsManagement", iam.FeatureRootCredentialsManagement, false},
		{"EnableOrganizationsRootSessions", iam.FeatureRootSessions, true},
		{"DisableOrganizationsRootSessions", iam.FeatureRootSessions, false},
	} {
		t[op.name] = api.Op(func(ctx context.Context, c *api.Call, _ *api.Empty) (*orgFeaturesOut, error) {
			return features(svc.SetOrganizationFeature(ctx, c.Caller, "iam:"+op.name, op.feature, op.enabled))
		})
	}
}

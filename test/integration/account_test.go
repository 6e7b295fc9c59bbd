package integration

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const otherAccount = "444444444444"

// adminInOtherAccount returns the IAM client of a user with iam:* in another account of the
// deployment: the attacker of the account-level tests.
func adminInOtherAccount(t *testing.T, ts *testServer) *iam.Client {
	t.Helper()
	rootID, rootSecret := ts.secondAccount(t, otherAccount)
	other := ts.iam(rootID, rootSecret)
	if _, err := other.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("admin")}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("admin"), PolicyName: aws.String("all"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	k, err := other.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("admin")})
	if err != nil {
		t.Fatal(err)
	}
	return ts.iam(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey))
}

func wantAliases(t *testing.T, c *iam.Client, want ...string) {
	t.Helper()
	out, err := c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.AccountAliases, want) || out.IsTruncated {
		t.Fatalf("ListAccountAliases = %v (truncated %v), want %v", out.AccountAliases, out.IsTruncated, want)
	}
}

func TestAccountAlias(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	wantAliases(t, root)
	if _, err := root.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("corp-one")}); err != nil {
		t.Fatal(err)
	}
	wantAliases(t, root, "corp-one")
	_, err := root.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("corp-one")})
	wantAPIError(t, err, "EntityAlreadyExists", 409)
	// A second alias replaces the first: an account has one.
	if _, err := root.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("corp-two")}); err != nil {
		t.Fatal(err)
	}
	wantAliases(t, root, "corp-two")
	for _, bad := range []string{"Corp", "corp--x", "-corp", "ab"} {
		_, err := root.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String(bad)})
		wantAPIError(t, err, "ValidationError", 400)
	}

	// Attack: an administrator of another account neither sees nor removes this account's alias,
	// nor takes it (aliases are unique across accounts).
	attacker := adminInOtherAccount(t, ts)
	wantAliases(t, attacker)
	_, err = attacker.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("corp-two")})
	wantAPIError(t, err, "NoSuchEntity", 404)
	_, err = attacker.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("corp-two")})
	wantAPIError(t, err, "EntityAlreadyExists", 409)
	// The alias the first account gave up is free.
	if _, err := attacker.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("corp-one")}); err != nil {
		t.Fatal(err)
	}
	wantAliases(t, root, "corp-two")

	// A user of this account without iam:*AccountAlias permissions is refused.
	id, secret := createUserWithKey(t, ts, "nobody")
	_, err = ts.iam(id, secret).ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = ts.iam(id, secret).DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("corp-two")})
	wantAPIError(t, err, "AccessDenied", 403)

	_, err = root.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("corp-one")})
	wantAPIError(t, err, "NoSuchEntity", 404)
	if _, err := root.DeleteAccountAlias(ctx, &iam.DeleteAccountAliasInput{AccountAlias: aws.String("corp-two")}); err != nil {
		t.Fatal(err)
	}
	wantAliases(t, root)
	wantAliases(t, attacker, "corp-one")
}

func TestAccountPasswordPolicy(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	_, err := root.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	wantAPIError(t, err, "NoSuchEntity", 404)
	if !strings.Contains(err.Error(), "The Password Policy with domain name "+accountID+" cannot be found.") {
		t.Fatalf("message: %v", err)
	}
	_, err = root.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	wantAPIError(t, err, "NoSuchEntity", 404)

	if _, err := root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(14), RequireSymbols: true, RequireNumbers: true, MaxPasswordAge: aws.Int32(90),
		PasswordReusePrevention: aws.Int32(24), HardExpiry: aws.Bool(true), AllowUsersToChangePassword: true,
	}); err != nil {
		t.Fatal(err)
	}
	got, err := root.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	if err != nil {
		t.Fatal(err)
	}
	p := got.PasswordPolicy
	if aws.ToInt32(p.MinimumPasswordLength) != 14 || !p.RequireSymbols || !p.RequireNumbers || p.RequireUppercaseCharacters ||
		!p.ExpirePasswords || aws.ToInt32(p.MaxPasswordAge) != 90 || aws.ToInt32(p.PasswordReusePrevention) != 24 ||
		!aws.ToBool(p.HardExpiry) || !p.AllowUsersToChangePassword {
		t.Fatalf("GetAccountPasswordPolicy = %+v", p)
	}
	// Update replaces the whole policy: what is left out takes IAM's defaults.
	if _, err := root.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{}); err != nil {
		t.Fatal(err)
	}
	got, err = root.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	if err != nil {
		t.Fatal(err)
	}
	p = got.PasswordPolicy
	if aws.ToInt32(p.MinimumPasswordLength) != 6 || p.RequireSymbols || p.ExpirePasswords || p.MaxPasswordAge != nil ||
		p.PasswordReusePrevention != nil || aws.ToBool(p.HardExpiry) || p.AllowUsersToChangePassword {
		t.Fatalf("GetAccountPasswordPolicy after an empty update = %+v", p)
	}
	for _, in := range []*iam.UpdateAccountPasswordPolicyInput{
		{MinimumPasswordLength: aws.Int32(5)}, {MinimumPasswordLength: aws.Int32(129)},
		{MaxPasswordAge: aws.Int32(1096)}, {PasswordReusePrevention: aws.Int32(25)},
	} {
		_, err := root.UpdateAccountPasswordPolicy(ctx, in)
		wantAPIError(t, err, "ValidationError", 400)
	}

	// Attack: an administrator of another account sees no policy and cannot remove this one.
	attacker := adminInOtherAccount(t, ts)
	_, err = attacker.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	wantAPIError(t, err, "NoSuchEntity", 404)
	_, err = attacker.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	wantAPIError(t, err, "NoSuchEntity", 404)
	if _, err := root.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{}); err != nil {
		t.Fatalf("the other account's calls touched this policy: %v", err)
	}
	id, secret := createUserWithKey(t, ts, "nobody")
	_, err = ts.iam(id, secret).DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	wantAPIError(t, err, "AccessDenied", 403)

	if _, err := root.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = root.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	wantAPIError(t, err, "NoSuchEntity", 404)
}

func TestSecurityTokenServicePreferences(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	version := func(account string) string {
		t.Helper()
		a, err := ts.App.Store.GetAccountSettings(ctx, account)
		if err != nil {
			t.Fatal(err)
		}
		return a.GlobalEndpointTokenVersion
	}
	if v := version(accountID); v != "" {
		t.Fatalf("version before any setting %q", v)
	}
	if _, err := root.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: iamtypes.GlobalEndpointTokenVersionV2Token}); err != nil {
		t.Fatal(err)
	}
	if v := version(accountID); v != "v2Token" {
		t.Fatalf("version after setting v2Token: %q", v)
	}
	_, err := root.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: "v3Token"})
	wantAPIError(t, err, "ValidationError", 400)

	// Attack: another account's administrator sets only its own account's preference.
	attacker := adminInOtherAccount(t, ts)
	if _, err := attacker.SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: iamtypes.GlobalEndpointTokenVersionV1Token}); err != nil {
		t.Fatal(err)
	}
	if v := version(accountID); v != "v2Token" {
		t.Fatalf("another account changed this account's version to %q", v)
	}
	id, secret := createUserWithKey(t, ts, "nobody")
	_, err = ts.iam(id, secret).SetSecurityTokenServicePreferences(ctx, &iam.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: iamtypes.GlobalEndpointTokenVersionV1Token})
	wantAPIError(t, err, "AccessDenied", 403)
}

func TestOrganizationsFeatures(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	_, err := root.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	wantAPIError(t, err, "OrganizationNotFoundException", 400)

	const member = "555555555555"
	memberID, memberSecret := ts.secondAccount(t, member)
	if err := ts.App.Store.SetManagementAccount(ctx, member, accountID); err != nil {
		t.Fatal(err)
	}
	features := func(out []iamtypes.FeatureType, orgID *string, err error, want ...iamtypes.FeatureType) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out, want) || !strings.HasPrefix(aws.ToString(orgID), "o-") || len(aws.ToString(orgID)) != 12 {
			t.Fatalf("features %v of %q, want %v", out, aws.ToString(orgID), want)
		}
	}
	l, err := root.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	features(l.EnabledFeatures, l.OrganizationId, err)
	e, err := root.EnableOrganizationsRootSessions(ctx, &iam.EnableOrganizationsRootSessionsInput{})
	features(e.EnabledFeatures, e.OrganizationId, err, "RootSessions")
	c, err := root.EnableOrganizationsRootCredentialsManagement(ctx, &iam.EnableOrganizationsRootCredentialsManagementInput{})
	features(c.EnabledFeatures, c.OrganizationId, err, "RootCredentialsManagement", "RootSessions")
	c, err = root.EnableOrganizationsRootCredentialsManagement(ctx, &iam.EnableOrganizationsRootCredentialsManagementInput{})
	features(c.EnabledFeatures, c.OrganizationId, err, "RootCredentialsManagement", "RootSessions")
	d, err := root.DisableOrganizationsRootCredentialsManagement(ctx, &iam.DisableOrganizationsRootCredentialsManagementInput{})
	features(d.EnabledFeatures, d.OrganizationId, err, "RootSessions")

	// Attack: the root of a member account, which holds iam:* implicitly, cannot read or change
	// the organization's features.
	memberIAM := ts.iam(memberID, memberSecret)
	_, err = memberIAM.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	wantAPIError(t, err, "AccountNotManagementOrDelegatedAdministratorException", 400)
	_, err = memberIAM.DisableOrganizationsRootSessions(ctx, &iam.DisableOrganizationsRootSessionsInput{})
	wantAPIError(t, err, "AccountNotManagementOrDelegatedAdministratorException", 400)
	_, err = memberIAM.EnableOrganizationsRootCredentialsManagement(ctx, &iam.EnableOrganizationsRootCredentialsManagementInput{})
	wantAPIError(t, err, "AccountNotManagementOrDelegatedAdministratorException", 400)
	// Attack: an administrator of an account outside the organization finds none.
	_, err = adminInOtherAccount(t, ts).EnableOrganizationsRootSessions(ctx, &iam.EnableOrganizationsRootSessionsInput{})
	wantAPIError(t, err, "OrganizationNotFoundException", 400)
	// A user of the management account needs the iam: action.
	id, secret := createUserWithKey(t, ts, "nobody")
	_, err = ts.iam(id, secret).DisableOrganizationsRootSessions(ctx, &iam.DisableOrganizationsRootSessionsInput{})
	wantAPIError(t, err, "AccessDenied", 403)

	l, err = root.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	features(l.EnabledFeatures, l.OrganizationId, err, "RootSessions")
	ds, err := root.DisableOrganizationsRootSessions(ctx, &iam.DisableOrganizationsRootSessionsInput{})
	features(ds.EnabledFeatures, ds.OrganizationId, err)
}

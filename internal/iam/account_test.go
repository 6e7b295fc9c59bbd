package iam

import (
	"net/http"
	"slices"
	"testing"

	"github.com/latchkey/latchkey/internal/principal"
)

func intp(n int) *int    { return &n }
func boolp(b bool) *bool { return &b }

// UpdateAccountPasswordPolicy replaces the whole policy: what the request leaves out takes IAM's
// default, and ExpirePasswords follows MaxPasswordAge.
func TestPasswordPolicyDefaults(t *testing.T) {
	cases := []struct {
		name   string
		in     PasswordPolicyInput
		minLen int
		expire bool
	}{
		{"empty request", PasswordPolicyInput{}, DefaultMinimumPasswordLength, false},
		{"length only", PasswordPolicyInput{MinimumPasswordLength: intp(20)}, 20, false},
		{"max age", PasswordPolicyInput{MaxPasswordAge: intp(30), HardExpiry: boolp(true)}, DefaultMinimumPasswordLength, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newRuleFixture(t)
			// A previous policy with everything set leaves nothing behind.
			if err := f.svc.UpdateAccountPasswordPolicy(ctx, f.root, PasswordPolicyInput{MinimumPasswordLength: intp(30), RequireSymbols: boolp(true),
				PasswordReusePrevention: intp(3), AllowUsersToChangePassword: boolp(true)}); err != nil {
				t.Fatal(err)
			}
			if err := f.svc.UpdateAccountPasswordPolicy(ctx, f.admin, tc.in); err != nil {
				t.Fatal(err)
			}
			p, err := f.svc.GetAccountPasswordPolicy(ctx, f.admin)
			if err != nil {
				t.Fatal(err)
			}
			if p.MinimumPasswordLength != tc.minLen || p.ExpirePasswords != tc.expire || p.RequireSymbols || p.PasswordReusePrevention != 0 || p.AllowUsersToChangePassword {
				t.Fatalf("policy %+v", p)
			}
		})
	}
}

// The account-level settings of one account are out of reach of another account's root and of
// its users allowed everything: they see their own account's (none) and change only that.
func TestAccountSettingsStayInTheirAccount(t *testing.T) {
	f := newRuleFixture(t)
	if err := f.svc.CreateAccountAlias(ctx, f.root, "first-corp"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.UpdateAccountPasswordPolicy(ctx, f.root, PasswordPolicyInput{MinimumPasswordLength: intp(12)}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetSecurityTokenServicePreferences(ctx, f.root, "v2Token"); err != nil {
		t.Fatal(err)
	}
	for _, other := range []*principal.Principal{f.otherRoot, f.otherAdmin} {
		aliases, err := f.svc.ListAccountAliases(ctx, other)
		if err != nil || len(aliases) != 0 {
			t.Fatalf("ListAccountAliases of the other account = %v, %v", aliases, err)
		}
		wantNoSuchEntity(t, f.svc.DeleteAccountAlias(ctx, other, "first-corp"))
		wantAWSError(t, f.svc.CreateAccountAlias(ctx, other, "first-corp"), "EntityAlreadyExists", http.StatusConflict)
		_, err = f.svc.GetAccountPasswordPolicy(ctx, other)
		wantNoSuchEntity(t, err)
		wantNoSuchEntity(t, f.svc.DeleteAccountPasswordPolicy(ctx, other))
		if err := f.svc.SetSecurityTokenServicePreferences(ctx, other, "v1Token"); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.ListOrganizationsFeatures(ctx, other)
		wantAWSError(t, err, "OrganizationNotFoundException", http.StatusBadRequest)
	}
	aliases, err := f.svc.ListAccountAliases(ctx, f.admin)
	if err != nil || !slices.Equal(aliases, []string{"first-corp"}) {
		t.Fatalf("ListAccountAliases = %v, %v", aliases, err)
	}
	if p, err := f.svc.GetAccountPasswordPolicy(ctx, f.admin); err != nil || p.MinimumPasswordLength != 12 {
		t.Fatalf("password policy %+v %v", p, err)
	}
	for account, want := range map[string]string{testAccount: "v2Token", otherAccount: "v1Token"} {
		if v, err := f.svc.GlobalEndpointTokenVersion(ctx, account); err != nil || v != want {
			t.Fatalf("GlobalEndpointTokenVersion(%s) = %q, %v; want %s", account, v, err, want)
		}
	}
}

// An organization's features are managed by its management account only; a member account's
// root is refused whatever it may do in its own account.
func TestOrganizationFeaturesBelongToTheManagementAccount(t *testing.T) {
	f := newRuleFixture(t)
	if err := f.st.SetManagementAccount(ctx, otherAccount, testAccount); err != nil {
		t.Fatal(err)
	}
	for _, member := range []*principal.Principal{f.otherRoot, f.otherAdmin} {
		_, err := f.svc.SetOrganizationFeature(ctx, member, "iam:EnableOrganizationsRootSessions", FeatureRootSessions, true)
		wantAWSError(t, err, "AccountNotManagementOrDelegatedAdministratorException", http.StatusBadRequest)
	}
	got, err := f.svc.ListOrganizationsFeatures(ctx, f.admin)
	if err != nil || len(got.EnabledFeatures) != 0 || got.OrganizationID != OrganizationID(testAccount) {
		t.Fatalf("features after the member's attempts: %+v %v", got, err)
	}
	if got, err = f.svc.SetOrganizationFeature(ctx, f.admin, "iam:EnableOrganizationsRootSessions", FeatureRootSessions, true); err != nil ||
		!slices.Equal(got.EnabledFeatures, []string{FeatureRootSessions}) {
		t.Fatalf("enable: %+v %v", got, err)
	}
	if v := OrganizationID(testAccount); len(v) != 12 || v == OrganizationID(otherAccount) {
		t.Fatalf("organization id %q", v)
	}
}

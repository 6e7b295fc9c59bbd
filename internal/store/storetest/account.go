package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

// accountTests covers the AccountStore contract.
var accountTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"AccountAlias", testAccountAlias},
	{"AccountAliasRace", testAccountAliasRace},
	{"AccountSettings", testAccountSettings},
	{"ManagesOrganization", testManagesOrganization},
	{"DeleteServiceLinkedRole", testDeleteServiceLinkedRole},
}

func testAccountAlias(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	got, err := s.AccountAlias(ctx, acct1)
	if err != nil || got != "" {
		t.Fatalf("AccountAlias before any = %q, %v; want \"\", nil", got, err)
	}
	noErr(t, "PutAccountAlias", s.PutAccountAlias(ctx, acct1, "first"))
	wantErr(t, "PutAccountAlias of the account's own alias", s.PutAccountAlias(ctx, acct1, "first"), store.ErrAlreadyExists)
	wantErr(t, "PutAccountAlias of another account's alias", s.PutAccountAlias(ctx, acct2, "first"), store.ErrAlreadyExists)
	wantErr(t, "PutAccountAlias of a missing account", s.PutAccountAlias(ctx, "999999999999", "orphan"), store.ErrNotFound)
	// A second alias replaces the first, which becomes free for another account.
	noErr(t, "PutAccountAlias replacing", s.PutAccountAlias(ctx, acct1, "second"))
	if got, _ := s.AccountAlias(ctx, acct1); got != "second" {
		t.Fatalf("AccountAlias after replacing = %q, want second", got)
	}
	noErr(t, "PutAccountAlias of a freed alias", s.PutAccountAlias(ctx, acct2, "first"))
	wantErr(t, "DeleteAccountAlias of another account's alias", s.DeleteAccountAlias(ctx, acct1, "first"), store.ErrNotFound)
	wantErr(t, "DeleteAccountAlias of an unknown alias", s.DeleteAccountAlias(ctx, acct1, "nope"), store.ErrNotFound)
	noErr(t, "DeleteAccountAlias", s.DeleteAccountAlias(ctx, acct1, "second"))
	if got, _ := s.AccountAlias(ctx, acct1); got != "" {
		t.Fatalf("AccountAlias after delete = %q, want none", got)
	}
	if got, _ := s.AccountAlias(ctx, acct2); got != "first" {
		t.Fatalf("AccountAlias of the other account = %q, want first", got)
	}
}

// testAccountAliasRace: accounts racing for one alias — exactly one wins, the others are told
// it exists, and no account ends up with it besides the winner.
func testAccountAliasRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 6
	accounts := make([]string, n)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("3000000000%02d", i)
		createAccount(t, s, accounts[i])
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range accounts {
		wg.Go(func() {
			<-start
			errs[i] = s.PutAccountAlias(ctx, accounts[i], "contested")
		})
	}
	close(start)
	wg.Wait()
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			if got, _ := s.AccountAlias(ctx, accounts[i]); got != "contested" {
				t.Errorf("winner %s has alias %q", accounts[i], got)
			}
		case errors.Is(err, store.ErrAlreadyExists):
			if got, _ := s.AccountAlias(ctx, accounts[i]); got != "" {
				t.Errorf("loser %s has alias %q", accounts[i], got)
			}
		default:
			t.Errorf("PutAccountAlias %s: %v", accounts[i], err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d accounts won the alias, want exactly 1", winners)
	}
}

func testAccountSettings(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	got, err := s.GetAccountSettings(ctx, acct1)
	noErr(t, "GetAccountSettings before any", err)
	if got.AccountID != acct1 || got.PasswordPolicy != nil || got.GlobalEndpointTokenVersion != "" || got.OrganizationFeatures != nil {
		t.Fatalf("GetAccountSettings before any = %+v, want the zero settings", got)
	}
	policy := store.PasswordPolicy{MinimumPasswordLength: 12, RequireSymbols: true, MaxPasswordAge: 90, PasswordReusePrevention: 5, HardExpiry: true}
	upd, err := s.UpdateAccountSettings(ctx, acct1, func(a *store.AccountSettings) error {
		a.PasswordPolicy, a.GlobalEndpointTokenVersion = &policy, "v2Token"
		a.OrganizationFeatures = []string{"RootSessions"}
		return nil
	})
	noErr(t, "UpdateAccountSettings", err)
	got, err = s.GetAccountSettings(ctx, acct1)
	noErr(t, "GetAccountSettings", err)
	for _, a := range []store.AccountSettings{upd, got} {
		if a.PasswordPolicy == nil || *a.PasswordPolicy != policy || a.GlobalEndpointTokenVersion != "v2Token" || !slices.Equal(a.OrganizationFeatures, []string{"RootSessions"}) {
			t.Fatalf("settings = %+v, want what was written", a)
		}
	}
	got, err = s.UpdateAccountSettings(ctx, acct1, func(a *store.AccountSettings) error { a.PasswordPolicy = nil; return nil })
	noErr(t, "UpdateAccountSettings removing the policy", err)
	if got.PasswordPolicy != nil || got.GlobalEndpointTokenVersion != "v2Token" {
		t.Fatalf("after removing the policy = %+v", got)
	}
	boom := errors.New("boom")
	_, err = s.UpdateAccountSettings(ctx, acct1, func(a *store.AccountSettings) error { return boom })
	wantErr(t, "UpdateAccountSettings updater error", err, boom)
	_, err = s.UpdateAccountSettings(ctx, acct1, func(a *store.AccountSettings) error { a.AccountID = acct2; return nil })
	if err == nil {
		t.Fatal("UpdateAccountSettings changing AccountID succeeded")
	}
	_, err = s.UpdateAccountSettings(ctx, "999999999999", func(a *store.AccountSettings) error { return nil })
	wantErr(t, "UpdateAccountSettings of a missing account", err, store.ErrNotFound)
}

func testManagesOrganization(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	for _, id := range []string{acct1, acct2} {
		if ok, err := s.ManagesOrganization(ctx, id); err != nil || ok {
			t.Fatalf("ManagesOrganization(%s) before any member = %v, %v", id, ok, err)
		}
	}
	noErr(t, "SetManagementAccount", s.SetManagementAccount(ctx, acct2, acct1))
	if ok, err := s.ManagesOrganization(ctx, acct1); err != nil || !ok {
		t.Fatalf("ManagesOrganization(management) = %v, %v; want true", ok, err)
	}
	if ok, err := s.ManagesOrganization(ctx, acct2); err != nil || ok {
		t.Fatalf("ManagesOrganization(member) = %v, %v; want false", ok, err)
	}
}

func testDeleteServiceLinkedRole(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	r := role(acct1, "AROASLR", "AWSServiceRoleForECS", "/aws-service-role/ecs.amazonaws.com/")
	noErr(t, "CreateRole", s.CreateRole(ctx, r))
	noErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx, inline(store.KindRole, r.RoleID, "inline", policyDoc(1)), byteLen, 10240))
	wantErr(t, "DeleteServiceLinkedRole with a policy", s.DeleteServiceLinkedRole(ctx, acct1, r.RoleID, "task1", at(3)), store.ErrConflict)
	_, err := s.RoleDeletionTask(ctx, acct1, "task1")
	wantErr(t, "RoleDeletionTask of a failed deletion", err, store.ErrNotFound)
	noErr(t, "DeleteInlinePolicy", s.DeleteInlinePolicy(ctx, store.KindRole, r.RoleID, "inline"))
	wantErr(t, "DeleteServiceLinkedRole in another account", s.DeleteServiceLinkedRole(ctx, acct2, r.RoleID, "task2", at(3)), store.ErrNotFound)
	noErr(t, "DeleteServiceLinkedRole", s.DeleteServiceLinkedRole(ctx, acct1, r.RoleID, "task3", at(3)))
	if _, err := s.GetRoleByID(ctx, r.RoleID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("role still there after DeleteServiceLinkedRole: %v", err)
	}
	got, err := s.RoleDeletionTask(ctx, acct1, "task3")
	noErr(t, "RoleDeletionTask", err)
	checkTime(t, "deletion task time", got, at(3))
	_, err = s.RoleDeletionTask(ctx, acct2, "task3")
	wantErr(t, "RoleDeletionTask of another account's task", err, store.ErrNotFound)
}

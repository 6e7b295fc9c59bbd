package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// TestReferencesAreConstraints checks that the rules DeleteUser, DeleteRole and DeleteManagedPolicy
// report are enforced by the schema itself, not only by the store's checks: a DELETE issued
// directly, bypassing the Store methods, is refused with a foreign-key violation.
func TestReferencesAreConstraints(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	const acct = "123456789012"
	must("CreateAccount", s.CreateAccount(ctx, store.Account{ID: acct, CreatedAt: time.Now()}))
	for _, id := range []string{"AIDAINLINE", "AIDAATTACHED", "AIDAMFA"} {
		must("CreateUser", s.CreateUser(ctx, store.User{AccountID: acct, UserID: id, UserName: id, Path: "/"}))
	}
	for _, id := range []string{"AROAINLINE", "AROAATTACHED"} {
		must("CreateRole", s.CreateRole(ctx, store.Role{AccountID: acct, RoleID: id, RoleName: id, Path: "/", MaxSessionDuration: 3600}))
	}
	attached := store.ManagedPolicy{AccountID: acct, PolicyID: "ANPA1", PolicyName: "attached", Path: "/", ARN: "arn:aws:iam::" + acct + ":policy/attached"}
	versioned := store.ManagedPolicy{AccountID: acct, PolicyID: "ANPA2", PolicyName: "versioned", Path: "/", ARN: "arn:aws:iam::" + acct + ":policy/versioned"}
	for _, p := range []store.ManagedPolicy{attached, versioned} {
		must("CreateManagedPolicy", s.CreateManagedPolicy(ctx, p, store.PolicyVersion{Document: "{}"}))
	}
	_, err := s.CreatePolicyVersion(ctx, versioned.ARN, "{}", time.Now(), false, 5)
	must("CreatePolicyVersion", err)
	size := func(d string) int { return len(d) }
	must("PutInlinePolicy user", s.PutInlinePolicy(ctx, store.InlinePolicy{OwnerKind: store.KindUser, OwnerID: "AIDAINLINE", PolicyName: "p", Document: "{}"}, size, 100))
	must("PutInlinePolicy role", s.PutInlinePolicy(ctx, store.InlinePolicy{OwnerKind: store.KindRole, OwnerID: "AROAINLINE", PolicyName: "p", Document: "{}"}, size, 100))
	must("Attach user", s.Attach(ctx, store.Attachment{PolicyARN: attached.ARN, OwnerKind: store.KindUser, OwnerID: "AIDAATTACHED"}, 10))
	must("Attach role", s.Attach(ctx, store.Attachment{PolicyARN: attached.ARN, OwnerKind: store.KindRole, OwnerID: "AROAATTACHED"}, 10))
	serial := "arn:aws:iam::" + acct + ":mfa/d"
	must("CreateMFADevice", s.CreateMFADevice(ctx, store.MFADevice{SerialNumber: serial, AccountID: acct, Path: "/", Name: "d"}))
	must("EnableMFADevice", s.EnableMFADevice(ctx, serial, "AIDAMFA", time.Now(), 1))

	for _, tc := range []struct{ what, query, arg string }{
		{"a user with an inline policy", `DELETE FROM users WHERE user_id = $1`, "AIDAINLINE"},
		{"a user with an attachment", `DELETE FROM users WHERE user_id = $1`, "AIDAATTACHED"},
		{"a user with an assigned MFA device", `DELETE FROM users WHERE user_id = $1`, "AIDAMFA"},
		{"a role with an inline policy", `DELETE FROM roles WHERE role_id = $1`, "AROAINLINE"},
		{"a role with an attachment", `DELETE FROM roles WHERE role_id = $1`, "AROAATTACHED"},
		{"an attached policy", `DELETE FROM managed_policies WHERE arn = $1`, attached.ARN},
		{"a policy with versions", `DELETE FROM managed_policies WHERE arn = $1`, versioned.ARN},
	} {
		_, err := s.db.ExecContext(ctx, tc.query, tc.arg)
		if s.dialect.classify(err) != kindForeignKey {
			t.Errorf("deleting %s directly: got %v, want a foreign-key violation", tc.what, err)
		}
	}

	// The owner columns cannot disagree with owner_kind and owner_id.
	for _, tc := range []struct{ what, query string }{
		{"a user policy naming a role", `INSERT INTO inline_policies (owner_kind, owner_id, policy_name, document, user_id, role_id)
			VALUES ('user', 'AROAINLINE', 'x', '{}', NULL, 'AROAINLINE')`},
		{"a user policy with another user's id", `INSERT INTO inline_policies (owner_kind, owner_id, policy_name, document, user_id, role_id)
			VALUES ('user', 'AIDAINLINE', 'x', '{}', 'AIDAMFA', NULL)`},
		{"an attachment without an owner column", `INSERT INTO attachments (policy_arn, owner_kind, owner_id, user_id, role_id)
			VALUES ('` + attached.ARN + `', 'role', 'AROAINLINE', NULL, NULL)`},
		{"an attachment of an unknown kind", `INSERT INTO attachments (policy_arn, owner_kind, owner_id, user_id, role_id)
			VALUES ('` + attached.ARN + `', 'group', 'AIDAINLINE', 'AIDAINLINE', NULL)`},
	} {
		if _, err := s.db.ExecContext(ctx, tc.query); err == nil {
			t.Errorf("inserting %s succeeded", tc.what)
		}
	}
}

// TestDeleteConflictNamesTheReferences checks the error tells an operator what is left.
func TestDeleteConflictNamesTheReferences(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	const acct = "123456789012"
	if err := s.CreateAccount(ctx, store.Account{ID: acct}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, store.User{AccountID: acct, UserID: "AIDA1", UserName: "u", Path: "/"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccessKey(ctx, store.AccessKey{AccessKeyID: "AKIA1", AccountID: acct, UserID: "AIDA1", Status: "Active"}, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.PutInlinePolicy(ctx, store.InlinePolicy{OwnerKind: store.KindUser, OwnerID: "AIDA1", PolicyName: "p", Document: "{}"}, nil, 100); err != nil {
		t.Fatal(err)
	}
	err := s.DeleteUser(ctx, acct, "AIDA1")
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "access keys (1), inline policies (1)") {
		t.Fatalf("DeleteUser = %v, want a conflict naming the access key and the inline policy", err)
	}
}

// TestUpgradeFrom00001 applies 00002 to a database that already holds data written under 00001,
// and checks that 00002 migrates down and up again.
func TestUpgradeFrom00001(t *testing.T) {
	ctx := t.Context()
	path := sqliteAt(t, 1,
		`INSERT INTO accounts (id, created_at) VALUES ('123456789012', 1)`,
		`INSERT INTO users (user_id, account_id, user_name, user_name_lower, path, created_at)
			VALUES ('AIDAOLD', '123456789012', 'Old', 'old', '/', 1)`)

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a 00001 database: %v", err)
	}
	defer s.Close()
	if _, err := s.GetUser(ctx, "123456789012", "OLD"); err != nil {
		t.Fatalf("GetUser after the upgrade: %v", err)
	}
	inline := store.InlinePolicy{OwnerKind: store.KindUser, OwnerID: "AIDAOLD", PolicyName: "p", Document: "{}"}
	if err := s.PutInlinePolicy(ctx, inline, nil, 100); err != nil {
		t.Fatalf("PutInlinePolicy for a user created under 00001: %v", err)
	}
	if err := s.DeleteUser(ctx, "123456789012", "AIDAOLD"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("DeleteUser with an inline policy after the upgrade = %v, want ErrConflict", err)
	}

	migrateDownTo(t, s, 1)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate 00002 up again: %v", err)
	}
	if _, err := s.GetInlinePolicy(ctx, store.KindUser, "AIDAOLD", "p"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetInlinePolicy after down and up = %v, want ErrNotFound", err)
	}
	if err := s.DeleteUser(ctx, "123456789012", "AIDAOLD"); err != nil {
		t.Fatalf("DeleteUser after down and up: %v", err)
	}
}

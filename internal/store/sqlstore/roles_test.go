package sqlstore

import (
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

// TestUpgradeToPrincipalBindings applies 00006 to a database holding a role written before it:
// the role reads as never bound and is listed for binding; a role written by a node that does
// not know the column (an INSERT naming only the old columns) is too. 00006 then migrates down
// and up again.
func TestUpgradeToPrincipalBindings(t *testing.T) {
	ctx := t.Context()
	const oldRole = `INSERT INTO roles (role_id, account_id, role_name, role_name_lower, path, assume_role_policy_document, max_session_duration, created_at)
		VALUES ($1, '123456789012', $2, $2, '/', '{"Version":"2012-10-17","Statement":[]}', 3600, 1)`
	path := sqliteAt(t, 5,
		`INSERT INTO accounts (id, created_at) VALUES ('123456789012', 1)`,
		strings.NewReplacer("$1", "'AROAOLD'", "$2", "'old'").Replace(oldRole))

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a database without principal bindings: %v", err)
	}
	defer s.Close()
	if _, err := s.db.ExecContext(ctx, oldRole, "AROAOLDNODE", "oldnode"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"AROAOLD", "AROAOLDNODE"} {
		r, err := s.GetRoleByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.PrincipalsBound || r.PrincipalBindings != nil {
			t.Fatalf("role %s written without bindings reads as bound: %+v", id, r)
		}
	}
	list, err := s.ListUnboundRoles(ctx, "", 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListUnboundRoles = %v, %v; want both roles", list, err)
	}
	bindings := []store.PrincipalBinding{{Principal: "arn:aws:iam::123456789012:user/bob", ID: "AIDABOB"}}
	if _, err := s.UpdateRole(ctx, "AROAOLD", func(r *store.Role) error {
		r.PrincipalBindings, r.PrincipalsBound = bindings, true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if list, err := s.ListUnboundRoles(ctx, "", 10); err != nil || len(list) != 1 || list[0].RoleID != "AROAOLDNODE" {
		t.Fatalf("ListUnboundRoles after binding one = %v, %v", list, err)
	}

	migrateDownTo(t, s, 5)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate 00006 up again: %v", err)
	}
	r, err := s.GetRoleByID(ctx, "AROAOLD")
	if err != nil || r.PrincipalsBound {
		t.Fatalf("role after down and up = %+v, %v; want it unbound again", r, err)
	}
}

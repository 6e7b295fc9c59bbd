package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/store"
)

const roleColumns = `account_id, role_id, role_name, path, assume_role_policy_document, description,
	max_session_duration, permissions_boundary, tags, created_at, last_used_at, last_used_region,
	principal_bindings`

func scanRole(r rowScanner) (store.Role, error) {
	var (
		ro       store.Role
		tags     string
		created  int64
		lastUsed sql.NullInt64
		bindings sql.NullString
	)
	if err := r.Scan(&ro.AccountID, &ro.RoleID, &ro.RoleName, &ro.Path, &ro.AssumeRolePolicyDocument,
		&ro.Description, &ro.MaxSessionDuration, &ro.PermissionsBoundary, &tags, &created,
		&lastUsed, &ro.LastUsedRegion, &bindings); err != nil {
		return store.Role{}, err
	}
	var err error
	if ro.Tags, err = decodeTags(tags); err != nil {
		return store.Role{}, err
	}
	if ro.PrincipalBindings, ro.PrincipalsBound, err = decodeBindings(bindings); err != nil {
		return store.Role{}, err
	}
	ro.CreatedAt = decodeTime(created)
	ro.LastUsedAt = decodeOptionalTime(lastUsed)
	return ro, nil
}

// bindingJSON pins the stored field names, as tagJSON does for tags.
type bindingJSON struct {
	Principal string `json:"Principal"`
	ID        string `json:"ID"`
}

// encodeBindings stores the bindings of a bound role as a JSON array ([] when it names no one to
// bind) and those of a role never bound as NULL (see migration 00006).
func encodeBindings(list []store.PrincipalBinding, bound bool) (sql.NullString, error) {
	if !bound {
		return sql.NullString{}, nil
	}
	out := make([]bindingJSON, len(list))
	for i, b := range list {
		out[i] = bindingJSON(b)
	}
	enc, err := json.Marshal(out)
	if err != nil {
		return sql.NullString{}, fmt.Errorf("sqlstore: encode principal bindings: %w", err)
	}
	return sql.NullString{String: string(enc), Valid: true}, nil
}

func decodeBindings(v sql.NullString) ([]store.PrincipalBinding, bool, error) {
	if !v.Valid {
		return nil, false, nil
	}
	var in []bindingJSON
	if err := json.Unmarshal([]byte(v.String), &in); err != nil {
		return nil, false, fmt.Errorf("sqlstore: corrupt principal_bindings column: %w", err)
	}
	if len(in) == 0 {
		return nil, true, nil
	}
	out := make([]store.PrincipalBinding, len(in))
	for i, b := range in {
		out[i] = store.PrincipalBinding(b)
	}
	return out, true, nil
}

func (s *Store) CreateRole(ctx context.Context, r store.Role) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create role %q in account %q", r.RoleName, r.AccountID)
	tags, err := encodeTags(r.Tags)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	bindings, err := encodeBindings(r.PrincipalBindings, r.PrincipalsBound)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireBoundaryPolicy(ctx, tx, r.AccountID, r.PermissionsBoundary); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO roles (`+roleColumns+`, role_name_lower)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			r.AccountID, r.RoleID, r.RoleName, r.Path, r.AssumeRolePolicyDocument, r.Description,
			r.MaxSessionDuration, r.PermissionsBoundary, tags, encodeTime(r.CreatedAt),
			encodeOptionalTime(r.LastUsedAt), r.LastUsedRegion, bindings, lowerName(r.RoleName))
		return err
	})
	// A foreign-key failure here means the account does not exist.
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetRole(ctx context.Context, accountID, roleName string) (store.Role, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	r, err := scanRole(s.reads().QueryRowContext(ctx,
		`SELECT `+roleColumns+` FROM roles WHERE account_id = $1 AND role_name_lower = $2`,
		accountID, lowerName(roleName)))
	if err != nil {
		return store.Role{}, s.mapErr(fmt.Sprintf("sqlstore: get role %q in account %q", roleName, accountID), err, nil)
	}
	return r, nil
}

func (s *Store) GetRoleByID(ctx context.Context, roleID string) (store.Role, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	r, err := scanRole(s.reads().QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles WHERE role_id = $1`, roleID))
	if err != nil {
		return store.Role{}, s.mapErr(fmt.Sprintf("sqlstore: get role by id %q", roleID), err, nil)
	}
	return r, nil
}

type roleFixed struct {
	accountID, roleID, name, path string
	created                       int64
	lastUsed                      sql.NullInt64
	lastUsedRegion                string
}

func (s *Store) UpdateRole(ctx context.Context, roleID string, fn func(*store.Role) error) (store.Role, error) {
	return update(ctx, s, fmt.Sprintf("sqlstore: update role %q", roleID), entity[store.Role, roleFixed]{
		read: func(ctx context.Context, tx *sql.Tx) (store.Role, error) {
			return scanRole(tx.QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles WHERE role_id = $1`+s.dialect.forUpdate, roleID))
		},
		fixed: func(r store.Role) roleFixed {
			return roleFixed{r.AccountID, r.RoleID, r.RoleName, r.Path, encodeTime(r.CreatedAt), encodeOptionalTime(r.LastUsedAt), r.LastUsedRegion}
		},
		write: func(ctx context.Context, tx *sql.Tx, r store.Role) error {
			if err := requireBoundaryPolicy(ctx, tx, r.AccountID, r.PermissionsBoundary); err != nil {
				return err
			}
			tags, err := encodeTags(r.Tags)
			if err != nil {
				return err
			}
			bindings, err := encodeBindings(r.PrincipalBindings, r.PrincipalsBound)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE roles
				SET assume_role_policy_document = $2, description = $3, max_session_duration = $4,
					permissions_boundary = $5, tags = $6, principal_bindings = $7
				WHERE role_id = $1`,
				r.RoleID, r.AssumeRolePolicyDocument, r.Description, r.MaxSessionDuration, r.PermissionsBoundary, tags, bindings)
			return err
		},
	}, fn)
}

// DeleteRole counts what still references the role in the deleting transaction, so the error says
// what remains; the foreign keys of inline_policies and attachments refuse the delete regardless.
func (s *Store) DeleteRole(ctx context.Context, accountID, roleID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: delete role %q in account %q", roleID, accountID)
	err := s.inTx(ctx, func(tx *sql.Tx) error { return deleteRoleIn(ctx, tx, accountID, roleID) })
	// sql.ErrNoRows becomes ErrNotFound; a foreign-key failure means a reference appeared anyway.
	return s.mapErr(op, err, store.ErrConflict)
}

// deleteRoleIn deletes a role of the account inside tx: sql.ErrNoRows when there is none,
// ErrConflict while anything still references it.
func deleteRoleIn(ctx context.Context, tx *sql.Tx, accountID, roleID string) error {
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM roles WHERE account_id = $1 AND role_id = $2`,
		accountID, roleID).Scan(&one); err != nil {
		return err
	}
	if err := checkReferences(ctx, tx, "role", roleID, roleReferences); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM roles WHERE account_id = $1 AND role_id = $2`, accountID, roleID)
	return err
}

// reference is one kind of row that keeps a user or role from being deleted.
type reference struct {
	what  string // plural noun for the error message
	query string // counts the rows; $1 is the owner id
}

var roleReferences = []reference{
	{"inline policies", `SELECT COUNT(*) FROM inline_policies WHERE role_id = $1`},
	{"attached managed policies", `SELECT COUNT(*) FROM attachments WHERE role_id = $1`},
	{"instance profiles", `SELECT COUNT(*) FROM instance_profiles WHERE role_id = $1`},
}

var userReferences = []reference{
	{"access keys", `SELECT COUNT(*) FROM access_keys WHERE user_id = $1`},
	{"inline policies", `SELECT COUNT(*) FROM inline_policies WHERE user_id = $1`},
	{"attached managed policies", `SELECT COUNT(*) FROM attachments WHERE user_id = $1`},
	{"assigned MFA devices", `SELECT COUNT(*) FROM mfa_devices WHERE user_id = $1`},
	{"group memberships", `SELECT COUNT(*) FROM group_members WHERE user_id = $1`},
}

// checkReferences returns ErrConflict naming every kind of reference that remains.
func checkReferences(ctx context.Context, tx *sql.Tx, kind, id string, refs []reference) error {
	var remaining []any
	format := ""
	for _, ref := range refs {
		var n int
		if err := tx.QueryRowContext(ctx, ref.query, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			if format != "" {
				format += ", "
			}
			format += "%s (%d)"
			remaining = append(remaining, ref.what, n)
		}
	}
	if remaining == nil {
		return nil
	}
	return fmt.Errorf("%w: the %s still has "+format, append([]any{store.ErrConflict, kind}, remaining...)...)
}

// ListRoles treats limit <= 0 as no limit; the path prefix and marker work as in ListUsers.
func (s *Store) ListRoles(ctx context.Context, accountID, pathPrefix, after string, limit int) (store.RolePage, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list roles in account %q", accountID)
	limit = pageLimit(limit)
	roles, err := queryAll(ctx, s.reads(), scanRole, `SELECT `+roleColumns+` FROM roles
		WHERE account_id = $1 AND substr(path, 1, $2) = $3 AND role_name_lower > $4
		ORDER BY role_name_lower`+s.dialect.textOrder+`
		LIMIT $5`,
		accountID, utf8.RuneCountInString(pathPrefix), pathPrefix, lowerName(after), limit+1)
	if err != nil {
		return store.RolePage{}, s.mapErr(op, err, nil)
	}
	var page store.RolePage
	page.Roles, page.Next = trimPage(roles, limit, func(r store.Role) string { return lowerName(r.RoleName) })
	return page, nil
}

func (s *Store) RecordRoleUse(ctx context.Context, roleID string, at time.Time, region string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, fmt.Sprintf("sqlstore: record use of role %q", roleID),
		`UPDATE roles SET last_used_at = $2, last_used_region = $3 WHERE role_id = $1`,
		roleID, encodeTime(at), region)
}

// ListUnboundRoles pages along the primary key, which every backend orders by code point once
// textOrder is applied.
func (s *Store) ListUnboundRoles(ctx context.Context, after string, limit int) ([]store.Role, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := "sqlstore: list roles without principal bindings"
	out, err := queryAll(ctx, s.reads(), scanRole, `SELECT `+roleColumns+` FROM roles
		WHERE principal_bindings IS NULL AND role_id > $1
		ORDER BY role_id`+s.dialect.textOrder+`
		LIMIT $2`, after, pageLimit(limit))
	if err != nil {
		return nil, s.mapErr(op, err, nil)
	}
	return out, nil
}

// principalsPerQuery bounds the placeholders of one GetPrincipalsByID query, well below every
// backend's limit on bound parameters.
const principalsPerQuery = 500

func (s *Store) GetPrincipalsByID(ctx context.Context, ids []string) ([]store.PrincipalEntity, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := "sqlstore: get principals by id"
	var out []store.PrincipalEntity
	for start := 0; start < len(ids); start += principalsPerQuery {
		chunk := ids[start:min(start+principalsPerQuery, len(ids))]
		args := make([]any, len(chunk))
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args[i], marks[i] = id, fmt.Sprintf("$%d", i+1)
		}
		in := strings.Join(marks, ", ")
		found, err := queryAll(ctx, s.reads(), scanPrincipalEntity, `SELECT 'user', user_id, account_id, path, user_name FROM users WHERE user_id IN (`+in+`)
			UNION ALL
			SELECT 'role', role_id, account_id, path, role_name FROM roles WHERE role_id IN (`+in+`)`, args...)
		if err != nil {
			return nil, s.mapErr(op, err, nil)
		}
		out = append(out, found...)
	}
	return out, nil
}

func scanPrincipalEntity(r rowScanner) (store.PrincipalEntity, error) {
	var (
		e    store.PrincipalEntity
		kind string
	)
	if err := r.Scan(&kind, &e.ID, &e.AccountID, &e.Path, &e.Name); err != nil {
		return store.PrincipalEntity{}, err
	}
	e.Kind = store.PrincipalKind(kind)
	return e, nil
}

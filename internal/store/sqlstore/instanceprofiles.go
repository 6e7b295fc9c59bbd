package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/store"
)

var _ store.InstanceProfileStore = (*Store)(nil)

// Instance profiles (00009_instance_profiles.sql).

const instanceProfileColumns = `instance_profile_id, account_id, name, path, role_id, tags, created_at`

func scanInstanceProfile(r rowScanner) (store.InstanceProfile, error) {
	var (
		p       store.InstanceProfile
		roleID  sql.NullString
		tags    string
		created int64
	)
	if err := r.Scan(&p.InstanceProfileID, &p.AccountID, &p.InstanceProfileName, &p.Path, &roleID, &tags, &created); err != nil {
		return store.InstanceProfile{}, err
	}
	var err error
	if p.Tags, err = decodeTags(tags); err != nil {
		return store.InstanceProfile{}, err
	}
	p.RoleID = roleID.String
	p.CreatedAt = decodeTime(created)
	return p, nil
}

// nullableRole stores "" (no role) as NULL, which its foreign key exempts.
func nullableRole(roleID string) sql.NullString {
	return sql.NullString{String: roleID, Valid: roleID != ""}
}

// CreateInstanceProfile relies on the unique constraint for the name and on the account foreign
// key for the account's existence. A new profile has no role (CreateInstanceProfile takes none).
func (s *Store) CreateInstanceProfile(ctx context.Context, p store.InstanceProfile) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create instance profile %q in account %q", p.InstanceProfileName, p.AccountID)
	tags, err := encodeTags(p.Tags)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireRole(ctx, tx, p.AccountID, p.RoleID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO instance_profiles (`+instanceProfileColumns+`, name_lower)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			p.InstanceProfileID, p.AccountID, p.InstanceProfileName, p.Path, nullableRole(p.RoleID), tags,
			encodeTime(p.CreatedAt), lowerName(p.InstanceProfileName))
		return err
	})
	return s.mapErr(op, err, store.ErrNotFound)
}

// requireRole fails with store.ErrMissingReference unless roleID is "" or names a role of the
// account, so that the caller learns which reference is missing; the foreign key makes it true.
func requireRole(ctx context.Context, tx *sql.Tx, accountID, roleID string) error {
	if roleID == "" {
		return nil
	}
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM roles WHERE account_id = $1 AND role_id = $2`, accountID, roleID).Scan(&one)
	if err == sql.ErrNoRows {
		return &store.MissingReferenceError{Kind: "role", Key: roleID}
	}
	return err
}

func (s *Store) GetInstanceProfile(ctx context.Context, accountID, name string) (store.InstanceProfile, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	p, err := scanInstanceProfile(s.reads().QueryRowContext(ctx,
		`SELECT `+instanceProfileColumns+` FROM instance_profiles WHERE account_id = $1 AND name_lower = $2`,
		accountID, lowerName(name)))
	if err != nil {
		return store.InstanceProfile{}, s.mapErr(fmt.Sprintf("sqlstore: get instance profile %q in account %q", name, accountID), err, nil)
	}
	return p, nil
}

type instanceProfileFixed struct {
	id, accountID, name, path string
	created                   int64
}

func (s *Store) UpdateInstanceProfile(ctx context.Context, id string, fn func(*store.InstanceProfile) error) (store.InstanceProfile, error) {
	return update(ctx, s, fmt.Sprintf("sqlstore: update instance profile %q", id), entity[store.InstanceProfile, instanceProfileFixed]{
		read: func(ctx context.Context, tx *sql.Tx) (store.InstanceProfile, error) {
			return scanInstanceProfile(tx.QueryRowContext(ctx,
				`SELECT `+instanceProfileColumns+` FROM instance_profiles WHERE instance_profile_id = $1`+s.dialect.forUpdate, id))
		},
		fixed: func(p store.InstanceProfile) instanceProfileFixed {
			return instanceProfileFixed{p.InstanceProfileID, p.AccountID, p.InstanceProfileName, p.Path, encodeTime(p.CreatedAt)}
		},
		write: func(ctx context.Context, tx *sql.Tx, p store.InstanceProfile) error {
			if err := requireRole(ctx, tx, p.AccountID, p.RoleID); err != nil {
				return err
			}
			tags, err := encodeTags(p.Tags)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE instance_profiles SET role_id = $2, tags = $3 WHERE instance_profile_id = $1`,
				p.InstanceProfileID, nullableRole(p.RoleID), tags)
			return err
		},
		// A foreign-key failure means the role was deleted after requireRole saw it.
		fkErr: &store.MissingReferenceError{Kind: "role"},
	}, fn)
}

// DeleteInstanceProfile checks for a role in the deleting transaction, as IAM refuses to delete a
// profile that still has one.
func (s *Store) DeleteInstanceProfile(ctx context.Context, accountID, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: delete instance profile %q in account %q", id, accountID)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var roleID sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT role_id FROM instance_profiles WHERE account_id = $1 AND instance_profile_id = $2`+s.dialect.forUpdate,
			accountID, id).Scan(&roleID); err != nil {
			return err
		}
		if roleID.Valid {
			return fmt.Errorf("%w: the instance profile still has a role", store.ErrConflict)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM instance_profiles WHERE account_id = $1 AND instance_profile_id = $2`, accountID, id)
		return err
	})
	return s.mapErr(op, err, nil)
}

func (s *Store) ListInstanceProfiles(ctx context.Context, accountID, pathPrefix, after string, limit int) (store.InstanceProfilePage, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	limit = pageLimit(limit)
	list, err := queryAll(ctx, s.reads(), scanInstanceProfile, `SELECT `+instanceProfileColumns+` FROM instance_profiles
		WHERE account_id = $1 AND substr(path, 1, $2) = $3 AND name_lower > $4
		ORDER BY name_lower`+s.dialect.textOrder+`
		LIMIT $5`,
		accountID, utf8.RuneCountInString(pathPrefix), pathPrefix, lowerName(after), limit+1)
	if err != nil {
		return store.InstanceProfilePage{}, s.mapErr(fmt.Sprintf("sqlstore: list instance profiles in account %q", accountID), err, nil)
	}
	var page store.InstanceProfilePage
	page.InstanceProfiles, page.Next = trimPage(list, limit, func(p store.InstanceProfile) string { return lowerName(p.InstanceProfileName) })
	return page, nil
}

func (s *Store) ListInstanceProfilesForRole(ctx context.Context, roleID string) ([]store.InstanceProfile, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	out, err := queryAll(ctx, s.reads(), scanInstanceProfile, `SELECT `+instanceProfileColumns+` FROM instance_profiles
		WHERE role_id = $1 ORDER BY name_lower`+s.dialect.textOrder, roleID)
	if err != nil {
		return nil, s.mapErr(fmt.Sprintf("sqlstore: list instance profiles for role %q", roleID), err, nil)
	}
	return out, nil
}

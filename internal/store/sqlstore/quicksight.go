package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/latchkey/latchkey/internal/store"
)

var _ store.QuickSightStore = (*Store)(nil)

// Namespaces (00005_quicksight.sql).

const qsNamespaceColumns = `account_id, name, identity_store, tags, created_at`

func scanQSNamespace(r rowScanner) (store.QuickSightNamespace, error) {
	var (
		ns      store.QuickSightNamespace
		tags    string
		created int64
	)
	if err := r.Scan(&ns.AccountID, &ns.Name, &ns.IdentityStore, &tags, &created); err != nil {
		return store.QuickSightNamespace{}, err
	}
	var err error
	if ns.Tags, err = decodeTags(tags); err != nil {
		return store.QuickSightNamespace{}, err
	}
	ns.CreatedAt = decodeTime(created)
	return ns, nil
}

// CreateQuickSightNamespace relies on the primary key for uniqueness and on the account foreign
// key for the account's existence.
func (s *Store) CreateQuickSightNamespace(ctx context.Context, ns store.QuickSightNamespace) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create QuickSight namespace %q in account %q", ns.Name, ns.AccountID)
	tags, err := encodeTags(ns.Tags)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO quicksight_namespaces (`+qsNamespaceColumns+`) VALUES ($1, $2, $3, $4, $5)`,
			ns.AccountID, ns.Name, ns.IdentityStore, tags, encodeTime(ns.CreatedAt))
		return err
	})
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetQuickSightNamespace(ctx context.Context, accountID, name string) (store.QuickSightNamespace, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	ns, err := scanQSNamespace(s.reads().QueryRowContext(ctx,
		`SELECT `+qsNamespaceColumns+` FROM quicksight_namespaces WHERE account_id = $1 AND name = $2`, accountID, name))
	if err != nil {
		return store.QuickSightNamespace{}, s.mapErr(fmt.Sprintf("sqlstore: get QuickSight namespace %q of account %q", name, accountID), err, nil)
	}
	return ns, nil
}

func (s *Store) ListQuickSightNamespaces(ctx context.Context, accountID, after string, limit int) ([]store.QuickSightNamespace, string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list QuickSight namespaces of account %q", accountID)
	limit = pageLimit(limit)
	out, err := queryAll(ctx, s.reads(), scanQSNamespace, `SELECT `+qsNamespaceColumns+` FROM quicksight_namespaces
		WHERE account_id = $1 AND name`+s.dialect.textOrder+` > $2
		ORDER BY name`+s.dialect.textOrder+`
		LIMIT $3`, accountID, after, limit+1)
	if err != nil {
		return nil, "", s.mapErr(op, err, nil)
	}
	out, next := trimPage(out, limit, func(v store.QuickSightNamespace) string { return v.Name })
	return out, next, nil
}

// DeleteQuickSightNamespace deletes the namespace's users, then the namespace, in one transaction.
func (s *Store) DeleteQuickSightNamespace(ctx context.Context, accountID, name string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: delete QuickSight namespace %q of account %q", name, accountID)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM quicksight_namespaces WHERE account_id = $1 AND name = $2`, accountID, name).Scan(&one); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM quicksight_users WHERE account_id = $1 AND namespace = $2`,
			`DELETE FROM quicksight_namespaces WHERE account_id = $1 AND name = $2`,
		} {
			if _, err := tx.ExecContext(ctx, q, accountID, name); err != nil {
				return err
			}
		}
		return nil
	})
	return s.mapErr(op, err, store.ErrConflict)
}

func (s *Store) DeleteQuickSightUsersInNamespace(ctx context.Context, accountID, namespace string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: delete the QuickSight users of namespace %q of account %q", namespace, accountID)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM quicksight_users WHERE account_id = $1 AND namespace = $2`, accountID, namespace)
		return err
	})
	return s.mapErr(op, err, nil)
}

// Users.

const qsUserColumns = `account_id, namespace, user_name, principal_id, identity_type, email, role, iam_arn,
	session_name, active, custom_permissions_name, external_login_provider, external_login_url,
	external_login_id, tags, created_at, updated_at`

func scanQSUser(r rowScanner) (store.QuickSightUser, error) {
	var (
		u                store.QuickSightUser
		tags             string
		created, updated int64
	)
	if err := r.Scan(&u.AccountID, &u.Namespace, &u.UserName, &u.PrincipalID, &u.IdentityType, &u.Email, &u.Role, &u.IAMARN,
		&u.SessionName, &u.Active, &u.CustomPermissionsName, &u.ExternalLoginProvider, &u.ExternalLoginURL,
		&u.ExternalLoginID, &tags, &created, &updated); err != nil {
		return store.QuickSightUser{}, err
	}
	var err error
	if u.Tags, err = decodeTags(tags); err != nil {
		return store.QuickSightUser{}, err
	}
	u.CreatedAt = decodeTime(created)
	u.UpdatedAt = decodeTime(updated)
	return u, nil
}

// CreateQuickSightUser relies on the primary key and the principal-id unique constraint.
func (s *Store) CreateQuickSightUser(ctx context.Context, u store.QuickSightUser) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create QuickSight user %q in namespace %q of account %q", u.UserName, u.Namespace, u.AccountID)
	tags, err := encodeTags(u.Tags)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO quicksight_users (`+qsUserColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
			u.AccountID, u.Namespace, u.UserName, u.PrincipalID, u.IdentityType, u.Email, u.Role, u.IAMARN,
			u.SessionName, u.Active, u.CustomPermissionsName, u.ExternalLoginProvider, u.ExternalLoginURL,
			u.ExternalLoginID, tags, encodeTime(u.CreatedAt), encodeTime(u.UpdatedAt))
		return err
	})
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetQuickSightUser(ctx context.Context, accountID, namespace, userName string) (store.QuickSightUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanQSUser(s.reads().QueryRowContext(ctx, `SELECT `+qsUserColumns+` FROM quicksight_users
		WHERE account_id = $1 AND namespace = $2 AND user_name = $3`, accountID, namespace, userName))
	if err != nil {
		return store.QuickSightUser{}, s.mapErr(fmt.Sprintf("sqlstore: get QuickSight user %q in namespace %q of account %q", userName, namespace, accountID), err, nil)
	}
	return u, nil
}

func (s *Store) GetQuickSightUserByPrincipalID(ctx context.Context, accountID, namespace, principalID string) (store.QuickSightUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanQSUser(s.reads().QueryRowContext(ctx, `SELECT `+qsUserColumns+` FROM quicksight_users
		WHERE account_id = $1 AND namespace = $2 AND principal_id = $3`, accountID, namespace, principalID))
	if err != nil {
		return store.QuickSightUser{}, s.mapErr(fmt.Sprintf("sqlstore: get QuickSight user with principal id %q in namespace %q of account %q", principalID, namespace, accountID), err, nil)
	}
	return u, nil
}

func (s *Store) FindQuickSightUsersByEmail(ctx context.Context, accountID, namespace, email string, limit int) ([]store.QuickSightUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: find QuickSight users by email in namespace %q of account %q", namespace, accountID)
	out, err := queryAll(ctx, s.reads(), scanQSUser, `SELECT `+qsUserColumns+` FROM quicksight_users
		WHERE account_id = $1 AND namespace = $2 AND email = $3
		ORDER BY user_name`+s.dialect.textOrder+`
		LIMIT $4`, accountID, namespace, email, pageLimit(limit))
	if err != nil {
		return nil, s.mapErr(op, err, nil)
	}
	return out, nil
}

type qsUserFixed struct {
	accountID, namespace, userName, principalID, identityType, iamARN, sessionName string
	created                                                                        int64
}

func (s *Store) UpdateQuickSightUser(ctx context.Context, accountID, namespace, userName string, fn func(*store.QuickSightUser) error) (store.QuickSightUser, error) {
	op := fmt.Sprintf("sqlstore: update QuickSight user %q in namespace %q of account %q", userName, namespace, accountID)
	return update(ctx, s, op, entity[store.QuickSightUser, qsUserFixed]{
		read: func(ctx context.Context, tx *sql.Tx) (store.QuickSightUser, error) {
			return scanQSUser(tx.QueryRowContext(ctx, `SELECT `+qsUserColumns+` FROM quicksight_users
				WHERE account_id = $1 AND namespace = $2 AND user_name = $3`+s.dialect.forUpdate, accountID, namespace, userName))
		},
		fixed: func(u store.QuickSightUser) qsUserFixed {
			return qsUserFixed{u.AccountID, u.Namespace, u.UserName, u.PrincipalID, u.IdentityType, u.IAMARN, u.SessionName, encodeTime(u.CreatedAt)}
		},
		write: func(ctx context.Context, tx *sql.Tx, u store.QuickSightUser) error {
			tags, err := encodeTags(u.Tags)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE quicksight_users
				SET email = $4, role = $5, active = $6, custom_permissions_name = $7, external_login_provider = $8,
					external_login_url = $9, external_login_id = $10, tags = $11, updated_at = $12
				WHERE account_id = $1 AND namespace = $2 AND user_name = $3`,
				u.AccountID, u.Namespace, u.UserName, u.Email, u.Role, u.Active, u.CustomPermissionsName,
				u.ExternalLoginProvider, u.ExternalLoginURL, u.ExternalLoginID, tags, encodeTime(u.UpdatedAt))
			return err
		},
	}, fn)
}

func (s *Store) DeleteQuickSightUser(ctx context.Context, accountID, namespace, userName string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: delete QuickSight user %q in namespace %q of account %q", userName, namespace, accountID)
	return s.execOne(ctx, op, `DELETE FROM quicksight_users WHERE account_id = $1 AND namespace = $2 AND user_name = $3`,
		accountID, namespace, userName)
}

func (s *Store) ListQuickSightUsers(ctx context.Context, accountID, namespace, after string, limit int) ([]store.QuickSightUser, string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list QuickSight users of namespace %q of account %q", namespace, accountID)
	limit = pageLimit(limit)
	out, err := queryAll(ctx, s.reads(), scanQSUser, `SELECT `+qsUserColumns+` FROM quicksight_users
		WHERE account_id = $1 AND namespace = $2 AND user_name`+s.dialect.textOrder+` > $3
		ORDER BY user_name`+s.dialect.textOrder+`
		LIMIT $4`, accountID, namespace, after, limit+1)
	if err != nil {
		return nil, "", s.mapErr(op, err, nil)
	}
	out, next := trimPage(out, limit, func(v store.QuickSightUser) string { return v.UserName })
	return out, next, nil
}

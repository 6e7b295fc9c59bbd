package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var _ store.AccountStore = (*Store)(nil)

// Account aliases and settings (00012_account.sql).

// PutAccountAlias reads the account's alias in the writing transaction only to refuse the alias
// it already has; the unique constraint refuses an alias of another account, races included.
func (s *Store) PutAccountAlias(ctx context.Context, accountID, alias string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT alias FROM account_aliases WHERE account_id = $1`+s.dialect.forUpdate, accountID).Scan(&cur)
		switch {
		case err == nil && cur == alias:
			return fmt.Errorf("%w: the account already has this alias", store.ErrAlreadyExists)
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO account_aliases (account_id, alias) VALUES ($1, $2)
			ON CONFLICT (account_id) DO UPDATE SET alias = excluded.alias`, accountID, alias)
		return err
	})
	// A foreign-key failure means the account does not exist.
	return s.mapErr(fmt.Sprintf("sqlstore: put alias of account %q", accountID), err, store.ErrNotFound)
}

func (s *Store) AccountAlias(ctx context.Context, accountID string) (string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var alias string
	err := s.reads().QueryRowContext(ctx, `SELECT alias FROM account_aliases WHERE account_id = $1`, accountID).Scan(&alias)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", s.mapErr(fmt.Sprintf("sqlstore: get alias of account %q", accountID), err, nil)
	}
	return alias, nil
}

func (s *Store) DeleteAccountAlias(ctx context.Context, accountID, alias string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: delete alias of account %q", accountID)
	res, err := s.db.ExecContext(ctx, `DELETE FROM account_aliases WHERE account_id = $1 AND alias = $2`, accountID, alias)
	if err != nil {
		return s.mapErr(op, err, nil)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.mapErr(op, err, nil)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

const accountSettingsColumns = `account_id, password_policy, global_endpoint_token_version, organization_features`

func scanAccountSettings(r rowScanner) (store.AccountSettings, error) {
	var (
		a        store.AccountSettings
		policy   sql.NullString
		features string
	)
	if err := r.Scan(&a.AccountID, &policy, &a.GlobalEndpointTokenVersion, &features); err != nil {
		return store.AccountSettings{}, err
	}
	if policy.Valid {
		a.PasswordPolicy = new(store.PasswordPolicy)
		if err := json.Unmarshal([]byte(policy.String), a.PasswordPolicy); err != nil {
			return store.AccountSettings{}, fmt.Errorf("sqlstore: corrupt password policy column: %w", err)
		}
	}
	var err error
	if a.OrganizationFeatures, err = decodeStrings(features); err != nil {
		return store.AccountSettings{}, err
	}
	return a, nil
}

func (s *Store) GetAccountSettings(ctx context.Context, accountID string) (store.AccountSettings, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	a, err := scanAccountSettings(s.reads().QueryRowContext(ctx,
		`SELECT `+accountSettingsColumns+` FROM account_settings WHERE account_id = $1`, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return store.AccountSettings{AccountID: accountID}, nil
	}
	if err != nil {
		return store.AccountSettings{}, s.mapErr(fmt.Sprintf("sqlstore: get settings of account %q", accountID), err, nil)
	}
	return a, nil
}

// UpdateAccountSettings creates the account's settings row on first use, inside the updating
// transaction, so that the updater always reads a locked row.
func (s *Store) UpdateAccountSettings(ctx context.Context, accountID string, fn func(*store.AccountSettings) error) (store.AccountSettings, error) {
	return update(ctx, s, fmt.Sprintf("sqlstore: update settings of account %q", accountID), entity[store.AccountSettings, string]{
		read: func(ctx context.Context, tx *sql.Tx) (store.AccountSettings, error) {
			if _, err := tx.ExecContext(ctx, `INSERT INTO account_settings (account_id) VALUES ($1) ON CONFLICT (account_id) DO NOTHING`, accountID); err != nil {
				return store.AccountSettings{}, err
			}
			return scanAccountSettings(tx.QueryRowContext(ctx,
				`SELECT `+accountSettingsColumns+` FROM account_settings WHERE account_id = $1`+s.dialect.forUpdate, accountID))
		},
		fixed: func(a store.AccountSettings) string { return a.AccountID },
		write: func(ctx context.Context, tx *sql.Tx, a store.AccountSettings) error {
			var policy sql.NullString
			if a.PasswordPolicy != nil {
				b, err := json.Marshal(a.PasswordPolicy)
				if err != nil {
					return err
				}
				policy = sql.NullString{String: string(b), Valid: true}
			}
			features, err := encodeStrings(a.OrganizationFeatures)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE account_settings SET password_policy = $2, global_endpoint_token_version = $3,
				organization_features = $4 WHERE account_id = $1`, a.AccountID, policy, a.GlobalEndpointTokenVersion, features)
			return err
		},
		// A foreign-key failure of the first insert means the account does not exist.
		fkErr: store.ErrNotFound,
	}, fn)
}

func (s *Store) ManagesOrganization(ctx context.Context, accountID string) (bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var n int
	if err := s.reads().QueryRowContext(ctx, `SELECT COUNT(*) FROM org_members WHERE management_account_id = $1`, accountID).Scan(&n); err != nil {
		return false, s.mapErr(fmt.Sprintf("sqlstore: does account %q manage an organization", accountID), err, nil)
	}
	return n > 0, nil
}

func (s *Store) DeleteServiceLinkedRole(ctx context.Context, accountID, roleID, taskID string, at time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := deleteRoleIn(ctx, tx, accountID, roleID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO role_deletion_tasks (task_id, account_id, created_at) VALUES ($1, $2, $3)`,
			taskID, accountID, encodeTime(at))
		return err
	})
	// As DeleteRole: a foreign-key failure means a reference to the role appeared anyway.
	return s.mapErr(fmt.Sprintf("sqlstore: delete service-linked role %q in account %q", roleID, accountID), err, store.ErrConflict)
}

func (s *Store) RoleDeletionTask(ctx context.Context, accountID, taskID string) (time.Time, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var at int64
	if err := s.reads().QueryRowContext(ctx, `SELECT created_at FROM role_deletion_tasks WHERE account_id = $1 AND task_id = $2`,
		accountID, taskID).Scan(&at); err != nil {
		return time.Time{}, s.mapErr(fmt.Sprintf("sqlstore: get role deletion task of account %q", accountID), err, nil)
	}
	return decodeTime(at), nil
}

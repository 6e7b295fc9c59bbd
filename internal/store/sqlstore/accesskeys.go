package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

const accessKeyColumns = `access_key_id, account_id, user_id, status, secret_ciphertext, created_at,
	last_used_at, last_used_service, last_used_region`

// ownerID stores root keys with a NULL user_id, which exempts them from the users foreign key.
func ownerID(userID string) sql.NullString {
	return sql.NullString{String: userID, Valid: userID != ""}
}

func scanAccessKey(r rowScanner) (store.AccessKey, error) {
	var (
		k        store.AccessKey
		userID   sql.NullString
		secret   string
		created  int64
		lastUsed sql.NullInt64
	)
	if err := r.Scan(&k.AccessKeyID, &k.AccountID, &userID, &k.Status, &secret, &created,
		&lastUsed, &k.LastUsedService, &k.LastUsedRegion); err != nil {
		return store.AccessKey{}, err
	}
	var err error
	if k.SecretCiphertext, err = decodeBytes(secret); err != nil {
		return store.AccessKey{}, err
	}
	k.UserID = userID.String
	k.CreatedAt = decodeTime(created)
	k.LastUsedAt = decodeOptionalTime(lastUsed)
	return k, nil
}

// ownerFilter selects one owner's keys; root keys need IS NULL, since NULL = NULL is not true in SQL.
func ownerFilter(userID string) (clause string, args []any) {
	if userID == "" {
		return `user_id IS NULL`, nil
	}
	return `user_id = $2`, []any{userID}
}

func (s *Store) CreateAccessKey(ctx context.Context, k store.AccessKey, maxPerOwner int) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create access key %q for account %q user %q", k.AccessKeyID, k.AccountID, k.UserID)
	filter, filterArgs := ownerFilter(k.UserID)
	// Count and insert share one transaction, which is write-locked from BEGIN on SQLite and
	// serializable on PostgreSQL, so concurrent creators cannot both pass the check.
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_keys WHERE account_id = $1 AND `+filter,
			append([]any{k.AccountID}, filterArgs...)...).Scan(&n); err != nil {
			return err
		}
		if n >= maxPerOwner {
			return fmt.Errorf("%w: the owner already has %d access keys (limit %d)", store.ErrLimitExceeded, n, maxPerOwner)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO access_keys (`+accessKeyColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			k.AccessKeyID, k.AccountID, ownerID(k.UserID), k.Status, encodeBytes(k.SecretCiphertext),
			encodeTime(k.CreatedAt), encodeOptionalTime(k.LastUsedAt), k.LastUsedService, k.LastUsedRegion)
		return err
	})
	// A foreign-key failure here means the account, or the user within it, does not exist.
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetAccessKey(ctx context.Context, accessKeyID string) (store.AccessKey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	k, err := scanAccessKey(s.reads().QueryRowContext(ctx,
		`SELECT `+accessKeyColumns+` FROM access_keys WHERE access_key_id = $1`, accessKeyID))
	if err != nil {
		return store.AccessKey{}, s.mapErr(fmt.Sprintf("sqlstore: get access key %q", accessKeyID), err, nil)
	}
	return k, nil
}

func (s *Store) ListAccessKeys(ctx context.Context, accountID, userID string) ([]store.AccessKey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list access keys of account %q user %q", accountID, userID)
	filter, filterArgs := ownerFilter(userID)
	// access_key_id breaks ties so keys created in the same nanosecond still list in a stable order.
	out, err := queryAll(ctx, s.reads(), scanAccessKey, `SELECT `+accessKeyColumns+` FROM access_keys
		WHERE account_id = $1 AND `+filter+`
		ORDER BY created_at, access_key_id`+s.dialect.textOrder,
		append([]any{accountID}, filterArgs...)...)
	if err != nil {
		return nil, s.mapErr(op, err, nil)
	}
	return out, nil
}

// execOne runs a single-row change and reports ErrNotFound when no row matched.
func (s *Store) execOne(ctx context.Context, op, query string, args ...any) error {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return s.mapErr(op, err, nil)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

func (s *Store) UpdateAccessKeyStatus(ctx context.Context, accessKeyID, status string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, fmt.Sprintf("sqlstore: set status of access key %q to %q", accessKeyID, status),
		`UPDATE access_keys SET status = $2 WHERE access_key_id = $1`, accessKeyID, status)
}

func (s *Store) DeleteAccessKey(ctx context.Context, accessKeyID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, fmt.Sprintf("sqlstore: delete access key %q", accessKeyID),
		`DELETE FROM access_keys WHERE access_key_id = $1`, accessKeyID)
}

func (s *Store) PutRootAccessKey(ctx context.Context, k store.AccessKey) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: put root access key %q for account %q", k.AccessKeyID, k.AccountID)
	if k.UserID != "" {
		return fmt.Errorf("%s: the key names user %q; root keys have no user", op, k.UserID)
	}
	// The WHERE on the update keeps an operator's configuration from taking over an id that already
	// belongs to a user's key or to another account: such a conflict changes no row.
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO access_keys (`+accessKeyColumns+`)
			VALUES ($1, $2, NULL, $3, $4, $5, NULL, '', '')
			ON CONFLICT (access_key_id) DO UPDATE
				SET status = excluded.status, secret_ciphertext = excluded.secret_ciphertext
				WHERE access_keys.account_id = excluded.account_id AND access_keys.user_id IS NULL`,
			k.AccessKeyID, k.AccountID, k.Status, encodeBytes(k.SecretCiphertext), encodeTime(k.CreatedAt))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		// A foreign-key failure here means the account does not exist.
		return s.mapErr(op, err, store.ErrNotFound)
	}
	if n == 0 {
		return fmt.Errorf("%s: the id belongs to another owner: %w", op, store.ErrAlreadyExists)
	}
	return nil
}

func (s *Store) RecordAccessKeyUse(ctx context.Context, accessKeyID string, at time.Time, service, region string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, fmt.Sprintf("sqlstore: record use of access key %q", accessKeyID),
		`UPDATE access_keys SET last_used_at = $2, last_used_service = $3, last_used_region = $4
		WHERE access_key_id = $1`,
		accessKeyID, encodeTime(at), service, region)
}

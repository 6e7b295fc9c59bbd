package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/store"
)

const userColumns = `account_id, user_id, user_name, path, permissions_boundary, tags, created_at`

// lowerName is the case-folded form the unique constraint and the ListUsers order use. IAM names
// are ASCII, for which strings.ToLower and SQL lower() agree, but folding in Go keeps the database
// out of it.
func lowerName(name string) string { return strings.ToLower(name) }

func scanUser(r rowScanner) (store.User, error) {
	var (
		u       store.User
		tags    string
		created int64
	)
	if err := r.Scan(&u.AccountID, &u.UserID, &u.UserName, &u.Path, &u.PermissionsBoundary, &tags, &created); err != nil {
		return store.User{}, err
	}
	var err error
	if u.Tags, err = decodeTags(tags); err != nil {
		return store.User{}, err
	}
	u.CreatedAt = decodeTime(created)
	return u, nil
}

func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create user %q in account %q", u.UserName, u.AccountID)
	tags, err := encodeTags(u.Tags)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireBoundaryPolicy(ctx, tx, u.AccountID, u.PermissionsBoundary); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`, user_name_lower)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			u.AccountID, u.UserID, u.UserName, u.Path, u.PermissionsBoundary, tags,
			encodeTime(u.CreatedAt), lowerName(u.UserName))
		return err
	})
	// A foreign-key failure here means the account does not exist.
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetUser(ctx context.Context, accountID, userName string) (store.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanUser(s.reads().QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE account_id = $1 AND user_name_lower = $2`,
		accountID, lowerName(userName)))
	if err != nil {
		return store.User{}, s.mapErr(fmt.Sprintf("sqlstore: get user %q in account %q", userName, accountID), err, nil)
	}
	return u, nil
}

func (s *Store) GetUserByID(ctx context.Context, userID string) (store.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanUser(s.reads().QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE user_id = $1`, userID))
	if err != nil {
		return store.User{}, s.mapErr(fmt.Sprintf("sqlstore: get user by id %q", userID), err, nil)
	}
	return u, nil
}

type userFixed struct {
	accountID, userID string
	created           int64
}

func (s *Store) UpdateUser(ctx context.Context, userID string, fn func(*store.User) error) (store.User, error) {
	return update(ctx, s, fmt.Sprintf("sqlstore: update user %q", userID), entity[store.User, userFixed]{
		read: func(ctx context.Context, tx *sql.Tx) (store.User, error) {
			return scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE user_id = $1`+s.dialect.forUpdate, userID))
		},
		fixed: func(u store.User) userFixed { return userFixed{u.AccountID, u.UserID, encodeTime(u.CreatedAt)} },
		write: func(ctx context.Context, tx *sql.Tx, u store.User) error {
			if err := requireBoundaryPolicy(ctx, tx, u.AccountID, u.PermissionsBoundary); err != nil {
				return err
			}
			tags, err := encodeTags(u.Tags)
			if err != nil {
				return err
			}
			// The unique index on (account_id, user_name_lower) refuses a rename onto a taken name.
			_, err = tx.ExecContext(ctx, `UPDATE users
				SET user_name = $2, user_name_lower = $3, path = $4, permissions_boundary = $5, tags = $6
				WHERE user_id = $1`,
				u.UserID, u.UserName, lowerName(u.UserName), u.Path, u.PermissionsBoundary, tags)
			return err
		},
	}, fn)
}

// DeleteUser counts what still references the user in the deleting transaction, so the error says
// what remains; the foreign keys of access_keys, inline_policies, attachments, mfa_devices and
// group_members refuse the delete regardless.
func (s *Store) DeleteUser(ctx context.Context, accountID, userID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: delete user %q in account %q", userID, accountID)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE account_id = $1 AND user_id = $2`,
			accountID, userID).Scan(&one); err != nil {
			return err
		}
		if err := checkReferences(ctx, tx, "user", userID, userReferences); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM users WHERE account_id = $1 AND user_id = $2`, accountID, userID)
		return err
	})
	// sql.ErrNoRows becomes ErrNotFound; a foreign-key failure means a reference appeared anyway.
	return s.mapErr(op, err, store.ErrConflict)
}

// pageLimit treats limit <= 0 as no limit and keeps limit+1 (the look-ahead row) in range.
func pageLimit(limit int) int {
	if limit <= 0 || limit >= math.MaxInt32 {
		return math.MaxInt32 - 1
	}
	return limit
}

// ListUsers treats limit <= 0 as no limit.
func (s *Store) ListUsers(ctx context.Context, accountID, pathPrefix, after string, limit int) (store.UserPage, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list users in account %q", accountID)
	limit = pageLimit(limit)
	// The prefix test compares a substring rather than using LIKE: LIKE would need its
	// metacharacters escaped and is case-insensitive on SQLite but not on PostgreSQL. substr and
	// length count characters on both, hence the rune count. One row beyond limit tells whether
	// another page exists.
	users, err := queryAll(ctx, s.reads(), scanUser, `SELECT `+userColumns+` FROM users
		WHERE account_id = $1 AND substr(path, 1, $2) = $3 AND user_name_lower > $4
		ORDER BY user_name_lower`+s.dialect.textOrder+`
		LIMIT $5`,
		accountID, utf8.RuneCountInString(pathPrefix), pathPrefix, lowerName(after), limit+1)
	if err != nil {
		return store.UserPage{}, s.mapErr(op, err, nil)
	}
	var page store.UserPage
	page.Users, page.Next = trimPage(users, limit, func(u store.User) string { return lowerName(u.UserName) })
	return page, nil
}

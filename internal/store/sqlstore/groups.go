package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/store"
)

var _ store.GroupStore = (*Store)(nil)

// Groups and their members (00010_groups.sql).

const groupColumns = `group_id, account_id, group_name, path, created_at`

func scanGroup(r rowScanner) (store.Group, error) {
	var (
		g       store.Group
		created int64
	)
	if err := r.Scan(&g.GroupID, &g.AccountID, &g.GroupName, &g.Path, &created); err != nil {
		return store.Group{}, err
	}
	g.CreatedAt = decodeTime(created)
	return g, nil
}

// CreateGroup counts the account's groups and inserts in one write transaction, so concurrent
// creators never pass the quota together; the unique constraint refuses a taken name and the
// account foreign key an unknown account.
func (s *Store) CreateGroup(ctx context.Context, g store.Group, maxPerAccount int) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create group %q in account %q", g.GroupName, g.AccountID)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM iam_groups WHERE account_id = $1`, g.AccountID).Scan(&n); err != nil {
			return err
		}
		if n >= maxPerAccount {
			return fmt.Errorf("%w: the account already has %d groups (limit %d)", store.ErrLimitExceeded, n, maxPerAccount)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO iam_groups (`+groupColumns+`, group_name_lower)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			g.GroupID, g.AccountID, g.GroupName, g.Path, encodeTime(g.CreatedAt), lowerName(g.GroupName))
		return err
	})
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetGroup(ctx context.Context, accountID, name string) (store.Group, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	g, err := scanGroup(s.reads().QueryRowContext(ctx,
		`SELECT `+groupColumns+` FROM iam_groups WHERE account_id = $1 AND group_name_lower = $2`,
		accountID, lowerName(name)))
	if err != nil {
		return store.Group{}, s.mapErr(fmt.Sprintf("sqlstore: get group %q in account %q", name, accountID), err, nil)
	}
	return g, nil
}

func (s *Store) GetGroupByID(ctx context.Context, groupID string) (store.Group, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	g, err := scanGroup(s.reads().QueryRowContext(ctx, `SELECT `+groupColumns+` FROM iam_groups WHERE group_id = $1`, groupID))
	if err != nil {
		return store.Group{}, s.mapErr(fmt.Sprintf("sqlstore: get group by id %q", groupID), err, nil)
	}
	return g, nil
}

type groupFixed struct {
	id, accountID string
	created       int64
}

func (s *Store) UpdateGroup(ctx context.Context, groupID string, fn func(*store.Group) error) (store.Group, error) {
	return update(ctx, s, fmt.Sprintf("sqlstore: update group %q", groupID), entity[store.Group, groupFixed]{
		read: func(ctx context.Context, tx *sql.Tx) (store.Group, error) {
			return scanGroup(tx.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM iam_groups WHERE group_id = $1`+s.dialect.forUpdate, groupID))
		},
		fixed: func(g store.Group) groupFixed { return groupFixed{g.GroupID, g.AccountID, encodeTime(g.CreatedAt)} },
		write: func(ctx context.Context, tx *sql.Tx, g store.Group) error {
			// The unique constraint on (account_id, group_name_lower) refuses a rename onto a taken name.
			_, err := tx.ExecContext(ctx, `UPDATE iam_groups SET group_name = $2, group_name_lower = $3, path = $4 WHERE group_id = $1`,
				g.GroupID, g.GroupName, lowerName(g.GroupName), g.Path)
			return err
		},
	}, fn)
}

var groupReferences = []reference{
	{"members", `SELECT COUNT(*) FROM group_members WHERE group_id = $1`},
	{"inline policies", `SELECT COUNT(*) FROM inline_policies WHERE group_id = $1`},
	{"attached managed policies", `SELECT COUNT(*) FROM attachments WHERE group_id = $1`},
}

// DeleteGroup counts what still references the group in the deleting transaction, so the error
// says what remains; the foreign keys refuse the delete regardless.
func (s *Store) DeleteGroup(ctx context.Context, accountID, groupID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: delete group %q in account %q", groupID, accountID)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM iam_groups WHERE account_id = $1 AND group_id = $2`+s.dialect.forUpdate,
			accountID, groupID).Scan(&one); err != nil {
			return err
		}
		if err := checkReferences(ctx, tx, "group", groupID, groupReferences); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM iam_groups WHERE account_id = $1 AND group_id = $2`, accountID, groupID)
		return err
	})
	// sql.ErrNoRows becomes ErrNotFound; a foreign-key failure means a reference appeared anyway.
	return s.mapErr(op, err, store.ErrConflict)
}

func (s *Store) ListGroups(ctx context.Context, accountID, pathPrefix, after string, limit int) (store.GroupPage, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	limit = pageLimit(limit)
	list, err := queryAll(ctx, s.reads(), scanGroup, `SELECT `+groupColumns+` FROM iam_groups
		WHERE account_id = $1 AND substr(path, 1, $2) = $3 AND group_name_lower > $4
		ORDER BY group_name_lower`+s.dialect.textOrder+`
		LIMIT $5`,
		accountID, utf8.RuneCountInString(pathPrefix), pathPrefix, lowerName(after), limit+1)
	if err != nil {
		return store.GroupPage{}, s.mapErr(fmt.Sprintf("sqlstore: list groups in account %q", accountID), err, nil)
	}
	var page store.GroupPage
	page.Groups, page.Next = trimPage(list, limit, func(g store.Group) string { return lowerName(g.GroupName) })
	return page, nil
}

// AddUserToGroup reads both accounts, the membership and the user's group count, and inserts, in
// one write transaction: concurrent adds of one user never pass the quota together, and an add
// racing DeleteGroup either lands before the delete's member count (which then refuses) or finds
// the group gone.
func (s *Store) AddUserToGroup(ctx context.Context, groupID, userID string, maxPerUser int) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: add user %q to group %q", userID, groupID)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var groupAccount, userAccount string
		if err := tx.QueryRowContext(ctx, `SELECT account_id FROM iam_groups WHERE group_id = $1`, groupID).Scan(&groupAccount); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT account_id FROM users WHERE user_id = $1`, userID).Scan(&userAccount); err != nil {
			return err
		}
		if groupAccount != userAccount {
			return sql.ErrNoRows
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM group_members WHERE group_id = $1 AND user_id = $2`,
			groupID, userID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil // already a member
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM group_members WHERE user_id = $1`, userID).Scan(&n); err != nil {
			return err
		}
		if n >= maxPerUser {
			return fmt.Errorf("%w: the user already belongs to %d groups (limit %d)", store.ErrLimitExceeded, n, maxPerUser)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)`, groupID, userID)
		return err
	})
	// A foreign-key failure here means the group or the user vanished.
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) RemoveUserFromGroup(ctx context.Context, groupID, userID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, fmt.Sprintf("sqlstore: remove user %q from group %q", userID, groupID),
		`DELETE FROM group_members WHERE group_id = $1 AND user_id = $2`, groupID, userID)
}

func (s *Store) ListGroupMembers(ctx context.Context, groupID string) ([]store.User, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	out, err := queryAll(ctx, s.reads(), scanUser, `SELECT `+prefixed("u.", userColumns)+` FROM users u
		JOIN group_members m ON m.user_id = u.user_id
		WHERE m.group_id = $1
		ORDER BY u.user_name_lower`+s.dialect.textOrder, groupID)
	if err != nil {
		return nil, s.mapErr(fmt.Sprintf("sqlstore: list members of group %q", groupID), err, nil)
	}
	return out, nil
}

func (s *Store) ListGroupsForUser(ctx context.Context, userID string) ([]store.Group, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	out, err := queryAll(ctx, s.reads(), scanGroup, `SELECT `+prefixed("g.", groupColumns)+` FROM iam_groups g
		JOIN group_members m ON m.group_id = g.group_id
		WHERE m.user_id = $1
		ORDER BY g.group_name_lower`+s.dialect.textOrder, userID)
	if err != nil {
		return nil, s.mapErr(fmt.Sprintf("sqlstore: list groups of user %q", userID), err, nil)
	}
	return out, nil
}

// prefixed qualifies every column of a comma-separated list with a table alias.
func prefixed(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

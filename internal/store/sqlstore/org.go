package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/latchkey/latchkey/internal/store"
)

// SetManagementAccount creates or replaces the membership; both accounts must exist (ErrNotFound).
func (s *Store) SetManagementAccount(ctx context.Context, accountID, managementID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO org_members (account_id, management_account_id)
			VALUES ($1, $2)
			ON CONFLICT (account_id) DO UPDATE SET management_account_id = excluded.management_account_id`,
			accountID, managementID)
		return err
	})
	// A foreign-key failure here means one of the accounts does not exist.
	return s.mapErr(fmt.Sprintf("sqlstore: make account %q a member of the organization of %q", accountID, managementID),
		err, store.ErrNotFound)
}

// ManagementAccount answers "" for an account that is not a member, including one that does not exist.
func (s *Store) ManagementAccount(ctx context.Context, accountID string) (string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var mgmt string
	err := s.reads().QueryRowContext(ctx, `SELECT management_account_id FROM org_members WHERE account_id = $1`, accountID).Scan(&mgmt)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", s.mapErr(fmt.Sprintf("sqlstore: get management account of %q", accountID), err, nil)
	}
	return mgmt, nil
}

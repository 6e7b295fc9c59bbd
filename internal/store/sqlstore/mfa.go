package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

const mfaColumns = `serial_number, account_id, path, name, seed_ciphertext, user_id, enabled_at,
	last_used_step, tags, created_at`

func scanMFADevice(r rowScanner) (store.MFADevice, error) {
	var (
		d          store.MFADevice
		seed, tags string
		userID     sql.NullString
		enabled    sql.NullInt64
		created    int64
	)
	if err := r.Scan(&d.SerialNumber, &d.AccountID, &d.Path, &d.Name, &seed, &userID, &enabled,
		&d.LastUsedStep, &tags, &created); err != nil {
		return store.MFADevice{}, err
	}
	var err error
	if d.SeedCiphertext, err = decodeBytes(seed); err != nil {
		return store.MFADevice{}, err
	}
	if d.Tags, err = decodeTags(tags); err != nil {
		return store.MFADevice{}, err
	}
	d.UserID = userID.String
	d.EnabledAt = decodeOptionalTime(enabled)
	d.CreatedAt = decodeTime(created)
	return d, nil
}

// CreateMFADevice stores d as given; a device created already assigned must name a user of its
// own account.
func (s *Store) CreateMFADevice(ctx context.Context, d store.MFADevice) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create MFA device %q", d.SerialNumber)
	tags, err := encodeTags(d.Tags)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO mfa_devices (`+mfaColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			d.SerialNumber, d.AccountID, d.Path, d.Name, encodeBytes(d.SeedCiphertext), ownerID(d.UserID),
			encodeOptionalTime(d.EnabledAt), d.LastUsedStep, tags, encodeTime(d.CreatedAt))
		return err
	})
	// A foreign-key failure here means the account, or the user within it, does not exist.
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetMFADevice(ctx context.Context, serial string) (store.MFADevice, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	d, err := scanMFADevice(s.reads().QueryRowContext(ctx,
		`SELECT `+mfaColumns+` FROM mfa_devices WHERE serial_number = $1`, serial))
	if err != nil {
		return store.MFADevice{}, s.mapErr(fmt.Sprintf("sqlstore: get MFA device %q", serial), err, nil)
	}
	return d, nil
}

// deviceOwner reads whether a device is assigned inside tx; sql.ErrNoRows when it does not exist.
func deviceOwner(ctx context.Context, tx *sql.Tx, serial string) (sql.NullString, error) {
	var userID sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT user_id FROM mfa_devices WHERE serial_number = $1`, serial).Scan(&userID)
	return userID, err
}

// EnableMFADevice records step as the last used one, unless the device already recorded a later
// step (a device deactivated and enabled again never goes back in time).
func (s *Store) EnableMFADevice(ctx context.Context, serial, userID string, at time.Time, step int64) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: enable MFA device %q for user %q", serial, userID)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		owner, err := deviceOwner(ctx, tx, serial)
		if err != nil {
			return err
		}
		if owner.Valid {
			return fmt.Errorf("%w: the device is already assigned", store.ErrConflict)
		}
		_, err = tx.ExecContext(ctx, `UPDATE mfa_devices
			SET user_id = $2, enabled_at = $3,
				last_used_step = CASE WHEN last_used_step > $4 THEN last_used_step ELSE $4 END
			WHERE serial_number = $1`,
			serial, userID, encodeTime(at), step)
		return err
	})
	// A foreign-key failure here means the user does not exist in the device's account.
	return s.mapErr(op, err, store.ErrNotFound)
}

// DeactivateMFADevice keeps LastUsedStep, so codes used before cannot be replayed after the device
// is enabled again. Deactivating an unassigned device changes nothing and succeeds.
func (s *Store) DeactivateMFADevice(ctx context.Context, serial string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, fmt.Sprintf("sqlstore: deactivate MFA device %q", serial),
		`UPDATE mfa_devices SET user_id = NULL, enabled_at = NULL WHERE serial_number = $1`, serial)
}

func (s *Store) DeleteMFADevice(ctx context.Context, serial string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: delete MFA device %q", serial)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		owner, err := deviceOwner(ctx, tx, serial)
		if err != nil {
			return err
		}
		if owner.Valid {
			return fmt.Errorf("%w: the device is assigned to user %q", store.ErrConflict, owner.String)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM mfa_devices WHERE serial_number = $1`, serial)
		return err
	})
	return s.mapErr(op, err, nil)
}

// ListMFADevices orders by serial number.
func (s *Store) ListMFADevices(ctx context.Context, accountID, userID string) ([]store.MFADevice, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list MFA devices of account %q user %q", accountID, userID)
	filter, args := "", []any{accountID}
	if userID != "" {
		filter, args = ` AND user_id = $2`, append(args, userID)
	}
	out, err := queryAll(ctx, s.reads(), scanMFADevice, `SELECT `+mfaColumns+` FROM mfa_devices
		WHERE account_id = $1`+filter+`
		ORDER BY serial_number`+s.dialect.textOrder, args...)
	if err != nil {
		return nil, s.mapErr(op, err, nil)
	}
	return out, nil
}

// UseMFAStep is a conditional UPDATE: of concurrent callers presenting the same step, the database
// lets exactly one change the row.
func (s *Store) UseMFAStep(ctx context.Context, serial string, step int64) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: use step %d of MFA device %q", step, serial)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mfa_devices SET last_used_step = $2
			WHERE serial_number = $1 AND last_used_step < $2`, serial, step)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n > 0 {
			return err
		}
		// Nothing changed: tell a replay from a missing device.
		if _, err := deviceOwner(ctx, tx, serial); err != nil {
			return err
		}
		return fmt.Errorf("%w: step %d is not newer than the last used one", store.ErrConflict, step)
	})
	return s.mapErr(op, err, nil)
}

// mfaFixed is every field of a device but its tags.
type mfaFixed struct {
	serial, accountID, path, name, seed, userID string
	enabled                                     sql.NullInt64
	lastUsedStep                                int64
	created                                     int64
}

func (s *Store) UpdateMFADevice(ctx context.Context, serial string, fn func(*store.MFADevice) error) (store.MFADevice, error) {
	return update(ctx, s, fmt.Sprintf("sqlstore: update MFA device %q", serial), entity[store.MFADevice, mfaFixed]{
		read: func(ctx context.Context, tx *sql.Tx) (store.MFADevice, error) {
			return scanMFADevice(tx.QueryRowContext(ctx, `SELECT `+mfaColumns+` FROM mfa_devices WHERE serial_number = $1`+s.dialect.forUpdate, serial))
		},
		fixed: func(d store.MFADevice) mfaFixed {
			return mfaFixed{d.SerialNumber, d.AccountID, d.Path, d.Name, string(d.SeedCiphertext), d.UserID,
				encodeOptionalTime(d.EnabledAt), d.LastUsedStep, encodeTime(d.CreatedAt)}
		},
		write: func(ctx context.Context, tx *sql.Tx, d store.MFADevice) error {
			tags, err := encodeTags(d.Tags)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE mfa_devices SET tags = $2 WHERE serial_number = $1`, d.SerialNumber, tags)
			return err
		},
	}, fn)
}

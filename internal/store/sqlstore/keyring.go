package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

const signingKeyColumns = `id, purpose, material, active_from, retire_at, verify_until, created_at`

func scanSigningKey(r rowScanner) (store.SigningKey, error) {
	var (
		k                   store.SigningKey
		material            string
		activeFrom, created int64
		retire, verify      sql.NullInt64
	)
	if err := r.Scan(&k.ID, &k.Purpose, &material, &activeFrom, &retire, &verify, &created); err != nil {
		return store.SigningKey{}, err
	}
	var err error
	if k.Material, err = decodeBytes(material); err != nil {
		return store.SigningKey{}, err
	}
	k.ActiveFrom = decodeTime(activeFrom)
	k.RetireAt = decodeOptionalTime(retire)
	k.VerifyUntil = decodeOptionalTime(verify)
	k.CreatedAt = decodeTime(created)
	return k, nil
}

func (s *Store) AddSigningKey(ctx context.Context, k store.SigningKey) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			k.ID, k.Purpose, encodeBytes(k.Material), encodeTime(k.ActiveFrom),
			encodeOptionalTime(k.RetireAt), encodeOptionalTime(k.VerifyUntil), encodeTime(k.CreatedAt))
		return err
	})
	return s.mapErr(fmt.Sprintf("sqlstore: add signing key %q to ring %q", k.ID, k.Purpose), err, nil)
}

// ListSigningKeys returns every stored key of the ring, oldest (by CreatedAt, then id) first,
// including retired keys whose VerifyUntil has passed until DeleteExpiredSigningKeys removes them.
func (s *Store) ListSigningKeys(ctx context.Context, purpose string) ([]store.SigningKey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: list signing keys of ring %q", purpose)
	out, err := queryAll(ctx, s.reads(), scanSigningKey, `SELECT `+signingKeyColumns+` FROM signing_keys
		WHERE purpose = $1
		ORDER BY created_at, id`+s.dialect.textOrder, purpose)
	if err != nil {
		return nil, s.mapErr(op, err, nil)
	}
	return out, nil
}

// RetireSigningKeys treats a key as not yet retired when it has no RetireAt or one later than at;
// keys retired earlier keep their times. keepID must name a key of the ring, or nothing changes
// and the call fails with ErrNotFound: retiring every key would leave the ring without a signer.
func (s *Store) RetireSigningKeys(ctx context.Context, purpose, keepID string, at, verifyUntil time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: retire the keys of ring %q except %q", purpose, keepID)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM signing_keys WHERE id = $1 AND purpose = $2`, keepID, purpose).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("the ring has no key %q to keep: %w", keepID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE signing_keys SET retire_at = $3, verify_until = $4
			WHERE purpose = $1 AND id <> $2 AND (retire_at IS NULL OR retire_at > $3)`,
			purpose, keepID, encodeTime(at), encodeTime(verifyUntil))
		return err
	})
	return s.mapErr(op, err, nil)
}

// DeleteExpiredSigningKeys removes keys whose VerifyUntil is strictly before now; keys without a
// VerifyUntil are never expired.
func (s *Store) DeleteExpiredSigningKeys(ctx context.Context, purpose string, now time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM signing_keys
			WHERE purpose = $1 AND verify_until IS NOT NULL AND verify_until < $2`,
			purpose, encodeTime(now))
		return err
	})
	return s.mapErr(fmt.Sprintf("sqlstore: delete expired signing keys of ring %q", purpose), err, nil)
}

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/latchkey/latchkey/internal/store"
)

func (s *Store) GetMeta(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: get meta %q", key)
	var v string
	err := s.reads().QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if err != nil {
		return nil, s.mapErr(op, err, nil)
	}
	b, err := decodeBytes(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return b, nil
}

func (s *Store) PutMetaIfAbsent(ctx context.Context, key string, value []byte) ([]byte, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: put meta %q", key)
	// ON CONFLICT DO NOTHING lets concurrent nodes race to initialise a key without a lock: one
	// insert wins and every caller reads the winner back in the same transaction.
	var v string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
			key, encodeBytes(value)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	})
	if err != nil {
		return nil, s.mapErr(op, err, nil)
	}
	b, err := decodeBytes(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return b, nil
}

func (s *Store) CreateAccount(ctx context.Context, a store.Account) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, created_at) VALUES ($1, $2)`,
			a.ID, encodeTime(a.CreatedAt))
		return err
	})
	return s.mapErr(fmt.Sprintf("sqlstore: create account %q", a.ID), err, nil)
}

func (s *Store) GetAccount(ctx context.Context, id string) (store.Account, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var created int64
	err := s.reads().QueryRowContext(ctx, `SELECT created_at FROM accounts WHERE id = $1`, id).Scan(&created)
	if err != nil {
		return store.Account{}, s.mapErr(fmt.Sprintf("sqlstore: get account %q", id), err, nil)
	}
	return store.Account{ID: id, CreatedAt: decodeTime(created)}, nil
}

func (s *Store) ListAccounts(ctx context.Context) ([]store.Account, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	const op = "sqlstore: list accounts"
	out, err := queryAll(ctx, s.reads(), scanAccount, `SELECT id, created_at FROM accounts ORDER BY id`+s.dialect.textOrder)
	if err != nil {
		return nil, s.mapErr(op, err, nil)
	}
	return out, nil
}

func scanAccount(r rowScanner) (store.Account, error) {
	var (
		a       store.Account
		created int64
	)
	if err := r.Scan(&a.ID, &created); err != nil {
		return store.Account{}, err
	}
	a.CreatedAt = decodeTime(created)
	return a, nil
}

package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/latchkey/latchkey/internal/store"
)

var _ store.WorkloadStore = (*Store)(nil)

// Container bindings (00008_workloads.sql).

const containerBindingColumns = `name, account_id, role_arn, session_name, duration_seconds, token_hash, created_at`

func scanContainerBinding(r rowScanner) (store.ContainerBinding, error) {
	var (
		b       store.ContainerBinding
		hash    string
		created int64
	)
	if err := r.Scan(&b.Name, &b.AccountID, &b.RoleARN, &b.SessionName, &b.DurationSeconds, &hash, &created); err != nil {
		return store.ContainerBinding{}, err
	}
	var err error
	if b.TokenHash, err = decodeBytes(hash); err != nil {
		return store.ContainerBinding{}, err
	}
	b.CreatedAt = decodeTime(created)
	return b, nil
}

// CreateContainerBinding relies on the primary key for uniqueness and on the account foreign key
// for the account's existence.
func (s *Store) CreateContainerBinding(ctx context.Context, b store.ContainerBinding) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	op := fmt.Sprintf("sqlstore: create container binding %q", b.Name)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO container_bindings (`+containerBindingColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			b.Name, b.AccountID, b.RoleARN, b.SessionName, b.DurationSeconds, encodeBytes(b.TokenHash), encodeTime(b.CreatedAt))
		return err
	})
	return s.mapErr(op, err, store.ErrNotFound)
}

func (s *Store) GetContainerBinding(ctx context.Context, name string) (store.ContainerBinding, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	b, err := scanContainerBinding(s.reads().QueryRowContext(ctx,
		`SELECT `+containerBindingColumns+` FROM container_bindings WHERE name = $1`, name))
	if err != nil {
		return store.ContainerBinding{}, s.mapErr(fmt.Sprintf("sqlstore: get container binding %q", name), err, nil)
	}
	return b, nil
}

func (s *Store) ListContainerBindings(ctx context.Context) ([]store.ContainerBinding, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	out, err := queryAll(ctx, s.reads(), scanContainerBinding,
		`SELECT `+containerBindingColumns+` FROM container_bindings ORDER BY name`+s.dialect.textOrder)
	if err != nil {
		return nil, s.mapErr("sqlstore: list container bindings", err, nil)
	}
	return out, nil
}

func (s *Store) DeleteContainerBinding(ctx context.Context, name string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM container_bindings WHERE name = $1`, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return sql.ErrNoRows
		}
		return nil
	})
	return s.mapErr(fmt.Sprintf("sqlstore: delete container binding %q", name), err, nil)
}

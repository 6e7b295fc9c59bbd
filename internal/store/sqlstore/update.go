package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/latchkey/latchkey/internal/store"
)

// updaterError carries the error an updater returned through the transaction, so that retry
// never takes it for a lost race and the caller gets it back exactly as the updater made it.
type updaterError struct{ err error }

func (e updaterError) Error() string { return e.err.Error() }
func (e updaterError) Unwrap() error { return e.err }

// errFixedField reports an updater that changed a field its entity keeps; the fields are not
// named with their values, which may be identifiers the caller should not see in logs twice.
var errFixedField = errors.New("the updater changed a field that cannot change; nothing was written")

// entity is what the read-modify-write of one kind of row needs. F is a comparable snapshot of
// the fields an updater may not change.
type entity[T any, F comparable] struct {
	// read loads the row inside tx, locked for writing (see dialect.forUpdate); sql.ErrNoRows
	// when it does not exist.
	read func(ctx context.Context, tx *sql.Tx) (T, error)
	// fixed snapshots the fields an updater may not change.
	fixed func(T) F
	// write stores the fields an updater may change.
	write func(ctx context.Context, tx *sql.Tx, v T) error
	// fkErr is what a foreign-key failure of write means (see mapErr).
	fkErr error
}

// update is the read-modify-write every Update… method runs (see "Updaters" in package store):
// read the locked row, let fn change a copy, refuse changes to fixed fields, write, and read back
// what was stored. The whole transaction, fn included, runs again when it loses a race.
func update[T any, F comparable](ctx context.Context, s *Store, op string, e entity[T, F], fn func(*T) error) (T, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var out T
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := e.read(ctx, tx)
		if err != nil {
			return err
		}
		before := e.fixed(cur)
		if err := fn(&cur); err != nil {
			return updaterError{err}
		}
		if e.fixed(cur) != before {
			return errFixedField
		}
		if err := e.write(ctx, tx, cur); err != nil {
			return err
		}
		// Reading back gives the caller the row as the database holds it (times at the stored
		// precision, empty lists as nil, computed counts), which is what later reads return.
		out, err = e.read(ctx, tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, s.updateErr(op, err, e.fkErr)
	}
	return out, nil
}

// updateErr maps the final error of an updater's transaction: the updater's own error unchanged,
// a race lost on every attempt as ErrConcurrentModification, anything else as mapErr does.
func (s *Store) updateErr(op string, err, fkErr error) error {
	var ue updaterError
	if errors.As(err, &ue) {
		return ue.err
	}
	if s.retryKind(err) == kindRetryable {
		return fmt.Errorf("%s: %w: %w: %w", op, store.ErrConcurrentModification, store.ErrUnavailable, err)
	}
	return s.mapErr(op, err, fkErr)
}

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"
)

// retryPolicy bounds how long an operation keeps losing races, or failing to reach the database,
// before the store reports the database as unavailable. On SQLite a loser has usually already
// waited busy_timeout inside the driver, so a few attempts suffice; on PostgreSQL serialization
// failures (SQLSTATE 40001) are cheap to retry and more frequent (see pgRetry).
type retryPolicy struct {
	// attempts bounds the runs of an operation that keeps losing races (kindRetryable).
	attempts int
	// reconnects bounds the runs of an operation that keeps failing to reach the database in a
	// way that is safe to repeat (kindReconnect, or a transaction cut off before its COMMIT).
	reconnects int
	base       time.Duration
	max        time.Duration
}

var defaultRetry = retryPolicy{attempts: 5, reconnects: 1, base: 5 * time.Millisecond, max: 200 * time.Millisecond}

// uncommitted marks a transaction error that happened before COMMIT was sent: whatever the
// failure (even a dropped connection), the server rolled the transaction back, so running it again
// is safe. An error of the COMMIT itself is not marked: the server may have committed.
type uncommitted struct{ err error }

func (e uncommitted) Error() string { return e.err.Error() }
func (e uncommitted) Unwrap() error { return e.err }

// retryKind says whether, and under which budget, err may be retried.
func (s *Store) retryKind(err error) errKind {
	var ue updaterError
	if errors.As(err, &ue) {
		// An updater's refusal is an answer, never a race, whatever it wraps.
		return kindOther
	}
	k := s.dialect.classify(err)
	var u uncommitted
	if k == kindUnavailable && errors.As(err, &u) && !statementCanceled(err) {
		return kindReconnect
	}
	return k
}

// statementCanceled: the server cancelled the statement (SQLSTATE 57014, a statement_timeout set
// by an operator). Running it again would only load an overloaded server once more.
func statementCanceled(err error) bool {
	var st interface{ SQLState() string }
	return errors.As(err, &st) && st.SQLState() == "57014"
}

// retry runs op until it succeeds, fails with an error that may not be repeated, a retry budget
// is used up or ctx ends. op must be safe to run again from the start: a whole transaction, a read,
// or a connection attempt, never a part of a transaction. A failure whose outcome is unknown (the
// connection broke during COMMIT) is not retried; database/sql itself retries the statements that
// never left a broken pooled connection.
func (s *Store) retry(ctx context.Context, op func(context.Context) error) error {
	delay := s.retryPolicy.base
	races, reconnects := 0, 0
	for {
		err := op(ctx)
		if err == nil {
			return nil
		}
		switch s.retryKind(err) {
		case kindRetryable:
			races++
			if races >= s.retryPolicy.attempts {
				return err
			}
		case kindReconnect:
			reconnects++
			if reconnects >= s.retryPolicy.reconnects {
				return err
			}
			// A connection the server ended usually means a restart or a failover, which
			// ended every other connection of the pool too: open fresh ones rather than
			// failing once on each stale one.
			s.dropIdleConns()
		default:
			return err
		}
		if ctx.Err() != nil {
			return err
		}
		// Full jitter, so that the writers that collided do not collide again in lockstep.
		t := time.NewTimer(rand.N(delay) + 1)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay = min(2*delay, s.retryPolicy.max)
	}
}

// inTx runs fn in a write transaction, retried as a whole. fn returns driver errors unwrapped so
// that retry can classify them; the caller maps the final error. Every write of the store goes
// through here, single statements included: a statement whose connection broke is then known not
// to have been applied, unless the COMMIT itself was cut off.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) (err error) {
	defer s.observe("write", time.Now(), &err)
	return stripMarker(s.retry(ctx, func(ctx context.Context) error {
		tx, err := s.db.BeginTx(ctx, s.dialect.txOptions)
		if err != nil {
			return uncommitted{err}
		}
		if err := fn(tx); err != nil {
			_ = tx.Rollback()
			return uncommitted{err}
		}
		return tx.Commit()
	}))
}

// read runs a read, retried from the start when its connection fails: reads change nothing, so
// repeating one is always safe.
func (s *Store) read(ctx context.Context, fn func(context.Context) error) (err error) {
	defer s.observe("read", time.Now(), &err)
	return stripMarker(s.retry(ctx, func(ctx context.Context) error {
		if err := fn(ctx); err != nil {
			return uncommitted{err}
		}
		return nil
	}))
}

// observe reports an operation that began at start and ended with *err to the observer.
func (s *Store) observe(kind string, start time.Time, err *error) {
	if s.observer != nil {
		s.observer.StoreOp(kind, time.Since(start), s.errorKind(*err))
	}
}

// errorKind classes an operation's final error for the metrics, from a closed set: "" (success,
// no row, or an updater's own refusal, which are answers), unique, foreign_key, conflict (races
// lost after every retry), unavailable, canceled or other.
func (s *Store) errorKind(err error) string {
	var ue updaterError
	switch {
	case err == nil, errors.Is(err, sql.ErrNoRows), errors.As(err, &ue):
		return ""
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	switch s.dialect.classify(err) {
	case kindUnique:
		return "unique"
	case kindForeignKey:
		return "foreign_key"
	case kindRetryable:
		return "conflict"
	case kindUnavailable, kindReconnect:
		return "unavailable"
	}
	return "other"
}

func stripMarker(err error) error {
	if u, ok := err.(uncommitted); ok {
		return u.err
	}
	return err
}

// readPool has the query methods of the read pool that the store's reads call, each retried as
// read does. Errors met while iterating the rows of a query are not retried.
type readPool struct{ s *Store }

func (s *Store) reads() readPool { return readPool{s} }

// QueryRowContext defers the query to Scan, as database/sql does, so that the retry covers it.
func (p readPool) QueryRowContext(ctx context.Context, query string, args ...any) *retriedRow {
	return &retriedRow{s: p.s, ctx: ctx, query: query, args: args}
}

func (p readPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	var rows *sql.Rows
	err := p.s.read(ctx, func(ctx context.Context) error {
		var err error
		rows, err = p.s.rdb.QueryContext(ctx, query, args...)
		return err
	})
	return rows, err
}

type retriedRow struct {
	s     *Store
	ctx   context.Context
	query string
	args  []any
}

func (r *retriedRow) Scan(dest ...any) error {
	return r.s.read(r.ctx, func(ctx context.Context) error {
		if st := r.s.readStmts.get(ctx, r.query); st != nil {
			return st.QueryRowContext(ctx, r.args...).Scan(dest...)
		}
		return r.s.rdb.QueryRowContext(ctx, r.query, r.args...).Scan(dest...)
	})
}

// dropIdleConns closes the idle connections of the pools (only the PostgreSQL pool keeps a
// configurable number of them).
func (s *Store) dropIdleConns() {
	if s.maxIdleConns <= 0 {
		return
	}
	s.db.SetMaxIdleConns(0)
	s.db.SetMaxIdleConns(s.maxIdleConns)
}

// bound limits one store operation, retries included, to the dialect's operation timeout, so that
// a database that stops answering fails requests instead of holding them. The caller defers the
// returned cancel.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.opTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.opTimeout)
}

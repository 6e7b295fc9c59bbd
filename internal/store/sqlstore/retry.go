package sqlstore

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"time"
)

// retryPolicy bounds how long a write keeps losing races before the store reports the database as
// unavailable. On SQLite a loser has usually already waited busy_timeout inside the driver, so a
// few attempts suffice; on PostgreSQL serialization failures (SQLSTATE 40001) are cheap to retry.
type retryPolicy struct {
	attempts int
	base     time.Duration
	max      time.Duration
}

var defaultRetry = retryPolicy{attempts: 5, base: 5 * time.Millisecond, max: 200 * time.Millisecond}

// retry runs op until it succeeds, fails with an error the dialect does not call retryable, the
// attempts are used up or ctx ends. op must be safe to run again from the start: a whole
// transaction or a single autocommit statement, never a part of a transaction.
func (s *Store) retry(ctx context.Context, op func(context.Context) error) error {
	delay := s.retryPolicy.base
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil || attempt >= s.retryPolicy.attempts || s.dialect.classify(err) != kindRetryable {
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
// that retry can classify them; the caller maps the final error.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.retry(ctx, func(ctx context.Context) error {
		tx, err := s.db.BeginTx(ctx, s.dialect.txOptions)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

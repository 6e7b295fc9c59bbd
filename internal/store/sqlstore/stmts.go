package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// Prepared statements (SQLite only). The modernc driver parses and plans the SQL of every call that
// is not prepared, which costs more than running the statement on the hot paths (a single-row read
// by key, an insert). A statement prepared once on a pool is reused on every connection of the pool
// (database/sql prepares it again, transparently, on a connection that has not seen it), and SQLite
// re-prepares it by itself after a schema change. PostgreSQL's driver keeps its own statement
// cache, so these are left nil there and every query runs as written.

// maxCachedStmts bounds a statement cache. The queries are this package's own constants, so the
// bound is not reached in practice; past it, a query simply runs unprepared.
const maxCachedStmts = 256

// stmtCache prepares each query the first time it runs on db and keeps it. A nil cache prepares
// nothing.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// get returns query prepared on the cache's pool, or nil when it is to run unprepared: the cache
// is nil or full, or preparing failed (the unprepared run then reports the error, retried and
// classified like any other). It must not be called while holding the pool's last connection (a
// transaction on the single-connection writer), since preparing takes a connection.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	st, ok := c.m[query]
	full := len(c.m) >= maxCachedStmts
	c.mu.RUnlock()
	if ok || full {
		return st
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok {
		// Another caller prepared it meanwhile.
		_ = st.Close()
		return prev
	}
	if len(c.m) >= maxCachedStmts {
		_ = st.Close()
		return nil
	}
	c.m[query] = st
	return st
}

// prepareAll prepares queries on the cache's pool now, for use inside transactions (see bind),
// where get cannot prepare on the single-connection writer.
func (c *stmtCache) prepareAll(ctx context.Context, queries ...string) error {
	for _, q := range queries {
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.m[q] = st
		c.mu.Unlock()
	}
	return nil
}

// close closes every statement of the cache.
func (c *stmtCache) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// execer runs one statement inside a transaction: a *sql.Tx, or a preparedTx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// preparedTx runs, inside tx, the queries the cache holds already prepared (without preparing
// anything: see prepareAll), and any other query as written.
type preparedTx struct {
	tx    *sql.Tx
	c     *stmtCache
	bound map[string]*sql.Stmt // the cache's statements bound to tx, closed with it
}

// bind returns tx running the cache's prepared statements.
func (c *stmtCache) bind(tx *sql.Tx) *preparedTx {
	return &preparedTx{tx: tx, c: c, bound: make(map[string]*sql.Stmt)}
}

func (p *preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st, ok := p.bound[query]; ok {
		return st.ExecContext(ctx, args...)
	}
	if p.c != nil {
		p.c.mu.RLock()
		st, ok := p.c.m[query]
		p.c.mu.RUnlock()
		if ok {
			// Reuses the statement prepared on the transaction's connection; closed with tx.
			txst := p.tx.StmtContext(ctx, st)
			p.bound[query] = txst
			return txst.ExecContext(ctx, args...)
		}
	}
	return p.tx.ExecContext(ctx, query, args...)
}

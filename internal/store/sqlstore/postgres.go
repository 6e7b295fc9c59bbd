package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/latchkey/latchkey/internal/store"
)

// PostgreSQL settings. They are constants rather than configuration because the guarantees the
// documentation gives (how long a request may wait on a database that is gone) follow from them.
const (
	// pgConnectTimeout bounds one connection attempt (dial, TLS and authentication) when the URL
	// sets no connect_timeout of its own.
	pgConnectTimeout = 5 * time.Second
	// pgOpTimeout bounds one store operation, retries included: a database that stops answering
	// (a network partition rather than a refused connection) fails requests after this long
	// instead of holding them until TCP gives up.
	pgOpTimeout = 10 * time.Second
	// Pool sizes per node. Every node opens at most pgMaxOpenConns connections, so N nodes need
	// max_connections >= N * pgMaxOpenConns plus room for operators.
	pgMaxOpenConns = 20
	pgMaxIdleConns = 10
	// Connections are recycled now and then so that a load balancer or failover in front of the
	// database redistributes them.
	pgConnMaxLifetime = 30 * time.Minute
	pgConnMaxIdleTime = 5 * time.Minute
)

// pgRetry: a serializable transaction that lost a race is retried until it wins; with k writers
// contending for one row set, each round commits at least one of them, so the attempts cover the
// concurrency a node produces in practice. Connection failures that happened before anything
// reached the server get a few quick reconnects, so a restarted server or a recycled connection
// costs no request, while a server that is down fails requests within a second.
var pgRetry = retryPolicy{attempts: 12, reconnects: 3, base: 5 * time.Millisecond, max: 250 * time.Millisecond}

var pgDialect = dialect{
	name:  "postgres",
	goose: goose.DialectPostgres,
	// Serializable makes every read-check-write transaction of the store (per-owner limits, the
	// policy version counter, the MFA compare-and-set) behave as it does under SQLite's single
	// writer; the losers of a race fail with SQLSTATE 40001 and are retried.
	txOptions: &sql.TxOptions{Isolation: sql.LevelSerializable},
	// PostgreSQL sorts text by the database's collation; "C" sorts by byte, which for UTF-8 is code
	// point order, as SQLite's BINARY does.
	textOrder: ` COLLATE "C"`,
	forUpdate: ` FOR UPDATE`,
	classify:  classifyPostgres,
}

// classifyPostgres reads SQLSTATEs and pgx's connection errors. Authentication and "no such
// database" are unavailability rather than bugs: the request cannot be served until an operator
// fixes the deployment.
func classifyPostgres(err error) errKind {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "28") || pe.Code == "3D000") {
			return kindUnavailable // wrong password or database: retrying cannot help
		}
		// Nothing was sent: the server is down, starting, shutting down or unreachable.
		return kindReconnect
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505": // unique_violation
			return kindUnique
		case pe.Code == "23503": // foreign_key_violation
			return kindForeignKey
		case pe.Code == "40001", pe.Code == "40P01", pe.Code == "55P03":
			// serialization_failure, deadlock_detected, lock_not_available
			return kindRetryable
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"), // insufficient resources (too many connections, disk full)
			strings.HasPrefix(pe.Code, "57"), // operator intervention (shutdown, cancel, statement timeout)
			strings.HasPrefix(pe.Code, "58"), // system error (I/O)
			pe.Code == "25006",               // read_only_sql_transaction: connected to a standby after a failover
			pe.Code == "40003":               // statement_completion_unknown
			return kindUnavailable
		}
		return kindOther
	}
	if pgconn.SafeToRetry(err) {
		return kindReconnect
	}
	var ne net.Error
	switch {
	case pgconn.Timeout(err), errors.As(err, &ne), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return kindUnavailable
	}
	return classifyCommon(err)
}

// openPostgres connects to rawURL, applies the migrations under the table lock and returns the
// store. Errors never contain the URL's password.
func openPostgres(ctx context.Context, rawURL string) (*Store, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: parse the PostgreSQL URL: %s", redactSecrets(err.Error(), rawURL))
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "latchkey"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(pgMaxOpenConns)
	db.SetMaxIdleConns(pgMaxIdleConns)
	db.SetConnMaxLifetime(pgConnMaxLifetime)
	db.SetConnMaxIdleTime(pgConnMaxIdleTime)

	s := &Store{dialect: pgDialect, retryPolicy: pgRetry, opTimeout: pgOpTimeout, maxIdleConns: pgMaxIdleConns, db: db, rdb: db}
	pingCtx, cancel := context.WithTimeout(ctx, pgOpTimeout)
	defer cancel()
	if err := s.retry(pingCtx, db.PingContext); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlstore: connect to PostgreSQL: %w: %s", store.ErrUnavailable, redactSecrets(err.Error(), rawURL))
	}
	if err := s.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, redactErr(err, rawURL)
	}
	return s, nil
}

// redactErr returns err, or when its text contains the URL's password, an error with the password
// removed that still matches store.ErrUnavailable if err did.
func redactErr(err error, rawURL string) error {
	msg := redactSecrets(err.Error(), rawURL)
	if msg == err.Error() {
		return err
	}
	if errors.Is(err, store.ErrUnavailable) {
		return &redactedError{msg: msg, sentinel: store.ErrUnavailable}
	}
	return &redactedError{msg: msg}
}

type redactedError struct {
	msg      string
	sentinel error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.sentinel }

// migrationLockID names the row of goose_lock that latchkey's migrations take.
const migrationLockID = 0x6c617463686b6579 // "latchkey" in ASCII

// postgresLocker serializes migrations across nodes with a lease row in a table (goose_lock),
// not an advisory lock: PostgreSQL-wire distributed databases do not all have advisory locks. A
// node that dies holding it delays the others by at most the lease.
func postgresLocker() (lock.Locker, error) {
	return lock.NewPostgresTableLocker(
		lock.WithTableLockID(migrationLockID),
		lock.WithTableLeaseDuration(30*time.Second),
		lock.WithTableHeartbeatInterval(5*time.Second),
		// Another node migrating: look again every half second, for up to two minutes (more
		// than a lease, so a dead holder's lock is always taken over before giving up).
		lock.WithTableLockTimeout(500*time.Millisecond, 240),
		lock.WithTableUnlockTimeout(500*time.Millisecond, 20),
		// Only losing the race is worth waiting for; an unreachable database fails at once.
		lock.WithTableRetryPolicy(func(err error) bool {
			switch classifyPostgres(err) {
			case kindUnavailable, kindReconnect:
				return false
			}
			return true
		}),
	)
}

// redactSecrets removes the password of rawURL, in every spelling a library might print it,
// from msg.
func redactSecrets(msg, rawURL string) string {
	var secrets []string
	if u, err := url.Parse(rawURL); err == nil {
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p)
		}
		for _, p := range u.Query()["password"] {
			secrets = append(secrets, p)
		}
	}
	// A URL that does not parse: take what stands between the first ':' after the scheme and the
	// last '@' of the authority.
	if rest, ok := strings.CutPrefix(rawURL, "postgres://"); ok || strings.HasPrefix(rawURL, "postgresql://") {
		if !ok {
			rest = strings.TrimPrefix(rawURL, "postgresql://")
		}
		authority, _, _ := strings.Cut(rest, "/")
		if at := strings.LastIndex(authority, "@"); at >= 0 {
			if _, pw, ok := strings.Cut(authority[:at], ":"); ok {
				secrets = append(secrets, pw)
			}
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s), url.UserPassword("", s).String()[1:]} {
			if form != "" {
				msg = strings.ReplaceAll(msg, form, "xxxxx")
			}
		}
	}
	return msg
}

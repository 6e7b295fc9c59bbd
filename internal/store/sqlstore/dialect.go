package sqlstore

import (
	"database/sql"
	"database/sql/driver"
	"errors"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// errKind is what the store needs to know about a driver error, independent of the driver.
type errKind int

const (
	kindOther errKind = iota
	kindUnique
	kindForeignKey
	// kindRetryable: the transaction lost a race (SQLITE_BUSY, or serialization failure on
	// PostgreSQL) and running it again from the start is safe and expected to succeed.
	kindRetryable
	kindUnavailable
	// kindReconnect: the database could not be reached, and the failure happened before anything
	// reached the server (a refused or timed-out connection attempt), so running the operation
	// again is safe. The store retries it a few times, then reports it as unavailable.
	kindReconnect
)

// dialect holds everything that differs between backends, so that queries, migrations and the
// Store methods exist once.
//
// Placeholders: every query is written with numbered $N placeholders. PostgreSQL requires them and
// SQLite accepts them (modernc binds $N to the N-th argument, TestDollarPlaceholders checks it), so
// there is one set of SQL strings and no rebinding step. A backend that only understands `?` would
// add a rewrite here rather than a second copy of the queries.
type dialect struct {
	name  string
	goose goose.Dialect
	// txOptions: PostgreSQL needs LevelSerializable so that read-then-write transactions (the
	// per-owner key count) cannot interleave; SQLite gets the same guarantee from BEGIN IMMEDIATE.
	txOptions *sql.TxOptions
	// textOrder is appended to ORDER BY on text columns so every backend sorts by code point, as
	// SQLite's BINARY collation does; PostgreSQL would otherwise use the database's locale.
	textOrder string
	// forUpdate ends the SELECT with which an updater reads its row inside its write transaction.
	// On PostgreSQL, FOR UPDATE makes concurrent updaters of one row queue on its lock instead of
	// all computing and then all but one failing at COMMIT; a serializable transaction that waited
	// still fails with a serialization error once the holder commits (its snapshot is older), and
	// is retried. SQLite has no row locks and needs none: BEGIN IMMEDIATE already holds the
	// database's write lock before the read.
	forUpdate string
	// classify reads the driver's error codes (see classifySQLite and classifyPostgres);
	// everything else in the package is shared.
	classify func(error) errKind
}

var sqliteDialect = dialect{
	name:      "sqlite",
	goose:     goose.DialectSQLite3,
	txOptions: nil,
	textOrder: "",
	forUpdate: "",
	classify:  classifySQLite,
}

func classifySQLite(err error) errKind {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return kindUnique
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return kindForeignKey
		}
		// Extended result codes are on, so compare the primary code in the low byte.
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return kindRetryable
		case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL,
			sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOTADB:
			return kindUnavailable
		}
		return kindOther
	}
	return classifyCommon(err)
}

// classifyCommon covers database/sql's own failures, which look the same for every driver.
func classifyCommon(err error) errKind {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return kindUnavailable
	}
	return kindOther
}

package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/latchkey/latchkey/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// ErrUnsupportedBackend is returned by Open for a database URL whose backend this build cannot use.
var ErrUnsupportedBackend = errors.New("sqlstore: unsupported database backend")

// Store implements store.Store on a SQL database.
type Store struct {
	dialect     dialect
	retryPolicy retryPolicy
	// opTimeout bounds each operation (see bound); 0 leaves it to the caller's context.
	opTimeout time.Duration
	// maxIdleConns is the idle-connection limit of db that dropIdleConns restores; 0 for SQLite,
	// whose connections cannot go stale.
	maxIdleConns int
	// db carries every write. On SQLite it holds a single connection: SQLite admits one writer at a
	// time anyway, and queueing writers in the pool is fairer and faster than letting them poll the
	// file lock through busy_timeout.
	db *sql.DB
	// rdb carries reads. On SQLite it is a separate read-only pool, because WAL lets readers run
	// beside the writer; a backend without a single-writer limit would use db for both.
	rdb *sql.DB
	// observer records each operation's latency and error kind; nil records nothing.
	observer Observer
	// identityGroup batches concurrent CreateIdentity calls into one transaction (SQLite only).
	identityGroup identityGroup
	// readStmts prepares the single-row reads of rdb and writeStmts holds the group commit's
	// statements prepared on db (SQLite only; nil on PostgreSQL: see stmts.go).
	readStmts, writeStmts *stmtCache
}

// Observer records one store operation: its kind ("read" or "write"), how long it took, retries
// included, and the kind of its final error ("" for a success; see errorKind).
type Observer interface {
	StoreOp(kind string, d time.Duration, errKind string)
}

// Options tune OpenWith.
type Options struct {
	// Observer, when set, records every read and write (the metrics).
	Observer Observer
}

var _ store.Store = (*Store)(nil)

// Open opens the database named by databaseURL and applies pending migrations.
//
// databaseURL is a SQLite file path, sqlite://<path> or file:<path> (a missing parent directory
// is created), or a postgres:// or postgresql:// URL in libpq's form (its query parameters, such
// as sslmode or connect_timeout, are the driver's). Several processes may open one PostgreSQL
// database at once: migrations run under a table-based lock. Errors never contain the URL's
// password.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	return OpenWith(ctx, databaseURL, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, databaseURL string, o Options) (*Store, error) {
	backend, path, err := parseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	var s *Store
	if backend == "postgres" {
		s, err = openPostgres(ctx, databaseURL)
	} else {
		s, err = openSQLite(ctx, path)
	}
	if err != nil {
		return nil, err
	}
	s.observer = o.Observer
	return s, nil
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: resolve database path %q: %w", path, err)
	}
	if err := createPrivateFile(abs); err != nil {
		return nil, err
	}

	writer, err := sql.Open("sqlite", sqliteDSN(abs, false))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", abs, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	s := &Store{dialect: sqliteDialect, retryPolicy: defaultRetry, db: writer, rdb: writer}
	// The first connection switches the file to WAL, so it must exist before any reader connects.
	if err := writer.PingContext(ctx); err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w: %w", abs, store.ErrUnavailable, err)
	}
	if err := s.Migrate(ctx); err != nil {
		_ = writer.Close()
		return nil, err
	}

	reader, err := sql.Open("sqlite", sqliteDSN(abs, true))
	if err != nil {
		_ = writer.Close()
		return nil, fmt.Errorf("sqlstore: open %s for reading: %w", abs, err)
	}
	// Each new connection replays the pragmas, so keep them all rather than churning.
	n := max(4, runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	reader.SetConnMaxLifetime(0)
	reader.SetConnMaxIdleTime(0)
	if err := reader.PingContext(ctx); err != nil {
		_ = reader.Close()
		_ = writer.Close()
		return nil, fmt.Errorf("sqlstore: open %s for reading: %w: %w", abs, store.ErrUnavailable, err)
	}
	s.rdb = reader
	s.readStmts, s.writeStmts = newStmtCache(reader), newStmtCache(writer)
	if err := s.writeStmts.prepareAll(ctx, groupCommitQueries...); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("sqlstore: open %s: prepare statements: %w", abs, err)
	}
	return s, nil
}

// Page cache sizes of SQLite's connections, in KiB (see sqliteDSN).
const (
	readerCacheKiB = 256
	writerCacheKiB = 2000
)

// sqliteDSN sets the pragmas on every connection the pool opens, since SQLite keeps most of them per
// connection:
//   - journal_mode(WAL): readers do not block the writer or each other.
//   - synchronous(FULL): a commit is fsynced before it is acknowledged, so it survives kill -9 and
//     power loss (NORMAL may lose the last commits on power loss in WAL mode).
//   - foreign_keys(1): SQLite leaves foreign keys off by default, and the ownership rules of the
//     schema (what keeps a user, role or managed policy from being deleted) rely on them.
//   - busy_timeout(10000): wait for another process's lock instead of failing at once.
//   - _txlock=immediate: a write transaction takes the write lock at BEGIN, so it can never fail
//     halfway when it upgrades from reading to writing (SQLITE_BUSY_SNAPSHOT in WAL mode).
//   - _query_only on the read pool: a read path that writes by mistake fails instead of competing
//     with the writer.
//   - cache_size: SQLite's page cache, per connection, held in memory outside Go's heap. Every
//     commit invalidates the readers' caches in WAL mode (a read transaction after it starts from
//     an empty cache), so a large reader cache buys little under writes, while filling slowly
//     with the pages of a growing database: at SQLite's default of 2 MiB each, a node's resident
//     set crept up for the better part of an hour under a mixed load. Readers keep 256 KiB; the
//     single writer, whose cache survives its own commits and holds the index pages every insert
//     walks, keeps SQLite's default of 2 MiB, stated here so the bound is ours.
//   - temp_store(MEMORY) on the writer: the rollback journal of a savepoint (as the group commit of
//     CreateIdentity uses) stays in memory instead of spilling into a temporary file past 64 KiB.
//     It only ever undoes part of a transaction not yet committed, so durability is unchanged: a
//     commit is still in the WAL, fsynced, before it is acknowledged.
//
// The file: URI form lets url.URL escape any '?' or '#' in the path.
func sqliteDSN(abs string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	if readOnly {
		q.Set("_query_only", "1")
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", readerCacheKiB))
	} else {
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", writerCacheKiB))
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// createPrivateFile creates the parent directory and, when missing, the database file itself with
// owner-only permissions; SQLite gives its -wal and -shm files the main file's mode.
func createPrivateFile(abs string) error {
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return fmt.Errorf("sqlstore: create database directory: %w", err)
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil
	case err != nil:
		return fmt.Errorf("sqlstore: create database file: %w", err)
	}
	return f.Close()
}

// parseDatabaseURL tells the backend apart and, for SQLite, extracts the file path. Query parameters
// are refused because the store owns the connection settings that its guarantees depend on.
func parseDatabaseURL(raw string) (backend, path string, err error) {
	lower := strings.ToLower(raw)
	switch {
	case raw == "":
		return "", "", errors.New("sqlstore: empty database URL")
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return "postgres", "", nil
	case strings.HasPrefix(lower, "sqlite://"):
		path = raw[len("sqlite://"):]
	case strings.HasPrefix(lower, "sqlite:"):
		path = raw[len("sqlite:"):]
	case strings.HasPrefix(lower, "file:"):
		u, err := url.Parse(raw)
		if err != nil {
			return "", "", fmt.Errorf("sqlstore: parse database URL: %w", err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return "", "", fmt.Errorf("sqlstore: file: URL with host %q: only local files are supported", u.Host)
		}
		if u.RawQuery != "" {
			return "", "", errors.New("sqlstore: query parameters in the database URL are not supported; latchkey sets its own connection options")
		}
		path = u.Path
		if u.Opaque != "" { // file:relative/path
			if path, err = url.PathUnescape(u.Opaque); err != nil {
				return "", "", fmt.Errorf("sqlstore: parse database URL: %w", err)
			}
		}
	case strings.Contains(raw, "://"):
		scheme, _, _ := strings.Cut(raw, "://")
		return "", "", fmt.Errorf("%w: %q (use a SQLite file path, sqlite://<path>, file:<path>, or a postgres:// URL)", ErrUnsupportedBackend, scheme)
	default:
		path = raw
	}
	if strings.HasPrefix(lower, "sqlite:") && strings.Contains(path, "?") {
		return "", "", errors.New("sqlstore: query parameters in the database URL are not supported; latchkey sets its own connection options")
	}
	switch {
	case path == "":
		return "", "", errors.New("sqlstore: the database URL names no file")
	case path == ":memory:" || strings.HasPrefix(path, ":memory:"):
		// Every pooled connection would get its own empty database, and nothing would be durable.
		return "", "", errors.New("sqlstore: in-memory SQLite databases are not supported; name a file")
	}
	return "sqlite", path, nil
}

// Migrate applies every embedded migration not yet applied. Open calls it; it is exported for an
// explicit `latchkey migrate`, which is a no-op once Open has run. On PostgreSQL it holds the
// migration lock row of goose_lock while it runs, so concurrent callers apply each migration once.
func (s *Store) Migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("sqlstore: migrations: %w", err)
	}
	// The global registry holds Go migrations registered by any imported package; this store's
	// schema must be exactly the embedded SQL.
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if s.dialect.name == pgDialect.name {
		// Nodes starting together take turns; SQLite needs no lock, its migrations run in
		// write transactions that already exclude each other.
		locker, err := postgresLocker()
		if err != nil {
			return fmt.Errorf("sqlstore: migrations: %w", err)
		}
		opts = append(opts, goose.WithLocker(locker))
	}
	p, err := goose.NewProvider(s.dialect.goose, s.db, fsys, opts...)
	if err != nil {
		return fmt.Errorf("sqlstore: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return s.mapErr("sqlstore: apply migrations", err, nil)
	}
	return nil
}

// Ping reports ErrUnavailable when either pool cannot reach the database.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	for _, db := range s.pools() {
		if err := s.read(ctx, db.PingContext); err != nil {
			return fmt.Errorf("sqlstore: ping: %w: %w", store.ErrUnavailable, err)
		}
	}
	return nil
}

// Close closes the pools; it is safe to call more than once.
func (s *Store) Close() error {
	// Statements before their pools.
	errs := []error{s.readStmts.close(), s.writeStmts.close()}
	// Readers first, so that the writer's close is the last one and checkpoints the WAL.
	pools := s.pools()
	for i := len(pools) - 1; i >= 0; i-- {
		errs = append(errs, pools[i].Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: close: %w", err)
	}
	return nil
}

func (s *Store) pools() []*sql.DB {
	if s.rdb == s.db {
		return []*sql.DB{s.db}
	}
	return []*sql.DB{s.db, s.rdb}
}

// mapErr turns a driver error into one wrapping the store sentinel that services act on, keeping
// the driver error in the chain for logs. fkErr is the sentinel a foreign-key violation means for
// this operation: ErrNotFound when inserting a row whose parent is missing, ErrConflict when
// deleting a row that is still referenced.
func (s *Store) mapErr(op string, err error, fkErr error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	switch s.dialect.classify(err) {
	case kindUnique:
		return fmt.Errorf("%s: %w: %w", op, store.ErrAlreadyExists, err)
	case kindForeignKey:
		if fkErr != nil {
			return fmt.Errorf("%s: %w: %w", op, fkErr, err)
		}
	case kindRetryable, kindUnavailable, kindReconnect:
		// A write still losing races after every retry means the database is effectively unavailable.
		return fmt.Errorf("%s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// SQLitePath is the file a SQLite database URL names, or "" for a PostgreSQL URL. Start-up uses it
// to leave no database file behind when a start fails.
func SQLitePath(databaseURL string) (string, error) {
	backend, path, err := parseDatabaseURL(databaseURL)
	if err != nil || backend == "postgres" {
		return "", err
	}
	return path, nil
}

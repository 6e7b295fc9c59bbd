package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/storetest"
)

// pgAdmin is a connection to the test server's maintenance database, shared by the tests of this
// package, on which databases are created and dropped.
var (
	pgAdminOnce sync.Once
	pgAdminDB   *sql.DB
	pgAdminErr  error
)

func pgAdmin(t *testing.T) (*sql.DB, string) {
	t.Helper()
	base := storetest.PostgresURL(t)
	pgAdminOnce.Do(func() {
		pgAdminDB, pgAdminErr = sql.Open("pgx", base)
		if pgAdminErr == nil {
			pgAdminErr = pgAdminDB.PingContext(context.Background())
		}
	})
	if pgAdminErr != nil {
		t.Fatalf("connecting to %s: %v", storetest.PostgresURLEnv, pgAdminErr)
	}
	return pgAdminDB, base
}

// freshPostgresDB creates an empty database for one test, dropped when the test ends, and returns
// its URL.
func freshPostgresDB(t *testing.T) string {
	t.Helper()
	admin, base := pgAdmin(t)
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	name := "lk_test_" + hex.EncodeToString(raw)
	if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("CREATE DATABASE: %v", err)
	}
	t.Cleanup(func() {
		// WITH (FORCE) ends the connections a failed test may have left open.
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("DROP DATABASE %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// freshPostgresSchema creates an empty schema for one test, dropped when the test ends, and
// returns a URL whose connections use it. A schema costs a millisecond where a database costs a
// third of a second, which adds up over the conformance suite.
func freshPostgresSchema(t *testing.T) string {
	t.Helper()
	admin, base := pgAdmin(t)
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	name := "lk_test_" + hex.EncodeToString(raw)
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("CREATE SCHEMA: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+name+" CASCADE"); err != nil {
			t.Errorf("DROP SCHEMA %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name) // a run-time parameter of every connection
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgresTest opens a store on a fresh schema.
func openPostgresTest(t *testing.T) *Store {
	t.Helper()
	dbURL := freshPostgresSchema(t)
	s, err := Open(t.Context(), dbURL)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	// Registered after the database's cleanup, so it runs first.
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformancePostgres(t *testing.T) {
	pgAdmin(t) // skips (fails in CI) once here rather than in every subtest
	storetest.Run(t, func(t *testing.T) store.Store { return openPostgresTest(t) })
}

// TestPostgresMigrationsUnderConcurrentStarts opens one empty database from several processes'
// worth of stores at once: the table lock lets each migration run once, and every store comes up.
func TestPostgresMigrationsUnderConcurrentStarts(t *testing.T) {
	dbURL := freshPostgresDB(t)
	const nodes = 4
	stores := make([]*Store, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range nodes {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), dbURL)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d: %v", i, err)
		}
		defer stores[i].Close()
	}
	s := stores[0]
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var applied, distinct, maxVersion int
	if err := s.db.QueryRowContext(t.Context(), `SELECT COUNT(*), COUNT(DISTINCT version_id), MAX(version_id)
		FROM goose_db_version WHERE version_id > 0 AND is_applied`).Scan(&applied, &distinct, &maxVersion); err != nil {
		t.Fatal(err)
	}
	// Migrations are numbered by the branch that adds them, so the numbers may have gaps.
	newest := 0
	for _, f := range files {
		n, err := strconv.Atoi(strings.SplitN(path.Base(f), "_", 2)[0])
		if err != nil {
			t.Fatalf("migration file %s: %v", f, err)
		}
		newest = max(newest, n)
	}
	if applied != len(files) || distinct != len(files) || maxVersion != newest {
		t.Fatalf("goose_db_version holds %d applied rows (%d distinct, newest %d), want each of the %d migrations once, the newest %d",
			applied, distinct, maxVersion, len(files), newest)
	}
	// The lock is a row of a table, released after use.
	var locked bool
	if err := s.db.QueryRowContext(t.Context(), `SELECT locked FROM goose_lock WHERE lock_id = $1`,
		int64(migrationLockID)).Scan(&locked); err != nil {
		t.Fatalf("reading the migration lock row: %v", err)
	}
	if locked {
		t.Error("the migration lock row is still locked after every Open returned")
	}
	// Every store works, and an explicit migrate is a no-op.
	for i, st := range stores {
		if err := st.CreateAccount(t.Context(), store.Account{ID: fmt.Sprintf("%012d", i), CreatedAt: time.Now()}); err != nil {
			t.Errorf("CreateAccount through store #%d: %v", i, err)
		}
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
}

// TestPostgresMigrationsGoDownAndUp checks that every migration's Down section runs on PostgreSQL.
func TestPostgresMigrationsGoDownAndUp(t *testing.T) {
	s := openPostgresTest(t)
	ctx := t.Context()
	if err := s.CreateAccount(ctx, store.Account{ID: "123456789012", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, s.db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("migrate down to 0: %v", err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate up again: %v", err)
	}
	if _, err := s.GetAccount(ctx, "123456789012"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetAccount after down and up = %v, want ErrNotFound", err)
	}
}

// TestPostgresConstraintErrors checks the SQLSTATE mapping on real errors of the schema.
func TestPostgresConstraintErrors(t *testing.T) {
	s := openPostgresTest(t)
	ctx := t.Context()
	const acct = "123456789012"
	if err := s.CreateAccount(ctx, store.Account{ID: acct}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccount(ctx, store.Account{ID: acct}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("duplicate account = %v, want ErrAlreadyExists", err)
	}
	if err := s.CreateUser(ctx, store.User{AccountID: "999999999999", UserID: "AIDAX", UserName: "x", Path: "/"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("user in a missing account = %v, want ErrNotFound", err)
	}
	if err := s.CreateUser(ctx, store.User{AccountID: acct, UserID: "AIDA1", UserName: "u", Path: "/"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccessKey(ctx, store.AccessKey{AccessKeyID: "AKIA1", AccountID: acct, UserID: "AIDA1", Status: "Active"}, 2); err != nil {
		t.Fatal(err)
	}
	_, err := s.db.ExecContext(ctx, `DELETE FROM users WHERE user_id = 'AIDA1'`)
	if k := s.dialect.classify(err); k != kindForeignKey {
		t.Errorf("deleting a user with a key directly: %v classified %d, want a foreign-key violation", err, k)
	}
	if err := s.DeleteUser(ctx, acct, "AIDA1"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("DeleteUser with a key = %v, want ErrConflict", err)
	}
}

// TestPostgresSurvivesDroppedConnections ends every connection of the store's pool on the server
// side, as a database restart or a failover does: the next operations reconnect by themselves.
func TestPostgresSurvivesDroppedConnections(t *testing.T) {
	s, err := Open(t.Context(), freshPostgresDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	admin, _ := pgAdmin(t)
	var dbName string
	if err := s.db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&dbName); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		// Fill the pool with several idle connections.
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				if _, err := s.GetAccount(ctx, fmt.Sprintf("x%d", i)); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("GetAccount: %v", err)
				}
			})
		}
		wg.Wait()
		var ended int
		if err := admin.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid()`, dbName).Scan(&ended); err != nil {
			t.Fatal(err)
		}
		if ended == 0 {
			t.Fatal("no connection of the store was found to end")
		}
		id := fmt.Sprintf("%012d", round)
		if err := s.CreateAccount(ctx, store.Account{ID: id, CreatedAt: time.Now()}); err != nil {
			t.Fatalf("round %d: CreateAccount after %d connections were ended: %v", round, ended, err)
		}
		if _, err := s.GetAccount(ctx, id); err != nil {
			t.Fatalf("round %d: GetAccount after the connections were ended: %v", round, err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("round %d: Ping: %v", round, err)
		}
	}
}

// TestPostgresOutageAndRecovery puts a TCP proxy between the store and the server and takes it
// away: operations fail fast with ErrUnavailable (never hang, never another error) while it is
// gone, and work again once it is back, on the same Store.
func TestPostgresOutageAndRecovery(t *testing.T) {
	dbURL := freshPostgresDB(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, u.Host)
	u.Host = proxy.addr
	s, err := Open(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	if err := s.CreateAccount(ctx, store.Account{ID: "000000000001", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	proxy.down()
	for i := range 5 {
		began := time.Now()
		err := s.CreateAccount(ctx, store.Account{ID: fmt.Sprintf("1%011d", i), CreatedAt: time.Now()})
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("CreateAccount during the outage = %v, want ErrUnavailable", err)
		}
		if _, err := s.GetAccount(ctx, "000000000001"); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("GetAccount during the outage = %v, want ErrUnavailable", err)
		}
		if err := s.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("Ping during the outage = %v, want ErrUnavailable", err)
		}
		if took := time.Since(began); took > 3*time.Second {
			t.Fatalf("failing took %v during an outage with refused connections", took)
		}
	}

	proxy.up()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping after the outage: %v", err)
	}
	if err := s.CreateAccount(ctx, store.Account{ID: "000000000002", CreatedAt: time.Now()}); err != nil {
		t.Fatalf("CreateAccount after the outage: %v", err)
	}
	if _, err := s.GetAccount(ctx, "000000000001"); err != nil {
		t.Fatalf("the write acknowledged before the outage: %v", err)
	}
}

// TestPostgresUnresponsiveServerIsBounded makes the server stop answering without closing
// anything (a network partition): operations give up after the operation timeout.
func TestPostgresUnresponsiveServerIsBounded(t *testing.T) {
	dbURL := freshPostgresDB(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, u.Host)
	u.Host = proxy.addr
	s, err := Open(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.opTimeout = time.Second
	ctx := t.Context()
	if err := s.CreateAccount(ctx, store.Account{ID: "000000000001", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	proxy.blackhole(true)
	for _, op := range []struct {
		name string
		run  func() error
	}{
		{"GetAccount", func() error { _, err := s.GetAccount(ctx, "000000000001"); return err }},
		{"CreateAccount", func() error { return s.CreateAccount(ctx, store.Account{ID: "000000000002"}) }},
		{"CreateAccessKey", func() error {
			return s.CreateAccessKey(ctx, store.AccessKey{AccessKeyID: "AKIAX", AccountID: "000000000001", Status: "Active"}, 2)
		}},
		{"Ping", func() error { return s.Ping(ctx) }},
	} {
		began := time.Now()
		err := op.run()
		took := time.Since(began)
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s against an unresponsive server = %v, want ErrUnavailable", op.name, err)
		}
		if took > 3*time.Second {
			t.Errorf("%s took %v against an unresponsive server; the bound is %v", op.name, took, s.opTimeout)
		}
	}
	proxy.blackhole(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.GetAccount(ctx, "000000000001")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GetAccount once the server answers again: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPostgresErrorsHideThePassword: neither a URL that does not parse nor a server that cannot
// be reached puts the password into the error, which the command line prints.
func TestPostgresErrorsHideThePassword(t *testing.T) {
	for _, tc := range []struct{ url, secret string }{
		{"postgres://latchkey:s3cret-Pw@127.0.0.1:1/latchkey?sslmode=disable&connect_timeout=2", "s3cret-Pw"},
		{"postgresql://latchkey:p%40ss%2Fw0rd@127.0.0.1:1/latchkey?sslmode=disable", "p@ss/w0rd"},
		{"postgres://127.0.0.1:1/latchkey?sslmode=disable&user=x&password=hunter2hunter2", "hunter2hunter2"},
		{"postgres://latchkey:s3cret-Pw@127.0.0.1:notaport/latchkey", "s3cret-Pw"},
		{"postgres://latchkey:s3cret-Pw@127.0.0.1:5432/latchkey?sslmode=bogus", "s3cret-Pw"},
	} {
		s, err := Open(t.Context(), tc.url)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%q) succeeded", tc.url)
		}
		for _, form := range []string{tc.secret, url.QueryEscape(tc.secret), url.PathEscape(tc.secret)} {
			if strings.Contains(err.Error(), form) {
				t.Errorf("Open error leaks the password %q: %v", form, err)
			}
		}
		if strings.Contains(tc.url, ":1/") && !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("Open of an unreachable server = %v, want ErrUnavailable", err)
		}
	}
}

func TestClassifyPostgres(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: code}) }
	for _, tc := range []struct {
		err  error
		want errKind
	}{
		{pg("23505"), kindUnique},
		{pg("23503"), kindForeignKey},
		{pg("40001"), kindRetryable},
		{pg("40P01"), kindRetryable},
		{pg("08006"), kindUnavailable},
		{pg("57P01"), kindUnavailable}, // admin_shutdown: the server is stopping
		{pg("57P03"), kindUnavailable}, // cannot_connect_now
		{pg("53300"), kindUnavailable}, // too_many_connections
		{pg("25006"), kindUnavailable}, // read-only: a standby after a failover
		{pg("23514"), kindOther},       // check_violation: a bug, not an outage
		{pg("42P01"), kindOther},
		{&pgconn.ConnectError{Config: &pgconn.Config{}}, kindReconnect},
		{uncommitted{io.ErrUnexpectedEOF}, kindUnavailable},
		{context.DeadlineExceeded, kindUnavailable},
		{&net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, kindUnavailable},
		{errors.New("something else"), kindOther},
	} {
		if got := classifyPostgres(tc.err); got != tc.want {
			t.Errorf("classifyPostgres(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// TestPostgresRetryBudgets checks what is retried and how often, without a server.
func TestPostgresRetryBudgets(t *testing.T) {
	s := &Store{dialect: pgDialect, retryPolicy: retryPolicy{attempts: 4, reconnects: 2, base: time.Microsecond, max: time.Microsecond}}
	for _, tc := range []struct {
		name string
		err  error
		runs int
	}{
		{"serialization failure", &pgconn.PgError{Code: "40001"}, 4},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, 4},
		{"refused connection", &pgconn.ConnectError{Config: &pgconn.Config{}}, 2},
		{"connection lost inside a transaction", uncommitted{io.ErrUnexpectedEOF}, 2},
		{"connection lost at COMMIT", io.ErrUnexpectedEOF, 1},
		{"statement timeout inside a transaction", uncommitted{&pgconn.PgError{Code: "57014"}}, 1},
		{"unique violation", &pgconn.PgError{Code: "23505"}, 1},
	} {
		runs := 0
		err := s.retry(t.Context(), func(context.Context) error { runs++; return tc.err })
		if runs != tc.runs {
			t.Errorf("%s: ran %d times, want %d", tc.name, runs, tc.runs)
		}
		if !errors.Is(err, tc.err) && err != tc.err {
			t.Errorf("%s: returned %v", tc.name, err)
		}
	}
	// A race lost twice, then won.
	runs := 0
	err := s.retry(t.Context(), func(context.Context) error {
		runs++
		if runs < 3 {
			return &pgconn.PgError{Code: "40001"}
		}
		return nil
	})
	if err != nil || runs != 3 {
		t.Fatalf("retry = %v after %d runs, want success after 3", err, runs)
	}
	if err := s.mapErr("op", &pgconn.PgError{Code: "40001"}, nil); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("a race still lost after every retry maps to %v, want ErrUnavailable", err)
	}
}

// tcpProxy forwards loopback connections to a server, and can refuse them (down) or swallow
// them without answering (blackhole), as a stopped server or a network partition would.
type tcpProxy struct {
	t      *testing.T
	addr   string
	target string

	mu       sync.Mutex
	ln       net.Listener
	conns    map[net.Conn]struct{}
	swallow  bool
	stopping bool
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{t: t, target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() {
		p.mu.Lock()
		p.stopping = true
		p.mu.Unlock()
		p.down()
	})
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.handle(c)
		}
	}()
}

func (p *tcpProxy) handle(c net.Conn) {
	p.mu.Lock()
	if p.stopping {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[up] = struct{}{}
	p.mu.Unlock()
	go p.pipe(up, c)
	p.pipe(c, up)
}

// pipe copies src to dst, dropping what arrives while the proxy swallows traffic.
func (p *tcpProxy) pipe(src, dst net.Conn) {
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			swallow := p.swallow
			p.mu.Unlock()
			if !swallow {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// down closes the listener and every connection: new connections are refused.
func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// up listens again on the same address.
func (p *tcpProxy) up() {
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// blackhole makes the proxy keep every connection open but deliver nothing, or stop doing so.
func (p *tcpProxy) blackhole(on bool) {
	p.mu.Lock()
	p.swallow = on
	p.mu.Unlock()
}

package multinode

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for creating databases

	"github.com/latchkey/latchkey/internal/store/storetest"
)

const (
	accountID  = "123456789012"
	rootKeyID  = "AKIAMULTINODEEXAMPLE"
	rootSecret = "multinodeSecretKeyEXAMPLEEXAMPLEEXAMPLE1"
	// dbPassword is sent with every connection. The test clusters trust loopback connections, so
	// it is never checked, but it lets the tests assert that no log line ever shows it.
	dbPassword = "Sup3r-Secret-DB-Pw"
)

var ctx = context.Background()

// pgScript is the cluster helper shared with scripts/test.
func pgScript(t testing.TB) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "scripts", "pg.sh"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func runPG(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{pgScript(t)}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("pg.sh %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// cluster is a throwaway PostgreSQL server on a loopback port, run by scripts/pg.sh.
type cluster struct {
	t    testing.TB
	dir  string
	port int
}

// newCluster starts a cluster that is destroyed when t ends. Without PostgreSQL's server binaries
// the test is skipped, except in CI, where it fails.
func newCluster(t testing.TB) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts PostgreSQL and builds the binary")
	}
	if _, err := runPG(t, "bindir"); err != nil {
		storetest.SkipOrFail(t, "PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
	}
	dir, err := os.MkdirTemp("", "latchkey-multinode-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, dir: dir, port: freePort(t)}
	t.Cleanup(func() {
		if _, err := runPG(t, "destroy", c.dir); err != nil {
			t.Errorf("destroying the cluster: %v", err)
		}
	})
	if _, err := runPG(t, "init", dir, fmt.Sprint(c.port)); err != nil {
		t.Fatal(err)
	}
	c.start()
	return c
}

func (c *cluster) start() {
	c.t.Helper()
	if _, err := runPG(c.t, "start", c.dir); err != nil {
		c.t.Fatal(err)
	}
}

// stop is pg_ctl stop -m fast: sessions are ended at once, every commit is kept.
func (c *cluster) stop() {
	c.t.Helper()
	if _, err := runPG(c.t, "stop", c.dir); err != nil {
		c.t.Fatal(err)
	}
}

// url names database db, with a password the server does not check (see dbPassword).
func (c *cluster) url(db string) string {
	return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/%s?sslmode=disable", dbPassword, c.port, db)
}

// createDatabase makes an empty database.
func (c *cluster) createDatabase(name string) {
	c.t.Helper()
	db, err := sql.Open("pgx", c.url("postgres"))
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		c.t.Fatalf("CREATE DATABASE %s: %v", name, err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// latchkeyBinary builds the real command once per test run.
func latchkeyBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "latchkey-multinode-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "latchkey")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/latchkey").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// deployment is what every node of one deployment shares.
type deployment struct {
	dbURL     string
	masterKey string
}

func newDeployment(t testing.TB, c *cluster) deployment {
	t.Helper()
	raw := make([]byte, 6)
	_, _ = rand.Read(raw)
	name := "latchkey_" + hex.EncodeToString(raw)
	c.createDatabase(name)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return deployment{dbURL: c.url(name), masterKey: base64.StdEncoding.EncodeToString(key)}
}

// env is the environment of a latchkey process of the deployment with its own data directory.
func (d deployment) env(dataDir string) []string {
	return append(os.Environ(),
		"LATCHKEY_DATABASE_URL="+d.dbURL,
		"LATCHKEY_MASTER_KEY="+d.masterKey,
		"LATCHKEY_DATA_DIR="+dataDir,
		"LATCHKEY_ACCOUNT_ID="+accountID,
		"LATCHKEY_ROOT_ACCESS_KEY_ID="+rootKeyID,
		"LATCHKEY_ROOT_SECRET_ACCESS_KEY="+rootSecret,
		"LATCHKEY_LOG_LEVEL=debug",
		// The in-test OIDC identity provider serves plain http on loopback.
		"LATCHKEY_ALLOW_HTTP_ISSUERS=true",
	)
}

// run runs a latchkey command (not serve) of the deployment and returns its standard output.
func (d deployment) run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := d.tryRun(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tryRun is run that returns the command's failure (with its standard error) instead of failing t.
func (d deployment) tryRun(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(latchkeyBinary(t), args...)
	cmd.Env = d.env(t.TempDir())
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if strings.Contains(out.String()+errOut.String(), dbPassword) {
		t.Errorf("latchkey %s printed the database password", strings.Join(args, " "))
	}
	if err != nil {
		return out.String(), fmt.Errorf("latchkey %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), nil
}

// node is one `latchkey serve` process.
type node struct {
	name   string
	url    string
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startNode runs `latchkey serve` for the deployment and waits until /readyz answers 200.
func (d deployment) startNode(t testing.TB, name string) *node {
	t.Helper()
	n, err := d.spawnNode(t, name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// spawnNode is startNode for any goroutine: it reports failures instead of ending the test.
func (d deployment) spawnNode(t testing.TB, name string) (*node, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(latchkeyBinary(t), "serve")
	cmd.Env = append(d.env(t.TempDir()), "LATCHKEY_ADDR="+addr)
	// The node dies with the test binary, whatever happens to it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	n := &node{name: name, url: "http://" + addr, cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = n.stderr
	exited := make(chan struct{})
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(exited) }()
	n.exited = exited
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if strings.Contains(n.stderr.String(), dbPassword) {
			t.Errorf("node %s logged the database password", name)
		}
		if t.Failed() {
			t.Logf("log of node %s:\n%s", name, n.stderr.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if n.ready() == http.StatusOK {
			return n, nil
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("node %s exited before it was ready; log:\n%s", name, n.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("node %s did not become ready; log:\n%s", name, n.stderr.String())
}

// running reports whether the node's process is still the one started (it was never restarted).
func (n *node) running() bool {
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

var probe = &http.Client{Timeout: 5 * time.Second}

// ready returns the status of GET /readyz, or 0 when the node cannot be reached.
func (n *node) ready() int {
	resp, err := probe.Get(n.url + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// clientTimeout bounds every SDK call: a node must answer, one way or another, well before it.
const clientTimeout = 20 * time.Second

func (n *node) awsConfig(keyID, secret, token string) aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, token),
		// The tests look at every answer; the SDK must not retry a 503 away.
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: clientTimeout},
	}
}

func (n *node) sts(keyID, secret, token string) *sts.Client {
	return sts.NewFromConfig(n.awsConfig(keyID, secret, token), func(o *sts.Options) { o.BaseEndpoint = aws.String(n.url) })
}

func (n *node) iam(keyID, secret, token string) *iam.Client {
	return iam.NewFromConfig(n.awsConfig(keyID, secret, token), func(o *iam.Options) { o.BaseEndpoint = aws.String(n.url) })
}

func (n *node) cognito(keyID, secret, token string) *cognitoidentity.Client {
	return cognitoidentity.NewFromConfig(n.awsConfig(keyID, secret, token), func(o *cognitoidentity.Options) { o.BaseEndpoint = aws.String(n.url) })
}

func (n *node) rootIAM() *iam.Client { return n.iam(rootKeyID, rootSecret, "") }
func (n *node) rootSTS() *sts.Client { return n.sts(rootKeyID, rootSecret, "") }

// apiCode returns the AWS error code and HTTP status of err ("" and 0 for a success or a failure
// that is not an API error).
func apiCode(err error) (string, int) {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return "", 0
	}
	status := 0
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status
}

func wantCode(t testing.TB, what string, err error, code string, status int) {
	t.Helper()
	got, gotStatus := apiCode(err)
	if got != code || (status != 0 && gotStatus != status) {
		t.Fatalf("%s: got %v (code %q, HTTP %d), want %s (HTTP %d)", what, err, got, gotStatus, code, status)
	}
}

func noErr(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eventually polls check until it returns nil or within passes, and returns how long it took.
func eventually(t testing.TB, what string, within time.Duration, check func() error) time.Duration {
	t.Helper()
	began := time.Now()
	for {
		err := check()
		if err == nil {
			return time.Since(began)
		}
		if time.Since(began) > within {
			t.Fatalf("%s: still failing after %v: %v", what, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

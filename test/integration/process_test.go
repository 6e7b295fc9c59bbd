package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// latchkeyBinary builds the real command once per test run.
func latchkeyBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "latchkey-bin")
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

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
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

// startProcess runs `latchkey serve` and waits until /readyz answers.
func startProcess(t *testing.T, env []string, addr string) *proc {
	t.Helper()
	cmd := exec.Command(latchkeyBinary(t), "serve")
	cmd.Env = append(os.Environ(), append(env, "LATCHKEY_ADDR="+addr)...)
	p := &proc{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_, _ = cmd.Process.Wait()
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not become ready; log:\n%s", p.stderr.String())
	return nil
}

func clients(addr, keyID, secret string) (*sts.Client, *iam.Client) {
	ts := &testServer{URL: "http://" + addr}
	return ts.sts(keyID, secret), ts.iam(keyID, secret)
}

func TestRestartAfterSIGKILLKeepsData(t *testing.T) {
	dataDir := t.TempDir()
	env := []string{"LATCHKEY_DATA_DIR=" + dataDir, "LATCHKEY_ROOT_ACCESS_KEY_ID=" + rootKeyID, "LATCHKEY_ROOT_SECRET_ACCESS_KEY=" + rootSecret, "LATCHKEY_ACCOUNT_ID=" + accountID}
	addr := freeAddr(t)
	p := startProcess(t, env, addr)
	_, root := clients(addr, rootKeyID, rootSecret)
	var created []string
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("user-%02d", i)
		if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		created = append(created, name)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("user-07")})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = p.cmd.Process.Wait()

	addr = freeAddr(t)
	startProcess(t, env, addr)
	stsC, root := clients(addr, rootKeyID, rootSecret)
	all, err := root.ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Users) != len(created) {
		t.Fatalf("after SIGKILL: %d users, want %d", len(all.Users), len(created))
	}
	userSTS, _ := clients(addr, aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey))
	id, err := userSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(id.Arn), ":user/user-07") {
		t.Fatalf("key after restart: %+v %v", id, err)
	}
	if _, err := stsC.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
}

var credLine = regexp.MustCompile(`(?m)^aws_(access_key_id|secret_access_key) = (\S+)$`)

func parseCredentials(t *testing.T, text string) (string, string) {
	t.Helper()
	m := credLine.FindAllStringSubmatch(text, -1)
	if len(m) != 2 {
		t.Fatalf("no credentials in %q", text)
	}
	return m[0][2], m[1][2]
}

func TestGeneratedRootCredentialsAndAccounts(t *testing.T) {
	dataDir := t.TempDir()
	env := []string{"LATCHKEY_DATA_DIR=" + dataDir}
	addr := freeAddr(t)
	p := startProcess(t, env, addr)

	credFile := filepath.Join(dataDir, "root-credentials")
	st, err := os.Stat(credFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("root-credentials mode %v", st.Mode().Perm())
	}
	if mk, err := os.Stat(filepath.Join(dataDir, "master.key")); err != nil || mk.Mode().Perm() != 0o600 {
		t.Fatalf("master.key: %v %v", mk, err)
	}
	data, _ := os.ReadFile(credFile)
	keyID, secret := parseCredentials(t, string(data))
	if strings.Contains(p.stderr.String(), secret) {
		t.Fatal("the root secret appears in the log")
	}
	if !strings.Contains(p.stderr.String(), credFile) {
		t.Fatalf("the log does not say where the credentials are:\n%s", p.stderr.String())
	}
	stsC, _ := clients(addr, keyID, secret)
	id, err := stsC.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != "000000000000" {
		t.Fatalf("default account identity %+v %v", id, err)
	}

	// A second account, added while the server runs, for cross-account scenarios.
	cmd := exec.Command(latchkeyBinary(t), "accounts", "create", "--id", "111111111111")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("accounts create: %v\n%s", err, out)
	}
	keyID2, secret2 := parseCredentials(t, string(out))
	stsC2, _ := clients(addr, keyID2, secret2)
	id, err = stsC2.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != "111111111111" || aws.ToString(id.Arn) != "arn:aws:iam::111111111111:root" {
		t.Fatalf("second account identity %+v %v", id, err)
	}
	cmd = exec.Command(latchkeyBinary(t), "accounts", "list")
	cmd.Env = append(os.Environ(), env...)
	out, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "000000000000") || !strings.Contains(string(out), "111111111111") {
		t.Fatalf("accounts list: %v\n%s", err, out)
	}
	cmd = exec.Command(latchkeyBinary(t), "accounts", "create", "--id", "111111111111")
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "already exists") {
		t.Fatalf("duplicate account: %v\n%s", err, out)
	}

	// Restarting keeps the generated credentials rather than minting new ones.
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_, _ = p.cmd.Process.Wait()
	addr = freeAddr(t)
	startProcess(t, env, addr)
	data2, _ := os.ReadFile(credFile)
	if string(data2) != string(data) {
		t.Fatal("root credentials changed across a restart")
	}
	stsC, _ = clients(addr, keyID, secret)
	if _, err := stsC.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
}

func TestWrongMasterKeyIsAClearStartupError(t *testing.T) {
	dataDir := t.TempDir()
	key1 := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	addr := freeAddr(t)
	p := startProcess(t, []string{"LATCHKEY_DATA_DIR=" + dataDir, "LATCHKEY_MASTER_KEY=" + key1}, addr)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_, _ = p.cmd.Process.Wait()

	cmd := exec.Command(latchkeyBinary(t), "serve")
	cmd.Env = append(os.Environ(), "LATCHKEY_DATA_DIR="+dataDir, "LATCHKEY_ADDR="+freeAddr(t),
		"LATCHKEY_MASTER_KEY=ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=")
	out, err := runWithTimeout(cmd, 20*time.Second)
	if err == nil || !strings.Contains(out, "master key does not match") {
		t.Fatalf("want a master key mismatch error, got %v:\n%s", err, out)
	}

	cmd = exec.Command(latchkeyBinary(t), "serve")
	cmd.Env = append(os.Environ(), "LATCHKEY_DATA_DIR="+dataDir, "LATCHKEY_MASTER_KEY=c2hvcnQ=", "LATCHKEY_ACCOUNT_ID=12")
	out, err = runWithTimeout(cmd, 20*time.Second)
	if err == nil || !strings.Contains(out, "LATCHKEY_MASTER_KEY") || !strings.Contains(out, "LATCHKEY_ACCOUNT_ID") {
		t.Fatalf("want configuration errors, got %v:\n%s", err, out)
	}
}

func runWithTimeout(cmd *exec.Cmd, d time.Duration) (string, error) {
	var buf syncBuffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return buf.String(), err
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-done
		return buf.String(), fmt.Errorf("timed out after %v", d)
	}
}

func TestVersionCommand(t *testing.T) {
	out, err := exec.Command(latchkeyBinary(t), "version").CombinedOutput()
	if err != nil || !bufio.NewScanner(bytes.NewReader(out)).Scan() || !strings.HasPrefix(string(out), "latchkey ") {
		t.Fatalf("version: %v %s", err, out)
	}
}

// `keys rotate` refuses a data dir without Latchkey data and creates nothing there; on a
// deployment's store it rotates.
func TestKeysRotateCommand(t *testing.T) {
	dataDir := t.TempDir()
	env := append(os.Environ(), "LATCHKEY_DATA_DIR="+dataDir, "LATCHKEY_MASTER_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	cmd := exec.Command(latchkeyBinary(t), "keys", "rotate")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "no Latchkey data in "+dataDir) {
		t.Fatalf("keys rotate without a store: %v\n%s", err, out)
	}
	if entries, _ := os.ReadDir(dataDir); len(entries) != 0 {
		t.Fatalf("keys rotate without a store left %v", entries)
	}
	cmd = exec.Command(latchkeyBinary(t), "migrate")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	var ids []string
	for i := 0; i < 2; i++ {
		cmd := exec.Command(latchkeyBinary(t), "keys", "rotate")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "rotated; new signing key") {
			t.Fatalf("keys rotate: %v\n%s", err, out)
		}
		ids = append(ids, strings.TrimSpace(string(out[strings.LastIndex(string(out), " "):])))
	}
	if ids[0] == ids[1] {
		t.Fatalf("rotation kept the same key %s", ids[0])
	}
}

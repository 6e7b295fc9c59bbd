package loadgen

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/internal/cli"
)

// childEnv names the hidden mode of a re-executed load tool: "server" runs `latchkey serve`,
// "floor" runs the floor server. The parent never sets it for itself.
const childEnv = "LATCHKEY_LOAD_CHILD"

// Known root credentials of the Latchkey child; it runs on a fresh temporary data dir.
const (
	accountID  = "123456789012"
	rootKeyID  = "AKIALOADTOOLROOT0001"
	rootSecret = "load/tool/root/secret/not/for/production/use0"
)

// RunChildIfAsked runs the child mode named by LATCHKEY_LOAD_CHILD and exits; it returns at once
// when the variable is unset. The program's main (and a test binary's TestMain) calls it first.
func RunChildIfAsked() {
	var err error
	switch mode := os.Getenv(childEnv); mode {
	case "":
		return
	case "server":
		root := cli.NewRoot(os.Stdout, os.Stderr)
		root.SetArgs([]string{"serve"})
		err = root.Execute()
	case "floor":
		err = runFloor()
	default:
		err = fmt.Errorf("%s=%q: want server or floor", childEnv, mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "latchkey-load child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// child is a running child process and the address it listens on.
type child struct {
	cmd  *exec.Cmd
	pid  string
	addr string
	done chan struct{}
}

// startChild re-executes this program in mode with extra environment (every inherited LATCHKEY_*
// variable removed, so the child's configuration is exactly extra) and waits for it to announce its
// address: find reads the child's output lines and returns the address once it sees it.
func startChild(mode string, extra []string, fromStderr bool, find func(line string) string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return startProgram(exec.Command(exe), mode, extra, fromStderr, find)
}

// startProgram is startChild with the command to run: this program, or another one (a baseline).
func startProgram(cmd *exec.Cmd, mode string, extra []string, fromStderr bool, find func(line string) string) (*child, error) {
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LATCHKEY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, childEnv+"="+mode), extra...)
	// The child dies with the tool, whatever happens to the tool.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errOut, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	announce, other := out, errOut
	if fromStderr {
		announce, other = errOut, out
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, pid: strconv.Itoa(cmd.Process.Pid), done: make(chan struct{})}
	// Wait closes the pipes, so it runs only once both readers have seen EOF: otherwise what a
	// child said before dying could be lost.
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); _, _ = io.Copy(io.Discard, other) }()
	found := make(chan string, 1)
	var tail []string
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(announce)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			if sent {
				continue // keep draining: a child blocked on a full pipe would stall the measurement
			}
			if a := find(sc.Text()); a != "" {
				found <- a
				sent = true
			} else if len(tail) < 20 {
				tail = append(tail, sc.Text())
			}
		}
		if !sent {
			close(found)
		}
	}()
	go func() { readers.Wait(); _ = cmd.Wait(); close(c.done) }()
	select {
	case a, ok := <-found:
		if ok {
			c.addr = a
			return c, nil
		}
		<-c.done
		return nil, fmt.Errorf("%s child exited before listening: %s", mode, strings.Join(tail, "\n"))
	case <-time.After(60 * time.Second):
		c.stop()
		return nil, fmt.Errorf("%s child did not announce its address within 60s", mode)
	}
}

// stop asks the child to shut down and kills it if it has not within 10s.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// startLatchkey runs `latchkey serve` on 127.0.0.1 with a fresh data dir and the known root key.
// Plain-http loopback issuers are allowed (LATCHKEY_ALLOW_HTTP_ISSUERS), as for any local test IdP.
// exe "" runs this program's own Latchkey; otherwise exe is another Latchkey executable (a
// baseline), run as `exe serve`. The child mode is set for it too, so that exe may also be a load
// tool (or its test binary), which serves in that mode whatever its arguments.
func startLatchkey(dataDir, exe string) (*child, error) {
	env := []string{
		"LATCHKEY_ADDR=127.0.0.1:0",
		"LATCHKEY_DATA_DIR=" + dataDir,
		"LATCHKEY_ACCOUNT_ID=" + accountID,
		"LATCHKEY_ROOT_ACCESS_KEY_ID=" + rootKeyID,
		"LATCHKEY_ROOT_SECRET_ACCESS_KEY=" + rootSecret,
		"LATCHKEY_ALLOW_HTTP_ISSUERS=true",
		"LATCHKEY_LOG_FORMAT=json",
	}
	find := func(line string) string {
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "latchkey listening" {
			return rec.Addr
		}
		return ""
	}
	if exe == "" {
		return startChild("server", env, true, find)
	}
	return startProgram(exec.Command(exe, "serve"), "server", env, true, find)
}

const floorAnnounce = "floor listening on "

// startFloor runs the floor server with cfg.
func startFloor(cfg floorConfig) (*child, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	return startChild("floor", []string{floorConfigEnv + "=" + string(b)}, false, func(line string) string {
		a, _ := strings.CutPrefix(line, floorAnnounce)
		if a == line {
			return ""
		}
		return a
	})
}

var errChildGone = errors.New("child process has exited")

// alive reports errChildGone once the child has exited.
func (c *child) alive() error {
	select {
	case <-c.done:
		return errChildGone
	default:
		return nil
	}
}

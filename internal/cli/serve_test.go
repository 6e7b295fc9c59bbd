package cli

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/config"
)

// TestServeRefusesBeforeWriting runs `latchkey serve` through the command tree with starts that
// must fail before the data dir is created.
func TestServeRefusesBeforeWriting(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"taken port", nil, []string{"--addr", taken.Addr().String()}, "LATCHKEY_ADDR"},
		{"taken metadata port", map[string]string{"LATCHKEY_IMDS_ADDR": taken.Addr().String(), "LATCHKEY_IMDS_INSTANCE_PROFILE": "p"},
			[]string{"--addr", "127.0.0.1:0"}, "LATCHKEY_IMDS_ADDR"},
		{"invalid configuration", map[string]string{"LATCHKEY_REGION": "Mars"}, []string{"--addr", "127.0.0.1:0"}, "LATCHKEY_REGION"},
		{"unsupported database URL", map[string]string{"LATCHKEY_DATABASE_URL": "mysql://db/x"}, []string{"--addr", "127.0.0.1:0"}, "mysql"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := filepath.Join(t.TempDir(), "data")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			root := NewRoot(&bytes.Buffer{}, &bytes.Buffer{})
			root.SetArgs(append([]string{"serve", "--data-dir", dataDir}, tc.args...))
			err := root.Execute()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("serve: %v, want an error naming %q", err, tc.want)
			}
			if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
				entries, _ := os.ReadDir(dataDir)
				t.Fatalf("a failed start created the data dir (%v)", entries)
			}
		})
	}
}

func TestServeWarnsOfAWildcardIssuer(t *testing.T) {
	for _, tc := range []struct {
		addr, issuer string
		warn         bool
	}{
		{"0.0.0.0:8855", "", true},
		{"[::]:8855", "", true},
		{":8855", "", true},
		{"0.0.0.0:8855", "https://sts.example.com", false},
		{"127.0.0.1:8855", "", false},
		{"sts.internal:8855", "", false},
	} {
		var log bytes.Buffer
		cfg := config.Defaults()
		cfg.Addr, cfg.IssuerURL = tc.addr, tc.issuer
		warnUnusableIssuer(cfg, slog.New(slog.NewTextHandler(&log, nil)))
		if got := strings.Contains(log.String(), "level=WARN") && strings.Contains(log.String(), "LATCHKEY_ISSUER_URL"); got != tc.warn {
			t.Errorf("addr %s issuer %q: warned %v, want %v\n%s", tc.addr, tc.issuer, got, tc.warn, log.String())
		}
	}
}

// TestServeStartsAndStops is the legitimate path: a valid start serves until its context ends.
func TestServeStartsAndStops(t *testing.T) {
	cfg := config.Defaults()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := &signalWriter{needle: "latchkey listening", seen: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(log, nil))) }()
	select {
	case err := <-done:
		t.Fatalf("serve ended before listening: %v", err)
	case <-log.seen:
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "master.key")); err != nil {
		t.Fatal(err)
	}
}

// signalWriter closes seen when a written line contains needle.
type signalWriter struct {
	mu     sync.Mutex
	needle string
	seen   chan struct{}
	closed bool
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed && bytes.Contains(p, []byte(w.needle)) {
		w.closed = true
		close(w.seen)
	}
	return len(p), nil
}

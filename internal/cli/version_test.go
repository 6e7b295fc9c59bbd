package cli

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/config"
)

func TestVersionFromBuildInfo(t *testing.T) {
	info := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/latchkey/latchkey", Version: "v0.3.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "c44e885abc"}, {Key: "vcs.time", Value: "2026-12-07T02:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	got := readBuildInfo(func() (*debug.BuildInfo, bool) { return info, true }).String()
	if want := "latchkey v0.3.0 revision c44e885abc (modified) 2026-12-07T02:00:00Z go1.26.0"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := readBuildInfo(func() (*debug.BuildInfo, bool) { return nil, false }).String(); strings.Contains(got, "dev") {
		t.Fatalf("without build info: %q", got)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out bytes.Buffer
		root := NewRoot(&out, &out)
		root.SetArgs(args)
		if err := root.Execute(); err != nil || out.String() != version()+"\n" || !strings.HasPrefix(out.String(), "latchkey ") {
			t.Errorf("latchkey %v: %q, %v", args, out.String(), err)
		}
	}
}

func TestServeHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	root := NewRoot(&out, &out)
	root.SetArgs([]string{"serve", "--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), config.HelpText()) || !strings.Contains(out.String(), "Ctrl-C") {
		t.Fatalf("serve --help:\n%s", out.String())
	}
}

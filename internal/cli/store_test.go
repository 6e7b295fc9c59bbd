package cli

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/store"
)

// initStore creates the store and master key of dir, as the first `latchkey serve` does.
func initStore(t *testing.T, dir string) {
	t.Helper()
	openTestStore(t, dir).Close()
}

// openTestStore opens (creating them where absent) the store and master key of dir.
func openTestStore(t *testing.T, dir string) store.Store {
	t.Helper()
	cfg := config.Defaults()
	cfg.DataDir = dir
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	st, _, err := app.OpenStore(t.Context(), cfg, newLogger(cfg, &bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The commands that use a deployment's store create none: where LATCHKEY_DATA_DIR names no
// Latchkey data (a mistyped directory, an empty one, a database without its master.key), they
// refuse and leave no data dir, database or master key behind. After the store exists, they run.
func TestCommandsRefuseWithoutData(t *testing.T) {
	t.Setenv("LATCHKEY_TEST_IDP", "true")
	commands := [][]string{
		{"explain", "r-1"},
		{"decisions", "--refused"},
		{"workloads", "list"},
		{"idp", "token", "--issuer", "gh", "--profile", "generic", "--audience", "a"},
		{"accounts", "list"},
		{"accounts", "create", "--id", "111111111111"},
		{"keys", "rotate"},
	}
	for _, args := range commands {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			missing := filepath.Join(t.TempDir(), "mistyped")
			empty := t.TempDir()
			keyless := t.TempDir()
			initStore(t, keyless)
			if err := os.Remove(filepath.Join(keyless, app.MasterKeyFile)); err != nil {
				t.Fatal(err)
			}
			for _, dir := range []string{missing, empty, keyless} {
				before := dirEntries(t, dir)
				_, err := runCLI(t, append([]string{"--data-dir", dir}, args...)...)
				want := "no Latchkey data in " + dir + " (is LATCHKEY_DATA_DIR right?)"
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("%v on %s: %v, want %q", args, dir, err, want)
				}
				if after := dirEntries(t, dir); strings.Join(after, ",") != strings.Join(before, ",") {
					t.Fatalf("%v on %s wrote %v (before %v)", args, dir, after, before)
				}
			}
			ready := t.TempDir()
			initStore(t, ready)
			if _, err := runCLI(t, append([]string{"--data-dir", ready}, args...)...); err != nil && strings.Contains(err.Error(), "no Latchkey data") {
				t.Fatalf("%v on an initialised dir: %v", args, err)
			}
		})
	}
}

// dirEntries names what dir holds, or is nil when it does not exist.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

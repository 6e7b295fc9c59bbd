package config

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's configuration table from the settings table")

const (
	tableBegin = "<!-- settings table: generated from internal/config/settings.go; go test ./internal/config -update -->\n"
	tableEnd   = "<!-- end of settings table -->\n"
)

// TestREADMEConfigurationTableAgrees holds the README's table to the one `latchkey serve --help`
// prints: both come from the settings table.
func TestREADMEConfigurationTableAgrees(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i, j := strings.Index(readme, tableBegin), strings.Index(readme, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the markers %q and %q", tableBegin, tableEnd)
	}
	want := MarkdownTable()
	if got := readme[i+len(tableBegin) : j]; got != want {
		if *update {
			if err := os.WriteFile(path, []byte(readme[:i+len(tableBegin)]+want+readme[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("README.md's configuration table differs from the settings table; run go test ./internal/config -update\nwant:\n%s", want)
	}
}

// TestEverySettingIsListed holds the table to the Config struct: every field is one setting, named
// in both the help text and the README table.
func TestEverySettingIsListed(t *testing.T) {
	typ := reflect.TypeOf(Config{})
	keys := map[string]bool{}
	for _, s := range Settings() {
		keys[s.Key()] = true
		if !strings.Contains(HelpText(), s.Env) || !strings.Contains(MarkdownTable(), "`"+s.Env+"`") || s.Default == "" || s.Meaning == "" {
			t.Errorf("%s is not fully documented", s.Env)
		}
	}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if tag := f.Tag.Get("yaml"); f.IsExported() && !keys[tag] {
			t.Errorf("field %s (yaml %q) has no setting", f.Name, tag)
		}
	}
	if len(keys) != len(Settings()) {
		t.Error("two settings share a key")
	}
}

// TestEachSettingIsSetByItsVariable sets every variable to a value different from its default
// and checks that it reached the configuration.
func TestEachSettingIsSetByItsVariable(t *testing.T) {
	values := map[string]string{"LATCHKEY_MAX_QUERY_BODY_BYTES": "70000", "LATCHKEY_MAX_JSON_BODY_BYTES": "70001",
		"LATCHKEY_DECISIONS_MAX": "5", "LATCHKEY_DECISIONS_MAX_AGE": "2h", "LATCHKEY_KEY_ROTATION": "3h",
		"LATCHKEY_ALLOW_HTTP_ISSUERS": "true", "LATCHKEY_EXPLAIN_DENIALS": "true", "LATCHKEY_TEST_IDP": "true", "LATCHKEY_IMDS_ALLOW_V1": "true"}
	for _, s := range Settings() {
		v, ok := values[s.Env]
		if !ok {
			v = "x-" + s.Key()
		}
		c, err := Load("", env(map[string]string{s.Env: v}))
		if err != nil {
			t.Fatalf("%s=%s: %v", s.Env, v, err)
		}
		if reflect.DeepEqual(c, Defaults()) {
			t.Errorf("%s=%s changed nothing", s.Env, v)
		}
	}
}

func TestExampleConfigFileLoads(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "latchkey.example.yaml"), env(nil))
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	if c.OIDCAllowedNetworks != "10.20.0.0/16" || c.KeyRotation.String() != "720h0m0s" || c.AccountID != "000000000000" {
		t.Fatalf("example config: %+v", c)
	}
}

// TestConfigurationErrorsAllAtOnce: every problem is reported, each named as the user wrote it,
// and no Go type name reaches the user.
func TestConfigurationErrorsAllAtOnce(t *testing.T) {
	file := filepath.Join(t.TempDir(), "latchkey.yaml")
	yaml := "adr: 0.0.0.0:1\nregion: Mars\nkey_rotation: soon\ntest_idp: maybe\nlog_level:\n  - debug\nbogus_setting_name: 1\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, loadErr := Load(file, env(map[string]string{"LATCHKEY_DECISIONS_MAX": "lots", "LATCHKEY_ACCOUNT_ID": "12"}))
	setErr := c.Set("LATCHKEY_ADDR", "--addr", "nope")
	msg := strings.Join([]string{errString(loadErr), errString(setErr), errString(c.Validate())}, "\n")
	for _, want := range []string{
		file + ` line 1: unknown key "adr"; did you mean "addr"?`,
		`region (` + file + ` line 2) "Mars": want a region name`,
		`key_rotation (` + file + ` line 3): want a duration such as 720h, got "soon"`,
		`test_idp (` + file + ` line 4): want true or false, got "maybe"`,
		`log_level (` + file + ` line 5): want a single value`,
		`unknown key "bogus_setting_name"; valid keys: addr, data_dir,`,
		`LATCHKEY_DECISIONS_MAX: want an integer, got "lots"`,
		`LATCHKEY_ACCOUNT_ID "12": want exactly 12 digits`,
		`--addr "nope": want host:port`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
	for _, leak := range []string{"time.Duration", "int64", "!!seq", "yaml:", "config.Config"} {
		if strings.Contains(msg, leak) {
			t.Errorf("errors name %q:\n%s", leak, msg)
		}
	}
}

func TestConfigFileShapeErrors(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"not YAML":      {"addr: [", "not valid YAML"},
		"not a mapping": {"- addr\n", "want a mapping of settings"},
		"empty":         {"", ""},
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "c.yaml")
			_ = os.WriteFile(file, []byte(tc.yaml), 0o600)
			_, err := Load(file, env(nil))
			if got := errString(err); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

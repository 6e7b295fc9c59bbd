package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRoot(&out, &errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// `idp token` signs with the store's test-IdP ring: the server's own JWKS verifies what it prints.
// Off, it refuses; bad profile input is an error, not a token.
func TestIDPCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("LATCHKEY_TEST_IDP", "false")
	if _, err := runCLI(t, "--data-dir", dir, "idp", "token", "--issuer", "gh", "--profile", "generic", "--audience", "a"); err == nil || !strings.Contains(err.Error(), "LATCHKEY_TEST_IDP") {
		t.Fatalf("off: %v", err)
	}
	t.Setenv("LATCHKEY_TEST_IDP", "true")
	initStore(t, dir)
	out, err := runCLI(t, "--data-dir", dir, "idp", "token", "--issuer", "gh", "--profile", "github-actions",
		"--repository", "acme/app", "--ref", "refs/heads/main", "--claim", "run_attempt=\"2\"", "--claim", "extra=[1,2]", "--ttl", "1h")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.DataDir, cfg.TestIDP = dir, true
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	st, mk, err := app.OpenStore(context.Background(), cfg, newLogger(cfg, &bytes.Buffer{}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	set, err := app.NewTestIDP(cfg, st, mk, time.Now).JWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(strings.TrimSpace(out), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := parsed.Claims(set.Key(parsed.Headers[0].KeyID)[0].Key, &claims); err != nil {
		t.Fatal(err)
	}
	if claims["sub"] != "repo:acme/app:ref:refs/heads/main" || claims["iss"] != "http://127.0.0.1:8855/test-idp/gh" || claims["run_attempt"] != "2" || len(claims["extra"].([]any)) != 2 {
		t.Fatalf("claims %v", claims)
	}
	out, err = runCLI(t, "--data-dir", dir, "idp", "actions-env", "--issuer", "gh", "--repository", "acme/app", "--ref", "refs/heads/main")
	if err != nil || !strings.Contains(out, "ACTIONS_ID_TOKEN_REQUEST_URL=http://127.0.0.1:8855/test-idp/gh/actions/idtoken?api-version=2.0\nACTIONS_ID_TOKEN_REQUEST_TOKEN=lkr1.") {
		t.Fatalf("actions-env: %q %v", out, err)
	}
	if _, err := runCLI(t, "--data-dir", dir, "idp", "token", "--issuer", "gh", "--profile", "github-actions", "--repository", "acme"); err == nil {
		t.Fatal("token minted without a valid repository and ref")
	}
}

// A token printed to a file or a pipe is the token alone: SDKs send a token file's bytes as they
// are, and STS refuses a token with a line break. A terminal gets the newline.
func TestPrintTokenToAFileHasNoNewline(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "token"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	printToken(f, "a.b.c")
	printToken(&buf, "a.b.c")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "a.b.c" || buf.String() != "a.b.c" {
		t.Fatalf("file %q, pipe %q; want the token alone", got, buf.String())
	}
}

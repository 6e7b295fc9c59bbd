package testidp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
)

const base = "http://127.0.0.1:8855"

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newIdP(t *testing.T) (*IdP, *clock) {
	t.Helper()
	mk, err := keys.NewMasterKey(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	signing, runner := Rings(sqltest.Open(t), mk, c.now)
	return New(Deps{Signing: signing, Runner: runner, BaseURL: base + "/", Now: c.now}), c
}

// claimsOf verifies tok against the published JWKS and returns its claims.
func claimsOf(t *testing.T, p *IdP, tok string) map[string]any {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	set, err := p.JWKS(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not published", parsed.Headers[0].KeyID)
	}
	var c map[string]any
	if err := parsed.Claims(keys[0].Key, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestProfiles(t *testing.T) {
	p, c := newIdP(t)
	now := float64(c.t.Unix())
	cases := []struct {
		name string
		in   MintInput
		want map[string]any // claims that must be exactly these
		keys []string       // claims that must be present
	}{
		{"github branch", MintInput{Issuer: "gh", Profile: GitHubActions, Params: Params{Repository: "acme/app", Ref: "refs/heads/main"}},
			map[string]any{"iss": base + "/test-idp/gh", "sub": "repo:acme/app:ref:refs/heads/main", "aud": "sts.amazonaws.com",
				"repository": "acme/app", "repository_owner": "acme", "ref": "refs/heads/main", "ref_type": "branch", "event_name": "push",
				"job_workflow_ref": "acme/app/.github/workflows/ci.yml@refs/heads/main", "iat": now, "nbf": now, "exp": now + 600},
			[]string{"sha", "workflow", "actor", "run_id", "repository_id", "repository_owner_id", "jti", "runner_environment"}},
		{"github environment", MintInput{Issuer: "gh", Profile: GitHubActions, Params: Params{Repository: "acme/app", Ref: "refs/heads/main", Environment: "prod"}},
			map[string]any{"sub": "repo:acme/app:environment:prod", "environment": "prod"}, nil},
		{"github pull request", MintInput{Issuer: "gh", Profile: GitHubActions, Params: Params{Repository: "acme/app", Ref: "refs/pull/7/merge", Event: "pull_request"}},
			map[string]any{"sub": "repo:acme/app:pull_request", "event_name": "pull_request"}, nil},
		{"github tag", MintInput{Issuer: "gh", Profile: GitHubActions, Params: Params{Repository: "acme/app", Ref: "refs/tags/v1"}},
			map[string]any{"sub": "repo:acme/app:ref:refs/tags/v1", "ref_type": "tag"}, nil},
		{"gitlab", MintInput{Issuer: "gl", Profile: GitLabCI, Audience: []string{"https://latchkey.test"}, Params: Params{ProjectPath: "acme/sub/app", Ref: "main"}},
			map[string]any{"sub": "project_path:acme/sub/app:ref_type:branch:ref:main", "aud": "https://latchkey.test", "namespace_path": "acme/sub",
				"project_path": "acme/sub/app", "ref": "main", "ref_type": "branch", "ref_path": "refs/heads/main", "pipeline_source": "push"},
			[]string{"namespace_id", "project_id", "user_login", "pipeline_id", "job_id", "sha", "ci_config_ref_uri"}},
		{"kubernetes", MintInput{Issuer: "k8s", Profile: Kubernetes, Params: Params{Namespace: "prod", ServiceAccount: "web"}},
			map[string]any{"sub": "system:serviceaccount:prod:web", "aud": []any{"sts.amazonaws.com"}}, []string{"kubernetes.io"}},
		{"generic", MintInput{Issuer: "gen", Profile: Generic, Audience: []string{"a", "b"}, Claims: map[string]any{"sub": "alice", "groups": []any{"x"}}},
			map[string]any{"sub": "alice", "aud": []any{"a", "b"}, "groups": []any{"x"}}, nil},
		{"override and add", MintInput{Issuer: "gh", Profile: GitHubActions, Params: Params{Repository: "acme/app", Ref: "refs/heads/main"},
			Claims: map[string]any{"sub": "custom", "repository_visibility": "public", "extra": float64(3)}, TTL: time.Hour},
			map[string]any{"sub": "custom", "repository_visibility": "public", "extra": float64(3), "exp": now + 3600}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := p.Mint(context.Background(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got := claimsOf(t, p, tok)
			for k, v := range tc.want {
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("%s = %#v, want %#v", k, got[k], v)
				}
			}
			for _, k := range tc.keys {
				if _, ok := got[k]; !ok {
					t.Errorf("claim %s missing", k)
				}
			}
		})
	}
	k := claimsOf(t, p, mustMint(t, p, MintInput{Issuer: "k8s", Profile: Kubernetes, Params: Params{Namespace: "prod", ServiceAccount: "web", Pod: "web-1"}}))
	ki := k["kubernetes.io"].(map[string]any)
	if ki["namespace"] != "prod" || ki["serviceaccount"].(map[string]any)["name"] != "web" || ki["pod"].(map[string]any)["name"] != "web-1" {
		t.Errorf("kubernetes.io = %#v", ki)
	}
}

func mustMint(t *testing.T, p *IdP, in MintInput) string {
	t.Helper()
	tok, err := p.Mint(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestMintRefusesBadInput(t *testing.T) {
	p, _ := newIdP(t)
	for name, in := range map[string]MintInput{
		"bad issuer name":      {Issuer: "../x", Profile: Generic, Audience: []string{"a"}},
		"unknown profile":      {Issuer: "x", Profile: "circleci"},
		"github no repository": {Issuer: "x", Profile: GitHubActions, Params: Params{Ref: "refs/heads/main"}},
		"github short ref":     {Issuer: "x", Profile: GitHubActions, Params: Params{Repository: "a/b", Ref: "main"}},
		"gitlab full ref":      {Issuer: "x", Profile: GitLabCI, Audience: []string{"a"}, Params: Params{ProjectPath: "a/b", Ref: "refs/heads/main"}},
		"gitlab no audience":   {Issuer: "x", Profile: GitLabCI, Params: Params{ProjectPath: "a/b", Ref: "main"}},
		"kubernetes no sa":     {Issuer: "x", Profile: Kubernetes, Params: Params{Namespace: "n"}},
		"ttl too long":         {Issuer: "x", Profile: Generic, Audience: []string{"a"}, TTL: 25 * time.Hour},
	} {
		_, err := p.Mint(context.Background(), in)
		if err == nil {
			t.Errorf("%s: minted", name)
			continue
		}
		// The name is the issuer's, everything else the request's: the admin API tells them apart.
		if want := in.Issuer == "../x"; errors.Is(err, ErrNoIssuer) != want || errors.Is(err, ErrInvalidInput) == want {
			t.Errorf("%s: %v is ErrNoIssuer %v, ErrInvalidInput %v", name, err, errors.Is(err, ErrNoIssuer), errors.Is(err, ErrInvalidInput))
		}
	}
}

func TestParseClaim(t *testing.T) {
	for in, want := range map[string]any{"a=b": "b", "a=3": float64(3), `a=["x"]`: []any{"x"}, `a={"k":true}`: map[string]any{"k": true}, `a="q"`: "q", "a=": ""} {
		k, v, err := ParseClaim(in)
		if err != nil || k != "a" || !reflect.DeepEqual(v, want) {
			t.Errorf("ParseClaim(%q) = %q, %#v, %v", in, k, v, err)
		}
	}
	if _, _, err := ParseClaim("novalue"); err == nil {
		t.Error("claim without = accepted")
	}
}

func TestOwnsAndVerificationKeys(t *testing.T) {
	p, _ := newIdP(t)
	tok := mustMint(t, p, MintInput{Issuer: "gh", Profile: GitHubActions, Params: Params{Repository: "acme/app", Ref: "refs/heads/main"}})
	parsed, _ := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	for iss, want := range map[string]bool{base + "/test-idp/gh": true, base + "/test-idp/gh/x": false, base + "/test-idp/": false, "https://evil/test-idp/gh": false} {
		if p.Owns(iss) != want {
			t.Errorf("Owns(%q) = %v", iss, !want)
		}
	}
	ks, err := p.VerificationKeys(context.Background(), base+"/test-idp/gh", parsed.Headers[0].KeyID)
	if err != nil || len(ks) != 1 {
		t.Fatalf("keys %v, %v", ks, err)
	}
	if ks, err := p.VerificationKeys(context.Background(), base+"/test-idp/gh", "nope"); err != nil || len(ks) != 0 {
		t.Fatalf("unknown kid gave %v, %v", ks, err)
	}
	if _, err := p.VerificationKeys(context.Background(), "https://evil/test-idp/gh", parsed.Headers[0].KeyID); err == nil {
		t.Fatal("keys served for a foreign issuer")
	}
}

func TestRunnerProtocol(t *testing.T) {
	p, c := newIdP(t)
	ctx := context.Background()
	env, err := p.ActionsEnv(ctx, "gh", Params{Repository: "acme/app", Ref: "refs/heads/main"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if env.RequestURL != base+"/test-idp/gh/actions/idtoken?api-version=2.0" {
		t.Fatalf("url %s", env.RequestURL)
	}
	jwtTok, err := p.RunnerToken(ctx, "gh", env.RequestToken, "my-aud")
	if err != nil {
		t.Fatal(err)
	}
	got := claimsOf(t, p, jwtTok)
	if got["sub"] != "repo:acme/app:ref:refs/heads/main" || got["aud"] != "my-aud" {
		t.Fatalf("claims %v", got)
	}
	if got := claimsOf(t, p, mustRunner(t, p, env.RequestToken, "")); got["aud"] != DefaultAudience {
		t.Fatalf("default aud %v", got["aud"])
	}

	// Forgeries: another repository in the payload with the original MAC, a MAC from another
	// key, another issuer, garbage, expiry.
	parts := strings.Split(strings.TrimPrefix(env.RequestToken, runnerTokenPrefix), ".")
	body, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var g runnerGrant
	_ = json.Unmarshal(body, &g)
	g.Repository = "evil/app"
	forged, _ := json.Marshal(g)
	otherRepo := runnerTokenPrefix + parts[0] + "." + base64.RawURLEncoding.EncodeToString(forged) + "." + parts[2]
	other, _ := newIdP(t)
	otherEnv, err := other.ActionsEnv(ctx, "gh", Params{Repository: "evil/app", Ref: "refs/heads/main"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	flipped := []byte(env.RequestToken)
	flipped[len(flipped)-2] ^= 1
	for name, tc := range map[string]struct{ issuer, tok string }{
		"other repository":   {"gh", otherRepo},
		"other server's key": {"gh", otherEnv.RequestToken},
		"flipped mac":        {"gh", string(flipped)},
		"other issuer":       {"gl", env.RequestToken},
		"missing":            {"gh", ""},
		"garbage":            {"gh", "lkr1.a.b.c"},
	} {
		if _, err := p.RunnerToken(ctx, tc.issuer, tc.tok, "a"); !errors.Is(err, ErrRequestToken) {
			t.Errorf("%s: got %v, want ErrRequestToken", name, err)
		}
	}
	c.t = c.t.Add(time.Hour)
	if _, err := p.RunnerToken(ctx, "gh", env.RequestToken, "a"); !errors.Is(err, ErrRequestToken) {
		t.Errorf("expired request token: got %v", err)
	}
	if _, err := p.ActionsEnv(ctx, "gh", Params{Repository: "acme/app", Ref: "refs/heads/main"}, 7*time.Hour); err == nil {
		t.Error("request token longer than a job accepted")
	}
}

func mustRunner(t *testing.T, p *IdP, tok, aud string) string {
	t.Helper()
	s, err := p.RunnerToken(context.Background(), "gh", tok, aud)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// An overridden exp may not outlive MaxTokenTTL (the ring publishes a retired key only that long);
// an already expired token, for tests of expiry, may be minted.
func TestClaimsCannotOutliveTheKey(t *testing.T) {
	p, c := newIdP(t)
	mint := func(claims map[string]any) (string, error) {
		return p.Mint(context.Background(), MintInput{Issuer: "ci", Profile: Generic, Audience: []string{"sts.amazonaws.com"}, Claims: claims})
	}
	for name, claims := range map[string]map[string]any{
		"ten years":           {"sub": "x", "exp": c.now().Add(10 * 365 * 24 * time.Hour).Unix()},
		"just past the bound": {"sub": "x", "exp": c.now().Add(MaxTokenTTL + time.Second).Unix()},
		"exp not a number":    {"sub": "x", "exp": "tomorrow"},
		"iat after exp":       {"sub": "x", "iat": c.now().Add(2 * time.Hour).Unix(), "exp": c.now().Add(time.Hour).Unix()},
	} {
		if _, err := mint(claims); err == nil {
			t.Errorf("%s: minted", name)
		}
	}
	tok, err := mint(map[string]any{"sub": "x", "iat": c.now().Add(-2 * time.Hour).Unix(), "nbf": c.now().Add(-2 * time.Hour).Unix(), "exp": c.now().Add(-time.Hour).Unix()})
	if err != nil {
		t.Fatalf("an expired token for tests: %v", err)
	}
	if exp := int64(claimsOf(t, p, tok)["exp"].(float64)); exp != c.now().Add(-time.Hour).Unix() {
		t.Fatalf("exp %d", exp)
	}
	if _, err := mint(map[string]any{"sub": "x", "exp": c.now().Add(MaxTokenTTL).Unix()}); err != nil {
		t.Fatalf("exactly MaxTokenTTL: %v", err)
	}
}

package config

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Setting is one configuration setting: its environment variable, the default shown to users, its
// meaning (Markdown: code in backticks) and how a string value sets it. The YAML key is the
// variable's name without LATCHKEY_, in lower case. The README's configuration table and
// `latchkey serve --help` are both generated from this table.
type Setting struct {
	Env     string
	Default string
	Meaning string
	set     func(c *Config, label, v string) error
}

// Key is the setting's YAML key.
func (s Setting) Key() string { return strings.ToLower(strings.TrimPrefix(s.Env, "LATCHKEY_")) }

func str(f func(c *Config) *string) func(*Config, string, string) error {
	return func(c *Config, _, v string) error { *f(c) = v; return nil }
}

func boolean(f func(c *Config) *bool) func(*Config, string, string) error {
	return func(c *Config, label, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%s: want true or false, got %q", label, v)
		}
		*f(c) = b
		return nil
	}
}

func integer(f func(c *Config) *int64) func(*Config, string, string) error {
	return func(c *Config, label, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: want an integer, got %q", label, v)
		}
		*f(c) = n
		return nil
	}
}

func duration(example string, f func(c *Config) *time.Duration) func(*Config, string, string) error {
	return func(c *Config, label, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s: want a duration such as %s, got %q", label, example, v)
		}
		*f(c) = d
		return nil
	}
}

var settings = []Setting{
	{"LATCHKEY_ADDR", "`127.0.0.1:8855`", "listen address (host:port); one port serves every protocol. Flag `--addr`",
		str(func(c *Config) *string { return &c.Addr })},
	{"LATCHKEY_DATA_DIR", "`./latchkey-data`", "embedded store, generated master key and root credentials. Flag `--data-dir`",
		str(func(c *Config) *string { return &c.DataDir })},
	{"LATCHKEY_DATABASE_URL", "SQLite file `$LATCHKEY_DATA_DIR/latchkey.db`", "a path or `sqlite://path`, or `postgres://user:pass@host/db` for PostgreSQL (several nodes may share one; see `docs/deployment.md`)",
		str(func(c *Config) *string { return &c.DatabaseURL })},
	{"LATCHKEY_ACCOUNT_ID", "`000000000000`", "the default account (12 digits)",
		str(func(c *Config) *string { return &c.AccountID })},
	{"LATCHKEY_REGION", "`us-east-1`", "region reported for unsigned requests",
		str(func(c *Config) *string { return &c.Region })},
	{"LATCHKEY_ROOT_ACCESS_KEY_ID", "generated", "root access key id of the default account, created or updated at start (set together with the secret). If unset and none exist, root credentials are generated into `$LATCHKEY_DATA_DIR/root-credentials` (mode 0600, AWS shared-credentials format); the log says where, never the secret",
		str(func(c *Config) *string { return &c.RootAccessKeyID })},
	{"LATCHKEY_ROOT_SECRET_ACCESS_KEY", "generated", "its secret access key (16 to 128 characters)",
		str(func(c *Config) *string { return &c.RootSecretAccessKey })},
	{"LATCHKEY_MASTER_KEY", "generated into `$LATCHKEY_DATA_DIR/master.key` (0600)", "base64 of 32 bytes (`openssl rand -base64 32`); encrypts every secret at rest with AES-256-GCM. Starting with another key than the store was created with, or without master.key next to a store that has data, is a start-up error",
		str(func(c *Config) *string { return &c.MasterKey })},
	{"LATCHKEY_ISSUER_URL", "`http://<LATCHKEY_ADDR>`", "Latchkey's own OIDC issuer URL (https in production): discovery, JWKS, outbound issuers, SAML recipient. Set it when listening on `0.0.0.0` or `[::]`",
		str(func(c *Config) *string { return &c.IssuerURL })},
	{"LATCHKEY_OIDC_CA_FILE", "unset", "PEM bundle trusted, besides the system roots, when fetching upstream OIDC keys",
		str(func(c *Config) *string { return &c.OIDCCAFile })},
	{"LATCHKEY_ALLOW_HTTP_ISSUERS", "`false`", "allow `http://` OIDC provider URLs and issuer, and upstream IdP fetches to loopback (`127.0.0.0/8`, `::1`) (for tests)",
		boolean(func(c *Config) *bool { return &c.AllowHTTPIssuers })},
	{"LATCHKEY_EXPLAIN_DENIALS", "`false`", "development mode: a refused request's error message ends with ` (Latchkey: <summary>)` naming the policy statement, condition and values that decided (AWS's message stays first)",
		boolean(func(c *Config) *bool { return &c.ExplainDenials })},
	{"LATCHKEY_OIDC_ALLOWED_NETWORKS", "unset", "comma-separated CIDRs (a string or a list in YAML) that upstream IdP discovery, JWKS and redirects may reach besides globally routable addresses, e.g. `10.20.0.0/16,fd12:3456::/32` for an internal IdP. Every other loopback, private, link-local (cloud metadata), CGNAT or other special-purpose address is refused before connecting",
		func(c *Config, _, v string) error { c.OIDCAllowedNetworks = NetworkList(v); return nil }},
	{"LATCHKEY_LOG_LEVEL", "`info`", "`debug`, `info`, `warn` or `error`",
		str(func(c *Config) *string { return &c.LogLevel })},
	{"LATCHKEY_LOG_FORMAT", "`text`", "`text` or `json`",
		str(func(c *Config) *string { return &c.LogFormat })},
	{"LATCHKEY_MAX_QUERY_BODY_BYTES", "`25165824` (24 MiB)", "larger awsQuery bodies get `RequestEntityTooLarge` (413) before they are read; IAM accepts SAML metadata of up to 10,000,000 characters",
		integer(func(c *Config) *int64 { return &c.MaxQueryBodyBytes })},
	{"LATCHKEY_MAX_JSON_BODY_BYTES", "`1048576` (1 MiB)", "the same for Cognito and QuickSight bodies",
		integer(func(c *Config) *int64 { return &c.MaxJSONBodyBytes })},
	{"LATCHKEY_COGNITO_ISSUER", "`https://cognito-identity.amazonaws.com`", "the `iss` of Cognito identity tokens (keys are Latchkey's own)",
		str(func(c *Config) *string { return &c.CognitoIssuer })},
	{"LATCHKEY_AUDIT_LOG", "unset (off)", "a file path, or `stderr`: one JSON line in the CloudTrail record shape per credential issued or refused; secrets are never written",
		str(func(c *Config) *string { return &c.AuditLog })},
	{"LATCHKEY_TEST_IDP", "`false`", "serve the built-in test identity provider: issuers `<issuer URL>/test-idp/<name>` with discovery, JWKS and GitHub Actions' runner token endpoint (for tests; never in production)",
		boolean(func(c *Config) *bool { return &c.TestIDP })},
	{"LATCHKEY_IMDS_ADDR", "unset", "a second listener (host:port) speaking the EC2 instance metadata service (IMDSv2); SDKs reach it through `AWS_EC2_METADATA_SERVICE_ENDPOINT`. See `docs/workloads.md`",
		str(func(c *Config) *string { return &c.IMDSAddr })},
	{"LATCHKEY_IMDS_INSTANCE_PROFILE", "unset", "the instance profile of the default account whose role the metadata service serves (needed with `LATCHKEY_IMDS_ADDR`)",
		str(func(c *Config) *string { return &c.IMDSInstanceProfile })},
	{"LATCHKEY_IMDS_ALLOW_V1", "`false`", "answer metadata requests without an IMDSv2 token",
		boolean(func(c *Config) *bool { return &c.IMDSAllowV1 })},
	{"LATCHKEY_DECISIONS_MAX", "`10000`", "how many recent refusals, and separately how many credentials issued (per deployment; all nodes share them), the store keeps for `latchkey explain`, `latchkey decisions`, the admin API and the console's Activity page",
		integer(func(c *Config) *int64 { return &c.DecisionsMax })},
	{"LATCHKEY_DECISIONS_MAX_AGE", "`168h`", "and for how long",
		duration("168h", func(c *Config) *time.Duration { return &c.DecisionsMaxAge })},
	{"LATCHKEY_KEY_ROTATION", "`720h`", "the session-token and issuer key rings are rotated when their signing key is older than this (checked hourly)",
		duration("720h", func(c *Config) *time.Duration { return &c.KeyRotation })},
}

// Settings lists every setting, in the README's order.
func Settings() []Setting { return settings }

func lookupSetting(pred func(Setting) bool) (Setting, bool) {
	for _, s := range settings {
		if pred(s) {
			return s, true
		}
	}
	return Setting{}, false
}

// MarkdownTable is the README's configuration table.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| Variable | YAML key | Default | Meaning |\n| --- | --- | --- | --- |\n")
	for _, s := range settings {
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", s.Env, s.Key(), s.Default, s.Meaning)
	}
	return b.String()
}

// HelpText is the settings table as plain text, for `latchkey serve --help`.
func HelpText() string {
	var b strings.Builder
	b.WriteString("Settings (YAML key in --config FILE, then the environment variable, then the flag):\n\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  VARIABLE\tYAML KEY\tDEFAULT")
	for _, s := range settings {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Env, s.Key(), plain(s.Default))
	}
	_ = tw.Flush()
	b.WriteString("\n")
	for _, s := range settings {
		fmt.Fprintf(&b, "  %s\n      %s\n", s.Env, plain(s.Meaning))
	}
	return b.String()
}

func plain(md string) string { return strings.ReplaceAll(md, "`", "") }

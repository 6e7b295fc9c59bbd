package config

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/latchkey/latchkey/internal/ids"
)

// Config is the whole server configuration. YAML keys mirror the environment variable names
// without the LATCHKEY_ prefix, in lower case (e.g. `addr`, `data_dir`).
type Config struct {
	Addr                string `yaml:"addr"`
	DataDir             string `yaml:"data_dir"`
	DatabaseURL         string `yaml:"database_url"`
	AccountID           string `yaml:"account_id"`
	Region              string `yaml:"region"`
	RootAccessKeyID     string `yaml:"root_access_key_id"`
	RootSecretAccessKey string `yaml:"root_secret_access_key"`
	// MasterKey is the base64 text of the 32-byte key that seals every secret at rest.
	MasterKey        string `yaml:"master_key"`
	IssuerURL        string `yaml:"issuer_url"`
	OIDCCAFile       string `yaml:"oidc_ca_file"`
	AllowHTTPIssuers bool   `yaml:"allow_http_issuers"`
	// ExplainDenials is the development mode: a refusal's message ends with " (Latchkey:
	// <summary>)" saying which statement, condition or check decided. AWS tells callers nothing of
	// the kind, so it is off by default.
	ExplainDenials bool   `yaml:"explain_denials"`
	LogLevel       string `yaml:"log_level"`
	LogFormat      string `yaml:"log_format"`
	// MaxQueryBodyBytes bounds awsQuery bodies (IAM accepts SAML metadata of up to 10,000,000
	// characters, which form-encoding can nearly double); MaxJSONBodyBytes bounds JSON bodies.
	MaxQueryBodyBytes int64 `yaml:"max_query_body_bytes"`
	MaxJSONBodyBytes  int64 `yaml:"max_json_body_bytes"`
	// CognitoIssuer is the iss of Cognito identity tokens; the keys are Latchkey's own.
	CognitoIssuer string `yaml:"cognito_issuer"`
	// AuditLog is where credential events go: a file path, "stderr", or "" for none.
	AuditLog string `yaml:"audit_log"`
	// KeyRotation is how old the signing key of a key ring may get before it is rotated.
	KeyRotation time.Duration `yaml:"key_rotation"`

	// OIDCAllowedNetworks are CIDRs that upstream IdP fetches may reach besides the globally
	// routable addresses (e.g. an internal IdP's subnet); see OIDCAllowedPrefixes.
	OIDCAllowedNetworks NetworkList `yaml:"oidc_allowed_networks"`

	// TestIDP enables the built-in test identity provider under <issuer URL>/test-idp/.
	TestIDP bool `yaml:"test_idp"`

	// DecisionsMax and DecisionsMaxAge bound the recent refusals, and separately the credentials
	// issued, kept in the store for `latchkey explain`, the admin API and the console (per
	// deployment: all nodes share them).
	DecisionsMax    int64         `yaml:"decisions_max"`
	DecisionsMaxAge time.Duration `yaml:"decisions_max_age"`

	// IMDSAddr is the host:port of the EC2 instance metadata listener ("" for none); it serves
	// the credentials of the role of IMDSInstanceProfile, an instance profile of AccountID.
	// IMDSAllowV1 answers requests without an IMDSv2 token.
	IMDSAddr            string `yaml:"imds_addr"`
	IMDSInstanceProfile string `yaml:"imds_instance_profile"`
	IMDSAllowV1         bool   `yaml:"imds_allow_v1"`

	// sources says how the user wrote each setting that was set (YAML key and line, variable,
	// flag), by variable name, so that errors name it that way.
	sources map[string]string
}

// Defaults returns the documented defaults.
func Defaults() Config {
	return Config{
		Addr:              "127.0.0.1:8855",
		DataDir:           "./latchkey-data",
		AccountID:         "000000000000",
		Region:            "us-east-1",
		LogLevel:          "info",
		LogFormat:         "text",
		MaxQueryBodyBytes: 24 << 20,
		MaxJSONBodyBytes:  1 << 20,
		KeyRotation:       30 * 24 * time.Hour,
		CognitoIssuer:     "https://cognito-identity.amazonaws.com",
		DecisionsMax:      10000,
		DecisionsMaxAge:   7 * 24 * time.Hour,
	}
}

// Load reads the optional YAML file, then the environment (lookup is os.LookupEnv in production
// and a map in tests). It reports every bad value and unknown key at once, each named as the user
// wrote it: the YAML key with its file and line, or the variable's name.
func Load(file string, lookup func(string) (string, bool)) (Config, error) {
	c := Defaults()
	var errs []error
	if file != "" {
		errs = append(errs, c.loadFile(file)...)
	}
	for _, s := range settings {
		if v, ok := lookup(s.Env); ok {
			if err := c.Set(s.Env, s.Env, v); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return c, errors.Join(errs...)
}

// Set sets the setting of the variable env from a string written by the user as label (the
// variable, a YAML key, or a flag such as --addr); later errors about the value name label.
func (c *Config) Set(env, label, v string) error {
	s, ok := lookupSetting(func(s Setting) bool { return s.Env == env })
	if !ok {
		return fmt.Errorf("%s: no such setting", label)
	}
	if c.sources == nil {
		c.sources = map[string]string{}
	}
	c.sources[env] = label
	return s.set(c, label, v)
}

// label is how the user wrote the setting of env.
func (c *Config) label(env string) string {
	if l, ok := c.sources[env]; ok {
		return l
	}
	return env
}

func (c *Config) errorf(env, format string, args ...any) error {
	return fmt.Errorf("%s"+format, append([]any{c.label(env)}, args...)...)
}

// loadFile reads a YAML mapping of setting keys to scalars (oidc_allowed_networks may be a list).
func (c *Config) loadFile(file string) []error {
	data, err := os.ReadFile(file)
	if err != nil {
		return []error{fmt.Errorf("--config: %w", err)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []error{fmt.Errorf("%s: not valid YAML: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	if len(doc.Content) == 0 {
		return nil // an empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return []error{fmt.Errorf("%s line %d: want a mapping of settings such as `addr: 127.0.0.1:8855`", file, root.Line)}
	}
	var errs []error
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		label := fmt.Sprintf("%s (%s line %d)", k.Value, file, k.Line)
		s, ok := lookupSetting(func(s Setting) bool { return s.Key() == k.Value })
		if !ok {
			errs = append(errs, unknownKey(k.Value, file, k.Line))
			continue
		}
		value, err := scalarValue(s, v, label)
		if err == nil {
			err = c.Set(s.Env, label, value)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// scalarValue is a YAML value as the string an environment variable would hold.
func scalarValue(s Setting, v *yaml.Node, label string) (string, error) {
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return "", nil
	case v.Kind == yaml.ScalarNode:
		return v.Value, nil
	case v.Kind == yaml.SequenceNode && s.Env == "LATCHKEY_OIDC_ALLOWED_NETWORKS":
		var n NetworkList
		if err := n.UnmarshalYAML(v); err != nil {
			return "", fmt.Errorf("%s: want CIDRs such as 10.20.0.0/16", label)
		}
		return string(n), nil
	}
	return "", fmt.Errorf("%s: want a single value, not a list or mapping", label)
}

// unknownKey names the closest valid key, or lists them all when none is close.
func unknownKey(key, file string, line int) error {
	best, dist := "", 1<<30
	valid := make([]string, 0, len(settings))
	for _, s := range settings {
		valid = append(valid, s.Key())
		if d := editDistance(strings.ToLower(key), s.Key()); d < dist {
			best, dist = s.Key(), d
		}
	}
	if dist <= max(2, len(key)/3) {
		return fmt.Errorf("%s line %d: unknown key %q; did you mean %q?", file, line, key, best)
	}
	return fmt.Errorf("%s line %d: unknown key %q; valid keys: %s", file, line, key, strings.Join(valid, ", "))
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

var (
	accountRe = regexp.MustCompile(`^[0-9]{12}$`)
	keyIDRe   = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
)

// Validate checks every setting and fills the derived default of DatabaseURL.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, c.errorf("LATCHKEY_ADDR", " %q: want host:port", c.Addr))
	}
	if c.DataDir == "" {
		errs = append(errs, c.errorf("LATCHKEY_DATA_DIR", " must not be empty"))
	}
	errs = append(errs, c.validateIMDS()...)
	if c.DecisionsMax < 1 || c.DecisionsMax > 10_000_000 {
		errs = append(errs, c.errorf("LATCHKEY_DECISIONS_MAX", " %d: want 1 to 10000000", c.DecisionsMax))
	}
	if c.DecisionsMaxAge < time.Minute {
		errs = append(errs, c.errorf("LATCHKEY_DECISIONS_MAX_AGE", " %s: want at least 1m", c.DecisionsMaxAge))
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = filepath.Join(c.DataDir, "latchkey.db")
	}
	if !accountRe.MatchString(c.AccountID) {
		errs = append(errs, c.errorf("LATCHKEY_ACCOUNT_ID", " %q: want exactly 12 digits", c.AccountID))
	}
	if !ids.IsRegion(c.Region) {
		errs = append(errs, c.errorf("LATCHKEY_REGION", " %q: want a region name such as us-east-1", c.Region))
	}
	if (c.RootAccessKeyID == "") != (c.RootSecretAccessKey == "") {
		errs = append(errs, fmt.Errorf("%s and %s must be set together", c.label("LATCHKEY_ROOT_ACCESS_KEY_ID"), c.label("LATCHKEY_ROOT_SECRET_ACCESS_KEY")))
	}
	if c.RootAccessKeyID != "" {
		if !keyIDRe.MatchString(c.RootAccessKeyID) || strings.HasPrefix(c.RootAccessKeyID, "ASIA") {
			errs = append(errs, c.errorf("LATCHKEY_ROOT_ACCESS_KEY_ID", ": want 16-128 upper-case letters and digits, not starting with ASIA (e.g. AKIA…)"))
		}
		if len(c.RootSecretAccessKey) < 16 || len(c.RootSecretAccessKey) > 128 {
			errs = append(errs, c.errorf("LATCHKEY_ROOT_SECRET_ACCESS_KEY", ": want 16 to 128 characters"))
		}
	}
	if c.MasterKey != "" {
		if _, err := c.MasterKeyBytes(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.IssuerURL != "" {
		u, err := url.Parse(c.IssuerURL)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			errs = append(errs, c.errorf("LATCHKEY_ISSUER_URL", " %q: want an absolute https URL", c.IssuerURL))
		case u.Scheme == "http" && !c.AllowHTTPIssuers:
			errs = append(errs, c.errorf("LATCHKEY_ISSUER_URL", " %q: http issuers need %s=true", c.IssuerURL, c.label("LATCHKEY_ALLOW_HTTP_ISSUERS")))
		case u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, c.errorf("LATCHKEY_ISSUER_URL", " %q: must not have a query or fragment", c.IssuerURL))
		}
	}
	if c.OIDCCAFile != "" {
		pem, err := os.ReadFile(c.OIDCCAFile)
		if err != nil {
			errs = append(errs, c.errorf("LATCHKEY_OIDC_CA_FILE", ": %w", err))
		} else if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			errs = append(errs, c.errorf("LATCHKEY_OIDC_CA_FILE", " %s: no PEM certificate found", c.OIDCCAFile))
		}
	}
	if _, err := c.OIDCAllowedPrefixes(); err != nil {
		errs = append(errs, err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, c.errorf("LATCHKEY_LOG_LEVEL", " %q: want debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, c.errorf("LATCHKEY_LOG_FORMAT", " %q: want text or json", c.LogFormat))
	}
	if u, err := url.Parse(c.CognitoIssuer); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		errs = append(errs, c.errorf("LATCHKEY_COGNITO_ISSUER", " %q: want an absolute URL", c.CognitoIssuer))
	}
	if c.KeyRotation < time.Hour {
		errs = append(errs, c.errorf("LATCHKEY_KEY_ROTATION", " must be at least 1h"))
	}
	if c.MaxQueryBodyBytes < 64<<10 || c.MaxJSONBodyBytes < 64<<10 {
		if c.MaxQueryBodyBytes < 64<<10 {
			errs = append(errs, c.errorf("LATCHKEY_MAX_QUERY_BODY_BYTES", " %d: want at least 65536 bytes", c.MaxQueryBodyBytes))
		}
		if c.MaxJSONBodyBytes < 64<<10 {
			errs = append(errs, c.errorf("LATCHKEY_MAX_JSON_BODY_BYTES", " %d: want at least 65536 bytes", c.MaxJSONBodyBytes))
		}
	}
	return errors.Join(errs...)
}

// MasterKeyBytes decodes MasterKey.
func (c *Config) MasterKeyBytes() ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(c.MasterKey))
	if err != nil || len(k) != 32 {
		return nil, c.errorf("LATCHKEY_MASTER_KEY", ": want the base64 encoding of exactly 32 bytes (e.g. `openssl rand -base64 32`)")
	}
	return k, nil
}

// NetworkList is a comma-separated list of CIDRs. In the YAML file it may also be written as a
// sequence.
type NetworkList string

// UnmarshalYAML accepts a string or a sequence of strings.
func (n *NetworkList) UnmarshalYAML(node *yaml.Node) error {
	switch node.Kind {
	case yaml.ScalarNode:
		*n = NetworkList(node.Value)
		return nil
	case yaml.SequenceNode:
		parts := make([]string, 0, len(node.Content))
		for _, item := range node.Content {
			if item.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: oidc_allowed_networks: want CIDRs such as 10.20.0.0/16", item.Line)
			}
			parts = append(parts, item.Value)
		}
		*n = NetworkList(strings.Join(parts, ","))
		return nil
	}
	return fmt.Errorf("line %d: oidc_allowed_networks: want a comma-separated string or a list of CIDRs", node.Line)
}

// OIDCAllowedPrefixes parses OIDCAllowedNetworks. Every entry must be a network address with
// its prefix length (10.20.0.0/16, fd12:3456::/32); an entry with host bits set is refused
// rather than silently widened or narrowed.
func (c *Config) OIDCAllowedPrefixes() ([]netip.Prefix, error) {
	name := c.label("LATCHKEY_OIDC_ALLOWED_NETWORKS")
	raw := strings.TrimSpace(string(c.OIDCAllowedNetworks))
	if raw == "" {
		return nil, nil
	}
	var out []netip.Prefix
	for _, e := range strings.Split(raw, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			return nil, fmt.Errorf("%s %q: empty entry; want comma-separated CIDRs such as 10.20.0.0/16,fd12:3456::/32", name, raw)
		}
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a CIDR such as 10.20.0.0/16 or fd12:3456::/32", name, e)
		}
		if p.Masked() != p {
			return nil, fmt.Errorf("%s: %q has host bits set; did you mean %s?", name, e, p.Masked())
		}
		out = append(out, p)
	}
	return out, nil
}

// instanceProfileRe is IAM's instanceProfileNameType.
var instanceProfileRe = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)

// validateIMDS checks the metadata listener's settings: all or nothing.
func (c *Config) validateIMDS() []error {
	var errs []error
	switch {
	case c.IMDSAddr == "" && (c.IMDSInstanceProfile != "" || c.IMDSAllowV1):
		errs = append(errs, fmt.Errorf("%s and %s need %s", c.label("LATCHKEY_IMDS_INSTANCE_PROFILE"), c.label("LATCHKEY_IMDS_ALLOW_V1"), c.label("LATCHKEY_IMDS_ADDR")))
	case c.IMDSAddr == "":
	default:
		if _, _, err := net.SplitHostPort(c.IMDSAddr); err != nil {
			errs = append(errs, c.errorf("LATCHKEY_IMDS_ADDR", " %q: want host:port", c.IMDSAddr))
		}
		if !instanceProfileRe.MatchString(c.IMDSInstanceProfile) {
			errs = append(errs, c.errorf("LATCHKEY_IMDS_INSTANCE_PROFILE", " %q: want an instance profile name (1-128 of letters, digits and +=,.@_-)", c.IMDSInstanceProfile))
		}
	}
	return errs
}

package config

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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

	// DecisionsMax and DecisionsMaxAge bound the recent refusals kept in the store for
	// `latchkey explain` and the admin API (per deployment: all nodes share them).
	DecisionsMax    int64         `yaml:"decisions_max"`
	DecisionsMaxAge time.Duration `yaml:"decisions_max_age"`

	// IMDSAddr is the host:port of the EC2 instance metadata listener ("" for none); it serves
	// the credentials of the role of IMDSInstanceProfile, an instance profile of AccountID.
	// IMDSAllowV1 answers requests without an IMDSv2 token.
	IMDSAddr            string `yaml:"imds_addr"`
	IMDSInstanceProfile string `yaml:"imds_instance_profile"`
	IMDSAllowV1         bool   `yaml:"imds_allow_v1"`
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

// Env lists every environment variable Latchkey reads, with the field it sets.
var envVars = []struct {
	name string
	set  func(c *Config, v string) error
}{
	{"LATCHKEY_ADDR", func(c *Config, v string) error { c.Addr = v; return nil }},
	{"LATCHKEY_DATA_DIR", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"LATCHKEY_DATABASE_URL", func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
	{"LATCHKEY_ACCOUNT_ID", func(c *Config, v string) error { c.AccountID = v; return nil }},
	{"LATCHKEY_REGION", func(c *Config, v string) error { c.Region = v; return nil }},
	{"LATCHKEY_ROOT_ACCESS_KEY_ID", func(c *Config, v string) error { c.RootAccessKeyID = v; return nil }},
	{"LATCHKEY_ROOT_SECRET_ACCESS_KEY", func(c *Config, v string) error { c.RootSecretAccessKey = v; return nil }},
	{"LATCHKEY_MASTER_KEY", func(c *Config, v string) error { c.MasterKey = v; return nil }},
	{"LATCHKEY_ISSUER_URL", func(c *Config, v string) error { c.IssuerURL = v; return nil }},
	{"LATCHKEY_OIDC_CA_FILE", func(c *Config, v string) error { c.OIDCCAFile = v; return nil }},
	{"LATCHKEY_ALLOW_HTTP_ISSUERS", func(c *Config, v string) error { return setBool(&c.AllowHTTPIssuers, "LATCHKEY_ALLOW_HTTP_ISSUERS", v) }},
	{"LATCHKEY_EXPLAIN_DENIALS", func(c *Config, v string) error { return setBool(&c.ExplainDenials, "LATCHKEY_EXPLAIN_DENIALS", v) }},
	{"LATCHKEY_OIDC_ALLOWED_NETWORKS", func(c *Config, v string) error { c.OIDCAllowedNetworks = NetworkList(v); return nil }},
	{"LATCHKEY_LOG_LEVEL", func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{"LATCHKEY_LOG_FORMAT", func(c *Config, v string) error { c.LogFormat = v; return nil }},
	{"LATCHKEY_MAX_QUERY_BODY_BYTES", func(c *Config, v string) error {
		return setInt(&c.MaxQueryBodyBytes, "LATCHKEY_MAX_QUERY_BODY_BYTES", v)
	}},
	{"LATCHKEY_COGNITO_ISSUER", func(c *Config, v string) error { c.CognitoIssuer = v; return nil }},
	{"LATCHKEY_AUDIT_LOG", func(c *Config, v string) error { c.AuditLog = v; return nil }},
	{"LATCHKEY_KEY_ROTATION", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("LATCHKEY_KEY_ROTATION: want a duration such as 720h, got %q", v)
		}
		c.KeyRotation = d
		return nil
	}},
	{"LATCHKEY_TEST_IDP", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("LATCHKEY_TEST_IDP: want true or false, got %q", v)
		}
		c.TestIDP = b
		return nil
	}},
	{"LATCHKEY_DECISIONS_MAX", func(c *Config, v string) error { return setInt(&c.DecisionsMax, "LATCHKEY_DECISIONS_MAX", v) }},
	{"LATCHKEY_DECISIONS_MAX_AGE", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("LATCHKEY_DECISIONS_MAX_AGE: want a duration such as 168h, got %q", v)
		}
		c.DecisionsMaxAge = d
		return nil
	}},
	{"LATCHKEY_IMDS_ADDR", func(c *Config, v string) error { c.IMDSAddr = v; return nil }},
	{"LATCHKEY_IMDS_INSTANCE_PROFILE", func(c *Config, v string) error { c.IMDSInstanceProfile = v; return nil }},
	{"LATCHKEY_IMDS_ALLOW_V1", func(c *Config, v string) error { return setBool(&c.IMDSAllowV1, "LATCHKEY_IMDS_ALLOW_V1", v) }},
	{"LATCHKEY_MAX_JSON_BODY_BYTES", func(c *Config, v string) error { return setInt(&c.MaxJSONBodyBytes, "LATCHKEY_MAX_JSON_BODY_BYTES", v) }},
}

func setBool(dst *bool, name, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("%s: want true or false, got %q", name, v)
	}
	*dst = b
	return nil
}

func setInt(dst *int64, name, v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("%s: want an integer, got %q", name, v)
	}
	*dst = n
	return nil
}

// Load reads the optional YAML file (strictly: unknown keys are errors), then the environment.
// lookup is os.LookupEnv in production and a map in tests.
func Load(file string, lookup func(string) (string, bool)) (Config, error) {
	c := Defaults()
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return c, fmt.Errorf("config file: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config file %s: %w", file, err)
		}
	}
	for _, ev := range envVars {
		if v, ok := lookup(ev.name); ok {
			if err := ev.set(&c, v); err != nil {
				return c, err
			}
		}
	}
	return c, nil
}

var (
	accountRe = regexp.MustCompile(`^[0-9]{12}$`)
	keyIDRe   = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
)

// Validate checks every setting and fills the derived default of DatabaseURL.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("LATCHKEY_ADDR %q: want host:port", c.Addr))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("LATCHKEY_DATA_DIR must not be empty"))
	}
	errs = append(errs, c.validateIMDS()...)
	if c.DecisionsMax < 1 || c.DecisionsMax > 10_000_000 {
		errs = append(errs, fmt.Errorf("LATCHKEY_DECISIONS_MAX %d: want 1 to 10000000", c.DecisionsMax))
	}
	if c.DecisionsMaxAge < time.Minute {
		errs = append(errs, fmt.Errorf("LATCHKEY_DECISIONS_MAX_AGE %s: want at least 1m", c.DecisionsMaxAge))
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = filepath.Join(c.DataDir, "latchkey.db")
	}
	if !accountRe.MatchString(c.AccountID) {
		errs = append(errs, fmt.Errorf("LATCHKEY_ACCOUNT_ID %q: want exactly 12 digits", c.AccountID))
	}
	if !ids.IsRegion(c.Region) {
		errs = append(errs, fmt.Errorf("LATCHKEY_REGION %q: want a region name such as us-east-1", c.Region))
	}
	if (c.RootAccessKeyID == "") != (c.RootSecretAccessKey == "") {
		errs = append(errs, errors.New("LATCHKEY_ROOT_ACCESS_KEY_ID and LATCHKEY_ROOT_SECRET_ACCESS_KEY must be set together"))
	}
	if c.RootAccessKeyID != "" {
		if !keyIDRe.MatchString(c.RootAccessKeyID) || strings.HasPrefix(c.RootAccessKeyID, "ASIA") {
			errs = append(errs, errors.New("LATCHKEY_ROOT_ACCESS_KEY_ID: want 16-128 upper-case letters and digits, not starting with ASIA (e.g. AKIA…)"))
		}
		if len(c.RootSecretAccessKey) < 16 || len(c.RootSecretAccessKey) > 128 {
			errs = append(errs, errors.New("LATCHKEY_ROOT_SECRET_ACCESS_KEY: want 16 to 128 characters"))
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
			errs = append(errs, fmt.Errorf("LATCHKEY_ISSUER_URL %q: want an absolute https URL", c.IssuerURL))
		case u.Scheme == "http" && !c.AllowHTTPIssuers:
			errs = append(errs, fmt.Errorf("LATCHKEY_ISSUER_URL %q: http issuers need LATCHKEY_ALLOW_HTTP_ISSUERS=true", c.IssuerURL))
		case u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, fmt.Errorf("LATCHKEY_ISSUER_URL %q: must not have a query or fragment", c.IssuerURL))
		}
	}
	if c.OIDCCAFile != "" {
		pem, err := os.ReadFile(c.OIDCCAFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("LATCHKEY_OIDC_CA_FILE: %w", err))
		} else if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			errs = append(errs, fmt.Errorf("LATCHKEY_OIDC_CA_FILE %s: no PEM certificate found", c.OIDCCAFile))
		}
	}
	if _, err := c.OIDCAllowedPrefixes(); err != nil {
		errs = append(errs, err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LATCHKEY_LOG_LEVEL %q: want debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("LATCHKEY_LOG_FORMAT %q: want text or json", c.LogFormat))
	}
	if u, err := url.Parse(c.CognitoIssuer); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		errs = append(errs, fmt.Errorf("LATCHKEY_COGNITO_ISSUER %q: want an absolute URL", c.CognitoIssuer))
	}
	if c.KeyRotation < time.Hour {
		errs = append(errs, errors.New("LATCHKEY_KEY_ROTATION must be at least 1h"))
	}
	if c.MaxQueryBodyBytes < 64<<10 || c.MaxJSONBodyBytes < 64<<10 {
		errs = append(errs, errors.New("body limits must be at least 65536 bytes"))
	}
	return errors.Join(errs...)
}

// MasterKeyBytes decodes MasterKey.
func (c *Config) MasterKeyBytes() ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(c.MasterKey))
	if err != nil || len(k) != 32 {
		return nil, errors.New("LATCHKEY_MASTER_KEY: want the base64 encoding of exactly 32 bytes (e.g. `openssl rand -base64 32`)")
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
	const name = "LATCHKEY_OIDC_ALLOWED_NETWORKS"
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
		errs = append(errs, errors.New("LATCHKEY_IMDS_INSTANCE_PROFILE and LATCHKEY_IMDS_ALLOW_V1 need LATCHKEY_IMDS_ADDR"))
	case c.IMDSAddr == "":
	default:
		if _, _, err := net.SplitHostPort(c.IMDSAddr); err != nil {
			errs = append(errs, fmt.Errorf("LATCHKEY_IMDS_ADDR %q: want host:port", c.IMDSAddr))
		}
		if !instanceProfileRe.MatchString(c.IMDSInstanceProfile) {
			errs = append(errs, fmt.Errorf("LATCHKEY_IMDS_INSTANCE_PROFILE %q: want an instance profile name (1-128 of letters, digits and +=,.@_-)", c.IMDSInstanceProfile))
		}
	}
	return errs
}

package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsValidate(t *testing.T) {
	c, err := Load("", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8855" || c.AccountID != "000000000000" || c.Region != "us-east-1" || c.DatabaseURL != filepath.Join("latchkey-data", "latchkey.db") {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestEnvWinsOverFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(f, []byte("addr: 127.0.0.1:9000\nregion: eu-west-1\naccount_id: \"111111111111\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(f, env(map[string]string{"LATCHKEY_REGION": "ap-south-1"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || c.Region != "ap-south-1" || c.AccountID != "111111111111" {
		t.Fatalf("merged: %+v", c)
	}
	if err := os.WriteFile(f, []byte("adr: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(f, env(nil)); err == nil {
		t.Fatal("unknown YAML key accepted")
	}
}

func TestValidateRejects(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	_ = os.WriteFile(caFile, []byte("not a certificate"), 0o600)
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"account":         {map[string]string{"LATCHKEY_ACCOUNT_ID": "12345"}, "LATCHKEY_ACCOUNT_ID"},
		"region":          {map[string]string{"LATCHKEY_REGION": "Mars"}, "LATCHKEY_REGION"},
		"addr":            {map[string]string{"LATCHKEY_ADDR": "8855"}, "LATCHKEY_ADDR"},
		"half root":       {map[string]string{"LATCHKEY_ROOT_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE"}, "set together"},
		"temp root key":   {map[string]string{"LATCHKEY_ROOT_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE", "LATCHKEY_ROOT_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, "ASIA"},
		"short secret":    {map[string]string{"LATCHKEY_ROOT_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "LATCHKEY_ROOT_SECRET_ACCESS_KEY": "short"}, "SECRET"},
		"master key":      {map[string]string{"LATCHKEY_MASTER_KEY": "c2hvcnQ="}, "32 bytes"},
		"http issuer":     {map[string]string{"LATCHKEY_ISSUER_URL": "http://issuer.test"}, "LATCHKEY_ALLOW_HTTP_ISSUERS"},
		"relative issuer": {map[string]string{"LATCHKEY_ISSUER_URL": "/x"}, "absolute"},
		"ca file":         {map[string]string{"LATCHKEY_OIDC_CA_FILE": caFile}, "no PEM"},
		"missing ca":      {map[string]string{"LATCHKEY_OIDC_CA_FILE": "/nonexistent/ca.pem"}, "LATCHKEY_OIDC_CA_FILE"},
		"log level":       {map[string]string{"LATCHKEY_LOG_LEVEL": "loud"}, "LATCHKEY_LOG_LEVEL"},
		"network no mask": {map[string]string{"LATCHKEY_OIDC_ALLOWED_NETWORKS": "10.0.0.1"}, "LATCHKEY_OIDC_ALLOWED_NETWORKS"},
		"network too big": {map[string]string{"LATCHKEY_OIDC_ALLOWED_NETWORKS": "10.0.0.0/33"}, "LATCHKEY_OIDC_ALLOWED_NETWORKS"},
		"network name":    {map[string]string{"LATCHKEY_OIDC_ALLOWED_NETWORKS": "idp.internal/32"}, "LATCHKEY_OIDC_ALLOWED_NETWORKS"},
		"network host":    {map[string]string{"LATCHKEY_OIDC_ALLOWED_NETWORKS": "10.1.2.3/8"}, "did you mean 10.0.0.0/8"},
		"network empty":   {map[string]string{"LATCHKEY_OIDC_ALLOWED_NETWORKS": "10.0.0.0/8,,192.168.0.0/16"}, "empty entry"},
		"network zone":    {map[string]string{"LATCHKEY_OIDC_ALLOWED_NETWORKS": "fe80::%eth0/64"}, "LATCHKEY_OIDC_ALLOWED_NETWORKS"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := Load("", env(tc.env))
			if err == nil {
				err = c.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error mentioning %q, got %v", tc.want, err)
			}
		})
	}
	if _, err := Load("", env(map[string]string{"LATCHKEY_ALLOW_HTTP_ISSUERS": "maybe"})); err == nil {
		t.Fatal("bad boolean accepted")
	}
	c, _ := Load("", env(map[string]string{"LATCHKEY_ISSUER_URL": "http://127.0.0.1:9/", "LATCHKEY_ALLOW_HTTP_ISSUERS": "true", "LATCHKEY_MASTER_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}))
	if err := c.Validate(); err != nil {
		t.Fatalf("http issuer with the flag: %v", err)
	}
}

// TestOIDCAllowedNetworks: the setting in its environment and YAML forms (a string or a list).
func TestOIDCAllowedNetworks(t *testing.T) {
	want := []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16"), netip.MustParsePrefix("fd12:3456::/32")}
	dir := t.TempDir()
	write := func(name, body string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	cases := []struct {
		name string
		file string
		env  map[string]string
		want []netip.Prefix
	}{
		{name: "unset", want: nil},
		{name: "env", env: map[string]string{"LATCHKEY_OIDC_ALLOWED_NETWORKS": " 10.20.0.0/16 , fd12:3456::/32 "}, want: want},
		{name: "yaml string", file: write("s.yaml", "oidc_allowed_networks: 10.20.0.0/16,fd12:3456::/32\n"), want: want},
		{name: "yaml list", file: write("l.yaml", "oidc_allowed_networks:\n  - 10.20.0.0/16\n  - fd12:3456::/32\n"), want: want},
		{name: "env over yaml", file: write("o.yaml", "oidc_allowed_networks: [192.168.0.0/16]\n"),
			env: map[string]string{"LATCHKEY_OIDC_ALLOWED_NETWORKS": "10.20.0.0/16,fd12:3456::/32"}, want: want},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Load(c.file, env(c.env))
			if err != nil {
				t.Fatal(err)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			got, err := cfg.OIDCAllowedPrefixes()
			if err != nil || !slices.Equal(got, c.want) {
				t.Fatalf("prefixes = %v, %v; want %v", got, err, c.want)
			}
		})
	}
	if _, err := Load(write("bad.yaml", "oidc_allowed_networks: {a: b}\n"), env(nil)); err == nil || !strings.Contains(err.Error(), "oidc_allowed_networks") {
		t.Fatalf("a mapping was accepted or the error does not name the key: %v", err)
	}
}

// TestExplainDenials: off by default; the environment turns it on; a bad boolean is refused.
func TestExplainDenials(t *testing.T) {
	if Defaults().ExplainDenials {
		t.Fatal("development mode on by default")
	}
	c, err := Load("", env(map[string]string{"LATCHKEY_EXPLAIN_DENIALS": "true"}))
	if err != nil || !c.ExplainDenials {
		t.Fatalf("LATCHKEY_EXPLAIN_DENIALS=true: %v %v", c.ExplainDenials, err)
	}
	if _, err := Load("", env(map[string]string{"LATCHKEY_EXPLAIN_DENIALS": "yes please"})); err == nil || !strings.Contains(err.Error(), "LATCHKEY_EXPLAIN_DENIALS") {
		t.Fatalf("bad boolean: %v", err)
	}
}

// TestIMDSSettings: the metadata listener is off by default, takes its three settings from the
// environment, and refuses a half or malformed configuration.
func TestIMDSSettings(t *testing.T) {
	if d := Defaults(); d.IMDSAddr != "" || d.IMDSAllowV1 {
		t.Fatal("metadata listener on by default")
	}
	c, err := Load("", env(map[string]string{"LATCHKEY_IMDS_ADDR": "127.0.0.1:8856", "LATCHKEY_IMDS_INSTANCE_PROFILE": "web", "LATCHKEY_IMDS_ALLOW_V1": "true"}))
	if err != nil || c.Validate() != nil || c.IMDSAddr != "127.0.0.1:8856" || c.IMDSInstanceProfile != "web" || !c.IMDSAllowV1 {
		t.Fatalf("settings not read: %+v, %v", c, err)
	}
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"profile without addr": {map[string]string{"LATCHKEY_IMDS_INSTANCE_PROFILE": "web"}, "need LATCHKEY_IMDS_ADDR"},
		"addr without profile": {map[string]string{"LATCHKEY_IMDS_ADDR": "127.0.0.1:8856"}, "LATCHKEY_IMDS_INSTANCE_PROFILE"},
		"bad addr":             {map[string]string{"LATCHKEY_IMDS_ADDR": "8856", "LATCHKEY_IMDS_INSTANCE_PROFILE": "web"}, "LATCHKEY_IMDS_ADDR"},
		"bad profile":          {map[string]string{"LATCHKEY_IMDS_ADDR": "127.0.0.1:8856", "LATCHKEY_IMDS_INSTANCE_PROFILE": "a/b"}, "LATCHKEY_IMDS_INSTANCE_PROFILE"},
		"bad boolean":          {map[string]string{"LATCHKEY_IMDS_ALLOW_V1": "sometimes"}, "LATCHKEY_IMDS_ALLOW_V1"},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Load("", env(tc.env))
			if err == nil {
				err = c.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error mentioning %q, got %v", tc.want, err)
			}
		})
	}
}

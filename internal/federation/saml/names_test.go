package saml

import "testing"

func TestNameQualifier(t *testing.T) {
	// base64(SHA1(issuer + account + "/" + provider)), as the IAM User Guide's
	// "Configure SAML assertions for the authentication response" defines NameQualifier.
	if got := NameQualifier("https://example.com/saml", "123456789012", "MySAMLIdP"); got != "1uAJanUnBc2XeUkHURMht+xam2c=" {
		t.Fatalf("NameQualifier = %q", got)
	}
	// Each input matters, and the "/" separates account and provider.
	if NameQualifier("https://example.com/saml", "12345678901", "2/MySAMLIdP") == NameQualifier("https://example.com/saml", "123456789012", "MySAMLIdP") {
		t.Fatal("account and provider name are not separated")
	}
}

func TestSubjectType(t *testing.T) {
	for in, want := range map[string]string{
		"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent":   "persistent",
		"urn:oasis:names:tc:SAML:2.0:nameid-format:transient":    "transient",
		"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		"urn:oasis:names:tc:SAML:2.0:nameid-format:":             "urn:oasis:names:tc:SAML:2.0:nameid-format:",
		"urn:example:custom": "urn:example:custom",
		"":                   "",
	} {
		if got := SubjectType(in); got != want {
			t.Errorf("SubjectType(%q) = %q, want %q", in, got, want)
		}
	}
}

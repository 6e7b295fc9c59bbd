package saml

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"
)

func certsEqual(got []*x509.Certificate, want ...*x509.Certificate) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !got[i].Equal(want[i]) {
			return false
		}
	}
	return true
}

// wrapped renders a certificate as IdPs do: base64 broken into 64-character lines.
func wrapped(c *x509.Certificate) string {
	s := base64.StdEncoding.EncodeToString(c.Raw)
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n      ")
		s = s[64:]
	}
	return b.String() + s
}

// idpEntity renders an ADFS/Okta-shaped EntityDescriptor (default metadata namespace).
func idpEntityXML(entityID, keyDescriptors, extraAttrs string) string {
	return fmt.Sprintf(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="%s"%s>
  <IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
%s
    <NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</NameIDFormat>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/>
  </IDPSSODescriptor>
</EntityDescriptor>`, entityID, extraAttrs, keyDescriptors)
}

func keyDescriptor(use string, c *x509.Certificate) string {
	useAttr := ""
	if use != "" {
		useAttr = fmt.Sprintf(` use="%s"`, use)
	}
	return fmt.Sprintf(`    <KeyDescriptor%s>
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>
      %s
      </ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </KeyDescriptor>`, useAttr, wrapped(c))
}

const spEntityXML = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:amazon:webservices">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://signin.aws.amazon.com/saml" index="1"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>`

func TestParseMetadataCrewjam(t *testing.T) {
	idp := crewjamIdP(providerKey, nil)
	md, err := ParseMetadata(crewjamMetadata(t, idp))
	if err != nil {
		t.Fatal(err)
	}
	if md.EntityID != testEntityID || !certsEqual(md.Certificates, providerKey.cert) {
		t.Fatalf("got %q %d certs", md.EntityID, len(md.Certificates))
	}
	if md.ValidUntil == nil || !md.ValidUntil.Equal(testNow.Add(crewjam.DefaultValidDuration)) {
		t.Fatalf("ValidUntil = %v", md.ValidUntil)
	}

	// The encryption key is not a signing key; announced next certificates are.
	idp.EncryptionCertificate = attackerKey.cert
	idp.ExtraCertificates = []*x509.Certificate{rolloverKey.cert}
	md, err = ParseMetadata(crewjamMetadata(t, idp))
	if err != nil {
		t.Fatal(err)
	}
	if !certsEqual(md.Certificates, providerKey.cert, rolloverKey.cert) {
		t.Fatalf("certificates: %d", len(md.Certificates))
	}

	// Signed metadata (an enveloped ds:Signature in the EntityDescriptor) parses too.
	idp.SignMetadata = true
	el, err := idp.SignedMetadata()
	if err != nil {
		t.Fatal(err)
	}
	if md, err = ParseMetadata(string(serialize(t, el))); err != nil || md.EntityID != testEntityID {
		t.Fatalf("signed metadata: %v", err)
	}
}

func TestParseMetadataShapes(t *testing.T) {
	const id = "http://www.okta.com/exk1abcd"
	until := "2030-01-01T00:00:00Z"
	md, err := ParseMetadata(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		idpEntityXML(id, keyDescriptor("signing", providerKey.cert)+"\n"+keyDescriptor("", rolloverKey.cert)+"\n"+keyDescriptor("encryption", attackerKey.cert)+"\n"+keyDescriptor("signing", providerKey.cert), ` validUntil="`+until+`"`))
	if err != nil {
		t.Fatal(err)
	}
	if md.EntityID != id || !certsEqual(md.Certificates, providerKey.cert, rolloverKey.cert) {
		t.Fatalf("got %q, %d certs", md.EntityID, len(md.Certificates))
	}
	if md.ValidUntil == nil || md.ValidUntil.Format(time.RFC3339) != until {
		t.Fatalf("ValidUntil %v", md.ValidUntil)
	}

	// An aggregate with one IdP among SPs; the earliest validUntil on the path wins.
	agg := `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" validUntil="2029-06-01T00:00:00Z" Name="fed">` +
		spEntityXML +
		`<md:EntitiesDescriptor validUntil="2031-01-01T00:00:00Z">` + idpEntityXML(id, keyDescriptor("signing", providerKey.cert), "") + `</md:EntitiesDescriptor>` +
		`</md:EntitiesDescriptor>`
	md, err = ParseMetadata(agg)
	if err != nil {
		t.Fatal(err)
	}
	if md.EntityID != id || md.ValidUntil == nil || md.ValidUntil.Format(time.RFC3339) != "2029-06-01T00:00:00Z" {
		t.Fatalf("aggregate: %q %v", md.EntityID, md.ValidUntil)
	}
}

func TestParseMetadataRejects(t *testing.T) {
	sign := keyDescriptor("signing", providerKey.cert)
	entities := func(inner ...string) string {
		return `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` + strings.Join(inner, "") + `</md:EntitiesDescriptor>`
	}
	for name, c := range map[string]struct{ doc, msg string }{
		"empty":          {"  ", "the document is empty"},
		"garbage":        {"this is not metadata", "the document is not well-formed XML"},
		"truncated":      {idpEntityXML("https://idp", sign, "")[:200], "the document is not well-formed XML"},
		"html":           {"<html><body>Sign in</body></html>", "the root element must be"},
		"wrong ns":       {strings.Replace(idpEntityXML("https://idp", sign, ""), "urn:oasis:names:tc:SAML:2.0:metadata", "urn:example", 1), "the root element must be"},
		"doctype":        {`<!DOCTYPE x [<!ENTITY e "x">]>` + idpEntityXML("https://idp", sign, ""), "the document is not well-formed XML"},
		"no idp":         {entities(spEntityXML), "found 0"},
		"two idps":       {entities(idpEntityXML("https://a", sign, ""), idpEntityXML("https://b", sign, "")), "found 2"},
		"no signing key": {idpEntityXML("https://idp", keyDescriptor("encryption", providerKey.cert), ""), "no signing certificate"},
		"no keys":        {idpEntityXML("https://idp", "", ""), "no signing certificate"},
		"bad base64":     {strings.Replace(idpEntityXML("https://idp", sign, ""), "MII", "!!!", 1), "invalid signing certificate"},
		"not a cert":     {idpEntityXML("https://idp", `<KeyDescriptor><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>aGVsbG8=</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>`, ""), "invalid signing certificate"},
		"no entityID":    {idpEntityXML("", sign, ""), "no entityID"},
		"padded ID":      {idpEntityXML(" https://idp", sign, ""), "whitespace"},
		"bad validUntil": {idpEntityXML("https://idp", sign, ` validUntil="next year"`), "invalid xs:dateTime"},
		"saml1 only":     {strings.Replace(idpEntityXML("https://idp", sign, ""), "urn:oasis:names:tc:SAML:2.0:protocol", "urn:oasis:names:tc:SAML:1.1:protocol", 1), "does not support the SAML 2.0 protocol"},
		"too long":       {strings.Repeat(" ", MaxMetadataLength) + "<x/>", "longer than"},
	} {
		t.Run(name, func(t *testing.T) {
			md, err := ParseMetadata(c.doc)
			if err == nil {
				t.Fatalf("accepted: %+v", md)
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != InvalidMetadata {
				t.Fatalf("error %v, want InvalidMetadata", err)
			}
			if !strings.HasPrefix(e.Message, "Could not parse metadata") || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("message %q, want it to contain %q", e.Message, c.msg)
			}
		})
	}
}

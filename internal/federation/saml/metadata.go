package saml

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// MaxMetadataLength is IAM's limit on SAMLMetadataDocument (IAM API Reference,
// CreateSAMLProvider).
const MaxMetadataLength = 10_000_000

// Metadata is what Latchkey keeps from an IdP metadata document.
type Metadata struct {
	EntityID string
	// Certificates are the IDPSSODescriptor's KeyDescriptors with use="signing" or without a
	// use attribute (which means both uses), deduplicated, in document order. Any of them may
	// sign a response, so an IdP can announce its next certificate before it rolls over.
	Certificates []*x509.Certificate
	// ValidUntil is the earliest validUntil of the IdP's EntityDescriptor, its enclosing
	// EntitiesDescriptors and its IDPSSODescriptor. Verify does not enforce it: IAM reports it
	// (ListSAMLProviders) and the caller decides what an expired provider means.
	ValidUntil *time.Time
}

// ParseMetadata validates and parses an IdP metadata document: an md:EntityDescriptor, or an
// md:EntitiesDescriptor (possibly nested) holding exactly one entity with an IDPSSODescriptor.
// The metadata's own signature, if any, is not checked: IAM trusts the administrator who
// uploads the document, as AWS does. Errors are *Error with Kind InvalidMetadata and a message
// that starts "Could not parse metadata", usable as IAM's InvalidInput text.
func ParseMetadata(doc string) (*Metadata, error) {
	if strings.TrimSpace(doc) == "" {
		return nil, badMetadata(nil, "the document is empty")
	}
	if len(doc) > MaxMetadataLength {
		return nil, badMetadata(nil, "the document is longer than %d characters", MaxMetadataLength)
	}
	d, err := parseXML([]byte(doc))
	if err != nil {
		return nil, badMetadata(err, "the document is not well-formed XML")
	}
	root := d.Root()
	var idps []idpEntity
	switch {
	case is(root, nsMetadata, "EntityDescriptor"):
		idps, err = collectEntity(root, nil)
	case is(root, nsMetadata, "EntitiesDescriptor"):
		idps, err = collectEntities(root, nil)
	default:
		return nil, badMetadata(fmt.Errorf("root element <%s>", root.FullTag()),
			"the root element must be an EntityDescriptor or EntitiesDescriptor in the SAML 2.0 metadata namespace")
	}
	if err != nil {
		return nil, badMetadata(err, "%v", err)
	}
	if len(idps) != 1 {
		return nil, badMetadata(nil, "the document must describe exactly one identity provider (an EntityDescriptor with an IDPSSODescriptor), found %d", len(idps))
	}
	return idps[0].metadata()
}

type idpEntity struct {
	ed         *etree.Element
	validUntil *time.Time
}

func earliest(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.Before(*a)) {
		return b
	}
	return a
}

func collectEntities(el *etree.Element, inherited *time.Time) ([]idpEntity, error) {
	vu, err := timeAttr(el, "validUntil")
	if err != nil {
		return nil, err
	}
	vu = earliest(inherited, vu)
	var out []idpEntity
	for _, c := range el.ChildElements() {
		var found []idpEntity
		switch {
		case is(c, nsMetadata, "EntityDescriptor"):
			found, err = collectEntity(c, vu)
		case is(c, nsMetadata, "EntitiesDescriptor"):
			found, err = collectEntities(c, vu)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

func collectEntity(ed *etree.Element, inherited *time.Time) ([]idpEntity, error) {
	if len(children(ed, nsMetadata, "IDPSSODescriptor")) == 0 {
		return nil, nil
	}
	vu, err := timeAttr(ed, "validUntil")
	if err != nil {
		return nil, err
	}
	return []idpEntity{{ed: ed, validUntil: earliest(inherited, vu)}}, nil
}

func (e idpEntity) metadata() (*Metadata, error) {
	md := &Metadata{ValidUntil: e.validUntil}
	id, _ := attr(e.ed, "entityID")
	if strings.TrimSpace(id) == "" {
		return nil, badMetadata(nil, "the EntityDescriptor has no entityID")
	}
	if id != strings.TrimSpace(id) {
		// Responses are matched on the exact entityID; invisible whitespace would make every
		// response fail with a confusing issuer error instead of failing here.
		return nil, badMetadata(nil, "the entityID has leading or trailing whitespace")
	}
	md.EntityID = id
	saml2 := 0
	for _, sso := range children(e.ed, nsMetadata, "IDPSSODescriptor") {
		pse, _ := attr(sso, "protocolSupportEnumeration")
		if !containsString(strings.Fields(pse), nsProtocol) {
			continue
		}
		saml2++
		vu, err := timeAttr(sso, "validUntil")
		if err != nil {
			return nil, badMetadata(err, "%v", err)
		}
		md.ValidUntil = earliest(md.ValidUntil, vu)
		for _, kd := range children(sso, nsMetadata, "KeyDescriptor") {
			if use, _ := attr(kd, "use"); use != "" && use != "signing" {
				continue
			}
			certs, err := keyDescriptorCerts(kd)
			if err != nil {
				return nil, badMetadata(err, "invalid signing certificate: %v", err)
			}
			for _, c := range certs {
				if !containsCert(md.Certificates, c) {
					md.Certificates = append(md.Certificates, c)
				}
			}
		}
	}
	if saml2 == 0 {
		return nil, badMetadata(nil, "the IDPSSODescriptor does not support the SAML 2.0 protocol (protocolSupportEnumeration)")
	}
	if len(md.Certificates) == 0 {
		return nil, badMetadata(nil, "the IDPSSODescriptor has no signing certificate (KeyDescriptor use=\"signing\" with an X509Certificate)")
	}
	return md, nil
}

func keyDescriptorCerts(kd *etree.Element) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, ki := range children(kd, nsDSig, "KeyInfo") {
		for _, xd := range children(ki, nsDSig, "X509Data") {
			for _, xc := range children(xd, nsDSig, "X509Certificate") {
				text, err := textContent(xc)
				if err != nil {
					return nil, err
				}
				der, err := base64.StdEncoding.DecodeString(stripSpace(text))
				if err != nil {
					return nil, fmt.Errorf("X509Certificate is not base64: %w", err)
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					return nil, fmt.Errorf("X509Certificate: %w", err)
				}
				out = append(out, cert)
			}
		}
	}
	if len(out) == 0 {
		// A KeyDescriptor with only a KeyName or KeyValue gives nothing goxmldsig can match;
		// it is skipped rather than refused, other KeyDescriptors may carry certificates.
		return nil, nil
	}
	return out, nil
}

func containsCert(list []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range list {
		if x.Equal(c) {
			return true
		}
	}
	return false
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stripSpace removes the XML whitespace that PEM-style line wrapping puts in base64 text.
func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

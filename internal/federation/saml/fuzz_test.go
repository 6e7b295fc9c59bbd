package saml

import (
	"errors"
	"testing"
)

// FuzzVerify feeds arbitrary bytes, base64-encoded as a client would send them, through the
// whole verifier: it must never panic, and anything it refuses must be an *Error.
func FuzzVerify(f *testing.F) {
	fixtures()
	spec := defaultSpec()
	f.Add(spec.build(f))
	spec.SignResponse = false
	f.Add(spec.build(f))
	f.Add(crewjamResponse(f, providerKey, nil))
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`))
	f.Add([]byte(`<!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>`))
	f.Add([]byte("not xml at all"))
	f.Add([]byte{})
	md, opts := testMetadata(), testOptions()
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Verify(b64(data), md, opts)
		if err == nil {
			if a == nil || a.Issuer != testEntityID || a.Subject == "" {
				t.Fatalf("accepted without a full assertion: %+v", a)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Message == "" {
			t.Fatalf("error %v is not a *Error with a message", err)
		}
	})
}

// FuzzParseMetadata does the same for metadata documents.
func FuzzParseMetadata(f *testing.F) {
	fixtures()
	f.Add(crewjamMetadata(f, crewjamIdP(providerKey, nil)))
	f.Add(`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>`)
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, doc string) {
		md, err := ParseMetadata(doc)
		if err == nil && (md.EntityID == "" || len(md.Certificates) == 0) {
			t.Fatalf("accepted incomplete metadata: %+v", md)
		}
		var e *Error
		if err != nil && (!errors.As(err, &e) || e.Kind != InvalidMetadata) {
			t.Fatalf("error %v is not InvalidMetadata", err)
		}
	})
}

package saml

import (
	"bytes"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
)

func mustVerify(t *testing.T, raw []byte, md *Metadata, opts Options) *Assertion {
	t.Helper()
	a, err := Verify(b64(raw), md, opts)
	if err != nil {
		t.Fatalf("Verify: %v\n%s", err, raw)
	}
	return a
}

// wantErr checks that err is an *Error of the given kind and, when msg is set, client message.
func wantErr(t *testing.T, err error, kind ErrorKind, msg string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *Error", err, err)
	}
	if e.Kind != kind || (msg != "" && e.Message != msg) {
		t.Fatalf("error = kind %v message %q (cause %v), want kind %v message %q", e.Kind, e.Message, e.Cause, kind, msg)
	}
	return e
}

func verifyFails(t *testing.T, raw []byte, kind ErrorKind, msg string) *Error {
	t.Helper()
	a, err := Verify(b64(raw), testMetadata(), testOptions())
	if err == nil {
		t.Fatalf("Verify accepted the response (subject %q)\n%s", a.Subject, raw)
	}
	if a != nil {
		t.Fatal("Verify returned an assertion with an error")
	}
	return wantErr(t, err, kind, msg)
}

func replaceOnce(t *testing.T, raw []byte, old, new string) []byte {
	t.Helper()
	if bytes.Count(raw, []byte(old)) != 1 {
		t.Fatalf("%q occurs %d times in the fixture, want 1", old, bytes.Count(raw, []byte(old)))
	}
	return bytes.Replace(raw, []byte(old), []byte(new), 1)
}

func at(tm time.Time) Options {
	o := testOptions()
	o.Now = func() time.Time { return tm }
	return o
}

// signingModes are the three places a signature can be.
var signingModes = []struct {
	name                string
	response, assertion bool
	signed              string
}{
	{"response", true, false, "Response"},
	{"assertion", false, true, "Assertion"},
	{"both", true, true, "Response"},
}

func TestVerifyCrewjamResponse(t *testing.T) {
	raw := crewjamResponse(t, providerKey, nil)
	a := mustVerify(t, raw, testMetadata(), testOptions())

	if a.Issuer != testEntityID || a.Subject != "alice@example.com" || a.SubjectFormat != emailFmt {
		t.Errorf("issuer/subject = %q %q %q", a.Issuer, a.Subject, a.SubjectFormat)
	}
	if a.Recipient != testRecipient || !reflect.DeepEqual(a.Audiences, []string{testAudience}) {
		t.Errorf("recipient/audiences = %q %q", a.Recipient, a.Audiences)
	}
	// crewjam: IssueInstant = now, NotOnOrAfter = now + MaxIssueDelay (90 s).
	if !a.IssueInstant.Equal(testNow) || !a.NotOnOrAfter.Equal(testNow.Add(crewjam.MaxIssueDelay)) {
		t.Errorf("times = %s %s", a.IssueInstant, a.NotOnOrAfter)
	}
	if a.SignedElement != "Response" || a.ID == "" || a.SessionNotOnOrAfter != nil {
		t.Errorf("signed %q id %q session %v", a.SignedElement, a.ID, a.SessionNotOnOrAfter)
	}
	want := map[string][]string{
		roleAttr:                            {roleValue, roleValue2},
		sessionAttr:                         {"alice"},
		"urn:oid:1.3.6.1.4.1.5923.1.1.1.1":  {"admins", "staff", "everyone"}, // eduPersonAffiliation, in order
		"urn:oid:0.9.2342.19200300.100.1.1": {"alice"},                       // uid, keyed by Name not FriendlyName
		"urn:oid:0.9.2342.19200300.100.1.3": {"alice@example.com"},
		"urn:oid:1.3.6.1.4.1.5923.1.1.1.6":  {"alice@example.com"},
	}
	if !reflect.DeepEqual(a.Attributes, want) {
		t.Errorf("attributes = %#v\nwant %#v", a.Attributes, want)
	}
	if SubjectType(a.SubjectFormat) != emailFmt {
		t.Errorf("SubjectType = %q", SubjectType(a.SubjectFormat))
	}
}

// crewjamSignedAssertion is an Assertion signed by crewjam/saml, for wrapping in an unsigned
// Response: the assertion is signed on its own and then verified inside another document.
func crewjamSignedAssertion(t *testing.T) *etree.Element {
	idp := crewjamIdP(providerKey, nil)
	req, err := idp.NewIdpInitiatedRequest(httptest.NewRequest(http.MethodPost, "https://idp.example.com/saml/sso", nil), testAudience, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := (crewjam.DefaultAssertionMaker{}).MakeAssertion(req, crewjamSession()); err != nil {
		t.Fatal(err)
	}
	if err := req.MakeAssertionEl(); err != nil {
		t.Fatal(err)
	}
	return req.AssertionEl
}

func TestVerifyCrewjamAssertionInUnsignedResponse(t *testing.T) {
	spec := defaultSpec()
	spec.SignResponse = false
	raw := spec.buildWith(t, crewjamSignedAssertion(t))
	a := mustVerify(t, raw, testMetadata(), testOptions())
	if a.SignedElement != "Assertion" || a.Subject != "alice@example.com" {
		t.Fatalf("signed %q subject %q", a.SignedElement, a.Subject)
	}
	// The envelope is unsigned, so it can refuse but never grant: a bad status still fails.
	spec.Status = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	verifyFails(t, spec.buildWith(t, crewjamSignedAssertion(t)), InvalidResponse, "Response status is not Success")
}

func TestVerifyCrewjamMetadataEndToEnd(t *testing.T) {
	md, err := ParseMetadata(crewjamMetadata(t, crewjamIdP(providerKey, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a := mustVerify(t, crewjamResponse(t, providerKey, nil), md, testOptions())
	if a.Issuer != md.EntityID {
		t.Fatalf("issuer %q", a.Issuer)
	}
}

func TestVerifySigningModes(t *testing.T) {
	for _, m := range signingModes {
		t.Run(m.name, func(t *testing.T) {
			spec := defaultSpec()
			spec.SignResponse, spec.SignAssertion = m.response, m.assertion
			a := mustVerify(t, spec.build(t), testMetadata(), testOptions())
			if a.SignedElement != m.signed || a.Subject != "alice@example.com" || a.SubjectFormat != persistentFmt {
				t.Fatalf("got %+v", a)
			}
			if !reflect.DeepEqual(a.Attributes[roleAttr], []string{roleValue, roleValue2}) {
				t.Fatalf("roles %q", a.Attributes[roleAttr])
			}
		})
	}
}

func TestVerifyOwnURLRecipientAndAudience(t *testing.T) {
	spec := defaultSpec()
	spec.Recipient, spec.Destination = testOwnURL, testOwnURL
	spec.Audiences = []string{"https://other.example.com", testRecipient}
	a := mustVerify(t, spec.build(t), testMetadata(), testOptions())
	if a.Recipient != testOwnURL || !reflect.DeepEqual(a.Audiences, spec.Audiences) {
		t.Fatalf("recipient %q audiences %q", a.Recipient, a.Audiences)
	}
}

func TestVerifyCertificateRollover(t *testing.T) {
	md := testMetadata()
	md.Certificates = []*x509.Certificate{rolloverKey.cert, providerKey.cert}
	for _, noKeyInfo := range []bool{false, true} {
		spec := defaultSpec()
		spec.NoKeyInfo = noKeyInfo
		mustVerify(t, spec.build(t), md, testOptions())
		spec.Signer = rolloverKey
		mustVerify(t, spec.build(t), md, testOptions())
	}
}

func TestVerifyAttributes(t *testing.T) {
	spec := defaultSpec()
	spec.Attrs = []testAttr{
		{Name: "https://aws.amazon.com/SAML/Attributes/PrincipalTag:Team", Values: []string{"blue"}},
		{Name: "groups", Values: []string{"c", "a", "b"}},
		{Name: "groups", Values: []string{"z"}}, // a repeated Name appends, in order
		{Name: "Groups", Values: []string{"case-sensitive"}},
		{Name: "empty"},
	}
	spec.RawAttrXML = `<saml:Attribute Name="nil"><saml:AttributeValue xsi:nil="true"/><saml:AttributeValue>x</saml:AttributeValue></saml:Attribute>` +
		`<saml:Attribute Name="complex"><saml:AttributeValue><saml:NameID>opaque</saml:NameID></saml:AttributeValue><saml:AttributeValue>plain</saml:AttributeValue></saml:Attribute>` +
		`<saml:Attribute Name="spaces"><saml:AttributeValue>  padded  </saml:AttributeValue></saml:Attribute>`
	a := mustVerify(t, spec.build(t), testMetadata(), testOptions())
	want := map[string][]string{
		"https://aws.amazon.com/SAML/Attributes/PrincipalTag:Team": {"blue"},
		"groups":  {"c", "a", "b", "z"},
		"Groups":  {"case-sensitive"},
		"empty":   {},
		"nil":     {"", "x"},
		"complex": {"plain"},
		"spaces":  {"  padded  "},
	}
	if !reflect.DeepEqual(a.Attributes, want) {
		t.Fatalf("attributes = %#v\nwant %#v", a.Attributes, want)
	}
}

func TestVerifyConditions(t *testing.T) {
	spec := defaultSpec()
	spec.ExtraConditions = `<saml:OneTimeUse/><saml:ProxyRestriction Count="0"/>`
	a := mustVerify(t, spec.build(t), testMetadata(), testOptions())
	if !a.OneTimeUse {
		t.Fatal("OneTimeUse not reported")
	}
	spec.ExtraConditions = `<saml:Condition xmlns:x="urn:x" xsi:type="x:Custom"/>`
	verifyFails(t, spec.build(t), InvalidResponse, "Assertion has an unsupported condition")
	// Every AudienceRestriction must be satisfied, not just one.
	spec.ExtraConditions = `<saml:AudienceRestriction><saml:Audience>https://other.example.com</saml:Audience></saml:AudienceRestriction>`
	verifyFails(t, spec.build(t), InvalidResponse, msgAudience)
}

func TestVerifySessionNotOnOrAfter(t *testing.T) {
	spec := defaultSpec()
	spec.SessionNotOnOrAfter = testNow.Add(time.Hour)
	a := mustVerify(t, spec.build(t), testMetadata(), testOptions())
	if a.SessionNotOnOrAfter == nil || !a.SessionNotOnOrAfter.Equal(spec.SessionNotOnOrAfter) {
		t.Fatalf("SessionNotOnOrAfter = %v", a.SessionNotOnOrAfter)
	}
	spec.SessionNotOnOrAfter = testNow.Add(-time.Hour)
	verifyFails(t, spec.build(t), Expired, msgExpired)
}

func TestVerifyTimes(t *testing.T) {
	spec := defaultSpec()
	raw := spec.build(t) // IssueInstant now-30s, NotBefore now-1m, NotOnOrAfter now+5m
	md := testMetadata()
	ok := func(now time.Time, opts Options) {
		t.Helper()
		opts.Now = func() time.Time { return now }
		if _, err := Verify(b64(raw), md, opts); err != nil {
			t.Fatalf("at %s: %v", now, err)
		}
	}
	fail := func(now time.Time, opts Options, kind ErrorKind, msg string) {
		t.Helper()
		opts.Now = func() time.Time { return now }
		_, err := Verify(b64(raw), md, opts)
		if err == nil {
			t.Fatalf("at %s: accepted", now)
		}
		wantErr(t, err, kind, msg)
	}
	// NotOnOrAfter, with the default 3-minute skew (and a long redeem window, tested below).
	long := testOptions()
	long.MaxAge = time.Hour
	ok(spec.NotOnOrAfter.Add(DefaultSkew-time.Second), long)
	fail(spec.NotOnOrAfter.Add(DefaultSkew), long, Expired, msgExpired)
	// A negative skew means none.
	noSkew := testOptions()
	noSkew.Skew = -1
	noSkew.MaxAge = time.Hour
	ok(spec.NotOnOrAfter.Add(-time.Second), noSkew)
	fail(spec.NotOnOrAfter, noSkew, Expired, msgExpired)
	// IssueInstant may be ahead of our clock by the skew, not more.
	ok(spec.IssueInstant.Add(-DefaultSkew), testOptions())
	fail(spec.IssueInstant.Add(-DefaultSkew-time.Second), testOptions(), InvalidResponse, "Response IssueInstant is in the future")
}

func TestVerifyExpired(t *testing.T) {
	spec := defaultSpec()
	verifyFailsAt := func(raw []byte, now time.Time, kind ErrorKind, msg string) {
		t.Helper()
		_, err := Verify(b64(raw), testMetadata(), at(now))
		if err == nil {
			t.Fatal("accepted")
		}
		wantErr(t, err, kind, msg)
	}
	t.Run("conditions NotOnOrAfter passed", func(t *testing.T) {
		verifyFailsAt(spec.build(t), spec.NotOnOrAfter.Add(time.Hour), Expired, msgExpired)
	})
	t.Run("subject confirmation NotOnOrAfter passed", func(t *testing.T) {
		s := spec
		s.NotOnOrAfter = testNow.Add(time.Hour)
		s.SCDNotOnOrAfter = testNow.Add(-10 * time.Minute)
		verifyFails(t, s.build(t), Expired, msgExpired)
	})
	t.Run("redeemed too late", func(t *testing.T) {
		s := spec
		s.IssueInstant = testNow.Add(-DefaultMaxAge - DefaultSkew - time.Second)
		s.NotBefore = s.IssueInstant
		s.NotOnOrAfter, s.SCDNotOnOrAfter = testNow.Add(time.Hour), testNow.Add(time.Hour)
		verifyFails(t, s.build(t), Expired, "Token must be redeemed within 5 minutes of issuance")
		// Still inside the window (with skew): accepted.
		s.IssueInstant = testNow.Add(-DefaultMaxAge - DefaultSkew + time.Second)
		mustVerify(t, s.build(t), testMetadata(), testOptions())
		// A configured window is reported in the message.
		opts := testOptions()
		opts.MaxAge = time.Minute
		_, err := Verify(b64(s.build(t)), testMetadata(), opts)
		wantErr(t, err, Expired, "Token must be redeemed within 1 minute of issuance")
	})
	t.Run("NotBefore in the future", func(t *testing.T) {
		s := spec
		s.NotBefore = testNow.Add(10 * time.Minute)
		verifyFails(t, s.build(t), InvalidResponse, msgNotYetValid)
	})
	t.Run("IssueInstant in the future", func(t *testing.T) {
		s := spec
		s.IssueInstant = testNow.Add(10 * time.Minute)
		s.NotOnOrAfter, s.SCDNotOnOrAfter = testNow.Add(time.Hour), testNow.Add(time.Hour)
		verifyFails(t, s.build(t), InvalidResponse, "Response IssueInstant is in the future")
	})
}

// TestVerifyRejects is the attack and misconfiguration matrix: every case must be refused.
func TestVerifyRejects(t *testing.T) {
	for _, m := range signingModes {
		t.Run("tampered after signing/"+m.name, func(t *testing.T) {
			spec := defaultSpec()
			spec.SignResponse, spec.SignAssertion = m.response, m.assertion
			raw := spec.build(t)
			verifyFails(t, replaceOnce(t, raw, "role/ReadOnly", "role/Owner"), InvalidResponse, msgSignatureInvalid)
			verifyFails(t, replaceOnce(t, raw, ">alice@example.com<", ">admin@example.com<"), InvalidResponse, msgSignatureInvalid)
		})
		t.Run("signed by another key/"+m.name, func(t *testing.T) {
			spec := defaultSpec()
			spec.SignResponse, spec.SignAssertion = m.response, m.assertion
			spec.Signer = attackerKey
			verifyFails(t, spec.build(t), InvalidResponse, msgSignatureInvalid)
			spec.NoKeyInfo = true
			verifyFails(t, spec.build(t), InvalidResponse, msgSignatureInvalid)
		})
	}

	t.Run("broken response signature does not fall back to the assertion's", func(t *testing.T) {
		// Both are signed; the envelope is altered, so only the Assertion signature still holds.
		// A present-but-wrong Response signature is fatal.
		spec := defaultSpec()
		raw := spec.build(t)
		verifyFails(t, replaceOnce(t, raw, `ID="_resp1" IssueInstant="`, `ID="_resp1" InResponseTo="_x" IssueInstant="`), InvalidResponse, msgSignatureInvalid)
	})

	t.Run("unsigned", func(t *testing.T) {
		spec := defaultSpec()
		spec.SignResponse, spec.SignAssertion = false, false
		e := verifyFails(t, spec.build(t), InvalidResponse, msgSignatureInvalid)
		if !strings.Contains(e.Error(), "neither the Response nor the Assertion is signed") {
			t.Errorf("cause: %v", e)
		}
	})

	t.Run("attacker key with the provider's certificate in KeyInfo", func(t *testing.T) {
		spec := defaultSpec()
		spec.Signer = &testKey{key: attackerKey.key, cert: providerKey.cert}
		verifyFails(t, spec.build(t), InvalidResponse, msgSignatureInvalid)
	})

	t.Run("provider certificate expired", func(t *testing.T) {
		spec := defaultSpec()
		spec.Signer = expiredKey
		md := testMetadata()
		md.Certificates = []*x509.Certificate{expiredKey.cert}
		_, err := Verify(b64(spec.build(t)), md, testOptions())
		wantErr(t, err, InvalidResponse, msgSignatureInvalid)
	})

	t.Run("wrapping: unsigned assertion added next to the signed one", func(t *testing.T) {
		for _, before := range []bool{false, true} {
			spec := defaultSpec()
			spec.SignResponse = false
			evil := defaultSpec()
			evil.AssertionID, evil.NameIDXML, evil.SignAssertion = "_evil", "admin@example.com", false
			resp := parseEl(t, string(spec.build(t)))
			if before {
				resp.InsertChildAt(resp.SelectElement("saml:Assertion").Index(), evil.assertion(t))
			} else {
				resp.AddChild(evil.assertion(t))
			}
			verifyFails(t, serialize(t, resp), InvalidResponse, "Response must contain exactly one Assertion")
		}
	})

	t.Run("wrapping: assertion hidden in the signature's ds:Object", func(t *testing.T) {
		spec := defaultSpec()
		spec.SignResponse = false
		signed := spec.assertion(t)
		evil := defaultSpec()
		evil.AssertionID, evil.NameIDXML, evil.SignAssertion = "_evil", "admin@example.com", false
		obj := signed.SelectElement("ds:Signature").CreateElement("ds:Object")
		obj.AddChild(evil.assertion(t))
		verifyFails(t, spec.buildWith(t, signed), InvalidResponse, "Response must contain exactly one Assertion")
	})

	t.Run("wrapping: signed response moved inside an evil response", func(t *testing.T) {
		spec := defaultSpec()
		spec.SignAssertion = false
		orig := parseEl(t, string(spec.build(t)))
		evil := defaultSpec()
		evil.ResponseID, evil.AssertionID, evil.NameIDXML = "_evil", "_evilA", "admin@example.com"
		evil.SignResponse, evil.SignAssertion = false, false
		wrapper := parseEl(t, string(evil.build(t)))
		wrapper.CreateElement("samlp:Extensions").AddChild(orig.Copy())
		verifyFails(t, serialize(t, wrapper), InvalidResponse, "Response must contain exactly one Assertion")

		// Without an assertion of its own, the wrapper's only assertion is not its child.
		for _, id := range []string{"_evil", spec.ResponseID} {
			evil.ResponseID = id
			wrapper = parseEl(t, string(evil.buildWith(t, nil)))
			wrapper.CreateElement("samlp:Extensions").AddChild(orig.Copy())
			verifyFails(t, serialize(t, wrapper), InvalidResponse, "Response must contain exactly one Assertion")
		}
	})

	t.Run("wrapping: assertion carrying a signature from another document", func(t *testing.T) {
		spec := defaultSpec()
		spec.SignResponse = false
		genuine := spec.assertion(t)
		evil := spec
		evil.NameIDXML = "admin@example.com"
		forged := evil.assertion(t)
		sig := forged.SelectElement("ds:Signature")
		forged.InsertChildAt(sig.Index(), genuine.SelectElement("ds:Signature").Copy())
		forged.RemoveChild(sig)
		verifyFails(t, spec.buildWith(t, forged), InvalidResponse, msgSignatureInvalid)
	})

	t.Run("wrapping: assertion signature moved to the response", func(t *testing.T) {
		spec := defaultSpec()
		spec.SignResponse = false
		signed := spec.assertion(t)
		sig := signed.SelectElement("ds:Signature")
		signed.RemoveChild(sig)
		signed.FindElement("./saml:Subject/saml:NameID").SetText("admin@example.com")
		resp := parseEl(t, string(spec.buildWith(t, signed)))
		resp.InsertChildAt(resp.SelectElement("saml:Issuer").Index()+1, sig)
		verifyFails(t, serialize(t, resp), InvalidResponse, msgSignatureInvalid)
	})

	t.Run("duplicate IDs", func(t *testing.T) {
		spec := defaultSpec()
		spec.SignResponse = false
		spec.ResponseID = spec.AssertionID
		verifyFails(t, spec.build(t), InvalidResponse, "Response contains duplicate ID attributes")
	})

	t.Run("wrong issuer", func(t *testing.T) {
		spec := defaultSpec()
		spec.Issuer = "https://evil.example.com/saml"
		verifyFails(t, spec.build(t), InvalidResponse, msgIssuer)
		// The assertion's issuer is right but the response's is not.
		spec = defaultSpec()
		spec.RespIssuer = "https://evil.example.com/saml"
		verifyFails(t, spec.build(t), InvalidResponse, msgIssuer)
	})

	t.Run("wrong audience", func(t *testing.T) {
		spec := defaultSpec()
		spec.Audiences = []string{"https://evil.example.com/sp"}
		verifyFails(t, spec.build(t), InvalidResponse, msgAudience)
		spec.Audiences = nil
		verifyFails(t, spec.build(t), InvalidResponse, msgAudience)
	})

	t.Run("wrong recipient", func(t *testing.T) {
		spec := defaultSpec()
		spec.Recipient = "https://evil.example.com/acs"
		verifyFails(t, spec.build(t), InvalidResponse, msgRecipient)
		spec = defaultSpec()
		spec.Destination = "https://evil.example.com/acs"
		verifyFails(t, spec.build(t), InvalidResponse, msgRecipient)
	})

	t.Run("nothing configured accepts nothing", func(t *testing.T) {
		raw := defaultSpec().build(t)
		opts := testOptions()
		opts.Audiences = nil
		_, err := Verify(b64(raw), testMetadata(), opts)
		wantErr(t, err, InvalidResponse, msgAudience)
		opts = testOptions()
		opts.Recipients = nil
		_, err = Verify(b64(raw), testMetadata(), opts)
		wantErr(t, err, InvalidResponse, msgRecipient)
		_, err = Verify(b64(raw), &Metadata{EntityID: testEntityID}, testOptions())
		wantErr(t, err, InvalidResponse, msgSignatureInvalid)
		_, err = Verify(b64(raw), nil, testOptions())
		wantErr(t, err, InvalidResponse, msgSignatureInvalid)
	})

	t.Run("status not success", func(t *testing.T) {
		spec := defaultSpec()
		spec.Status = "urn:oasis:names:tc:SAML:2.0:status:Responder"
		verifyFails(t, spec.build(t), InvalidResponse, "Response status is not Success")
	})

	t.Run("missing NameID", func(t *testing.T) {
		spec := defaultSpec()
		spec.NameIDXML = ""
		verifyFails(t, spec.build(t), AccessDenied, msgNotAuthorized)
	})

	t.Run("NameID with markup", func(t *testing.T) {
		spec := defaultSpec()
		spec.NameIDXML = "admin<saml:Foo>@evil.com</saml:Foo>"
		verifyFails(t, spec.build(t), InvalidResponse, "NameID must be plain text")
	})

	t.Run("encrypted assertion", func(t *testing.T) {
		raw := crewjamResponse(t, providerKey, attackerKey.cert)
		if !bytes.Contains(raw, []byte("EncryptedAssertion")) {
			t.Fatalf("crewjam did not encrypt:\n%s", raw)
		}
		e := verifyFails(t, raw, InvalidResponse, msgEncrypted)
		if !strings.Contains(e.Message, "not supported") {
			t.Errorf("message %q does not say encryption is unsupported", e.Message)
		}
	})

	t.Run("not base64", func(t *testing.T) {
		for _, in := range []string{"", "!!!not base64!!!", "PHNhbWxwOlJlc3BvbnNl=="} {
			_, err := Verify(in, testMetadata(), testOptions())
			wantErr(t, err, InvalidResponse, "SAMLAssertion is not valid base64")
		}
	})

	t.Run("oversized", func(t *testing.T) {
		_, err := Verify(strings.Repeat("A", MaxResponseLength+4), testMetadata(), testOptions())
		wantErr(t, err, InvalidResponse, "SAMLAssertion must be at most 100000 characters")
	})

	t.Run("not a response", func(t *testing.T) {
		spec := defaultSpec()
		verifyFails(t, serialize(t, spec.assertion(t)), InvalidResponse, "SAMLAssertion is not a SAML 2.0 samlp:Response")
		verifyFails(t, []byte("just text"), InvalidResponse, "SAMLAssertion is not a well-formed SAML response")
	})

	good := defaultSpec().build(t)
	body := strings.TrimPrefix(string(good), `<?xml version="1.0" encoding="UTF-8"?>`)
	// Each malformed document names the check that must refuse it (in the logged cause).
	malformed := map[string]struct{ doc, cause string }{
		"DOCTYPE with an entity": {`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY who "admin@example.com">]>` +
			strings.Replace(body, ">alice@example.com<", ">&who;<", 1), "DTDs are not allowed"},
		"DOCTYPE unused":  {`<!DOCTYPE samlp:Response [<!ELEMENT x ANY>]>` + body, "DTDs are not allowed"},
		"billion laughs":  {`<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>`, "DTDs are not allowed"},
		"external entity": {`<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>`, "DTDs are not allowed"},
		"two roots":       {body + `<samlp:Response xmlns:samlp="` + samlProtocolNS + `"/>`, "2 root elements"},
		"trailing text":   {body + `garbage`, "text outside the root element"},
		"non-UTF-8":       {`<?xml version="1.0" encoding="ISO-8859-1"?>` + body, "only UTF-8"},
		"processing instruction": {strings.Replace(body, "<samlp:Status>", "<?evil x?><samlp:Status>", 1),
			`processing instruction "evil"`},
		// Names that older encoding/xml versions mangled on a round trip; today's refuses them
		// as syntax errors, and the round-trip validator, which runs first, reports that.
		"malformed qualified name": {strings.Replace(body, "<samlp:Status>",
			`<samlp:Extensions><Element ::attr="foo"></Element></samlp:Extensions><samlp:Status>`, 1), "xml round-trip validation"},
		"undeclared prefix": {strings.Replace(body, "<samlp:Status>", "<evil:Thing/><samlp:Status>", 1), `undeclared namespace prefix "evil"`},
	}
	for name, c := range malformed {
		t.Run("malformed: "+name, func(t *testing.T) {
			e := verifyFails(t, []byte(c.doc), InvalidResponse, "SAMLAssertion is not a well-formed SAML response")
			if !strings.Contains(e.Error(), c.cause) {
				t.Fatalf("cause %v, want it to mention %q", e, c.cause)
			}
		})
	}
}

// TestVerifyCommentInjection covers CVE-2017-11427 and its kin: a comment inserted into a signed
// NameID does not change the canonical form, so the signature still verifies; the subject must
// still be the whole signed value, never the text before the comment.
func TestVerifyCommentInjection(t *testing.T) {
	const signedName = "alice@example.com.evil.com"
	for _, m := range signingModes {
		t.Run(m.name, func(t *testing.T) {
			spec := defaultSpec()
			spec.SignResponse, spec.SignAssertion = m.response, m.assertion
			spec.NameIDXML = signedName
			raw := spec.build(t)
			injected := replaceOnce(t, raw, ">"+signedName+"<", ">alice@example.com<!---->.evil.com<")
			injected = replaceOnce(t, injected, ">alice</saml:AttributeValue>", ">ali<!-- x -->ce</saml:AttributeValue>")
			a := mustVerify(t, injected, testMetadata(), testOptions())
			if a.Subject != signedName {
				t.Fatalf("Subject = %q, want %q", a.Subject, signedName)
			}
			if got := a.Attributes[sessionAttr]; !reflect.DeepEqual(got, []string{"alice"}) {
				t.Fatalf("RoleSessionName = %q", got)
			}
		})
	}
	t.Run("signed with comments", func(t *testing.T) {
		// With #WithComments canonicalization the comment is part of the signed content, so
		// inserting one is tampering.
		spec := defaultSpec()
		spec.WithComments = true
		spec.NameIDXML = signedName
		raw := spec.build(t)
		mustVerify(t, raw, testMetadata(), testOptions())
		verifyFails(t, replaceOnce(t, raw, ">"+signedName+"<", ">alice@example.com<!---->.evil.com<"), InvalidResponse, msgSignatureInvalid)
	})
	t.Run("comment signed by the IdP", func(t *testing.T) {
		// A comment the IdP itself signed (with comments) is skipped, not a truncation point.
		spec := defaultSpec()
		spec.WithComments = true
		spec.NameIDXML = "alice@example.com<!--x-->.evil.com"
		a := mustVerify(t, spec.build(t), testMetadata(), testOptions())
		if a.Subject != signedName {
			t.Fatalf("Subject = %q", a.Subject)
		}
	})
}

func TestErrorFormatting(t *testing.T) {
	e := &Error{Kind: Expired, Message: msgExpired, Cause: errors.New("detail")}
	if got := e.Error(); got != "saml: Expired: Response has expired (detail)" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(e, e.Cause) {
		t.Error("Unwrap does not reach the cause")
	}
	if ErrorKind(42).String() != "ErrorKind(42)" {
		t.Error(ErrorKind(42).String())
	}
}

func BenchmarkVerify(b *testing.B) {
	fixtures()
	cases := map[string][]byte{
		"crewjam-both-signed": crewjamResponse(b, providerKey, nil),
	}
	spec := defaultSpec()
	spec.SignResponse = false
	cases["assertion-signed"] = spec.build(b)
	md, opts := testMetadata(), testOptions()
	for name, raw := range cases {
		in := b64(raw)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Verify(in, md, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestVerifySignatureReturnsVerifiedElement pins the dex rule: what the readers see is the
// element goxmldsig rebuilt from the verified canonical bytes, never the parsed original. The
// original here carries an injected comment; the verified element cannot.
func TestVerifySignatureReturnsVerifiedElement(t *testing.T) {
	for _, m := range signingModes {
		t.Run(m.name, func(t *testing.T) {
			spec := defaultSpec()
			spec.SignResponse, spec.SignAssertion = m.response, m.assertion
			raw := replaceOnce(t, spec.build(t), ">alice@example.com<", ">alice<!--injected-->@example.com<")
			doc, err := parseXML(raw)
			if err != nil {
				t.Fatal(err)
			}
			original, err := checkStructure(doc.Root())
			if err != nil {
				t.Fatal(err)
			}
			_, verified, signed, err := verifySignature(doc.Root(), original, []*x509.Certificate{providerKey.cert}, testNow)
			if err != nil || signed != m.signed {
				t.Fatalf("verifySignature: %v %q", err, signed)
			}
			if verified == original {
				t.Fatal("the original assertion element was returned")
			}
			walk(verified, func(el *etree.Element) {
				for _, tok := range el.Child {
					if _, ok := tok.(*etree.Comment); ok {
						t.Fatalf("verified element carries the original's comment in <%s>", el.Tag)
					}
				}
			})
			if m.signed == "Assertion" && verified.SelectElement("ds:Signature") != nil {
				t.Fatal("the enveloped signature is still there: this is not the transformed element")
			}
		})
	}
}

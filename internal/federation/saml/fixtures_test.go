package saml

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"html"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// The tests run on a fixed clock so that expiry is exercised without sleeping.
var testNow = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

const (
	testEntityID   = "https://idp.example.com/saml/metadata"
	testRecipient  = "https://signin.aws.amazon.com/saml"
	testOwnURL     = "https://latchkey.example.com/saml"
	testAudience   = "urn:amazon:webservices"
	roleAttr       = "https://aws.amazon.com/SAML/Attributes/Role"
	sessionAttr    = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	roleValue      = "arn:aws:iam::123456789012:role/Admin,arn:aws:iam::123456789012:saml-provider/MyIdP"
	roleValue2     = "arn:aws:iam::123456789012:role/ReadOnly,arn:aws:iam::123456789012:saml-provider/MyIdP"
	persistentFmt  = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	emailFmt       = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	samlAssertNS   = "urn:oasis:names:tc:SAML:2.0:assertion"
	samlProtocolNS = "urn:oasis:names:tc:SAML:2.0:protocol"
)

type testKey struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

var (
	fixturesOnce sync.Once
	providerKey  *testKey // the IdP registered in the metadata
	rolloverKey  *testKey // the IdP's next certificate, also in the metadata in rollover tests
	attackerKey  *testKey // anybody else
	expiredKey   *testKey // a provider certificate that expired before testNow
)

func newTestKey(cn string, notBefore, notAfter time.Time, key *rsa.PrivateKey) *testKey {
	if key == nil {
		var err error
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return &testKey{key: key, cert: cert}
}

func fixtures() {
	fixturesOnce.Do(func() {
		valid := func(cn string) *testKey {
			return newTestKey(cn, testNow.Add(-24*time.Hour), testNow.Add(365*24*time.Hour), nil)
		}
		providerKey = valid("idp.example.com")
		rolloverKey = valid("idp.example.com next")
		attackerKey = valid("idp.example.com")
		// The provider's own key under a certificate that has expired: only the date is wrong.
		expiredKey = newTestKey("idp.example.com", testNow.Add(-48*time.Hour), testNow.Add(-time.Hour), providerKey.key)
	})
}

func testMetadata() *Metadata {
	fixtures()
	return &Metadata{EntityID: testEntityID, Certificates: []*x509.Certificate{providerKey.cert}}
}

func testOptions() Options {
	return Options{
		Now:        func() time.Time { return testNow },
		Recipients: []string{testRecipient, testOwnURL},
		Audiences:  []string{testAudience, testRecipient},
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func xmlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

type testAttr struct {
	Name   string
	Values []string
}

// respSpec describes a response built by hand (etree + goxmldsig), for the attack matrix.
type respSpec struct {
	ResponseID, AssertionID string
	Issuer                  string // the Assertion's Issuer
	RespIssuer              string // the Response's Issuer; "" means Issuer, "-" means none
	NameIDXML               string // inserted verbatim, so it may hold markup
	NameIDFormat            string
	Recipient, Destination  string
	Audiences               []string
	Status                  string
	IssueInstant            time.Time
	NotBefore, NotOnOrAfter time.Time
	SCDNotOnOrAfter         time.Time
	SessionNotOnOrAfter     time.Time
	ExtraConditions         string
	Attrs                   []testAttr
	RawAttrXML              string // appended inside the AttributeStatement
	SignAssertion           bool
	SignResponse            bool
	Signer                  *testKey
	WithComments            bool // sign with exclusive c14n #WithComments
	NoKeyInfo               bool // drop ds:KeyInfo from the signatures
}

func defaultSpec() respSpec {
	fixtures()
	return respSpec{
		ResponseID:      "_resp1",
		AssertionID:     "_assert1",
		Issuer:          testEntityID,
		NameIDXML:       "alice@example.com",
		NameIDFormat:    persistentFmt,
		Recipient:       testRecipient,
		Destination:     testRecipient,
		Audiences:       []string{testAudience},
		Status:          "urn:oasis:names:tc:SAML:2.0:status:Success",
		IssueInstant:    testNow.Add(-30 * time.Second),
		NotBefore:       testNow.Add(-time.Minute),
		NotOnOrAfter:    testNow.Add(5 * time.Minute),
		SCDNotOnOrAfter: testNow.Add(5 * time.Minute),
		Attrs: []testAttr{
			{Name: roleAttr, Values: []string{roleValue, roleValue2}},
			{Name: sessionAttr, Values: []string{"alice"}},
		},
		SignAssertion: true,
		SignResponse:  true,
		Signer:        providerKey,
	}
}

func (s respSpec) assertionXML() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<saml:Assertion xmlns:saml="%s" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="%s" IssueInstant="%s" Version="2.0">`,
		samlAssertNS, s.AssertionID, xmlTime(s.IssueInstant))
	fmt.Fprintf(&b, `<saml:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">%s</saml:Issuer>`, html.EscapeString(s.Issuer))
	b.WriteString(`<saml:Subject>`)
	if s.NameIDXML != "" {
		fmt.Fprintf(&b, `<saml:NameID Format="%s">%s</saml:NameID>`, s.NameIDFormat, s.NameIDXML)
	}
	fmt.Fprintf(&b, `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="%s" Recipient="%s"/></saml:SubjectConfirmation>`,
		xmlTime(s.SCDNotOnOrAfter), html.EscapeString(s.Recipient))
	b.WriteString(`</saml:Subject>`)
	fmt.Fprintf(&b, `<saml:Conditions NotBefore="%s" NotOnOrAfter="%s"><saml:AudienceRestriction>`, xmlTime(s.NotBefore), xmlTime(s.NotOnOrAfter))
	for _, a := range s.Audiences {
		fmt.Fprintf(&b, `<saml:Audience>%s</saml:Audience>`, html.EscapeString(a))
	}
	fmt.Fprintf(&b, `</saml:AudienceRestriction>%s</saml:Conditions>`, s.ExtraConditions)
	session := ""
	if !s.SessionNotOnOrAfter.IsZero() {
		session = fmt.Sprintf(` SessionNotOnOrAfter="%s"`, xmlTime(s.SessionNotOnOrAfter))
	}
	fmt.Fprintf(&b, `<saml:AuthnStatement AuthnInstant="%s" SessionIndex="_s1"%s><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`,
		xmlTime(s.IssueInstant), session)
	if len(s.Attrs) > 0 || s.RawAttrXML != "" {
		b.WriteString(`<saml:AttributeStatement>`)
		for _, a := range s.Attrs {
			fmt.Fprintf(&b, `<saml:Attribute Name="%s" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">`, html.EscapeString(a.Name))
			for _, v := range a.Values {
				fmt.Fprintf(&b, `<saml:AttributeValue xsi:type="xs:string">%s</saml:AttributeValue>`, html.EscapeString(v))
			}
			b.WriteString(`</saml:Attribute>`)
		}
		b.WriteString(s.RawAttrXML)
		b.WriteString(`</saml:AttributeStatement>`)
	}
	b.WriteString(`</saml:Assertion>`)
	return b.String()
}

func parseEl(t testing.TB, s string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return doc.Root()
}

func serialize(t testing.TB, el *etree.Element) []byte {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el)
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sign returns el with an enveloped signature placed after its Issuer, as SAML's schema wants.
func sign(t testing.TB, el *etree.Element, k *testKey, withComments, noKeyInfo bool) *etree.Element {
	t.Helper()
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{k.cert.Raw}, PrivateKey: k.key}))
	if withComments {
		ctx.Canonicalizer = dsig.MakeC14N10ExclusiveWithCommentsCanonicalizerWithPrefixList("")
	} else {
		ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	}
	signed, err := ctx.SignEnveloped(el)
	if err != nil {
		t.Fatal(err)
	}
	// Round-trip through bytes so parent pointers are sound before moving the signature.
	signed = parseEl(t, string(serialize(t, signed)))
	sig := signed.ChildElements()[len(signed.ChildElements())-1]
	signed.RemoveChild(sig)
	if noKeyInfo {
		if ki := sig.SelectElement("ds:KeyInfo"); ki != nil {
			sig.RemoveChild(ki)
		}
	}
	issuer := signed.SelectElement("saml:Issuer")
	if issuer == nil {
		t.Fatal("no Issuer to place the signature after")
	}
	signed.InsertChildAt(issuer.Index()+1, sig)
	return signed
}

// signedAssertion builds the spec's Assertion element, signed when the spec says so.
func (s respSpec) assertion(t testing.TB) *etree.Element {
	el := parseEl(t, s.assertionXML())
	if s.SignAssertion {
		el = sign(t, el, s.Signer, s.WithComments, s.NoKeyInfo)
	}
	return el
}

// buildWith assembles a Response around the given assertion element.
func (s respSpec) buildWith(t testing.TB, assertion *etree.Element) []byte {
	t.Helper()
	respIssuer := ""
	switch s.RespIssuer {
	case "":
		respIssuer = fmt.Sprintf(`<saml:Issuer>%s</saml:Issuer>`, html.EscapeString(s.Issuer))
	case "-":
	default:
		respIssuer = fmt.Sprintf(`<saml:Issuer>%s</saml:Issuer>`, html.EscapeString(s.RespIssuer))
	}
	dest := ""
	if s.Destination != "" {
		dest = fmt.Sprintf(` Destination="%s"`, html.EscapeString(s.Destination))
	}
	resp := parseEl(t, fmt.Sprintf(`<samlp:Response xmlns:samlp="%s" xmlns:saml="%s" ID="%s" Version="2.0" IssueInstant="%s"%s>%s<samlp:Status><samlp:StatusCode Value="%s"/></samlp:Status></samlp:Response>`,
		samlProtocolNS, samlAssertNS, s.ResponseID, xmlTime(s.IssueInstant), dest, respIssuer, s.Status))
	if assertion != nil {
		resp.AddChild(assertion)
	}
	if s.SignResponse {
		if s.RespIssuer == "-" {
			t.Fatal("a signed response needs an Issuer in these fixtures")
		}
		resp = sign(t, resp, s.Signer, s.WithComments, s.NoKeyInfo)
	}
	return serialize(t, resp)
}

func (s respSpec) build(t testing.TB) []byte {
	t.Helper()
	return s.buildWith(t, s.assertion(t))
}

// ---- crewjam/saml: an independent IdP implementation ----

type spProvider map[string]*crewjam.EntityDescriptor

func (p spProvider) GetServiceProvider(_ *http.Request, id string) (*crewjam.EntityDescriptor, error) {
	if md, ok := p[id]; ok {
		return md, nil
	}
	return nil, os.ErrNotExist
}

func mustURL(s string) url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return *u
}

func crewjamIdP(k *testKey, spEncryption *x509.Certificate) *crewjam.IdentityProvider {
	sp := &crewjam.EntityDescriptor{
		EntityID: testAudience,
		SPSSODescriptors: []crewjam.SPSSODescriptor{{
			SSODescriptor: crewjam.SSODescriptor{RoleDescriptor: crewjam.RoleDescriptor{
				ProtocolSupportEnumeration: samlProtocolNS,
			}},
			AssertionConsumerServices: []crewjam.IndexedEndpoint{{
				Binding: crewjam.HTTPPostBinding, Location: testRecipient, Index: 1,
			}},
		}},
	}
	if spEncryption != nil {
		sp.SPSSODescriptors[0].KeyDescriptors = []crewjam.KeyDescriptor{{
			Use: "encryption",
			KeyInfo: crewjam.KeyInfo{X509Data: crewjam.X509Data{
				X509Certificates: []crewjam.X509Certificate{{Data: b64(spEncryption.Raw)}},
			}},
		}}
	}
	return &crewjam.IdentityProvider{
		Key:                     k.key,
		Certificate:             k.cert,
		MetadataURL:             mustURL(testEntityID),
		SSOURL:                  mustURL("https://idp.example.com/saml/sso"),
		Clock:                   dsig.NewFakeClockAt(testNow),
		ServiceProviderProvider: spProvider{testAudience: sp},
	}
}

func crewjamSession() *crewjam.Session {
	return &crewjam.Session{
		ID:           "session-1",
		CreateTime:   testNow.Add(-time.Minute),
		ExpireTime:   testNow.Add(time.Hour),
		Index:        "idx-1",
		NameID:       "alice@example.com",
		NameIDFormat: emailFmt,
		UserName:     "alice",
		UserEmail:    "alice@example.com",
		Groups:       []string{"admins", "staff", "everyone"},
		CustomAttributes: []crewjam.Attribute{
			{Name: roleAttr, NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri", Values: []crewjam.AttributeValue{
				{Type: "xs:string", Value: roleValue}, {Type: "xs:string", Value: roleValue2},
			}},
			{Name: sessionAttr, Values: []crewjam.AttributeValue{{Type: "xs:string", Value: "alice"}}},
		},
	}
}

// crewjamResponse returns an IdP-initiated SAML Response made by crewjam/saml: both the
// Response and the Assertion are signed, and the assertion is encrypted if spEncryption is set.
func crewjamResponse(t testing.TB, k *testKey, spEncryption *x509.Certificate) []byte {
	t.Helper()
	fixtures()
	idp := crewjamIdP(k, spEncryption)
	r := httptest.NewRequest(http.MethodPost, "https://idp.example.com/saml/sso", nil)
	req, err := idp.NewIdpInitiatedRequest(r, testAudience, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := (crewjam.DefaultAssertionMaker{}).MakeAssertion(req, crewjamSession()); err != nil {
		t.Fatal(err)
	}
	if err := req.MakeResponse(); err != nil {
		t.Fatal(err)
	}
	return serialize(t, req.ResponseEl)
}

func crewjamMetadata(t testing.TB, idp *crewjam.IdentityProvider) string {
	t.Helper()
	out, err := xml.MarshalIndent(idp.Metadata(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return xml.Header + string(out)
}

func TestMain(m *testing.M) {
	fixtures()
	os.Exit(m.Run())
}

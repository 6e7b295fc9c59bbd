package integration

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	samlv "github.com/latchkey/latchkey/internal/federation/saml"
)

const samlSP = "urn:amazon:webservices"

type samlIdP struct {
	idp      *crewjam.IdentityProvider
	provider string
	role     string
}

type spLookup map[string]*crewjam.EntityDescriptor

func (p spLookup) GetServiceProvider(_ *http.Request, id string) (*crewjam.EntityDescriptor, error) {
	if md, ok := p[id]; ok {
		return md, nil
	}
	return nil, os.ErrNotExist
}

func newSAMLIdP(t *testing.T, ts *testServer) *samlIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	sp := &crewjam.EntityDescriptor{EntityID: samlSP, SPSSODescriptors: []crewjam.SPSSODescriptor{{
		SSODescriptor:             crewjam.SSODescriptor{RoleDescriptor: crewjam.RoleDescriptor{ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol"}},
		AssertionConsumerServices: []crewjam.IndexedEndpoint{{Binding: crewjam.HTTPPostBinding, Location: "https://signin.aws.amazon.com/saml", Index: 1}},
	}}}
	metaURL, _ := url.Parse("https://idp.example.com/saml/metadata")
	ssoURL, _ := url.Parse("https://idp.example.com/saml/sso")
	idp := &crewjam.IdentityProvider{Key: key, Certificate: cert, MetadataURL: *metaURL, SSOURL: *ssoURL,
		Clock: dsig.NewRealClock(), ServiceProviderProvider: spLookup{samlSP: sp}}
	md, err := xml.MarshalIndent(idp.Metadata(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	root := ts.rootIAM()
	p, err := root.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("MyIdP"), SAMLMetadataDocument: aws.String(xml.Header + string(md))})
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + aws.ToString(p.SAMLProviderArn) + `"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`
	role := mustRole(t, root, "saml-admin", trust)
	return &samlIdP{idp: idp, provider: aws.ToString(p.SAMLProviderArn), role: aws.ToString(role.Arn)}
}

func (s *samlIdP) response(t *testing.T, roleValue, sessionName string) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "https://idp.example.com/saml/sso", nil)
	req, err := s.idp.NewIdpInitiatedRequest(r, samlSP, "")
	if err != nil {
		t.Fatal(err)
	}
	attrs := []crewjam.Attribute{{Name: "https://aws.amazon.com/SAML/Attributes/Role", Values: []crewjam.AttributeValue{{Type: "xs:string", Value: roleValue}}}}
	if sessionName != "" {
		attrs = append(attrs, crewjam.Attribute{Name: "https://aws.amazon.com/SAML/Attributes/RoleSessionName", Values: []crewjam.AttributeValue{{Type: "xs:string", Value: sessionName}}})
	}
	sess := &crewjam.Session{ID: "s", CreateTime: time.Now().Add(-time.Minute), ExpireTime: time.Now().Add(time.Hour), Index: "1",
		NameID: "alice@example.com", NameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", CustomAttributes: attrs}
	if err := (crewjam.DefaultAssertionMaker{}).MakeAssertion(req, sess); err != nil {
		t.Fatal(err)
	}
	if err := req.MakeResponse(); err != nil {
		t.Fatal(err)
	}
	doc := etreeDocument(req)
	return base64.StdEncoding.EncodeToString(doc)
}

func etreeDocument(req *crewjam.IdpAuthnRequest) []byte {
	var buf bytes.Buffer
	d := etree.NewDocument()
	d.SetRoot(req.ResponseEl)
	_, _ = d.WriteTo(&buf)
	return buf.Bytes()
}

func TestAssumeRoleWithSAML(t *testing.T) {
	ts := startServer(t)
	s := newSAMLIdP(t, ts)
	pair := s.role + "," + s.provider
	c := ts.anonSTS()
	out, err := c.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(s.role), PrincipalArn: aws.String(s.provider), SAMLAssertion: aws.String(s.response(t, pair, "alice"))})
	if err != nil {
		t.Fatal(err)
	}
	wantQualifier := samlv.NameQualifier("https://idp.example.com/saml/metadata", accountID, "MyIdP")
	if aws.ToString(out.Subject) != "alice@example.com" || aws.ToString(out.SubjectType) != "persistent" || aws.ToString(out.Issuer) != "https://idp.example.com/saml/metadata" ||
		aws.ToString(out.Audience) != "https://signin.aws.amazon.com/saml" || aws.ToString(out.NameQualifier) != wantQualifier ||
		aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+accountID+":assumed-role/saml-admin/alice" {
		t.Fatalf("output %+v %+v", out, out.AssumedRoleUser)
	}
	sess, _ := ts.session(out.Credentials)
	if _, err := sess.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}

	assume := func(resp, provider string) error {
		_, err := c.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(s.role), PrincipalArn: aws.String(provider), SAMLAssertion: aws.String(resp)})
		return err
	}
	// Tampered after signing.
	raw, _ := base64.StdEncoding.DecodeString(s.response(t, pair, "alice"))
	tampered := strings.Replace(string(raw), "alice@example.com", "admin@example.com", 1)
	wantAPIError(t, assume(base64.StdEncoding.EncodeToString([]byte(tampered)), s.provider), "InvalidIdentityToken", 400)
	// Unknown provider.
	err = assume(s.response(t, pair, "alice"), "arn:aws:iam::"+accountID+":saml-provider/Other")
	wantAPIError(t, err, "InvalidIdentityToken", 400)
	if !strings.Contains(err.Error(), "Specified provider doesn't exist.") {
		t.Fatalf("message: %v", err)
	}
	// The Role attribute does not list this role.
	wantAPIError(t, assume(s.response(t, "arn:aws:iam::"+accountID+":role/other,"+s.provider, "alice"), s.provider), "AccessDenied", 403)
	// RoleSessionName is required.
	err = assume(s.response(t, pair, ""), s.provider)
	wantAPIError(t, err, "InvalidIdentityToken", 400)
	if !strings.Contains(err.Error(), "RoleSessionName is required in AuthnResponse") {
		t.Fatalf("message: %v", err)
	}
	wantAPIError(t, assume("not base64 at all!", s.provider), "InvalidIdentityToken", 400)

	// IAM side.
	got, err := ts.rootIAM().GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(s.provider)})
	if err != nil || !strings.Contains(aws.ToString(got.SAMLMetadataDocument), "idp.example.com") || aws.ToString(got.SAMLProviderUUID) == "" {
		t.Fatalf("GetSAMLProvider %+v %v", got, err)
	}
	_, err = ts.rootIAM().CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Bad"), SAMLMetadataDocument: aws.String(strings.Repeat("<x/>", 300))})
	wantAPIError(t, err, "InvalidInput", 400)
	list, err := ts.rootIAM().ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})
	if err != nil || len(list.SAMLProviderList) != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
}

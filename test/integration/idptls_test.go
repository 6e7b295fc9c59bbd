package integration

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

// untrustedIdPCert is a certificate for 127.0.0.1 that chains to nothing Latchkey trusts.
func untrustedIdPCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "untrusted idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestUntrustedIdPCertificate: an IdP whose certificate is not trusted, registered without
// thumbprints, is refused with IDPCommunicationError; the server log names the certificate error,
// and the caller (even in the development mode) hears nothing about thumbprints it never set.
func TestUntrustedIdPCertificate(t *testing.T) {
	logs := newSlogCapture()
	ts := startServer(t, func(c *config.Config, o *app.Options) { o.Logger = slog.New(logs); c.ExplainDenials = true })
	// mockoidc.RunTLS serves plain http on its listener; the TLS listener is made here.
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{untrustedIdPCert(t)}}
	if err := m.Start(tls.NewListener(ln, tlsCfg), tlsCfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	if !strings.HasPrefix(m.Issuer(), "https://") {
		t.Fatalf("issuer %s", m.Issuer())
	}
	root := ts.rootIAM()
	p, err := root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(m.Issuer()), ClientIDList: []string{"sts.amazonaws.com"}})
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + aws.ToString(p.OpenIDConnectProviderArn) + `"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`
	role := mustRole(t, root, "ci", trust)
	tok, err := m.Keypair.SignJWT(jwt.MapClaims{"iss": m.Issuer(), "aud": "sts.amazonaws.com", "sub": "repo:acme/app",
		"iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.anonSTS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: role.Arn, RoleSessionName: aws.String("ci-run"), WebIdentityToken: aws.String(tok)})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "IDPCommunicationError" {
		t.Fatalf("got %v, want IDPCommunicationError", err)
	}
	if strings.Contains(strings.ToLower(ae.ErrorMessage()), "thumbprint") {
		t.Errorf("the caller is told about a thumbprint: %s", ae.ErrorMessage())
	}
	line := logs.request(t, "AssumeRoleWithWebIdentity")
	if cause := line.attrs["err"]; !strings.Contains(cause, "x509") || !strings.Contains(cause, "certificate") {
		t.Errorf("the log does not name the certificate error: %v", line.attrs)
	}
	if line.level != slog.LevelInfo {
		t.Errorf("logged at %v", line.level)
	}
}

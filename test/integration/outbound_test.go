package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/federation/oidc"
)

// keyIdP is a minimal OIDC identity provider whose signing key a test replaces by restarting
// it, and which counts what reaches it.
type keyIdP struct {
	issuer   string
	key      *rsa.PrivateKey
	kid      string
	srv      *http.Server
	ln       net.Listener
	accepted atomic.Int32
	jwksHits atomic.Int32
}

// startKeyIdP serves an IdP for issuer on ln (over TLS when cert is set) with a fresh key.
func startKeyIdP(t *testing.T, issuer string, ln net.Listener, cert *tls.Certificate) *keyIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &keyIdP{issuer: issuer, key: key, kid: randomID(t), ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": issuer, "jwks_uri": issuer + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		p.jwksHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: p.kid, Algorithm: "RS256", Use: "sig"}}})
	})
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			p.accepted.Add(1)
		}
	}}
	if cert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*cert}})
	}
	go func() { _ = p.srv.Serve(ln) }()
	t.Cleanup(func() { _ = p.srv.Close() })
	return p
}

func randomID(t *testing.T) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return strings.ToLower(new(big.Int).SetBytes(b).Text(36))
}

// token signs an ID token for sub with kid in the header (the IdP's own kid when "").
func (p *keyIdP) token(t *testing.T, kid string) string {
	t.Helper()
	if kid == "" {
		kid = p.kid
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	claims, _ := json.Marshal(map[string]any{"iss": p.issuer, "aud": "sts.amazonaws.com", "sub": "workload-0001",
		"iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix()})
	jws, err := signer.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// registerIdP creates the IAM OIDC provider for issuer and a role trusting it.
func registerIdP(t *testing.T, ts *testServer, issuer, roleName string) string {
	t.Helper()
	root := ts.rootIAM()
	p, err := root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(issuer), ClientIDList: []string{"sts.amazonaws.com"}})
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + aws.ToString(p.OpenIDConnectProviderArn) +
		`"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`
	return aws.ToString(mustRole(t, root, roleName, trust).Arn)
}

func assumeWithToken(ts *testServer, role, tok string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return ts.anonSTS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(role),
		RoleSessionName: aws.String("outbound"), WebIdentityToken: aws.String(tok)})
}

// portMapper stands in for the network between Latchkey and the IdPs: IAM providers of a
// production deployment name no port, so every admitted connection to port 443 is sent to
// the local listener, and every address Latchkey asked for is recorded.
type portMapper struct {
	mu     sync.Mutex
	asked  []string
	target string
}

func (m *portMapper) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	m.mu.Lock()
	m.asked = append(m.asked, addr)
	m.mu.Unlock()
	var d net.Dialer
	return d.DialContext(ctx, network, m.target)
}

func (m *portMapper) dialed() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.asked...)
}

// productionLike starts a server as a production deployment runs: https issuers only, and
// so no loopback IdPs, unless allowed names networks.
func productionLike(t *testing.T, allowed string, m *portMapper, roots *x509.CertPool) *testServer {
	return startServer(t, func(c *config.Config, o *app.Options) {
		c.AllowHTTPIssuers = false
		c.IssuerURL = "https://latchkey.example.com"
		c.OIDCAllowedNetworks = config.NetworkList(allowed)
		o.OIDCDial = m.dial
		o.RootCAs = roots
	})
}

// TestOutboundFetchRefusedBeforeConnecting: a tenant registers an OIDC provider whose URL is a
// loopback, link-local (instance metadata) or private address and presents a token for it.
// Latchkey answers the one IDPCommunicationError message without ever connecting there, even
// though an IdP that would answer correctly is listening; once the operator allows the
// network, the same provider works.
func TestOutboundFetchRefusedBeforeConnecting(t *testing.T) {
	ca, leaf := testCAWithLeaf(t)
	cases := []struct {
		name    string
		issuer  string
		allowed string
		ok      bool
	}{
		{name: "loopback", issuer: "https://127.0.0.1"},
		{name: "loopback by name", issuer: "https://localhost"},
		{name: "instance metadata service", issuer: "https://169.254.169.254"},
		{name: "IPv6 instance metadata service", issuer: "https://[fd00:ec2::254]"},
		{name: "private network", issuer: "https://10.0.0.8"},
		{name: "private network, another one allowed", issuer: "https://10.0.0.8", allowed: "192.168.0.0/16"},
		{name: "loopback, its network allowed", issuer: "https://127.0.0.1", allowed: "10.0.0.0/8, 127.0.0.1/32", ok: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			idp := startKeyIdP(t, c.issuer, ln, &leaf)
			m := &portMapper{target: ln.Addr().String()}
			ts := productionLike(t, c.allowed, m, ca)
			role := registerIdP(t, ts, c.issuer, "workload")
			out, err := assumeWithToken(ts, role, idp.token(t, ""))
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
				if aws.ToString(out.SubjectFromWebIdentityToken) != "workload-0001" {
					t.Fatalf("subject %q", aws.ToString(out.SubjectFromWebIdentityToken))
				}
				if got := m.dialed(); len(got) == 0 || got[0] != "127.0.0.1:443" {
					t.Fatalf("dialed %q", got)
				}
				return
			}
			wantAPIError(t, err, "IDPCommunicationError", 400)
			var ae smithy.APIError
			if errorsAs(err, &ae); ae.ErrorMessage() != oidc.MsgCommunication {
				t.Fatalf("message %q, want the uniform one", ae.ErrorMessage())
			}
			if got := m.dialed(); len(got) != 0 {
				t.Fatalf("Latchkey dialed %q", got)
			}
			if n := idp.accepted.Load(); n != 0 {
				t.Fatalf("the listener accepted %d connections", n)
			}
		})
	}
}

// TestOutboundFailuresLookAlike: from the caller's side, an address refused by policy, a
// closed port and a listener that answers garbage give the same code and the same message.
func TestOutboundFailuresLookAlike(t *testing.T) {
	garbage, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { garbage.Close() })
	go func() {
		for {
			c, err := garbage.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
			c.Close()
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	messages := map[string]string{}
	for _, c := range []struct{ name, issuer, target, allowed string }{
		{name: "refused by policy", issuer: "https://10.1.2.3", target: garbage.Addr().String()},
		{name: "closed port", issuer: "https://127.0.0.1", target: closedAddr, allowed: "127.0.0.0/8"},
		{name: "something else listening", issuer: "https://127.0.0.1", target: garbage.Addr().String(), allowed: "127.0.0.0/8"},
	} {
		ts := productionLike(t, c.allowed, &portMapper{target: c.target}, nil)
		role := registerIdP(t, ts, c.issuer, "workload")
		signer := startKeyIdP(t, c.issuer, mustListen(t), nil) // only its key is used
		_, err := assumeWithToken(ts, role, signer.token(t, ""))
		wantAPIError(t, err, "IDPCommunicationError", 400)
		var ae smithy.APIError
		errorsAs(err, &ae)
		messages[ae.ErrorMessage()] += c.name + "; "
	}
	if len(messages) != 1 {
		t.Fatalf("the failures can be told apart: %q", messages)
	}
}

func mustListen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestWebIdentityRotatedKeyAtOnce: an IdP restarts with a fresh key; the very next
// AssumeRoleWithWebIdentity with a token signed by it succeeds, without waiting out the
// refetch interval. Tokens with invented kids after that cost the IdP no further fetch.
func TestWebIdentityRotatedKeyAtOnce(t *testing.T) {
	ts := startServer(t)
	ln := mustListen(t)
	addr := ln.Addr().String()
	issuer := "http://" + addr
	first := startKeyIdP(t, issuer, ln, nil)
	role := registerIdP(t, ts, issuer, "rotating")
	if _, err := assumeWithToken(ts, role, first.token(t, "")); err != nil {
		t.Fatal(err)
	}

	// The restart: same address, new key, new kid.
	_ = first.srv.Close()
	var ln2 net.Listener
	var err error
	for range 50 {
		if ln2, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listening again on %s: %v", addr, err)
	}
	second := startKeyIdP(t, issuer, ln2, nil)
	out, err := assumeWithToken(ts, role, second.token(t, ""))
	if err != nil {
		t.Fatalf("token signed with the restarted IdP's key: %v", err)
	}
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+accountID+":assumed-role/rotating/outbound" {
		t.Fatalf("assumed %s", aws.ToString(out.AssumedRoleUser.Arn))
	}
	if got := second.jwksHits.Load(); got != 1 {
		t.Fatalf("restarted IdP served its JWKS %d times, want 1", got)
	}
	// The old key is gone from the IdP, and so from Latchkey.
	_, err = assumeWithToken(ts, role, first.token(t, ""))
	wantAPIError(t, err, "InvalidIdentityToken", 400)
	// A flood of invented kids inside the interval: no more fetches.
	for range 20 {
		_, err := assumeWithToken(ts, role, second.token(t, randomID(t)))
		wantAPIError(t, err, "InvalidIdentityToken", 400)
	}
	if got := second.jwksHits.Load(); got != 1 {
		t.Fatalf("invented kids caused %d JWKS fetches", got-1)
	}
}

// testCAWithLeaf returns a CA pool and a server certificate it issued for 127.0.0.1.
func testCAWithLeaf(t *testing.T) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "outbound test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return pool, tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}
}

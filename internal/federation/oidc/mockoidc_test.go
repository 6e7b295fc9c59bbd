package oidc

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
)

// idTokenFrom runs mockoidc's authorization-code flow the way a relying party would and
// returns the ID token it issues.
func idTokenFrom(t *testing.T, m *mockoidc.MockOIDC, client *http.Client) string {
	t.Helper()
	noRedirect := *client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	q := url.Values{
		"client_id":     {m.ClientID},
		"scope":         {"openid email"},
		"response_type": {"code"},
		"redirect_uri":  {"https://app.example/callback"},
		"state":         {"st"},
		"nonce":         {"n0"},
	}
	resp, err := noRedirect.Get(m.AuthorizationEndpoint() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	form := url.Values{
		"client_id":     {m.ClientID},
		"client_secret": {m.ClientSecret},
		"grant_type":    {"authorization_code"},
		"code":          {loc.Query().Get("code")},
	}
	resp, err = client.PostForm(m.TokenEndpoint(), form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		IDToken string `json:"id_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.IDToken == "" {
		t.Fatalf("token endpoint: status %d, err %v", resp.StatusCode, err)
	}
	return tr.IDToken
}

func TestMockOIDCOverTLS(t *testing.T) {
	ca := newCA(t, "mockoidc test CA")
	// mockoidc's RunTLS only records the config and serves plain HTTP on the listener, so
	// the listener is wrapped here.
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{ca.leaf(t)}}
	if err := m.Start(tls.NewListener(ln, cfg), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	m.QueueUser(&mockoidc.MockUser{Subject: "user-0123456789", Email: "u@example.com"})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool()}}}
	token := idTokenFrom(t, m, client)

	v := NewVerifier(Options{RootCAs: ca.pool(), AllowedNetworks: localNets})
	prov := Provider{URL: m.Issuer(), ClientIDs: []string{"other", m.ClientID}}
	c, err := v.Verify(verifyCtx(t), token, lookupOne(prov))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "user-0123456789" || c.Issuer != m.Issuer() || len(c.Audience) != 1 || c.Audience[0] != m.ClientID {
		t.Fatalf("claims = %+v", c)
	}
	if c.Raw["email"] != "u@example.com" || c.Raw["nonce"] != "n0" {
		t.Fatalf("raw claims = %v", c.Raw)
	}
	if time.Until(c.Expiry) <= 0 || c.IssuedAt.IsZero() {
		t.Fatalf("times: exp %v iat %v", c.Expiry, c.IssuedAt)
	}

	// The same provider without the CA: mockoidc's certificate is untrusted.
	v2 := NewVerifier(Options{AllowedNetworks: localNets})
	_, err = v2.Verify(verifyCtx(t), token, lookupOne(prov))
	wantErr(t, err, Communication, MsgCommunication)

	// A client id mockoidc did not issue for.
	_, err = v.Verify(verifyCtx(t), token, lookupOne(Provider{URL: m.Issuer(), ClientIDs: []string{"other"}}))
	wantErr(t, err, InvalidToken, MsgIncorrectAudience)

	// Once mockoidc's clock has moved past the token's expiry, AWS's exact message.
	v3 := NewVerifier(Options{RootCAs: ca.pool(), AllowedNetworks: localNets, Now: func() time.Time { return c.Expiry.Add(90 * time.Second) }})
	_, err = v3.Verify(verifyCtx(t), token, lookupOne(prov))
	wantErr(t, err, Expired, "Token expired: current date/time "+itoa(c.Expiry.Unix()+90)+
		" must be before the expiration date/time"+itoa(c.Expiry.Unix()))
}

func TestMockOIDCHTTPIssuerNeedsAllowHTTP(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	if !strings.HasPrefix(m.Issuer(), "http://") {
		t.Fatalf("issuer %q", m.Issuer())
	}
	token := idTokenFrom(t, m, http.DefaultClient)
	prov := Provider{URL: m.Issuer(), ClientIDs: []string{m.ClientID}}

	_, err = NewVerifier(Options{}).Verify(verifyCtx(t), token, lookupOne(prov))
	wantErr(t, err, InvalidToken, MsgKeyRetrieval)

	c, err := NewVerifier(Options{AllowHTTP: true}).Verify(verifyCtx(t), token, lookupOne(prov))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != mockoidc.DefaultUser().Subject {
		t.Fatalf("sub = %q", c.Subject)
	}
}

package loadgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"time"
)

// Audience is the client id the tool's IdP puts in every token and IAM's provider lists.
const Audience = "latchkey-load"

// idp is an OpenID Connect provider on loopback: a discovery document and a JWKS with one RS256 and
// one ES256 key. RS256 is what the measured operations use; ES256 signs the tokens of "GetId, new
// identity", where every request carries a fresh subject and RSA signing would make the client, not
// the server, the bottleneck.
type idp struct {
	issuer string
	rsa    *rsa.PrivateKey
	ec     *ecdsa.PrivateKey
	srv    *http.Server
}

func startIdP() (*idp, error) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &idp{issuer: "http://" + ln.Addr().String(), rsa: rk, ec: ek}
	jwks, err := p.jwks()
	if err != nil {
		ln.Close()
		return nil, err
	}
	disco, _ := json.Marshal(map[string]any{"issuer": p.issuer, "jwks_uri": p.issuer + "/jwks",
		"id_token_signing_alg_values_supported": []string{"RS256", "ES256"}, "response_types_supported": []string{"id_token"},
		"subject_types_supported": []string{"public"}})
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(disco)
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	})
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *idp) close() { _ = p.srv.Close() }

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (p *idp) jwks() ([]byte, error) {
	pad := func(b []byte, n int) []byte { return append(make([]byte, n-len(b)), b...) }
	x, y := p.ec.PublicKey.X.Bytes(), p.ec.PublicKey.Y.Bytes()
	return json.Marshal(map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "rsa1", "n": b64(p.rsa.N.Bytes()), "e": b64(big.NewInt(int64(p.rsa.E)).Bytes())},
		{"kty": "EC", "use": "sig", "alg": "ES256", "kid": "ec1", "crv": "P-256", "x": b64(pad(x, 32)), "y": b64(pad(y, 32))},
	}})
}

// publicPEM is both public keys, PKIX PEM blocks, RSA first: what the floor verifies with.
func (p *idp) publicPEM() (string, error) {
	var out []byte
	for _, k := range []crypto.PublicKey{&p.rsa.PublicKey, &p.ec.PublicKey} {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return "", err
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})...)
	}
	return string(out), nil
}

// tokenLifetime is how long the tokens of the tool's IdP are valid.
const tokenLifetime = time.Hour

// token signs an ID token for subject: RS256 unless es256.
func (p *idp) token(subject string, es256 bool, now time.Time) (string, error) {
	alg, kid := "RS256", "rsa1"
	if es256 {
		alg, kid = "ES256", "ec1"
	}
	hdr, _ := json.Marshal(map[string]string{"alg": alg, "kid": kid, "typ": "JWT"})
	claims, _ := json.Marshal(map[string]any{"iss": p.issuer, "aud": Audience, "sub": subject,
		"iat": now.Unix(), "exp": now.Add(tokenLifetime).Unix()})
	signing := b64(hdr) + "." + b64(claims)
	sum := sha256.Sum256([]byte(signing))
	var sig []byte
	var err error
	if es256 {
		var r, s *big.Int
		if r, s, err = ecdsa.Sign(rand.Reader, p.ec, sum[:]); err == nil {
			sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
		}
	} else {
		sig, err = rsa.SignPKCS1v15(nil, p.rsa, crypto.SHA256, sum[:])
	}
	if err != nil {
		return "", fmt.Errorf("signing a token: %w", err)
	}
	return signing + "." + b64(sig), nil
}

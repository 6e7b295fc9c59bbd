package loadgen

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

const floorConfigEnv = "LATCHKEY_LOAD_FLOOR"

// floorConfig is everything the floor child needs, passed in one environment variable.
type floorConfig struct {
	PublicPEM string            // the IdP's RSA and EC public keys, parsed once at start
	Issuer    string            // expected iss
	SealKey   []byte            // AES-256 key of the floor's session tokens
	Secrets   map[string]string // long-term access key id -> secret
	Sizes     map[string]int    // Action or X-Amz-Target operation -> Latchkey's response size
	TokenSize int               // plaintext bytes of a Latchkey session token
}

// floorSession is the plaintext of a floor session token.
type floorSession struct {
	AccessKeyID string `json:"k"`
	Secret      string `json:"s"`
	Pad         string `json:"p"`
}

type floor struct {
	cfg    floorConfig
	rsa    *rsa.PublicKey
	ec     *ecdsa.PublicKey
	sealer *sealer
}

func newFloor(cfg floorConfig) (*floor, error) {
	f := &floor{cfg: cfg}
	rest := []byte(cfg.PublicPEM)
	for {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, err
		}
		switch k := k.(type) {
		case *rsa.PublicKey:
			f.rsa = k
		case *ecdsa.PublicKey:
			f.ec = k
		}
	}
	if f.rsa == nil || f.ec == nil {
		return nil, errors.New("floor: want an RSA and an EC public key")
	}
	var err error
	f.sealer, err = newSealer(cfg.SealKey)
	return f, err
}

func runFloor() error {
	var cfg floorConfig
	if err := json.Unmarshal([]byte(os.Getenv(floorConfigEnv)), &cfg); err != nil {
		return fmt.Errorf("%s: %w", floorConfigEnv, err)
	}
	f, err := newFloor(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: f, ReadHeaderTimeout: 10 * time.Second}
	fmt.Println(floorAnnounce + ln.Addr().String())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	go func() { <-sig; _ = srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (f *floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var out []byte
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		out, err = f.cognito(strings.TrimPrefix(target, "AWSCognitoIdentityService."), body)
	} else {
		out, err = f.sts(r, body)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	_, _ = w.Write(out)
}

func (f *floor) sts(r *http.Request, body []byte) ([]byte, error) {
	query := r.URL.Query()
	form := query
	if r.Method == http.MethodPost {
		var err error
		if form, err = url.ParseQuery(string(body)); err != nil {
			return nil, err
		}
	}
	action := form.Get("Action")
	switch action {
	case "AssumeRoleWithWebIdentity":
		if err := f.verifyJWT(form.Get("WebIdentityToken")); err != nil {
			return nil, err
		}
		return f.issue(action, "Response")
	case "AssumeRole", "GetCallerIdentity":
		s, err := parseSigV4(r, query)
		if err != nil {
			return nil, err
		}
		secret, arn, err := f.secretFor(r, query, s, action)
		if err != nil {
			return nil, err
		}
		if err := verifySigV4(r, query, body, s, secret); err != nil {
			return nil, err
		}
		if action == "AssumeRole" {
			return f.issue(action, "Response")
		}
		return f.respond(action, "<Arn>"+arn+"</Arn>", "Response"), nil
	}
	return nil, fmt.Errorf("floor: unknown action %q", action)
}

// secretFor finds the signing secret: a long-term key's from the in-memory map (AssumeRole), or a
// session's from the session token it opens (GetCallerIdentity), with the caller's ARN.
func (f *floor) secretFor(r *http.Request, query url.Values, s sigv4Request, action string) (secret, arn string, err error) {
	if action == "AssumeRole" {
		secret, ok := f.cfg.Secrets[s.keyID]
		if !ok {
			return "", "", errors.New("unknown access key")
		}
		return secret, "", nil
	}
	tok := r.Header.Get("X-Amz-Security-Token")
	if s.presigned {
		tok = query.Get("X-Amz-Security-Token")
	}
	plain, err := f.sealer.open(tok)
	if err != nil {
		return "", "", err
	}
	var sess floorSession
	if err := json.Unmarshal(plain, &sess); err != nil || sess.AccessKeyID != s.keyID {
		return "", "", errors.New("session token does not match the access key")
	}
	return sess.Secret, "arn:aws:sts::" + accountID + ":assumed-role/load/" + sess.AccessKeyID, nil
}

func (f *floor) cognito(op string, body []byte) ([]byte, error) {
	var in struct {
		IdentityPoolID string            `json:"IdentityPoolId"`
		IdentityID     string            `json:"IdentityId"`
		Logins         map[string]string `json:"Logins"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	if len(in.Logins) != 1 {
		return nil, errors.New("want one login")
	}
	for _, tok := range in.Logins {
		if err := f.verifyJWT(tok); err != nil {
			return nil, err
		}
	}
	switch op {
	case "GetId":
		return f.respond(op, `{"IdentityId":"us-east-1:00000000-0000-0000-0000-000000000000","Pad":"`, `"}`), nil
	case "GetCredentialsForIdentity":
		return f.issue(op, `"}`)
	}
	return nil, fmt.Errorf("floor: unknown operation %q", op)
}

// issue seals a fresh credential (new random secret) into a token as large as Latchkey's and answers
// with it.
func (f *floor) issue(op, closing string) ([]byte, error) {
	var secret [30]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, err
	}
	sess := floorSession{AccessKeyID: "ASIAFLOOR", Secret: base64.StdEncoding.EncodeToString(secret[:])}
	plain, _ := json.Marshal(sess)
	if pad := f.cfg.TokenSize - len(plain); pad > 0 {
		sess.Pad = strings.Repeat("x", pad)
		plain, _ = json.Marshal(sess)
	}
	tok, err := f.sealer.seal(plain)
	if err != nil {
		return nil, err
	}
	if closing == "Response" {
		return f.respond(op, "<SessionToken>"+tok+"</SessionToken><SecretAccessKey>"+sess.Secret+"</SecretAccessKey>", closing), nil
	}
	return f.respond(op, `{"Credentials":{"SessionToken":"`+tok+`","SecretKey":"`+sess.Secret+`"},"Pad":"`, closing), nil
}

// respond pads content to Latchkey's response size for op; closing ends the document ("Response"
// wraps an XML document).
func (f *floor) respond(op, content, closing string) []byte {
	var b bytes.Buffer
	if closing == "Response" {
		b.WriteString("<" + op + "Response>" + content + "<Pad>")
		closing = "</Pad></" + op + "Response>"
	} else {
		b.WriteString(content)
	}
	if pad := f.cfg.Sizes[op] - b.Len() - len(closing); pad > 0 {
		b.WriteString(strings.Repeat("x", pad))
	}
	b.WriteString(closing)
	return b.Bytes()
}

// verifyJWT is the floor of web-identity verification: decode, signature with the key parsed once,
// claims decoded, issuer, audience and expiry compared.
func (f *floor) verifyJWT(tok string) error {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return errors.New("not a compact JWS")
	}
	var hdr struct{ Alg string }
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch hdr.Alg {
	case "RS256":
		err = rsa.VerifyPKCS1v15(f.rsa, crypto.SHA256, sum[:], sig)
	case "ES256":
		if len(sig) != 64 || !ecdsa.Verify(f.ec, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			err = errors.New("bad ES256 signature")
		}
	default:
		err = fmt.Errorf("alg %q", hdr.Alg)
	}
	if err != nil {
		return err
	}
	var c struct {
		Iss, Aud, Sub string
		Exp           int64
	}
	if err := decodeSegment(parts[1], &c); err != nil {
		return err
	}
	if c.Iss != f.cfg.Issuer || c.Aud != Audience || c.Sub == "" || time.Now().Unix() >= c.Exp {
		return errors.New("claims refused")
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// floorSessionToken seals session credentials for the floor, as large as Latchkey's session token.
func floorSessionToken(key []byte, keyID, secret string, size int) (string, error) {
	s, err := newSealer(key)
	if err != nil {
		return "", err
	}
	sess := floorSession{AccessKeyID: keyID, Secret: secret}
	plain, _ := json.Marshal(sess)
	if pad := size - len(plain); pad > 0 {
		sess.Pad = strings.Repeat("x", pad)
		plain, _ = json.Marshal(sess)
	}
	return s.seal(plain)
}

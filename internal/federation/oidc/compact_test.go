package oidc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// Cases for the verifier's own JWS parsing (RFC 7515 §3.1, §7.1: the compact
// serialization is BASE64URL segments joined by '.', "without the inclusion of any line breaks,
// whitespace, or other additional characters"). Each case is a token AWS refuses as not a JWT.
func TestCompactSerializationIsExact(t *testing.T) {
	f := newFixture(t, Options{})
	iss := f.idp.issuer()
	claims := baseClaims(iss)
	valid := sign(t, jose.RS256, rsaKey, "rsa1", claims)
	if _, err := f.verify(t, valid); err != nil {
		t.Fatalf("the unmodified token is refused: %v", err)
	}
	parts := strings.Split(valid, ".")
	mid := len(parts[2]) / 2
	now := fixedNow.Unix()
	cases := []struct {
		name, token string
		notJWT      bool // refused with MsgNotJWT, before anything is decoded
	}{
		// encoding/base64 ignores '\r' and '\n' anywhere, Strict() included: the signature
		// segment can be padded with line breaks and the token still verifies, so one signed
		// token has unboundedly many accepted spellings (a leading space is refused, a trailing
		// newline is not).
		{"trailing newline", valid + "\n", true},
		{"trailing CRLF", valid + "\r\n", true},
		{"newline inside the signature", parts[0] + "." + parts[1] + "." + parts[2][:mid] + "\n" + parts[2][mid:], true},
		{"carriage return inside the signature", parts[0] + "." + parts[1] + "." + parts[2][:mid] + "\r" + parts[2][mid:], true},
		{"newline before the signature", parts[0] + "." + parts[1] + ".\n" + parts[2], true},
		{"tab inside the payload", parts[0] + "." + parts[1][:4] + "\t" + parts[1][4:] + "." + parts[2], true},
		{"padding", valid + "==", true},
		{"standard base64 alphabet", parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]) + "+/", true},
		{"non-ASCII", valid + "\u00e9", true},
		{"trailing space", valid + " ", true},
		{"exp 1e400", signRaw(t, `{"iss":"`+iss+`","sub":"a","aud":"`+testAud+`","exp":1e400}`), false},
		{"exp NaN-like", signRaw(t, `{"iss":"`+iss+`","sub":"a","aud":"`+testAud+`","exp":-1e400}`), false},
		{"b64 false header", b64(`{"alg":"RS256","kid":"rsa1","b64":false,"crit":["b64"]}`) + "." + parts[1] + "." + parts[2], false},
		{"duplicate alg in header", b64(`{"alg":"RS256","kid":"rsa1","alg":"none"}`) + "." + parts[1] + "." + parts[2], false},
		{"aud null", signRaw(t, `{"iss":"`+iss+`","sub":"a","aud":null,"exp":`+fmt.Sprint(now+60)+`}`), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := f.verify(t, c.token)
			if err == nil {
				t.Fatalf("accepted a token that is not a compact JWS (RFC 7515 §7.1); claims sub=%q", got.Subject)
			}
			var e *Error
			if c.notJWT && (!errors.As(err, &e) || e.Message != MsgNotJWT) {
				t.Fatalf("refused with %v, want %q", err, MsgNotJWT)
			}
		})
	}
}

// An ES256 signature whose R or S is 0 or the group order N (or above) is invalid (RFC 7518
// §3.4, FIPS 186-4 §6.4 range checks); so is an empty one.
func TestECDSASignatureOutOfRangeIsRefused(t *testing.T) {
	f := newFixture(t, Options{})
	claims := baseClaims(f.idp.issuer())
	es := strings.Split(sign(t, jose.ES256, ecKey256, "ec256", claims), ".")
	n := ecKey256.Curve.Params().N.FillBytes(make([]byte, 32))
	zero := make([]byte, 32)
	sig, _ := base64.RawURLEncoding.DecodeString(es[2])
	for _, c := range []struct {
		name string
		sig  []byte
	}{
		{"r=0 s=0", append(append([]byte{}, zero...), zero...)},
		{"r=N", append(append([]byte{}, n...), sig[32:]...)},
		{"s=N", append(append([]byte{}, sig[:32]...), n...)},
		{"empty", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok := es[0] + "." + es[1] + "." + b64raw(c.sig)
			if _, err := f.verify(t, tok); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

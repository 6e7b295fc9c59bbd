package oidc

import (
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// FuzzVerify: no input makes Verify panic, and nothing it accepts lacks the claims Verify
// promises to have checked.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f, Options{})
	iss := fx.idp.issuer()
	claims := baseClaims(iss)
	valid := sign(f, jose.RS256, rsaKey, "rsa1", claims)
	parts := strings.Split(valid, ".")
	f.Add(valid)
	f.Add(sign(f, jose.ES256, ecKey256, "", claims))
	f.Add(sign(f, jose.ES512, ec521, "ec521", with(claims, "aud", []string{"x", testAud}, "azp", testAud)))
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(b64(`{"alg":"none"}`) + "." + parts[1] + ".")
	f.Add(b64(`{"alg":"HS256","kid":"rsa1"}`) + "." + parts[1] + "." + parts[2])
	f.Add(b64(`{"alg":"RS256","kid":{}}`) + "." + parts[1] + "." + parts[2])
	f.Add(b64(`{"alg":"RS256"}`) + "." + b64(`{"iss":"`+iss+`","exp":1e400}`) + "." + parts[2])
	f.Add(b64(`{"alg":"RS256"}`) + "." + b64(`{"iss":"`+iss+`","aud":[null],"sub":7}`) + "." + parts[2])
	f.Add("a.b.c.d.e")
	f.Add("...")
	f.Add("")
	f.Add("{}")
	lookup := lookupOne(fx.prov)
	f.Fuzz(func(t *testing.T, token string) {
		c, err := fx.v.Verify(verifyCtx(t), token, lookup)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if c.Issuer != iss || c.Subject == "" || len(c.Audience) == 0 || !c.Expiry.After(fixedNow) {
			t.Fatalf("accepted token with claims %+v", c)
		}
	})
}

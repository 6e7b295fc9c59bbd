package oidc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/explain"
)

// hundredP521 is an IdP publishing maxKeysPerSet P-521 keys, all under one kid, as an account
// that registers its own IdP can; the tokens (kid-less, and with the shared kid) are signed by
// none of them.
func hundredP521(t testing.TB) (*fixture, []string) {
	f := newFixture(t, Options{})
	set := make([]jose.JSONWebKey, maxKeysPerSet)
	for i := range set {
		set[i] = jwk(newECKey(t, elliptic.P521()), "same", "ES512")
	}
	f.idp.setKeys(t, set...)
	claims := baseClaims(f.idp.issuer())
	return f, []string{sign(t, jose.ES512, ec521, "", claims), sign(t, jose.ES512, ec521, "same", claims)}
}

func newECKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signatureRefusal returns the failed check and summary of a refusal for a bad signature.
func signatureRefusal(t *testing.T, err error) (explain.Check, string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Message != MsgInvalidSignature {
		t.Fatalf("refused with %v, want %q", err, MsgInvalidSignature)
	}
	x := explain.Of(e.Cause)
	if x == nil || len(x.Checks) == 0 {
		t.Fatalf("refusal without an explanation: %v", err)
	}
	c := x.Checks[len(x.Checks)-1]
	if c.Name != "signature" {
		t.Fatalf("failed check %q, want signature", c.Name)
	}
	return c, x.Summary
}

// TestSignatureWorkPerTokenIsBounded: an unsigned token whose issuer publishes 100 P-521 keys,
// kid-less or naming a kid every key shares, is verified against at most maxKidlessCandidates
// or maxKidCandidates keys (one P-521 verification costs milliseconds), and the refusal says
// that the key set has more candidate keys than Latchkey tries.
func TestSignatureWorkPerTokenIsBounded(t *testing.T) {
	f, toks := hundredP521(t)
	for i, c := range []struct {
		name  string
		limit int
	}{{"kid-less", maxKidlessCandidates}, {"kid shared by every key", maxKidCandidates}} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.verify(t, toks[i])
			if err == nil {
				t.Fatal("accepted a token no published key signed")
			}
			check, summary := signatureRefusal(t, err)
			if len(check.Expected) != c.limit {
				t.Fatalf("one token is verified against %d P-521 keys, want %d: %q", len(check.Expected), c.limit, check.Expected)
			}
			if want := "more than the " + strconv.Itoa(c.limit) + " Latchkey tries per token"; !strings.Contains(summary, want) {
				t.Fatalf("summary %q does not say %q", summary, want)
			}
		})
	}
}

// TestSignatureKeyAmongCandidates: a kid-less token verifies with its key when that key is
// among the first maxKidlessCandidates compatible keys of the set, and a token with a kid when
// its key is among the first maxKidCandidates keys with that kid; a key beyond the bound is
// not tried, and the refusal says so.
func TestSignatureKeyAmongCandidates(t *testing.T) {
	signer := newECKey(t, elliptic.P256())
	others := func(n int, kid string) []jose.JSONWebKey {
		out := make([]jose.JSONWebKey, n)
		for i := range out {
			out[i] = jwk(newECKey(t, elliptic.P256()), kid, "ES256")
		}
		return out
	}
	// An RSA key and a P-384 key are not candidates for ES256 and do not count.
	incompatible := []jose.JSONWebKey{jwk(rsaKey, "", "RS256"), jwk(ecKey384, "", "ES384")}
	cases := []struct {
		name   string
		kid    string
		set    []jose.JSONWebKey
		accept bool
	}{
		{"kid-less, the only key", "", []jose.JSONWebKey{jwk(signer, "", "ES256")}, true},
		{"kid-less, last of the first five", "", append(append(incompatible, others(maxKidlessCandidates-1, "")...), jwk(signer, "", "ES256")), true},
		{"kid-less, signer has a kid", "", append(others(2, "a"), jwk(signer, "k", "ES256")), true},
		{"kid-less, sixth compatible key", "", append(others(maxKidlessCandidates, ""), jwk(signer, "", "ES256")), false},
		{"kid, among other kids", "k", append(others(maxKidlessCandidates+3, "other"), jwk(signer, "k", "ES256")), true},
		{"kid, second key with that kid", "k", append(others(1, "k"), jwk(signer, "k", "ES256")), true},
		{"kid, third key with that kid", "k", append(others(2, "k"), jwk(signer, "k", "ES256")), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			f.idp.setKeys(t, c.set...)
			_, err := f.verify(t, sign(t, jose.ES256, signer, c.kid, baseClaims(f.idp.issuer())))
			if c.accept {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted with a key beyond the bound: the bound is not applied")
			}
			if _, summary := signatureRefusal(t, err); !strings.Contains(summary, "were not tried") {
				t.Fatalf("summary does not say keys were left untried: %q", summary)
			}
		})
	}
}

// BenchmarkKidlessES512AgainstHundredKeys is the cost of one forged kid-less ES512 token whose
// issuer publishes maxKeysPerSet P-521 keys: maxKidlessCandidates verifications, not 100.
func BenchmarkKidlessES512AgainstHundredKeys(b *testing.B) {
	f, toks := hundredP521(b)
	ctx := verifyCtx(b)
	lookup := lookupOne(f.prov)
	if _, err := f.v.Verify(ctx, toks[0], lookup); err == nil {
		b.Fatal("accepted")
	}
	for b.Loop() {
		_, _ = f.v.Verify(ctx, toks[0], lookup)
	}
}

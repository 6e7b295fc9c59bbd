package oidc

import (
	"context"
	"errors"
	"net"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

type fakeLocal struct {
	iss  string
	keys []jose.JSONWebKey
	err  error
}

func (f fakeLocal) Owns(iss string) bool { return iss == f.iss }

func (f fakeLocal) VerificationKeys(_ context.Context, _, kid string) ([]jose.JSONWebKey, error) {
	var out []jose.JSONWebKey
	for _, k := range f.keys {
		if kid == "" || k.KeyID == kid {
			out = append(out, k)
		}
	}
	return out, f.err
}

// A local issuer's tokens verify in process: http without AllowHTTP, no connection at all. An
// http issuer that is not local is still refused, and a local issuer's unknown kid or a token
// signed by another key is refused like any other.
func TestLocalKeySource(t *testing.T) {
	testKeys(t)
	const iss = "http://127.0.0.1:1/test-idp/gh"
	dials := 0
	local := fakeLocal{iss: iss, keys: []jose.JSONWebKey{jwk(rsaKey, "k1", "RS256")}}
	v := NewVerifier(Options{Now: newClock().Now, Local: local, Dial: func(context.Context, string, string) (net.Conn, error) {
		dials++
		return nil, errors.New("no network in this test")
	}})
	prov := Provider{URL: iss, ClientIDs: []string{testAud}}
	c, err := v.Verify(context.Background(), sign(t, jose.RS256, rsaKey, "k1", baseClaims(iss)), lookupOne(prov))
	if err != nil || c.Subject != "repo:latchkey/latchkey:ref:refs/heads/main" {
		t.Fatalf("local token: %v, %v", c, err)
	}
	_, err = v.Verify(context.Background(), sign(t, jose.RS256, rsaKey, "k2", baseClaims(iss)), lookupOne(prov))
	wantErr(t, err, InvalidToken, MsgKeyRetrieval)
	_, err = v.Verify(context.Background(), sign(t, jose.RS256, rsaKey2, "k1", baseClaims(iss)), lookupOne(prov))
	wantErr(t, err, InvalidToken, MsgInvalidSignature)
	other := "http://127.0.0.1:1/test-idp/other/x"
	_, err = v.Verify(context.Background(), sign(t, jose.RS256, rsaKey, "k1", baseClaims(other)), lookupOne(Provider{URL: other, ClientIDs: []string{testAud}}))
	wantErr(t, err, InvalidToken, MsgKeyRetrieval)
	if dials != 0 {
		t.Fatalf("%d dials for a local issuer", dials)
	}
	if s, ok := v.LastFetch(iss); !ok || s.Outcome != OutcomeLocal || !s.At.IsZero() {
		t.Errorf("LastFetch of a local issuer = %+v, %v; want OutcomeLocal and no time", s, ok)
	}
	broken := NewVerifier(Options{Now: newClock().Now, Local: fakeLocal{iss: iss, err: errors.New("store down")}})
	_, err = broken.Verify(context.Background(), sign(t, jose.RS256, rsaKey, "k1", baseClaims(iss)), lookupOne(prov))
	wantErr(t, err, Communication, MsgCommunication)
}

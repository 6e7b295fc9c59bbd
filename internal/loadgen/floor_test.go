package loadgen

import (
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// floorFixture is a floor on httptest and a fixture whose requests it accepts.
func floorFixture(t *testing.T) (*fixture, target, floorConfig) {
	t.Helper()
	p, err := startIdP()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	pemKeys, err := p.publicPEM()
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	fx := &fixture{idp: p, login: strings.TrimPrefix(p.issuer, "http://"), webRole: "arn:aws:iam::" + accountID + ":role/web",
		assumeRole: "arn:aws:iam::" + accountID + ":role/assume", pool: "us-east-1:pool", identity: "us-east-1:identity",
		userKey: aws.Credentials{AccessKeyID: "AKIAUSERKEY000000001", SecretAccessKey: "user-secret-user-secret-user-secret-0001"}}
	if fx.webToken, err = p.token(loadSubject, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	cfg := floorConfig{PublicPEM: pemKeys, Issuer: p.issuer, SealKey: key, TokenSize: 600,
		Secrets: map[string]string{fx.userKey.AccessKeyID: fx.userKey.SecretAccessKey},
		Sizes:   map[string]int{"AssumeRole": 1500, "GetId": 80, "GetCallerIdentity": 400}}
	fx.floorSession = aws.Credentials{AccessKeyID: "ASIAFLOORSESSION0001", SecretAccessKey: "floor-session-secret-floor-session-0001"}
	if fx.floorSession.SessionToken, err = floorSessionToken(key, fx.floorSession.AccessKeyID, fx.floorSession.SecretAccessKey, cfg.TokenSize); err != nil {
		t.Fatal(err)
	}
	f, err := newFloor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return fx, target{url: srv.URL, floor: true}, cfg
}

func send(t *testing.T, next newRequest) (int, string) {
	t.Helper()
	req, err := next()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The floor does the operation's work for real: it accepts the tool's requests, answers with
// Latchkey's response size, and refuses each request whose signature, token or credentials are not
// right — a floor that accepted anything would measure less than the unavoidable work.
func TestFloorAcceptsAndRefuses(t *testing.T) {
	fx, tgt, cfg := floorFixture(t)
	otherIdP, err := startIdP()
	if err != nil {
		t.Fatal(err)
	}
	defer otherIdP.close()
	forged, _ := otherIdP.token(loadSubject, false, time.Now())
	expired, _ := fx.idp.token(loadSubject, false, time.Now().Add(-2*time.Hour))
	otherKey := make([]byte, 32)
	_, _ = rand.Read(otherKey)
	alienToken, _ := floorSessionToken(otherKey, fx.floorSession.AccessKeyID, fx.floorSession.SecretAccessKey, 600)

	cases := []struct {
		name   string
		op     func(*fixture, target, int) (newRequest, error)
		mutate func(*fixture)
		want   int
	}{
		{"web identity", webIdentity, nil, 200},
		{"web identity, token of another IdP's key", webIdentity, func(f *fixture) { f.webToken = forged }, 403},
		{"web identity, expired token", webIdentity, func(f *fixture) { f.webToken = expired }, 403},
		{"web identity, unsigned token", webIdentity, func(f *fixture) { f.webToken = f.webToken[:strings.LastIndexByte(f.webToken, '.')+1] }, 403},
		{"getid", getIDExisting, nil, 200},
		{"getid, forged token", getIDExisting, func(f *fixture) { f.webToken = forged }, 403},
		{"credentials", credentialsForIdentity, nil, 200},
		{"credentials, expired token", credentialsForIdentity, func(f *fixture) { f.webToken = expired }, 403},
		{"getid new identity", getIDNew, nil, 200},
		{"assume role", assumeRole, nil, 200},
		{"assume role, wrong secret", assumeRole, func(f *fixture) { f.userKey.SecretAccessKey = "wrong-secret-wrong-secret-wrong-secret-01" }, 403},
		{"assume role, unknown key", assumeRole, func(f *fixture) { f.userKey.AccessKeyID = "AKIAUNKNOWN000000001" }, 403},
		{"caller header", callerHeader, nil, 200},
		{"caller header, wrong secret", callerHeader, func(f *fixture) { f.floorSession.SecretAccessKey = "nope-nope-nope-nope-nope-nope-nope-nope" }, 403},
		{"caller header, token sealed with another key", callerHeader, func(f *fixture) { f.floorSession.SessionToken = alienToken }, 403},
		{"caller header, token of another access key", callerHeader, func(f *fixture) { f.floorSession.AccessKeyID = "ASIAOTHERSESSION0001" }, 403},
		{"caller presigned", callerPresigned, nil, 200},
		{"caller presigned, wrong secret", callerPresigned, func(f *fixture) { f.floorSession.SecretAccessKey = "nope-nope-nope-nope-nope-nope-nope-nope" }, 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := *fx
			if c.mutate != nil {
				c.mutate(&f)
			}
			next, err := c.op(&f, tgt, 0)
			if err != nil {
				t.Fatal(err)
			}
			status, body := send(t, next)
			if status != c.want {
				t.Fatalf("status %d, want %d: %s", status, c.want, body)
			}
			if strings.Contains(c.name, "assume role") && status == 200 && len(body) != cfg.Sizes["AssumeRole"] {
				t.Fatalf("answer of %d bytes, want Latchkey's %d", len(body), cfg.Sizes["AssumeRole"])
			}
		})
	}
}

// A signed request whose body was changed after signing is refused: the payload hash is checked.
func TestFloorRefusesTamperedBody(t *testing.T) {
	fx, tgt, _ := floorFixture(t)
	next, err := assumeRole(fx, tgt, 0)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := next()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(signed.Body)
	tampered := strings.Replace(string(body), "assume", "admin1", 1)
	req, _ := http.NewRequest(http.MethodPost, signed.URL.String(), strings.NewReader(tampered))
	req.Header = signed.Header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("tampered body: status %d", resp.StatusCode)
	}
}

func TestSealerRoundTripAndTamper(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s, err := newSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.seal([]byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.open(tok); err != nil || string(got) != "payload" {
		t.Fatalf("open: %q, %v", got, err)
	}
	for _, bad := range []string{"", "AAAA", tok[:len(tok)-4] + "AAAA", "!!!"} {
		if _, err := s.open(bad); err == nil {
			t.Errorf("open(%q) succeeded", bad)
		}
	}
	if _, err := newSealer(key[:7]); err == nil {
		t.Error("a 7-byte key was accepted")
	}
}

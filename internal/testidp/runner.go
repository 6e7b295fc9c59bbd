package testidp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ActionsEnv is what a GitHub Actions job finds in its environment to request an ID token.
type ActionsEnv struct {
	RequestURL   string // ACTIONS_ID_TOKEN_REQUEST_URL; the toolkit appends &audience=…
	RequestToken string // ACTIONS_ID_TOKEN_REQUEST_TOKEN, sent as a bearer token
}

// ActionsPath is the runner endpoint of an issuer, relative to the issuer URL.
const ActionsPath = "/actions/idtoken"

// ErrRequestToken is any runner request token that is missing, malformed, forged, expired or
// for another issuer; the caller sees only this.
var ErrRequestToken = errors.New("the request token is not valid for this issuer")

// runnerGrant is what a request token binds: the issuer and the job's repository, ref and
// environment, until Exp.
type runnerGrant struct {
	Issuer      string `json:"iss"`
	Repository  string `json:"repository"`
	Ref         string `json:"ref"`
	Environment string `json:"environment,omitempty"`
	Event       string `json:"event,omitempty"`
	Exp         int64  `json:"exp"`
}

const runnerTokenPrefix = "lkr1."

func runnerMAC(key []byte, kid, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("latchkey test-idp runner request token\x00" + kid + "\x00" + payload))
	return m.Sum(nil)
}

// ActionsEnv issues a request token bound to the job described by p (github-actions params)
// for the named issuer, valid for ttl (0: one hour).
func (p *IdP) ActionsEnv(ctx context.Context, name string, params Params, ttl time.Duration) (ActionsEnv, error) {
	if err := CheckName(name); err != nil {
		return ActionsEnv{}, err
	}
	if ttl == 0 {
		ttl = time.Hour
	}
	if ttl < time.Second || ttl > MaxRunnerTTL {
		return ActionsEnv{}, fmt.Errorf("ttl %s: want between 1s and %s", ttl, MaxRunnerTTL)
	}
	// The job's claims must be mintable now, not only when the job asks.
	if _, err := githubClaims(params, p.d.Now()); err != nil {
		return ActionsEnv{}, err
	}
	g := runnerGrant{Issuer: name, Repository: params.Repository, Ref: params.Ref, Environment: params.Environment,
		Event: params.Event, Exp: p.d.Now().Add(ttl).Unix()}
	body, err := json.Marshal(g)
	if err != nil {
		return ActionsEnv{}, err
	}
	k, err := p.d.Runner.Signer(ctx)
	if err != nil {
		return ActionsEnv{}, err
	}
	payload := base64.RawURLEncoding.EncodeToString(body)
	tok := runnerTokenPrefix + k.ID + "." + payload + "." + base64.RawURLEncoding.EncodeToString(runnerMAC(k.Material, k.ID, payload))
	return ActionsEnv{
		RequestURL:   p.IssuerURL(name) + ActionsPath + "?api-version=2.0",
		RequestToken: tok,
	}, nil
}

// openRunnerToken checks a request token's MAC (in constant time), expiry and issuer.
func (p *IdP) openRunnerToken(ctx context.Context, name, tok string) (runnerGrant, error) {
	var g runnerGrant
	rest, ok := strings.CutPrefix(tok, runnerTokenPrefix)
	parts := strings.Split(rest, ".")
	if !ok || len(parts) != 3 || len(tok) > 4096 {
		return g, ErrRequestToken
	}
	kid, payload := parts[0], parts[1]
	mac, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return g, ErrRequestToken
	}
	k, found, err := p.d.Runner.Lookup(ctx, kid)
	if err != nil {
		return g, err
	}
	if !found || !hmac.Equal(mac, runnerMAC(k.Material, kid, payload)) {
		return g, ErrRequestToken
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(body, &g) != nil {
		return g, ErrRequestToken
	}
	if g.Issuer != name || !p.d.Now().Before(time.Unix(g.Exp, 0)) {
		return g, ErrRequestToken
	}
	return g, nil
}

// RunnerToken answers the runner protocol: the bearer request token of a job and the audience
// the toolkit asked for (empty: the default) give that job's github-actions token.
func (p *IdP) RunnerToken(ctx context.Context, name, requestToken, aud string) (string, error) {
	if err := CheckName(name); err != nil {
		return "", err
	}
	g, err := p.openRunnerToken(ctx, name, requestToken)
	if err != nil {
		return "", err
	}
	in := MintInput{Issuer: name, Profile: GitHubActions,
		Params: Params{Repository: g.Repository, Ref: g.Ref, Environment: g.Environment, Event: g.Event}}
	if aud != "" {
		in.Audience = []string{aud}
	}
	// GitHub's tokens live a few minutes; so do these.
	in.TTL = 5 * time.Minute
	return p.Mint(ctx, in)
}

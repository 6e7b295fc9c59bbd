package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/testidp"
)

// TestTokenMinter is the part of the test IdP the mint route uses.
type TestTokenMinter interface {
	Mint(ctx context.Context, in testidp.MintInput) (string, error)
	IssuerURL(name string) string
}

// TestIDPARN is the resource of latchkey:MintTestToken: one named test issuer of an account.
func TestIDPARN(account, name string) string {
	return "arn:aws:latchkey::" + account + ":test-idp/" + name
}

// MintTokenRequest is the body of POST /latchkey/v1/test-idp/{name}/tokens: the fields of
// `latchkey idp token`. Audience is a string or a list of strings; TTL a Go duration ("10m") or
// a number of seconds.
type MintTokenRequest struct {
	Profile        string          `json:"profile"`
	Repository     string          `json:"repository"`
	Ref            string          `json:"ref"`
	Environment    string          `json:"environment"`
	Event          string          `json:"event"`
	ProjectPath    string          `json:"projectPath"`
	RefType        string          `json:"refType"`
	Namespace      string          `json:"namespace"`
	ServiceAccount string          `json:"serviceAccount"`
	Pod            string          `json:"pod"`
	Audience       json.RawMessage `json:"audience"`
	Claims         map[string]any  `json:"claims"`
	TTL            json.RawMessage `json:"ttl"`
}

// TestIDPRoutes is POST /latchkey/v1/test-idp/{name}/tokens (latchkey:MintTestToken on the
// issuer's ARN), answering {"token": JWT}. Register it only when the test IdP is on: otherwise
// the path is a 404 like any unknown admin resource.
func TestIDPRoutes(m TestTokenMinter) []AdminRoute {
	return []AdminRoute{{
		Pattern:  "POST " + adminPrefix + "test-idp/{name}/tokens",
		Action:   "latchkey:MintTestToken",
		Resource: func(c *AdminCall) string { return TestIDPARN(c.Caller.AccountID, c.PathValue("name")) },
		Handle: func(ctx context.Context, c *AdminCall) (any, error) {
			name := c.PathValue("name")
			if err := testidp.CheckName(name); err != nil {
				return nil, AdminError(http.StatusNotFound, "NoSuchIssuer", err.Error())
			}
			var req MintTokenRequest
			if err := c.DecodeJSON(&req); err != nil {
				return nil, err
			}
			in, err := req.mintInput(name, m.IssuerURL(name))
			if err != nil {
				return nil, AdminError(http.StatusBadRequest, "InvalidParameterValue", err.Error())
			}
			tok, err := m.Mint(ctx, in)
			switch {
			case errors.Is(err, testidp.ErrInvalidInput):
				return nil, AdminError(http.StatusBadRequest, "InvalidParameterValue", err.Error())
			case err != nil:
				return nil, err
			}
			return map[string]string{"token": tok}, nil
		},
	}}
}

// mintInput checks what the test IdP cannot: the profile is named, audience and ttl parse, and
// an iss claim names this issuer (the permission is per issuer, so a token of another issuer
// cannot be minted through this one's ARN).
func (r MintTokenRequest) mintInput(name, issuerURL string) (testidp.MintInput, error) {
	in := testidp.MintInput{Issuer: name, Profile: r.Profile, Claims: r.Claims, Params: testidp.Params{
		Repository: r.Repository, Ref: r.Ref, Environment: r.Environment, Event: r.Event, ProjectPath: r.ProjectPath,
		RefType: r.RefType, Namespace: r.Namespace, ServiceAccount: r.ServiceAccount, Pod: r.Pod}}
	if r.Profile == "" {
		return in, fmt.Errorf("profile is required: %s, %s, %s or %s", testidp.GitHubActions, testidp.GitLabCI, testidp.Kubernetes, testidp.Generic)
	}
	if iss, ok := r.Claims["iss"]; ok && iss != issuerURL {
		return in, fmt.Errorf("claims.iss must be this issuer's URL %s (mint another issuer's tokens through its own path)", issuerURL)
	}
	aud, err := parseAudience(r.Audience)
	if err != nil {
		return in, err
	}
	in.Audience = aud
	in.TTL, err = parseTTL(r.TTL)
	return in, err
}

// parseAudience reads audience: absent or null (the profile's default), a string, or a list of
// non-empty strings.
func parseAudience(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil, errors.New("audience must not be empty")
		}
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil || len(many) == 0 {
		return nil, errors.New("audience must be a string or a non-empty list of strings")
	}
	for _, a := range many {
		if a == "" {
			return nil, errors.New("audience must not contain an empty string")
		}
	}
	return many, nil
}

// parseTTL reads ttl: absent (the default), a Go duration string, or whole seconds. The range
// is the test IdP's to check.
func parseTTL(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("ttl %q must be a positive duration such as 10m", s)
		}
		return d, nil
	}
	var secs int64
	if err := json.Unmarshal(raw, &secs); err != nil || secs <= 0 || secs > int64(testidp.MaxTokenTTL/time.Second) {
		return 0, fmt.Errorf("ttl must be a duration string such as \"10m\" or whole seconds from 1 to %d", int64(testidp.MaxTokenTTL/time.Second))
	}
	return time.Duration(secs) * time.Second, nil
}

package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/testidp"
)

// TestIDP is the built-in test identity provider as the server publishes it.
type TestIDP interface {
	Discovery(name string) (map[string]any, error)
	JWKS(ctx context.Context) (jose.JSONWebKeySet, error)
	RunnerToken(ctx context.Context, name, requestToken, audience string) (string, error)
}

// testIDPPath returns the path below the test IdP prefix when path is one of its routes.
func (s *Server) testIDPPath(path string) (string, bool) {
	if s.deps.TestIDP == nil || s.deps.Issuer == nil {
		return "", false
	}
	return strings.CutPrefix(path, s.issuerBasePath()+testidp.PathPrefix)
}

// serveTestIDP answers GET NAME/.well-known/openid-configuration, NAME/.well-known/jwks.json and
// NAME/actions/idtoken (GitHub Actions' runner protocol: bearer request token, audience
// parameter, {"value": JWT}). Every refusal is a JSON body, as the actions toolkit reads it.
func (s *Server) serveTestIDP(w http.ResponseWriter, r *http.Request, rest string) {
	name, route, _ := strings.Cut(rest, "/")
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "Only GET is supported."})
		return
	}
	var body any
	switch route {
	case ".well-known/openid-configuration":
		doc, err := s.deps.TestIDP.Discovery(name)
		if err != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": err.Error()})
			return
		}
		body = doc
	case ".well-known/jwks.json":
		if _, err := s.deps.TestIDP.Discovery(name); err != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": err.Error()})
			return
		}
		set, err := s.deps.TestIDP.JWKS(r.Context())
		if err != nil {
			s.deps.Logger.Error("publishing the test IdP's JWKS failed", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "Keys are unavailable."})
			return
		}
		body = set
	case strings.TrimPrefix(testidp.ActionsPath, "/"):
		s.serveRunnerToken(w, r, name)
		return
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "No such test IdP resource."})
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) serveRunnerToken(w http.ResponseWriter, r *http.Request, name string) {
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || bearer == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="latchkey-test-idp"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "A bearer request token (ACTIONS_ID_TOKEN_REQUEST_TOKEN) is required."})
		return
	}
	tok, err := s.deps.TestIDP.RunnerToken(r.Context(), name, bearer, r.URL.Query().Get("audience"))
	switch {
	case errors.Is(err, testidp.ErrRequestToken):
		writeJSON(w, http.StatusForbidden, map[string]string{"message": err.Error()})
		return
	case errors.Is(err, testidp.ErrNoIssuer):
		writeJSON(w, http.StatusNotFound, map[string]string{"message": err.Error()})
		return
	case err != nil:
		s.deps.Logger.Error("minting a runner token failed", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "The token could not be minted."})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"value": tok})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (s *Server) isTestIDP(path string) bool {
	_, ok := s.testIDPPath(path)
	return ok
}

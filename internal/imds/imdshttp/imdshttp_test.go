package imdshttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/imds"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

type emptyStore struct{}

func (emptyStore) GetInstanceProfile(context.Context, string, string) (store.InstanceProfile, error) {
	return store.InstanceProfile{}, store.ErrNotFound
}

func (emptyStore) GetRoleByID(context.Context, string) (store.Role, error) {
	return store.Role{}, store.ErrNotFound
}

type noSessions struct{}

func (noSessions) AssumeRole(context.Context, session.Request) (session.RoleSession, error) {
	return session.RoleSession{}, session.FederatedDenied("sts:AssumeRole")
}

// oneKey is a key ring of one key.
type oneKey struct{}

var theKey = keys.Key{ID: "k1", Material: []byte("0123456789abcdef0123456789abcdef")}

func (oneKey) Signer(context.Context) (keys.Key, error) { return theKey, nil }
func (oneKey) Lookup(_ context.Context, id string) (keys.Key, bool, error) {
	return theKey, id == theKey.ID, nil
}

// TestStatuses: IMDS's answers to what it refuses, with v1 refused and allowed.
func TestStatuses(t *testing.T) {
	svc, err := imds.New(imds.Deps{Store: emptyStore{}, Sessions: noSessions{}, AccountID: "123456789012", InstanceProfile: "p", Region: "us-east-1", Keys: oneKey{}})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := svc.IssueToken(context.Background(), "60")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, path string
		headers            map[string]string
		allowV1            bool
		want               int
		body               string
	}{
		{"token", http.MethodPut, "/latest/api/token", map[string]string{headerTTL: "60"}, false, 200, ""},
		{"token without TTL", http.MethodPut, "/latest/api/token", nil, false, 400, ""},
		{"token TTL too long", http.MethodPut, "/latest/api/token", map[string]string{headerTTL: "21601"}, false, 400, ""},
		{"token by GET", http.MethodGet, "/latest/api/token", map[string]string{headerTTL: "60"}, false, 405, ""},
		{"proxied token request", http.MethodPut, "/latest/api/token", map[string]string{headerTTL: "60", "X-Forwarded-For": "10.0.0.1"}, false, 403, ""},
		{"POST a document", http.MethodPost, "/latest/meta-data/instance-id", map[string]string{headerToken: tok}, false, 405, ""},
		{"v1 refused", http.MethodGet, "/latest/meta-data/instance-id", nil, false, 401, ""},
		{"v1 allowed", http.MethodGet, "/latest/meta-data/placement/region", nil, true, 200, "us-east-1"},
		{"bad token with v1 allowed", http.MethodGet, "/latest/meta-data/instance-id", map[string]string{headerToken: "x"}, true, 401, ""},
		{"v2", http.MethodGet, "/latest/meta-data/placement/region", map[string]string{headerToken: tok}, false, 200, "us-east-1"},
		{"no profile: role list", http.MethodGet, "/latest/meta-data/iam/security-credentials/", map[string]string{headerToken: tok}, false, 404, ""},
		{"no profile: info", http.MethodGet, "/latest/meta-data/iam/info", map[string]string{headerToken: tok}, false, 404, ""},
		{"nested credentials path", http.MethodGet, "/latest/meta-data/iam/security-credentials/a/b", map[string]string{headerToken: tok}, false, 404, ""},
		{"unknown", http.MethodGet, "/latest/user-data", map[string]string{headerToken: tok}, false, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			New(svc, Options{AllowV1: tc.allowV1}).ServeHTTP(rec, req)
			if rec.Code != tc.want || (tc.body != "" && strings.TrimSpace(rec.Body.String()) != tc.body) {
				t.Fatalf("%s %s = %d %q, want %d %q", tc.method, tc.path, rec.Code, rec.Body.String(), tc.want, tc.body)
			}
		})
	}
}

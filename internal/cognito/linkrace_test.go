package cognito

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

// The ownership rules of a link or merge (an identity that has logins takes a new one only with the
// proof of one of them; a guest stays a guest until its first login; only a guest is merged into the
// identity of its login; a developer merge brings no second login of a provider and at most
// MaxLinkedLoginsAfterMerge logins) are decided on logins read before the store's transaction. In
// these tests another request commits between those reads and the transaction (the test
// store's beforeLink and beforeMerge hooks, which commit just before the request's transaction), and the
// request must end exactly as it does when it comes after that change: each case runs both ways and
// wants the same answer and the same stored state. The attackers hold valid tokens of their own,
// and the signed developer operations are called by the account root.

// raceWorld is one case's pool and its identities by name.
type raceWorld struct {
	f   *fixture
	p   store.IdentityPool
	ids map[string]string
}

// userPool is a valid user-pool ID token of sub.
func (w *raceWorld) userPool(sub string) string {
	return w.f.upstream(map[string]any{"iss": "https://" + userPoolKey, "aud": "upclient", "sub": sub})
}

// oidc is a valid token of the pool's OIDC provider for sub.
func (w *raceWorld) oidc(sub string) string { return w.f.upstream(map[string]any{"sub": sub}) }

func (w *raceWorld) getID(t *testing.T, name string, logins map[string]string) {
	t.Helper()
	id, err := w.f.svc.GetId(ctx, w.p.ID, "", logins)
	if err != nil {
		t.Fatal(err)
	}
	w.ids[name] = id
}

// developer links developer users (and other logins) through the signed API: to the named identity
// when it exists, else to a new one that gets the name.
func (w *raceWorld) developer(t *testing.T, name string, logins map[string]string) {
	t.Helper()
	tok, err := w.f.svc.GetOpenIdTokenForDeveloperIdentity(ctx, w.f.root, DeveloperTokenInput{PoolID: w.p.ID, IdentityID: w.ids[name], Logins: logins})
	if err != nil {
		t.Fatal(err)
	}
	w.ids[name] = tok.IdentityID
}

// logins renders the named identity's logins as "provider/subject", in the store's order.
func (w *raceWorld) logins(id string) []string {
	var out []string
	for _, l := range w.f.st.loginsOf(id) {
		out = append(out, l.Provider+"/"+l.Subject)
	}
	return out
}

func (w *raceWorld) wantLogins(t *testing.T, name string, want ...string) {
	t.Helper()
	if got := w.logins(w.ids[name]); !slices.Equal(got, want) {
		t.Errorf("identity %s has logins %v, want %v", name, got, want)
	}
}

func (w *raceWorld) wantDisabled(t *testing.T, name string, want bool) {
	t.Helper()
	if got, _ := w.f.st.identity(w.ids[name]); got.Disabled != want {
		t.Errorf("identity %s: disabled = %v, want %v", name, got.Disabled, want)
	}
}

func (w *raceWorld) wantUnlinked(t *testing.T, provider, subject string) {
	t.Helper()
	if l, err := w.f.st.FindLogin(ctx, w.p.ID, provider, subject); err == nil {
		t.Errorf("login %s/%s is linked to %s, want it unlinked", provider, subject, l.IdentityID)
	}
}

// nameOf is the name of an identity id in w, or "a new identity".
func (w *raceWorld) nameOf(id string) string {
	for n, i := range w.ids {
		if i == id {
			return n
		}
	}
	return "a new identity"
}

const (
	up  = userPoolKey + "/"
	oid = oidcName + "/"
	dev = devProvider + "/"
)

func TestLinkDecisionsHoldAtTheLink(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, w *raceWorld)
		// change is the concurrent request that commits between the request's reads and its
		// transaction.
		change func(st *testStore, w *raceWorld)
		call   func(w *raceWorld) (string, error)
		// wantCode and wantMsg are the answer ("" for success; {name} in wantMsg is the id of the
		// identity named so); wantID names the identity a success answers ("new" for one that did
		// not exist before).
		wantCode, wantMsg, wantID string
		check                     func(t *testing.T, w *raceWorld)
		// alone is the code the request answers when nothing comes in between ("" for success):
		// the change is what makes the difference.
		alone string
	}{
		{
			name:  "an attacker's first login of a guest after its owner's, GetCredentialsForIdentity",
			setup: func(t *testing.T, w *raceWorld) { w.getID(t, "guest", nil) },
			change: func(st *testStore, w *raceWorld) {
				st.linkDirect(w.ids["guest"], userPoolKey, "victim")
			},
			call: func(w *raceWorld) (string, error) {
				c, err := w.f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: w.ids["guest"], Logins: map[string]string{oidcName: w.oidc("mallory")}})
				return c.IdentityID, err
			},
			wantCode: "NotAuthorizedException", wantMsg: msgLoginsDontMatch,
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "guest", up+"victim")
				w.wantUnlinked(t, oidcName, "mallory")
			},
		},
		{
			name:  "an attacker's first login of a guest after its owner's, GetOpenIdToken",
			setup: func(t *testing.T, w *raceWorld) { w.getID(t, "guest", nil) },
			change: func(st *testStore, w *raceWorld) {
				st.linkDirect(w.ids["guest"], userPoolKey, "victim")
			},
			call: func(w *raceWorld) (string, error) {
				tok, err := w.f.svc.GetOpenIdToken(ctx, w.ids["guest"], map[string]string{oidcName: w.oidc("mallory")})
				return tok.IdentityID, err
			},
			wantCode: "NotAuthorizedException", wantMsg: msgLoginsDontMatch,
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "guest", up+"victim")
				w.wantUnlinked(t, oidcName, "mallory")
			},
		},
		{
			name:  "the owner's second login of a guest that its first login just upgraded",
			setup: func(t *testing.T, w *raceWorld) { w.getID(t, "guest", nil) },
			change: func(st *testStore, w *raceWorld) {
				st.linkDirect(w.ids["guest"], userPoolKey, "victim")
			},
			call: func(w *raceWorld) (string, error) {
				c, err := w.f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: w.ids["guest"], Logins: map[string]string{userPoolKey: w.userPool("victim"), oidcName: w.oidc("victim")}})
				return c.IdentityID, err
			},
			wantID: "guest",
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "guest", up+"victim", oid+"victim")
			},
		},
		{
			name: "a guest merged into the attacker's identity after the guest's own first login",
			setup: func(t *testing.T, w *raceWorld) {
				w.getID(t, "attacker", map[string]string{oidcName: w.oidc("mallory")})
				w.getID(t, "guest", nil)
			},
			change: func(st *testStore, w *raceWorld) {
				st.linkDirect(w.ids["guest"], userPoolKey, "victim")
			},
			call: func(w *raceWorld) (string, error) {
				c, err := w.f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: w.ids["guest"], Logins: map[string]string{oidcName: w.oidc("mallory")}})
				return c.IdentityID, err
			},
			wantCode: "NotAuthorizedException", wantMsg: msgLoginsDontMatch,
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "attacker", oid+"mallory")
				w.wantLogins(t, "guest", up+"victim")
				w.wantDisabled(t, "guest", false)
				// The victim's login still leads to the victim's identity.
				got, err := w.f.svc.GetId(ctx, w.p.ID, "", map[string]string{userPoolKey: w.userPool("victim")})
				if err != nil || got != w.ids["guest"] {
					t.Errorf("the victim's GetId = %s (%s) %v, want its own identity", got, w.nameOf(got), err)
				}
			},
		},
		{
			name: "a guest merged twice: the same merge committed first",
			setup: func(t *testing.T, w *raceWorld) {
				w.getID(t, "winner", map[string]string{oidcName: w.oidc("mallory")})
				w.getID(t, "guest", nil)
			},
			change: func(st *testStore, w *raceWorld) { st.mergeDirect(w.ids["winner"], w.ids["guest"]) },
			call: func(w *raceWorld) (string, error) {
				c, err := w.f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: w.ids["guest"], Logins: map[string]string{oidcName: w.oidc("mallory")}})
				return c.IdentityID, err
			},
			wantCode: "NotAuthorizedException", wantMsg: "Access to Identity '{guest}' is forbidden.",
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "winner", oid+"mallory")
				w.wantDisabled(t, "guest", true)
			},
		},
		{
			name: "a guest merged into an identity whose login was unlinked first",
			setup: func(t *testing.T, w *raceWorld) {
				w.getID(t, "winner", map[string]string{oidcName: w.oidc("mallory")})
				w.developer(t, "winner", map[string]string{devProvider: "m-dev"})
				w.getID(t, "guest", nil)
			},
			change: func(st *testStore, w *raceWorld) { st.unlinkDirect(w.p.ID, oidcName, "mallory", true) },
			call: func(w *raceWorld) (string, error) {
				c, err := w.f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: w.ids["guest"], Logins: map[string]string{oidcName: w.oidc("mallory")}})
				return c.IdentityID, err
			},
			wantID: "guest",
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "guest", oid+"mallory")
				w.wantLogins(t, "winner", dev+"m-dev")
				w.wantDisabled(t, "guest", false)
			},
		},
		{
			name: "a guest merged with a new login that another identity got first",
			setup: func(t *testing.T, w *raceWorld) {
				w.getID(t, "winner", map[string]string{oidcName: w.oidc("mallory")})
				w.getID(t, "guest", nil)
				w.developer(t, "other", map[string]string{devProvider: "o-dev"})
			},
			change: func(st *testStore, w *raceWorld) { st.linkDirect(w.ids["other"], userPoolKey, "m2") },
			call: func(w *raceWorld) (string, error) {
				c, err := w.f.svc.GetCredentialsForIdentity(ctx, CredentialsInput{IdentityID: w.ids["guest"], Logins: map[string]string{oidcName: w.oidc("mallory"), userPoolKey: w.userPool("m2")}})
				return c.IdentityID, err
			},
			wantCode: "ResourceConflictException", wantMsg: "The login for ",
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "winner", oid+"mallory")
				w.wantLogins(t, "guest")
				w.wantDisabled(t, "guest", false)
				w.wantLogins(t, "other", up+"m2", dev+"o-dev")
			},
		},
		{
			name: "a link on a proof login that its owner unlinked first",
			setup: func(t *testing.T, w *raceWorld) {
				w.getID(t, "x", map[string]string{oidcName: w.oidc("alice")})
				w.developer(t, "x", map[string]string{devProvider: "owner-dev"})
			},
			change: func(st *testStore, w *raceWorld) { st.unlinkDirect(w.p.ID, oidcName, "alice", true) },
			call: func(w *raceWorld) (string, error) {
				// The leaked token of the proof login, and the attacker's own.
				tok, err := w.f.svc.GetOpenIdToken(ctx, w.ids["x"], map[string]string{oidcName: w.oidc("alice"), userPoolKey: w.userPool("mallory")})
				return tok.IdentityID, err
			},
			wantCode: "NotAuthorizedException", wantMsg: msgLoginsDontMatch,
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "x", dev+"owner-dev")
				w.wantUnlinked(t, userPoolKey, "mallory")
				w.wantUnlinked(t, oidcName, "alice")
			},
		},
		{
			name: "GetId with a login unlinked first and a new one",
			setup: func(t *testing.T, w *raceWorld) {
				w.getID(t, "x", map[string]string{oidcName: w.oidc("alice")})
				w.developer(t, "x", map[string]string{devProvider: "owner-dev"})
			},
			change: func(st *testStore, w *raceWorld) { st.unlinkDirect(w.p.ID, oidcName, "alice", true) },
			call: func(w *raceWorld) (string, error) {
				return w.f.svc.GetId(ctx, w.p.ID, "", map[string]string{oidcName: w.oidc("alice"), userPoolKey: w.userPool("mallory")})
			},
			wantID: "new",
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "x", dev+"owner-dev")
				w.wantLogins(t, "new", up+"mallory", oid+"alice")
			},
		},
		{
			name:   "GetId with a login whose identity was deleted first",
			setup:  func(t *testing.T, w *raceWorld) { w.getID(t, "x", map[string]string{oidcName: w.oidc("alice")}) },
			change: func(st *testStore, w *raceWorld) { st.deleteDirect(w.ids["x"]) },
			call: func(w *raceWorld) (string, error) {
				return w.f.svc.GetId(ctx, w.p.ID, "", map[string]string{oidcName: w.oidc("alice"), userPoolKey: w.userPool("alice")})
			},
			wantID: "new",
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "new", up+"alice", oid+"alice")
			},
		},
		{
			name: "MergeDeveloperIdentities after another merge gave the destination a login of the same provider",
			setup: func(t *testing.T, w *raceWorld) {
				w.developer(t, "d", map[string]string{devProvider: "d"})
				w.developer(t, "s1", map[string]string{devProvider: "s1", oidcName: w.oidc("alice")})
				w.developer(t, "s2", map[string]string{devProvider: "s2", oidcName: w.oidc("bob")})
			},
			change: func(st *testStore, w *raceWorld) { st.mergeDirect(w.ids["d"], w.ids["s2"]) },
			call: func(w *raceWorld) (string, error) {
				return w.f.svc.MergeDeveloperIdentities(ctx, w.f.root, w.p.ID, devProvider, "s1", "d")
			},
			wantCode: "ResourceConflictException", wantMsg: "Both users have a different login of " + oidcName + "; they cannot be merged.",
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "d", oid+"bob", dev+"d", dev+"s2")
				w.wantLogins(t, "s1", oid+"alice", dev+"s1")
				w.wantDisabled(t, "s1", false)
			},
		},
		{
			name: "MergeDeveloperIdentities after the source user's identity was merged elsewhere",
			setup: func(t *testing.T, w *raceWorld) {
				w.developer(t, "d", map[string]string{devProvider: "d"})
				w.developer(t, "s", map[string]string{devProvider: "s", oidcName: w.oidc("alice")})
				w.developer(t, "o", map[string]string{devProvider: "o"})
			},
			change: func(st *testStore, w *raceWorld) { st.mergeDirect(w.ids["o"], w.ids["s"]) },
			call: func(w *raceWorld) (string, error) {
				return w.f.svc.MergeDeveloperIdentities(ctx, w.f.root, w.p.ID, devProvider, "s", "d")
			},
			wantID: "d",
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "d", oid+"alice", dev+"d", dev+"o", dev+"s")
				w.wantDisabled(t, "o", true)
				w.wantDisabled(t, "s", true)
			},
		},
		{
			name: "MergeDeveloperIdentities after the destination user was unlinked",
			setup: func(t *testing.T, w *raceWorld) {
				w.developer(t, "d", map[string]string{devProvider: "d"})
				w.developer(t, "s", map[string]string{devProvider: "s"})
			},
			change: func(st *testStore, w *raceWorld) { st.unlinkDirect(w.p.ID, devProvider, "d", true) },
			call: func(w *raceWorld) (string, error) {
				return w.f.svc.MergeDeveloperIdentities(ctx, w.f.root, w.p.ID, devProvider, "s", "d")
			},
			wantCode: "ResourceNotFoundException", wantMsg: "Developer user identifier 'd' not found.",
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "s", dev+"s")
				w.wantDisabled(t, "s", false)
				w.wantDisabled(t, "d", true)
			},
		},
		{
			name: "MergeDeveloperIdentities after a link took the destination to the login limit",
			setup: func(t *testing.T, w *raceWorld) {
				users := map[string]string{}
				for i := range MaxLinkedLoginsAfterMerge - 2 {
					users[devProvider] = fmt.Sprintf("d%02d", i)
					w.developer(t, "d", users)
				}
				w.developer(t, "s", map[string]string{devProvider: "s", oidcName: w.oidc("alice")})
			},
			change: func(st *testStore, w *raceWorld) { st.linkDirect(w.ids["d"], devProvider, "late") },
			call: func(w *raceWorld) (string, error) {
				return w.f.svc.MergeDeveloperIdentities(ctx, w.f.root, w.p.ID, devProvider, "s", "d00")
			},
			wantCode: "InvalidParameterException",
			wantMsg:  fmt.Sprintf("The merged identity would have %d linked logins; at most %d are allowed.", MaxLinkedLoginsAfterMerge+1, MaxLinkedLoginsAfterMerge),
			check: func(t *testing.T, w *raceWorld) {
				w.wantLogins(t, "s", oid+"alice", dev+"s")
				w.wantDisabled(t, "s", false)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []string{"alone", "serially", "concurrently"} {
				t.Run(mode, func(t *testing.T) {
					f := newFixture(t)
					w := &raceWorld{f: f, p: f.pool(t, nil), ids: map[string]string{}}
					tc.setup(t, w)
					ran := false
					hook := func(st *testStore) {
						if !ran {
							ran = true
							tc.change(st, w)
						}
					}
					switch mode {
					case "alone":
						_, err := tc.call(w)
						if tc.alone == "" && err != nil {
							t.Fatalf("without a concurrent change: %v, want success", err)
						}
						if tc.alone != "" {
							wantCode(t, err, tc.alone)
						}
						return
					case "serially":
						hook(f.st)
					case "concurrently":
						f.st.beforeLink, f.st.beforeMerge = hook, hook
					}
					got, err := tc.call(w)
					if !ran {
						t.Fatal("the request never reached the store's transaction")
					}
					f.st.beforeLink, f.st.beforeMerge = nil, nil
					if tc.wantCode != "" {
						msg := tc.wantMsg
						for n, id := range w.ids {
							msg = strings.ReplaceAll(msg, "{"+n+"}", id)
						}
						wantRefusal(t, err, tc.wantCode, msg)
					} else {
						if err != nil {
							t.Fatal(err)
						}
						if tc.wantID == "new" {
							if _, stored := f.st.identity(got); w.nameOf(got) != "a new identity" || !stored {
								t.Fatalf("answered %s, want a new identity", w.nameOf(got))
							}
							w.ids["new"] = got
						} else if got != w.ids[tc.wantID] {
							t.Fatalf("answered identity %s, want %s", w.nameOf(got), tc.wantID)
						}
					}
					tc.check(t, w)
				})
			}
		})
	}
}

package authz

import (
	"testing"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

func (w *world) group(id, name string, members ...string) {
	w.t.Helper()
	if err := w.st.CreateGroup(w.t.Context(), store.Group{AccountID: acct, GroupID: id, GroupName: name, Path: "/", CreatedAt: seededAt}, 300); err != nil {
		w.t.Fatal(err)
	}
	for _, m := range members {
		if err := w.st.AddUserToGroup(w.t.Context(), id, m, 10); err != nil {
			w.t.Fatal(err)
		}
	}
}

// A user's identity policies include the inline and attached policies of every group it belongs
// to: a group's Allow grants, a group's Deny wins over the user's own Allow, and the grant ends
// when the membership does (at once after InvalidateAll, which IAM calls on every change).
func TestGroupPoliciesAreTheUsersPolicies(t *testing.T) {
	e, src := fixture(t)
	src.putManaged(denyS3ARN, denyS3Doc)
	src.putManaged(sessionS3ARN, s3ReadDoc)
	// jo has no policy of its own; its group "readers" allows s3:GetObject inline.
	src.user(acct, "AIDAJO", "jo", "")
	src.group("AGPAREADERS", "readers", "AIDAJO")
	src.putInline(store.KindGroup, "AGPAREADERS", "read", s3ReadDoc)
	// kim has no policy of its own; its group "attached" has s3:GetObject attached.
	src.user(acct, "AIDAKIM", "kim", "")
	src.group("AGPAATTACHED", "attached", "AIDAKIM")
	src.attach(store.KindGroup, "AGPAATTACHED", sessionS3ARN)
	// bob is *:* on its own; its group "nos3" has an s3 deny attached.
	src.group("AGPANOS3", "nos3", "AIDABOB")
	src.attach(store.KindGroup, "AGPANOS3", denyS3ARN)
	// carol (*:*, s3-only boundary) is in a *:* group: the boundary still cuts.
	src.group("AGPASTAR", "star", "AIDACAROL")
	src.putInline(store.KindGroup, "AGPASTAR", "star", starDoc)
	jo, kim, bob := userCaller(acct, "AIDAJO", "jo"), userCaller(acct, "AIDAKIM", "kim"), userCaller(acct, "AIDABOB", "bob")
	carol := userCaller(acct, "AIDACAROL", "carol")
	cases := []struct {
		name           string
		caller         *principal.Principal
		action, reason string
	}{
		{"group inline Allow", jo, "s3:GetObject", ""},
		{"group inline Allow is all there is", jo, "s3:PutObject", "because no identity-based policy allows the s3:PutObject action"},
		{"group attached Allow", kim, "s3:GetObject", ""},
		{"attack: group Deny beats the user's own *:*", bob, "s3:GetObject", "with an explicit deny in an identity-based policy"},
		{"the group Deny leaves the rest", bob, "iam:CreateUser", ""},
		{"attack: a *:* group does not widen the boundary", carol, "iam:CreateUser", "because no permissions boundary allows the iam:CreateUser action"},
		{"GetSessionToken keeps the group's grant", getSessionToken("AIDAJO", "jo"), "s3:GetObject", ""},
		{"federation token of a group member keeps the group's grant", federationToken("AIDAJO", "fed", starDoc), "s3:GetObject", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := e.Authorize(t.Context(), Request{Caller: c.caller, Action: c.action, Resource: "*"})
			wantDecision(t, err, c.caller, c.action, "*", c.reason)
		})
	}

	t.Run("explanation names the group's policy", func(t *testing.T) {
		err := e.Authorize(t.Context(), Request{Caller: bob, Action: "s3:GetObject", Resource: "*"})
		x := explain.Of(err)
		if x == nil {
			t.Fatalf("no explanation: %v", err)
		}
		found := false
		for _, p := range x.Policies {
			if p.Name == "group nos3/"+denyS3ARN && p.Kind == "identity" && p.Decision == "ExplicitDeny" {
				found = true
			}
		}
		if !found {
			t.Fatalf("explanation policies %+v, want group nos3/%s deciding ExplicitDeny", x.Policies, denyS3ARN)
		}
	})

	t.Run("attack: removed from the group, refused after invalidation", func(t *testing.T) {
		if err := src.st.RemoveUserFromGroup(t.Context(), "AGPAREADERS", "AIDAJO"); err != nil {
			t.Fatal(err)
		}
		e.InvalidateAll()
		err := e.Authorize(t.Context(), Request{Caller: jo, Action: "s3:GetObject", Resource: "*"})
		wantDecision(t, err, jo, "s3:GetObject", "*", "because no identity-based policy allows the s3:GetObject action")
	})
}

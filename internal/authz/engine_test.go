package authz

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

const (
	denyS3Doc    = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`
	s3ReadDoc    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	sessionS3ARN = "arn:aws:iam::111122223333:policy/session-s3"
	denyS3ARN    = "arn:aws:iam::111122223333:policy/deny-s3"
)

// deleteUser deletes the user as DeleteUser in IAM demands: its inline and attached policies first.
func (w *world) deleteUser(id string) {
	w.t.Helper()
	u, err := w.st.GetUserByID(w.t.Context(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	w.removeOwned(store.KindUser, id)
	if err := w.st.DeleteUser(w.t.Context(), u.AccountID, id); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) deleteRole(id string) {
	w.t.Helper()
	r, err := w.st.GetRoleByID(w.t.Context(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	w.removeOwned(store.KindRole, id)
	if err := w.st.DeleteRole(w.t.Context(), r.AccountID, id); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) attach(kind store.PrincipalKind, owner, arn string) {
	w.t.Helper()
	if err := w.st.Attach(w.t.Context(), store.Attachment{PolicyARN: arn, OwnerKind: kind, OwnerID: owner}, 10); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) removeInline(kind store.PrincipalKind, owner string) {
	w.t.Helper()
	inline, err := w.st.ListInlinePolicies(w.t.Context(), kind, owner)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, p := range inline {
		if err := w.st.DeleteInlinePolicy(w.t.Context(), kind, owner, p.PolicyName); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *world) removeOwned(kind store.PrincipalKind, owner string) {
	w.t.Helper()
	w.removeInline(kind, owner)
	atts, err := w.st.ListAttachments(w.t.Context(), kind, owner)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, a := range atts {
		if err := w.st.Detach(w.t.Context(), a); err != nil {
			w.t.Fatal(err)
		}
	}
}

// getSessionToken is what GetSessionToken issues to an IAM user: the user's own policies apply.
func getSessionToken(userID, name string) *principal.Principal {
	p := userCaller(acct, userID, name)
	p.Source, p.BaseUserID, p.Temporary = "GetSessionToken", userID, true
	return p
}

// federationToken is what GetFederationToken issues: the base user's policies intersected with
// the session policies.
func federationToken(baseUserID, name, sessionPolicy string, arns ...string) *principal.Principal {
	return &principal.Principal{Kind: principal.FederatedUser, AccountID: acct, ARN: principal.FederatedUserARN(acct, name),
		UserID: acct + ":" + name, Source: "GetFederationToken", BaseUserID: baseUserID, SessionName: name, Temporary: true,
		HasSessionPolicies: sessionPolicy != "" || len(arns) > 0, SessionPolicy: sessionPolicy, SessionPolicyARNs: arns}
}

func withSessionPolicy(p *principal.Principal, doc string, arns ...string) *principal.Principal {
	p.HasSessionPolicies, p.SessionPolicy, p.SessionPolicyARNs = true, doc, arns
	return p
}

// wantDecision checks an Authorize answer: nil when allowed, else AccessDenied (kind Denied,
// 403) naming the caller and action, with reason as the tail of AWS's message.
func wantDecision(t *testing.T, err error, caller *principal.Principal, action, resource, reason string) {
	t.Helper()
	if reason == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	ae, ok := awserr.As(err)
	if !ok || ae.Code != "AccessDenied" || ae.Kind != awserr.Denied || ae.HTTPStatus != http.StatusForbidden {
		t.Fatalf("want AccessDenied, got %v", err)
	}
	want := "User: " + caller.ARN + " is not authorized to perform: " + action + " on resource: " + resource + " " + reason
	if ae.Message != want {
		t.Fatalf("message %q\nwant        %q", ae.Message, want)
	}
}

// What a caller may do is what its identity policies allow, cut by its permissions boundary and
// by its session policies; an explicit deny in any of them wins. Every refused row is a caller
// whose identity policies alone would allow the request (*:*), so each rule is shown to refuse
// on its own.
func TestCheckPolicyIntersection(t *testing.T) {
	e, src := fixture(t)
	src.putManaged(sessionS3ARN, s3ReadDoc)
	src.putManaged(denyS3ARN, denyS3Doc)
	// gus: *:* inline and an attached managed policy that denies s3.
	src.user(acct, "AIDAGUS", "gus", "")
	src.putInline(store.KindUser, "AIDAGUS", "star", starDoc)
	src.attach(store.KindUser, "AIDAGUS", denyS3ARN)
	// ivy: *:* with a boundary whose document denies s3.
	src.user(acct, "AIDAIVY", "ivy", denyS3ARN)
	src.putInline(store.KindUser, "AIDAIVY", "star", starDoc)
	// jo: no identity policy at all.
	src.user(acct, "AIDAJO", "jo", "")

	bob := func() *principal.Principal { return userCaller(acct, "AIDABOB", "bob") }
	carol := userCaller(acct, "AIDACAROL", "carol")
	const (
		get    = "s3:GetObject"
		put    = "s3:PutObject"
		create = "iam:CreateUser"
	)
	cases := []struct {
		name   string
		caller *principal.Principal
		action string
		reason string // "" when allowed
	}{
		{"identity *:* alone", bob(), create, ""},
		{"no identity policy", userCaller(acct, "AIDAJO", "jo"), get, "because no identity-based policy allows the s3:GetObject action"},
		{"boundary allows s3", carol, get, ""},
		{"attack: *:* user outside its boundary", carol, create, "because no permissions boundary allows the iam:CreateUser action"},
		{"attack: explicit deny in an attached policy beats *:*", userCaller(acct, "AIDAGUS", "gus"), get, "with an explicit deny in an identity-based policy"},
		{"attached deny leaves the rest", userCaller(acct, "AIDAGUS", "gus"), create, ""},
		{"attack: explicit deny in the boundary", userCaller(acct, "AIDAIVY", "ivy"), get, "with an explicit deny in a permissions boundary"},
		{"inline session policy allows", withSessionPolicy(sessionCaller(), s3ReadDoc), get, ""},
		{"attack: role *:* outside its inline session policy", withSessionPolicy(sessionCaller(), s3ReadDoc), put, "because no session policy allows the s3:PutObject action"},
		{"managed session policy allows", withSessionPolicy(sessionCaller(), "", sessionS3ARN), get, ""},
		{"attack: role *:* outside its managed session policy", withSessionPolicy(sessionCaller(), "", sessionS3ARN), create, "because no session policy allows the iam:CreateUser action"},
		{"attack: explicit deny in a session policy", withSessionPolicy(sessionCaller(), starDoc, denyS3ARN), get, "with an explicit deny in a session policy"},
		{"attack: session policies that cannot be read allow nothing", withSessionPolicy(sessionCaller(), "", "arn:aws:iam::111122223333:policy/gone"), get, "because no session policy allows the s3:GetObject action"},
		{"session policy cannot widen the boundary", withSessionPolicy(getSessionToken("AIDACAROL", "carol"), starDoc), create, "because no permissions boundary allows the iam:CreateUser action"},
		{"GetSessionToken keeps the user's policies", getSessionToken("AIDABOB", "bob"), create, ""},
		{"federation token: base user ∩ session policy", federationToken("AIDABOB", "fed", s3ReadDoc), get, ""},
		{"attack: federation token outside its session policy", federationToken("AIDABOB", "fed", s3ReadDoc), create, "because no session policy allows the iam:CreateUser action"},
		{"attack: federation token of a boundary-limited user", federationToken("AIDACAROL", "fed", starDoc), create, "because no permissions boundary allows the iam:CreateUser action"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := e.Authorize(context.Background(), Request{Caller: c.caller, Action: c.action, Resource: "*"})
			wantDecision(t, err, c.caller, c.action, "*", c.reason)
		})
	}
}

// A principal's policies are cached for at most CacheTTL (measured on the injected clock), and
// InvalidateAll drops them at once; a revoked grant is refused from then on. Users and roles that
// were removed keep nothing: their sessions are refused once the cache lets go.
func TestLoadCacheStaleness(t *testing.T) {
	const ttl = 10 * time.Second
	type step struct {
		after  time.Duration // since the first, allowed request
		flush  bool          // InvalidateAll before asking
		reason string        // "" when still allowed
	}
	cases := []struct {
		name   string
		caller func() *principal.Principal
		revoke func(*world)
		steps  []step
	}{
		{
			name:   "inline grant removed",
			caller: func() *principal.Principal { return userCaller(acct, "AIDABOB", "bob") },
			revoke: func(w *world) { w.removeInline(store.KindUser, "AIDABOB") },
			steps: []step{
				{after: ttl - time.Nanosecond},
				{after: ttl, reason: "because no identity-based policy allows the s3:GetObject action"},
			},
		},
		{
			name:   "inline grant removed, invalidated",
			caller: func() *principal.Principal { return userCaller(acct, "AIDABOB", "bob") },
			revoke: func(w *world) { w.removeInline(store.KindUser, "AIDABOB") },
			steps: []step{
				{after: time.Second, flush: true, reason: "because no identity-based policy allows the s3:GetObject action"},
			},
		},
		{
			name:   "attack: session of a deleted role",
			caller: sessionCaller,
			revoke: func(w *world) { w.deleteRole("AROABUILDER") },
			steps: []step{
				{after: ttl - time.Nanosecond},
				{after: ttl, reason: "because no identity-based policy allows the s3:GetObject action"},
			},
		},
		{
			name:   "attack: GetSessionToken session of a deleted user",
			caller: func() *principal.Principal { return getSessionToken("AIDABOB", "bob") },
			revoke: func(w *world) { w.deleteUser("AIDABOB") },
			steps: []step{
				{after: time.Second, flush: true, reason: "because no identity-based policy allows the s3:GetObject action"},
			},
		},
		{
			name:   "attack: federation token of a deleted user",
			caller: func() *principal.Principal { return federationToken("AIDABOB", "fed", starDoc) },
			revoke: func(w *world) { w.deleteUser("AIDABOB") },
			steps: []step{
				{after: ttl - time.Nanosecond},
				{after: ttl, reason: "because no identity-based policy allows the s3:GetObject action"},
			},
		},
		{
			name:   "attack: long-term key of a deleted user",
			caller: func() *principal.Principal { return userCaller(acct, "AIDABOB", "bob") },
			revoke: func(w *world) { w.deleteUser("AIDABOB") },
			steps: []step{
				{after: time.Second, flush: true, reason: "because no identity-based policy allows the s3:GetObject action"},
				{after: 2 * time.Second, reason: "because no identity-based policy allows the s3:GetObject action"},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, src := fixture(t)
			start := time.Unix(1_800_000_000, 0)
			now := start
			e.Now = func() time.Time { return now }
			e.CacheTTL = ttl
			caller := c.caller()
			req := Request{Caller: caller, Action: "s3:GetObject", Resource: "*"}
			if err := e.Authorize(context.Background(), req); err != nil {
				t.Fatalf("before revoking: %v", err)
			}
			c.revoke(src)
			for _, s := range c.steps {
				now = start.Add(s.after)
				if s.flush {
					e.InvalidateAll()
				}
				wantDecision(t, e.Authorize(context.Background(), req), caller, req.Action, req.Resource, s.reason)
			}
		})
	}
}

// The default staleness bound is 5 s.
func TestLoadCacheDefaultTTL(t *testing.T) {
	e, src := fixture(t)
	start := time.Unix(1_800_000_000, 0)
	now := start
	e.Now = func() time.Time { return now }
	bob := userCaller(acct, "AIDABOB", "bob")
	req := Request{Caller: bob, Action: "s3:GetObject", Resource: "*"}
	if err := e.Authorize(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	src.removeInline(store.KindUser, "AIDABOB")
	now = start.Add(5*time.Second - time.Nanosecond)
	if err := e.Authorize(context.Background(), req); err != nil {
		t.Fatalf("within 5 s: %v", err)
	}
	now = start.Add(5 * time.Second)
	if err := e.Authorize(context.Background(), req); err == nil {
		t.Fatal("revoked grant still allowed after 5 s")
	}
}

// Both caches stay within their sizes however many principals and documents pass through, and a
// principal's cached policies are never handed to another principal.
func TestCachesBounded(t *testing.T) {
	e, src := fixture(t)
	ctx := context.Background()
	if e.caches(); e.loaded.Max != loadedCacheSize || e.parsed.Max != parsedCacheSize {
		t.Fatalf("bounds %d and %d, want %d and %d", e.loaded.Max, e.parsed.Max, loadedCacheSize, parsedCacheSize)
	}
	// The principals' cache is filled past a smaller bound: each principal is a user written to
	// the real store, and 10,000 of them would make this test take minutes under -race.
	const loadedBound = 200
	e.loaded.Max = loadedBound
	for i := range loadedBound + 10 {
		id := fmt.Sprintf("AIDAU%06d", i)
		src.user(acct, id, "u"+id, "")
		if i%2 == 0 {
			src.putInline(store.KindUser, id, "star", starDoc)
		}
		caller := userCaller(acct, id, "u"+id)
		err := e.Authorize(ctx, Request{Caller: caller, Action: "s3:GetObject", Resource: "*"})
		if (err == nil) != (i%2 == 0) {
			t.Fatalf("user %d: allowed %v", i, err == nil)
		}
		if n := e.loaded.Len(); n > loadedBound {
			t.Fatalf("loaded cache holds %d > %d", n, loadedBound)
		}
	}
	for i := range parsedCacheSize + 10 {
		doc := strings.Replace(s3ReadDoc, "s3:GetObject", fmt.Sprintf("s3:Get%d", i), 1)
		if _, err := e.Parse("p", doc, policy.Identity); err != nil {
			t.Fatal(err)
		}
		if n := e.parsed.Len(); n > parsedCacheSize {
			t.Fatalf("parsed cache holds %d > %d", n, parsedCacheSize)
		}
	}
}

package session_test

import (
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
)

// RoleLastUsed is written once a minute per role, not once per session.
func TestRoleUseThrottled(t *testing.T) {
	f := newFixture(t)
	role := f.role(t, "target", trustDoc(acctAP, assume, ""))
	for range 3 {
		if _, err := f.svc.AssumeRole(t.Context(), session.Request{Action: "sts:AssumeRole", Caller: f.bob, Role: role, SessionName: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.st.GetRole(t.Context(), acctA, "target")
	if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(testNow) {
		t.Fatalf("last used %v, %v", got.LastUsedAt, err)
	}
	// A refusal records nothing.
	denied := f.role(t, "denied", trustDoc(`{"AWS":"arn:aws:iam::111122223333:user/alice"}`, assume, ""))
	if _, err := f.svc.AssumeRole(t.Context(), session.Request{Action: "sts:AssumeRole", Caller: f.bob, Role: denied, SessionName: "s"}); err == nil {
		t.Fatal("granted")
	}
	if got, _ := f.st.GetRole(t.Context(), acctA, "denied"); got.LastUsedAt != nil {
		t.Fatalf("refusal recorded as use: %v", got.LastUsedAt)
	}
}

func TestSessionToken(t *testing.T) {
	root := &principal.Principal{Kind: principal.Root, AccountID: acctA, UserID: acctA, ARN: principal.RootARN(acctA)}
	cases := []struct {
		name     string
		caller   *principal.Principal
		duration int
		mfa      session.MFA
		code     string
		lasts    time.Duration
		mfaSet   bool
	}{
		{"user, default", nil, 0, session.MFA{}, "", 12 * time.Hour, false},
		{"root is cut to an hour", root, 0, session.MFA{}, "", time.Hour, false},
		{"with MFA", nil, 900, session.MFA{Serial: "arn:aws:iam::111122223333:mfa/bob", Code: "123456"}, "", 15 * time.Minute, true},
		{"with a wrong code", nil, 900, session.MFA{Serial: "arn:aws:iam::111122223333:mfa/bob", Code: "1"}, "AccessDenied", 0, false},
		{"code without serial", nil, 900, session.MFA{Code: "123456"}, "ValidationError", 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			caller := c.caller
			if caller == nil {
				caller = f.bob
			}
			creds, err := f.svc.SessionToken(t.Context(), caller, c.duration, c.mfa)
			if c.code != "" {
				wantCode(t, err, c.code, statusOf(c.code))
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := f.opened(t, creds)
			if p.Source != "GetSessionToken" || p.ARN != caller.ARN || p.Expires.Sub(testNow) != c.lasts || p.MFAAuthenticated != c.mfaSet {
				t.Fatalf("principal %+v", p)
			}
			if caller.Kind == principal.User && p.BaseUserID != caller.UserID {
				t.Fatalf("base user %q", p.BaseUserID)
			}
		})
	}
}

func statusOf(code string) int {
	if code == "AccessDenied" {
		return 403
	}
	return 400
}

func TestFederationToken(t *testing.T) {
	f := newFixture(t)
	out, err := f.svc.FederationToken(t.Context(), session.FederationRequest{Caller: f.bob, Name: "app", Tags: []session.Tag{{Key: "team", Value: "red"}}})
	if err != nil {
		t.Fatal(err)
	}
	p := f.opened(t, out.Credentials)
	team, _ := p.Tag("team")
	if p.Kind != principal.FederatedUser || p.ARN != principal.FederatedUserARN(acctA, "app") || out.ARN != p.ARN || p.UserID != acctA+":app" ||
		out.FederatedUserID != p.UserID || p.BaseUserID != f.bob.UserID || p.Source != "GetFederationToken" || team != "red" ||
		p.Expires.Sub(testNow) != 12*time.Hour || out.PackedPolicySize == nil {
		t.Fatalf("principal %+v, answer %+v", p, out)
	}
	// Session policies of another account are refused here too.
	_, err = f.svc.FederationToken(t.Context(), session.FederationRequest{Caller: f.bob, Name: "app",
		Policies: session.Policies{PolicyARNs: []string{"arn:aws:iam::" + acctB + ":policy/theirs"}}})
	wantCode(t, err, "MalformedPolicyDocument", 400)
	// GetFederationToken's model bounds Policy: the length is its ValidationError, before parsing.
	long := `{"Statement":` + strings.Repeat(" ", session.MaxSessionPolicyText) + `}`
	_, err = f.svc.FederationToken(t.Context(), session.FederationRequest{Caller: f.bob, Name: "app", Policies: session.Policies{Policy: long}})
	wantCode(t, err, "ValidationError", 400)
}

func TestRootSession(t *testing.T) {
	f := newFixture(t)
	creds, err := f.svc.RootSession(t.Context(), session.RootRequest{Member: acctB, TaskPolicyARN: "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials", SourceIdentity: "ops", DurationSeconds: 900})
	if err != nil {
		t.Fatal(err)
	}
	p := f.opened(t, creds)
	if p.Kind != principal.Root || p.AccountID != acctB || p.ARN != principal.RootARN(acctB) || p.Source != "AssumeRoot" || p.SourceIdentity != "ops" ||
		p.TaskPolicyARN == "" || p.Expires.Sub(testNow) != 15*time.Minute {
		t.Fatalf("principal %+v", p)
	}
}

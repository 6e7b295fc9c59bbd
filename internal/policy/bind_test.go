package policy

import (
	"strings"
	"testing"
)

const (
	bobARNValue   = "arn:aws:iam::111122223333:user/bob"
	bobOldID      = "AIDAOLDBOB0000000001"
	bobNewID      = "AIDANEWBOB0000000002"
	builderARN    = "arn:aws:iam::111122223333:role/builder"
	builderOldID  = "AROAOLDBUILDER000001"
	builderNewID  = "AROANEWBUILDER000002"
	builderCIARN  = "arn:aws:sts::111122223333:assumed-role/builder/ci"
	eveARNValue   = "arn:aws:iam::444455556666:user/eve"
	eveOldID      = "AIDAOLDEVE0000000001"
	eveNewID      = "AIDANEWEVE0000000002"
	fedUserARN    = "arn:aws:sts::111122223333:federated-user/bob"
	unboundAliceV = "arn:aws:iam::111122223333:user/alice"
)

func withID(p Principal, id, session string) Principal {
	p.ID, p.SessionName = id, session
	return p
}

// The bindings IAM recorded when the trust policy was saved: bob, builder and eve as they were then.
var savedBindings = []Binding{
	{bobARNValue, bobOldID},
	{builderARN, builderOldID},
	{builderCIARN, builderOldID},
	{eveARNValue, eveOldID},
}

// A bound principal matches only the caller whose unique id it recorded (IAM User Guide, "AWS
// JSON policy elements: Principal": "if you delete the role or user, then the relationship is
// broken"). Every re-created caller below has the old one's ARN exactly.
func TestBoundPrincipalMatching(t *testing.T) {
	bob := withID(userPrincipal("bob"), bobOldID, "")
	newBob := withID(userPrincipal("bob"), bobNewID, "")
	ci := withID(sessionPrincipal(acctA, "builder", "ci"), builderOldID, "ci")
	other := withID(sessionPrincipal(acctA, "builder", "other"), builderOldID, "other")
	newCI := withID(sessionPrincipal(acctA, "builder", "ci"), builderNewID, "ci")
	root := Principal{Type: "AWS", Account: acctA, ARNs: []string{"arn:aws:iam::111122223333:root"}}
	fedUser := Principal{Type: "AWS", Account: acctA, ARNs: []string{fedUserARN}}
	// A caller who somehow carries no id (no IAM entity behind it) matches no bound principal.
	anonymousBob := userPrincipal("bob")

	cases := []struct {
		name      string
		principal string
		caller    Principal
		want      PrincipalMatch
	}{
		{"user bound, same id", `{"AWS":"` + bobARNValue + `"}`, bob, PrincipalExact},
		{"user bound, re-created", `{"AWS":"` + bobARNValue + `"}`, newBob, pmNone},
		{"user bound, caller without id", `{"AWS":"` + bobARNValue + `"}`, anonymousBob, pmNone},
		{"user bound, a role session with the user's id does not match", `{"AWS":"` + bobARNValue + `"}`, withID(sessionPrincipal(acctA, "builder", "ci"), bobOldID, "ci"), pmNone},
		{"role bound, its session", `{"AWS":"` + builderARN + `"}`, ci, PrincipalRole},
		{"role bound, any session name", `{"AWS":"` + builderARN + `"}`, other, PrincipalRole},
		{"role bound, re-created role's session", `{"AWS":"` + builderARN + `"}`, newCI, pmNone},
		{"session bound, same role and name", `{"AWS":"` + builderCIARN + `"}`, ci, PrincipalExact},
		{"session bound, other session name", `{"AWS":"` + builderCIARN + `"}`, other, pmNone},
		{"session bound, re-created role", `{"AWS":"` + builderCIARN + `"}`, newCI, pmNone},
		// IAM refuses a unique id written as a principal, so none is ever bound: it matches no one.
		{"unique id written, same id", `{"AWS":"` + bobOldID + `"}`, bob, pmNone},
		{"unique id written, re-created", `{"AWS":"` + bobOldID + `"}`, newBob, pmNone},
		{"named but never bound matches no one", `{"AWS":"` + unboundAliceV + `"}`, withID(userPrincipal("alice"), "AIDAALICE00000000001", ""), pmNone},
		{"account still matches a re-created user", `{"AWS":"111122223333"}`, newBob, PrincipalAccount},
		{"root arn still matches", `{"AWS":"arn:aws:iam::111122223333:root"}`, newCI, PrincipalAccount},
		{"root caller by account", `{"AWS":"111122223333"}`, root, PrincipalAccount},
		{"aws star still matches", `{"AWS":"*"}`, newBob, PrincipalWildcard},
		{"star still matches", `"*"`, newBob, PrincipalWildcard},
		{"federated user ARN is not bound", `{"AWS":"` + fedUserARN + `"}`, fedUser, PrincipalExact},
		{"strongest of bound and account", `{"AWS":["111122223333","` + builderARN + `","` + builderCIARN + `"]}`, ci, PrincipalExact},
		{"re-created falls back to the account entry only", `{"AWS":["111122223333","` + builderARN + `","` + builderCIARN + `"]}`, newCI, PrincipalAccount},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, Trust, identityDoc(`"Effect":"Allow","Principal":`+tc.principal+`,"Action":"sts:AssumeRole"`)).Bind(savedBindings)
			r := p.Evaluate(&Request{Principal: tc.caller, Action: "sts:AssumeRole", Resource: roleARN})
			got := pmNone
			if r.Decision == Allow {
				got = r.PrincipalMatch
			}
			if got != tc.want {
				t.Fatalf("got %v want %v", got, tc.want)
			}
		})
	}
}

// A policy that was never stored (the simulator's custom policies) keeps ARN matching, and Bind
// leaves the policy it was called on as it was.
func TestUnboundPolicyMatchesByARN(t *testing.T) {
	p := mustParse(t, Trust, identityDoc(`"Effect":"Allow","Principal":{"AWS":"`+bobARNValue+`"},"Action":"sts:AssumeRole"`))
	newBob := withID(userPrincipal("bob"), bobNewID, "")
	req := &Request{Principal: newBob, Action: "sts:AssumeRole", Resource: roleARN}
	bound := p.Bind(savedBindings)
	if r := bound.Evaluate(req); r.Decision != ImplicitDeny {
		t.Fatalf("bound view: %v, want implicitDeny", r.Decision)
	}
	if r := p.Evaluate(req); r.Decision != Allow || r.PrincipalMatch != PrincipalExact {
		t.Fatalf("unbound policy after Bind: %v %v, want allowed by exact ARN", r.Decision, r.PrincipalMatch)
	}
	if r := p.Bind(nil).Evaluate(req); r.Decision != ImplicitDeny {
		t.Fatalf("bound view without bindings: %v, want implicitDeny", r.Decision)
	}
}

// The trust gate with a bound trust policy: the re-created principal is refused even though its
// identity policy allows *:*, in the role's account and across accounts; the original gets in.
func TestDecideBoundTrust(t *testing.T) {
	star := []*Policy{starPolicy(t)}
	trust := func(principal string) *Policy { return trustDoc(t, principal, assumeOnly, "").Bind(savedBindings) }
	on := func(p Principal) Request { return Request{Principal: p, Action: assume, Resource: roleARN} }
	bob := withID(userPrincipal("bob"), bobOldID, "")
	newBob := withID(userPrincipal("bob"), bobNewID, "")
	eve := withID(Principal{Type: "AWS", Account: acctB, ARNs: []string{eveARNValue}}, eveOldID, "")
	newEve := withID(Principal{Type: "AWS", Account: acctB, ARNs: []string{eveARNValue}}, eveNewID, "")
	ci := withID(sessionPrincipal(acctA, "builder", "ci"), builderOldID, "ci")
	newCI := withID(sessionPrincipal(acctA, "builder", "ci"), builderNewID, "ci")
	cases := []struct {
		name   string
		in     Input
		want   Decision
		reason string
	}{
		{"original user, no identity policy", Input{Request: on(bob), PrincipalAccount: acctA, ResourcePolicy: trust(`{"AWS":"` + bobARNValue + `"}`)}, Allow, ""},
		{"re-created user with *:*", Input{Request: on(newBob), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trust(`{"AWS":"` + bobARNValue + `"}`)}, ImplicitDeny, reasonRP},
		{"original user of another account with *:*", Input{Request: on(eve), PrincipalAccount: acctB, ResourceAccount: acctA, Identity: star, ResourcePolicy: trust(`{"AWS":"` + eveARNValue + `"}`)}, Allow, ""},
		{"re-created user of another account with *:*", Input{Request: on(newEve), PrincipalAccount: acctB, ResourceAccount: acctA, Identity: star, ResourcePolicy: trust(`{"AWS":"` + eveARNValue + `"}`)}, ImplicitDeny, reasonRP},
		{"original role's session", Input{Request: on(ci), PrincipalAccount: acctA, ResourcePolicy: trust(`{"AWS":"` + builderARN + `"}`)}, Allow, ""},
		{"re-created role's session with *:*", Input{Request: on(newCI), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trust(`{"AWS":"` + builderARN + `"}`)}, ImplicitDeny, reasonRP},
		{"re-created role's session named exactly, with *:*", Input{Request: on(newCI), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trust(`{"AWS":"` + builderCIARN + `"}`)}, ImplicitDeny, reasonRP},
		{"re-created user through the account needs its identity side", Input{Request: on(newBob), PrincipalAccount: acctA, ResourcePolicy: trust(`{"AWS":["111122223333","` + bobARNValue + `"]}`)}, ImplicitDeny, reasonID},
		{"re-created user through the account with *:*", Input{Request: on(newBob), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trust(`{"AWS":["111122223333","` + bobARNValue + `"]}`)}, Allow, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := Decide(&c.in)
			if out.Decision != c.want || out.Reason != c.reason {
				t.Fatalf("got %v %q, want %v %q", out.Decision, out.Reason, c.want, c.reason)
			}
		})
	}
}

// A NotPrincipal exemption binds too: a re-created user or role under a listed name is denied.
func TestBoundNotPrincipalDeny(t *testing.T) {
	deny := func(listed ...string) *Policy {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"},` +
			`{"Effect":"Deny","NotPrincipal":{"AWS":["` + strings.Join(listed, `","`) + `"]},"Action":"sts:AssumeRole"}]}`
		return mustParse(t, Trust, doc).Bind(savedBindings)
	}
	star := []*Policy{starPolicy(t)}
	bob := withID(userPrincipal("bob"), bobOldID, "")
	newBob := withID(userPrincipal("bob"), bobNewID, "")
	ci := withID(sessionPrincipal(acctA, "builder", "ci"), builderOldID, "ci")
	newCI := withID(sessionPrincipal(acctA, "builder", "ci"), builderNewID, "ci")
	rootA := "arn:aws:iam::111122223333:root"
	cases := []struct {
		name   string
		caller Principal
		policy *Policy
		want   Decision
	}{
		{"listed user is spared", bob, deny(rootA, bobARNValue), Allow},
		{"re-created user is denied", newBob, deny(rootA, bobARNValue), ExplicitDeny},
		{"a unique id written in NotPrincipal spares no one", bob, deny(rootA, bobOldID), ExplicitDeny},
		{"listed session is spared", ci, deny(rootA, builderARN, builderCIARN), Allow},
		{"re-created role's session is denied", newCI, deny(rootA, builderARN, builderCIARN), ExplicitDeny},
		{"session not listed is denied", ci, deny(rootA, builderARN), ExplicitDeny},
		{"never-bound name spares no one", withID(userPrincipal("alice"), "AIDAALICE00000000001", ""), deny(rootA, unboundAliceV), ExplicitDeny},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := Decide(&Input{Request: Request{Principal: c.caller, Action: assume, Resource: roleARN}, PrincipalAccount: acctA, Identity: star, ResourcePolicy: c.policy})
			if out.Decision != c.want {
				t.Fatalf("got %v (%s), want %v", out.Decision, out.Reason, c.want)
			}
		})
	}
}

func TestParseNamedPrincipal(t *testing.T) {
	cases := []struct {
		value string
		want  NamedPrincipal
		ok    bool
	}{
		{"arn:aws:iam::111122223333:user/bob", NamedPrincipal{Kind: NamedUser, Account: acctA, Path: "/", Name: "bob"}, true},
		{"arn:aws:iam::111122223333:user/a/b/bob", NamedPrincipal{Kind: NamedUser, Account: acctA, Path: "/a/b/", Name: "bob"}, true},
		{"arn:aws:iam::111122223333:role/service-role/Deploy", NamedPrincipal{Kind: NamedRole, Account: acctA, Path: "/service-role/", Name: "Deploy"}, true},
		{"arn:aws:sts::111122223333:assumed-role/builder/ci@example.com", NamedPrincipal{Kind: NamedSession, Account: acctA, Name: "builder", Session: "ci@example.com"}, true},
		{"AIDAOLDBOB0000000001", NamedPrincipal{Kind: NamedUserID, ID: "AIDAOLDBOB0000000001"}, true},
		{"AROAOLDBUILDER000001", NamedPrincipal{Kind: NamedRoleID, ID: "AROAOLDBUILDER000001"}, true},
		{"AROAOLDBUILDER000001:ci", NamedPrincipal{}, false},
		{"111122223333", NamedPrincipal{}, false},
		{"arn:aws:iam::111122223333:root", NamedPrincipal{}, false},
		{"*", NamedPrincipal{}, false},
		{"arn:aws:sts::111122223333:federated-user/bob", NamedPrincipal{}, false},
		{"arn:aws:iam::111122223333:users/bob", NamedPrincipal{}, false},
		{"arn:aws:iam::111122223333:user/", NamedPrincipal{}, false},
		{"arn:aws:iam::111122223333:group/devs", NamedPrincipal{}, false},
		{"arn:aws:sts::111122223333:assumed-role/builder", NamedPrincipal{}, false},
		{"arn:aws:iam::111122223333:oidc-provider/example.com", NamedPrincipal{}, false},
	}
	for _, c := range cases {
		got, ok := ParseNamedPrincipal(c.value)
		if ok != c.ok || got != c.want {
			t.Errorf("ParseNamedPrincipal(%q) = %+v, %v; want %+v, %v", c.value, got, ok, c.want, c.ok)
		}
	}
}

// Rendering replaces only the JSON string tokens of the AWS principals render changes; every
// other byte stays, including whitespace, key order, escapes of untouched strings and other
// principal types that happen to hold the same text.
func TestRenderPrincipals(t *testing.T) {
	render := func(v string) (string, bool) {
		switch v {
		case "arn:aws:iam::111122223333:user/bob":
			return "AIDAOLDBOB0000000001", true
		case "arn:aws:iam::111122223333:user/carol":
			return "arn:aws:iam::111122223333:user/team/caroline", true
		case "arn:aws:iam::111122223333:user/same":
			return v, true
		case "arn:aws:iam::111122223333:user/quote":
			return `odd"\` + "\n", true
		}
		return "", false
	}
	cases := []struct{ name, doc, want string }{
		{"string value, spacing kept",
			"{ \"Version\" : \"2012-10-17\",\n  \"Statement\": [ { \"Effect\":\"Allow\", \"Principal\" : { \"AWS\" :  \"arn:aws:iam::111122223333:user/bob\" } ,\"Action\":\"sts:AssumeRole\"} ]\n}\n",
			"{ \"Version\" : \"2012-10-17\",\n  \"Statement\": [ { \"Effect\":\"Allow\", \"Principal\" : { \"AWS\" :  \"AIDAOLDBOB0000000001\" } ,\"Action\":\"sts:AssumeRole\"} ]\n}\n"},
		{"array, escaped token, others untouched",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:user\/carol","arn:aws:iam::111122223333:user\/alice"],"Federated":"arn:aws:iam::111122223333:user/bob"},"Action":"sts:AssumeRole"}}`,
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:user/team/caroline","arn:aws:iam::111122223333:user\/alice"],"Federated":"arn:aws:iam::111122223333:user/bob"},"Action":"sts:AssumeRole"}}`},
		{"NotPrincipal, several statements, same value twice",
			`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/bob","arn:aws:iam::111122223333:root"]},"Action":"*"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/bob"}}}]}`,
			`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["AIDAOLDBOB0000000001","arn:aws:iam::111122223333:root"]},"Action":"*"},{"Effect":"Allow","Principal":{"AWS":"AIDAOLDBOB0000000001"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/bob"}}}]}`},
		{"unchanged answer keeps the token",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user\/same"},"Action":"sts:AssumeRole"}}`,
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user\/same"},"Action":"sts:AssumeRole"}}`},
		{"replacement is quoted",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/quote"},"Action":"sts:AssumeRole"}}`,
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"odd\"\\\u000a"},"Action":"sts:AssumeRole"}}`},
		{"principal star", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}`, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}`},
		{"not a policy", `{"Statement":`, `{"Statement":`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := RenderPrincipals(c.doc, render); got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

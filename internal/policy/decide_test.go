package policy

import (
	"slices"
	"testing"
)

const (
	acctA    = "111122223333"
	acctB    = "444455556666"
	roleARN  = "arn:aws:iam::111122223333:role/target"
	assume   = "sts:AssumeRole"
	reasonID = "no identity-based policy allows the sts:AssumeRole action"
	reasonRP = "no resource-based policy allows the sts:AssumeRole action"
	reasonPB = "no permissions boundary allows the sts:AssumeRole action"
	reasonSP = "no session policy allows the sts:AssumeRole action"
)

func allowAssume(t *testing.T, id string) *Policy {
	t.Helper()
	p, err := Parse(id, identityDoc(`"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+roleARN+`"`), Identity)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func denyAssume(t *testing.T, id string) *Policy {
	t.Helper()
	p, err := Parse(id, identityDoc(`"Effect":"Deny","Action":"sts:*","Resource":"*"`), Identity)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func allowOther(t *testing.T, id string) *Policy {
	t.Helper()
	p, err := Parse(id, identityDoc(`"Effect":"Allow","Action":"s3:*","Resource":"*"`), Identity)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func trustFor(t *testing.T, principal string) *Policy {
	t.Helper()
	p, err := Parse("trust", identityDoc(`"Sid":"Trust","Effect":"Allow","Principal":`+principal+`,"Action":["sts:AssumeRole","sts:TagSession"]`), Trust)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func trustDeny(t *testing.T) *Policy {
	t.Helper()
	p, err := Parse("trust", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"sts:ExternalId":"secret"}}}]}`, Trust)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Decide scenarios (doc "Policy evaluation logic", "Cross-account policy evaluation logic",
// "How IAM roles differ from resource-based policies").
func TestDecide(t *testing.T) {
	user := userPrincipal("bob")
	session := sessionPrincipal(acctA, "builder", "ci")
	remoteUser := Principal{Type: "AWS", Account: acctB, ARNs: []string{"arn:aws:iam::444455556666:user/eve"}}
	root := Principal{Type: "AWS", Account: acctA, ARNs: []string{"arn:aws:iam::111122223333:root"}}
	fedUser := Principal{Type: "AWS", Account: acctA, ARNs: []string{"arn:aws:sts::111122223333:federated-user/bob"}}
	oidc := Principal{Type: "Federated", ARNs: []string{"arn:aws:iam::111122223333:oidc-provider/example.com"}}
	req := func(p Principal) Request { return Request{Principal: p, Action: assume, Resource: roleARN} }

	cases := []struct {
		name   string
		in     Input
		want   Decision
		reason string
	}{
		// Explicit deny in each policy type.
		{"identity deny beats identity allow", Input{Request: req(user), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a"), denyAssume(t, "d")}}, ExplicitDeny, "with an explicit deny in an identity-based policy"},
		{"resource deny beats exact trust", Input{Request: req(user), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, ResourcePolicy: trustDeny(t)}, ExplicitDeny, "with an explicit deny in a resource-based policy"},
		{"boundary deny", Input{Request: req(user), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, Boundary: denyAssume(t, "b")}, ExplicitDeny, "with an explicit deny in a permissions boundary"},
		{"session deny", Input{Request: req(session), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, HasSessionPolicies: true, Session: []*Policy{allowAssume(t, "s1"), denyAssume(t, "s2")}}, ExplicitDeny, "with an explicit deny in a session policy"},
		{"identity deny reported before boundary deny", Input{Request: req(user), PrincipalAccount: acctA, Identity: []*Policy{denyAssume(t, "d")}, Boundary: denyAssume(t, "b")}, ExplicitDeny, "with an explicit deny in an identity-based policy"},
		{"deny applies to root", Input{Request: req(root), IsRoot: true, PrincipalAccount: acctA, ResourcePolicy: trustDeny(t)}, ExplicitDeny, "with an explicit deny in a resource-based policy"},

		// Identity side only.
		{"no policies", Input{Request: req(user), PrincipalAccount: acctA}, ImplicitDeny, reasonID},
		{"identity allows", Input{Request: req(user), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}}, Allow, ""},
		{"identity allows other action", Input{Request: req(user), PrincipalAccount: acctA, Identity: []*Policy{allowOther(t, "a")}}, ImplicitDeny, reasonID},
		{"boundary intersect denies", Input{Request: req(user), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, Boundary: allowOther(t, "b")}, ImplicitDeny, reasonPB},
		{"boundary intersect allows", Input{Request: req(user), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, Boundary: allowAssume(t, "b")}, Allow, ""},
		{"boundary never grants", Input{Request: req(user), PrincipalAccount: acctA, Identity: []*Policy{allowOther(t, "a")}, Boundary: allowAssume(t, "b")}, ImplicitDeny, reasonID},
		{"session intersect denies", Input{Request: req(session), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, HasSessionPolicies: true, Session: []*Policy{allowOther(t, "s")}}, ImplicitDeny, reasonSP},
		{"session intersect allows", Input{Request: req(session), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, HasSessionPolicies: true, Session: []*Policy{allowOther(t, "s1"), allowAssume(t, "s2")}}, Allow, ""},
		{"session policy never grants", Input{Request: req(session), PrincipalAccount: acctA, Identity: []*Policy{allowOther(t, "a")}, HasSessionPolicies: true, Session: []*Policy{allowAssume(t, "s")}}, ImplicitDeny, reasonID},
		{"session flag without policies denies", Input{Request: req(session), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, HasSessionPolicies: true}, ImplicitDeny, reasonSP},
		{"role session without session policies", Input{Request: req(session), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}}, Allow, ""},
		{"all three allow", Input{Request: req(session), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, Boundary: allowAssume(t, "b"), HasSessionPolicies: true, Session: []*Policy{allowAssume(t, "s")}}, Allow, ""},
		{"federated user without session policy", Input{Request: req(fedUser), PrincipalAccount: acctA, FederatedUser: true, Identity: []*Policy{allowAssume(t, "a")}}, ImplicitDeny, reasonSP},
		{"federated user with session policy", Input{Request: req(fedUser), PrincipalAccount: acctA, FederatedUser: true, Identity: []*Policy{allowAssume(t, "a")}, HasSessionPolicies: true, Session: []*Policy{allowAssume(t, "s")}}, Allow, ""},
		{"federated user session policy alone", Input{Request: req(fedUser), PrincipalAccount: acctA, FederatedUser: true, HasSessionPolicies: true, Session: []*Policy{allowAssume(t, "s")}}, ImplicitDeny, reasonID},
		{"federated user named by resource policy", Input{Request: req(fedUser), PrincipalAccount: acctA, FederatedUser: true, ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:sts::111122223333:federated-user/bob"}`)}, Allow, ""},

		// Same-account trust policies.
		{"trust names user, no identity needed", Input{Request: req(user), PrincipalAccount: acctA, ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:iam::111122223333:user/bob"}`)}, Allow, ""},
		// A trust policy is stricter than other resource policies here: the boundary must allow
		// even when the trust names the user (doc "Update a role trust policy").
		{"trust names user, boundary limits", Input{Request: req(user), PrincipalAccount: acctA, Boundary: allowOther(t, "b"), ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:iam::111122223333:user/bob"}`)}, ImplicitDeny, reasonPB},
		{"trust names session, session policy limits", Input{Request: req(session), PrincipalAccount: acctA, HasSessionPolicies: true, Session: []*Policy{allowOther(t, "s")}, ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:sts::111122223333:assumed-role/builder/ci"}`)}, ImplicitDeny, reasonSP},
		{"resource policy names user, boundary does not limit", Input{Request: req(user), PrincipalAccount: acctA, Boundary: allowOther(t, "b"), ResourcePolicyKind: Resource, ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:iam::111122223333:user/bob"}`)}, Allow, ""},
		{"resource policy names session, session policy does not limit", Input{Request: req(session), PrincipalAccount: acctA, HasSessionPolicies: true, Session: []*Policy{allowOther(t, "s")}, ResourcePolicyKind: Resource, ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:sts::111122223333:assumed-role/builder/ci"}`)}, Allow, ""},
		{"trust names role, no identity needed", Input{Request: req(session), PrincipalAccount: acctA, ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:iam::111122223333:role/builder"}`)}, Allow, ""},
		{"trust names role, boundary limits", Input{Request: req(session), PrincipalAccount: acctA, Boundary: allowOther(t, "b"), ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:iam::111122223333:role/builder"}`)}, ImplicitDeny, reasonPB},
		{"trust names role, session policy limits", Input{Request: req(session), PrincipalAccount: acctA, HasSessionPolicies: true, Session: []*Policy{allowOther(t, "s")}, ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:iam::111122223333:role/builder"}`)}, ImplicitDeny, reasonSP},
		{"trust names role, session policy allows", Input{Request: req(session), PrincipalAccount: acctA, HasSessionPolicies: true, Session: []*Policy{allowAssume(t, "s")}, ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:iam::111122223333:role/builder"}`)}, Allow, ""},
		{"trust names account, identity needed", Input{Request: req(user), PrincipalAccount: acctA, ResourcePolicy: trustFor(t, `{"AWS":"111122223333"}`)}, ImplicitDeny, reasonID},
		{"trust names root arn, identity needed", Input{Request: req(session), PrincipalAccount: acctA, ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:iam::111122223333:root"}`)}, ImplicitDeny, reasonID},
		{"trust names account, identity allows", Input{Request: req(user), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, ResourcePolicy: trustFor(t, `{"AWS":"111122223333"}`)}, Allow, ""},
		{"trust names account, boundary limits", Input{Request: req(user), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, Boundary: allowOther(t, "b"), ResourcePolicy: trustFor(t, `{"AWS":"111122223333"}`)}, ImplicitDeny, reasonPB},
		// "For IAM users and role principals within your account, no other permissions are
		// required" (doc "Principal", all principals).
		{"trust star grants same-account user", Input{Request: req(user), PrincipalAccount: acctA, ResourcePolicy: trustFor(t, `"*"`)}, Allow, ""},
		// The trust policy is a gate: an identity Allow never replaces it.
		{"trust other principal, identity cannot replace it", Input{Request: req(user), PrincipalAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:iam::111122223333:user/alice"}`)}, ImplicitDeny, reasonRP},

		// Cross-account.
		{"cross-account exact trust alone", Input{Request: req(remoteUser), PrincipalAccount: acctB, ResourceAccount: acctA, ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:iam::444455556666:user/eve"}`)}, ImplicitDeny, reasonID},
		{"cross-account both sides", Input{Request: req(remoteUser), PrincipalAccount: acctB, ResourceAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, ResourcePolicy: trustFor(t, `{"AWS":"444455556666"}`)}, Allow, ""},
		{"cross-account identity only", Input{Request: req(remoteUser), PrincipalAccount: acctB, ResourceAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, ResourcePolicy: trustFor(t, `{"AWS":"111122223333"}`)}, ImplicitDeny, reasonRP},
		{"cross-account no resource policy", Input{Request: req(remoteUser), PrincipalAccount: acctB, ResourceAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}}, ImplicitDeny, reasonRP},
		{"cross-account boundary limits", Input{Request: req(remoteUser), PrincipalAccount: acctB, ResourceAccount: acctA, Identity: []*Policy{allowAssume(t, "a")}, Boundary: allowOther(t, "b"), ResourcePolicy: trustFor(t, `{"AWS":"444455556666"}`)}, ImplicitDeny, reasonPB},
		{"same account id as resource account", Input{Request: req(user), PrincipalAccount: acctA, ResourceAccount: acctA, ResourcePolicy: trustFor(t, `{"AWS":"arn:aws:iam::111122223333:user/bob"}`)}, Allow, ""},

		// Root.
		{"root in own account", Input{Request: req(root), IsRoot: true, PrincipalAccount: acctA}, Allow, ""},
		{"root cross-account without resource policy", Input{Request: req(root), IsRoot: true, PrincipalAccount: acctA, ResourceAccount: acctB}, ImplicitDeny, reasonRP},
		{"root cross-account with trust", Input{Request: req(root), IsRoot: true, PrincipalAccount: acctA, ResourceAccount: acctB, ResourcePolicy: trustFor(t, `{"AWS":"111122223333"}`)}, Allow, ""},

		// Web identity: the trust policy alone decides.
		{"web identity allowed", Input{Request: req(oidc), ResourcePolicy: trustFor(t, `{"Federated":"arn:aws:iam::111122223333:oidc-provider/example.com"}`)}, Allow, ""},
		{"web identity other provider", Input{Request: req(oidc), ResourcePolicy: trustFor(t, `{"Federated":"arn:aws:iam::111122223333:oidc-provider/other.example.com"}`)}, ImplicitDeny, reasonRP},
		{"identity policy given as resource policy grants nothing", Input{Request: req(user), PrincipalAccount: acctA, ResourcePolicy: allowAssume(t, "x")}, ImplicitDeny, reasonRP},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := Decide(&tc.in)
			if out.Decision != tc.want || out.Reason != tc.reason {
				t.Fatalf("got %v %q, want %v %q", out.Decision, out.Reason, tc.want, tc.reason)
			}
			if tc.want != Allow && tc.want != ExplicitDeny && out.Matched != nil {
				t.Fatalf("implicit deny with matched statements %+v", out.Matched)
			}
		})
	}
}

func TestDecideMatchedAndMissing(t *testing.T) {
	trust := mustParse(t, Trust, `{"Version":"2012-10-17","Statement":[{"Sid":"ByAccount","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}`)
	id := mustParse(t, Identity, `{"Version":"2012-10-17","Statement":[{"Sid":"Assume","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)
	id.ID = "user"
	in := &Input{Request: Request{Principal: userPrincipal("bob"), Action: assume, Resource: roleARN}, PrincipalAccount: acctA, Identity: []*Policy{id}, ResourcePolicy: trust}
	out := Decide(in)
	if out.Decision != ImplicitDeny || !slices.Equal(out.Missing, []string{"aws:MultiFactorAuthPresent", "sts:ExternalId"}) {
		t.Fatalf("%v %v", out.Decision, out.Missing)
	}
	in.Context = ctxOf("sts:ExternalId", "x", "aws:MultiFactorAuthPresent", "true")
	out = Decide(in)
	if out.Decision != Allow || len(out.Matched) != 2 || out.Matched[0].PolicyID != "user" || out.Matched[1].Sid != "ByAccount" || out.Missing != nil {
		t.Fatalf("%v %+v %v", out.Decision, out.Matched, out.Missing)
	}
	in.Identity = append(in.Identity, denyAssume(t, "deny"))
	out = Decide(in)
	if out.Decision != ExplicitDeny || len(out.Matched) != 1 || out.Matched[0].PolicyID != "deny" || out.Matched[0].Effect != "Deny" {
		t.Fatalf("%v %+v", out.Decision, out.Matched)
	}
}

// A trust policy Deny whose condition cannot be evaluated still denies.
func TestDecideFailClosedDeny(t *testing.T) {
	trust := mustParse(t, Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)
	in := &Input{Request: Request{Principal: userPrincipal("bob"), Action: assume, Resource: roleARN, Context: ctxOf("aws:SourceIp", "garbage")}, PrincipalAccount: acctA, ResourcePolicy: trust}
	if out := Decide(in); out.Decision != ExplicitDeny {
		t.Fatalf("unreadable source IP: %v", out.Decision)
	}
	in.Context = ctxOf("aws:SourceIp", "10.2.3.4")
	if out := Decide(in); out.Decision != Allow {
		t.Fatalf("inside the range: %v %q", out.Decision, out.Reason)
	}
}

package policy

import (
	"strings"
	"testing"
)

// Every attack below is made by a caller whose identity policy allows everything: the rule under
// test must refuse it on its own.
func starPolicy(t testing.TB) *Policy {
	return mustParse(t, Identity, identityDoc(`"Effect":"Allow","Action":"*","Resource":"*"`))
}

func s3Only(t testing.TB) *Policy {
	return mustParse(t, Identity, identityDoc(`"Effect":"Allow","Action":"s3:*","Resource":"*"`))
}

// trustDoc builds a trust policy with one Allow statement.
func trustDoc(t testing.TB, principal, actions, condition string) *Policy {
	t.Helper()
	body := `"Effect":"Allow","Principal":` + principal + `,"Action":` + actions
	if condition != "" {
		body += `,"Condition":` + condition
	}
	return mustParse(t, Trust, identityDoc(body))
}

const (
	bobARN     = `{"AWS":"arn:aws:iam::111122223333:user/bob"}`
	aliceARN   = `{"AWS":"arn:aws:iam::111122223333:user/alice"}`
	acctAPrinc = `{"AWS":"111122223333"}`
	rootAPrinc = `{"AWS":"arn:aws:iam::111122223333:root"}`
	assumeOnly = `"sts:AssumeRole"`
)

// A role's trust policy is a gate (doc "Policy evaluation logic": role trust policies "must
// explicitly allow access for principals"; "Cross-account policy evaluation logic").
func TestDecideTrustGate(t *testing.T) {
	bob := userPrincipal("bob")
	session := sessionPrincipal(acctA, "builder", "ci")
	eve := Principal{Type: "AWS", Account: acctB, ARNs: []string{"arn:aws:iam::444455556666:user/eve"}}
	remoteSession := sessionPrincipal(acctB, "deployer", "run")
	root := Principal{Type: "AWS", Account: acctA, ARNs: []string{"arn:aws:iam::111122223333:root"}}
	fedUser := Principal{Type: "AWS", Account: acctA, ARNs: []string{"arn:aws:sts::111122223333:federated-user/bob"}}
	oidc := Principal{Type: "Federated", Account: acctA, ARNs: []string{"arn:aws:iam::111122223333:oidc-provider/example.com"}}
	star := []*Policy{starPolicy(t)}

	type tc struct {
		name   string
		in     Input
		want   Decision
		reason string
	}
	on := func(p Principal, action string, c *Context) Request {
		return Request{Principal: p, Action: action, Resource: roleARN, Context: c}
	}
	ext := `{"StringEquals":{"sts:ExternalId":"ext-123"}}`
	mfa := `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`
	tagCond := `{"StringEquals":{"aws:RequestTag/Project":"unicorn"}}`
	reasonFor := func(kind, action string) string { return "no " + kind + " allows the " + action + " action" }
	cases := []tc{
		// The trust policy does not name the caller: no identity policy replaces it.
		{"star caller not named", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, aliceARN, assumeOnly, "")}, ImplicitDeny, reasonRP},
		{"star session not named", Input{Request: on(session, assume, nil), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, aliceARN, assumeOnly, "")}, ImplicitDeny, reasonRP},
		{"star caller, trust allows another action only", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, bobARN, `"sts:AssumeRoleWithWebIdentity"`, "")}, ImplicitDeny, reasonRP},
		{"root cannot replace the trust policy", Input{Request: on(root, assume, nil), IsRoot: true, PrincipalAccount: acctA, ResourcePolicy: trustDoc(t, aliceARN, assumeOnly, "")}, ImplicitDeny, reasonRP},
		{"federated user with star policies not named", Input{Request: on(fedUser, assume, nil), PrincipalAccount: acctA, FederatedUser: true, Identity: star, HasSessionPolicies: true, Session: star, ResourcePolicy: trustDoc(t, aliceARN, assumeOnly, "")}, ImplicitDeny, reasonRP},

		// Trust conditions are enforced.
		{"external id missing", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, bobARN, assumeOnly, ext)}, ImplicitDeny, reasonRP},
		{"external id wrong", Input{Request: on(bob, assume, ctxOf("sts:ExternalId", "ext-999")), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, bobARN, assumeOnly, ext)}, ImplicitDeny, reasonRP},
		{"external id right", Input{Request: on(bob, assume, ctxOf("sts:ExternalId", "ext-123")), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, bobARN, assumeOnly, ext)}, Allow, ""},
		{"account trust, external id missing", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, acctAPrinc, assumeOnly, ext)}, ImplicitDeny, reasonRP},
		{"mfa absent", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, acctAPrinc, assumeOnly, mfa)}, ImplicitDeny, reasonRP},
		{"mfa false", Input{Request: on(session, assume, ctxOf("aws:MultiFactorAuthPresent", "false")), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, acctAPrinc, assumeOnly, mfa)}, ImplicitDeny, reasonRP},
		{"mfa present", Input{Request: on(bob, assume, ctxOf("aws:MultiFactorAuthPresent", "true")), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, acctAPrinc, assumeOnly, mfa)}, Allow, ""},
		{"request tag other value", Input{Request: on(bob, "sts:TagSession", ctxOf("aws:RequestTag/Project", "other")), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, bobARN, `["sts:AssumeRole","sts:TagSession"]`, tagCond)}, ImplicitDeny, reasonFor("resource-based policy", "sts:TagSession")},
		{"request tag allowed value", Input{Request: on(bob, "sts:TagSession", ctxOf("aws:RequestTag/Project", "unicorn")), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, bobARN, `["sts:AssumeRole","sts:TagSession"]`, tagCond)}, Allow, ""},

		// The extra actions a call uses need their own trust Allow.
		{"tag session not in trust", Input{Request: on(bob, "sts:TagSession", ctxOf("aws:RequestTag/Project", "unicorn")), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, bobARN, assumeOnly, "")}, ImplicitDeny, reasonFor("resource-based policy", "sts:TagSession")},
		{"set source identity not in trust", Input{Request: on(bob, "sts:SetSourceIdentity", ctxOf("sts:SourceIdentity", "bob")), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, bobARN, assumeOnly, "")}, ImplicitDeny, reasonFor("resource-based policy", "sts:SetSourceIdentity")},
		{"set context not in trust", Input{Request: on(session, "sts:SetContext", nil), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, `{"AWS":"arn:aws:iam::111122223333:role/builder"}`, assumeOnly, "")}, ImplicitDeny, reasonFor("resource-based policy", "sts:SetContext")},
		{"set context in trust", Input{Request: on(session, "sts:SetContext", nil), PrincipalAccount: acctA, ResourcePolicy: trustDoc(t, `{"AWS":"arn:aws:iam::111122223333:role/builder"}`, `["sts:AssumeRole","sts:SetContext"]`, "")}, Allow, ""},

		// Same account: an exact ARN grants alone; the account principal needs the identity side.
		{"exact user, no identity policies", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, ResourcePolicy: trustDoc(t, bobARN, assumeOnly, "")}, Allow, ""},
		{"exact session, no identity policies", Input{Request: on(session, assume, nil), PrincipalAccount: acctA, ResourcePolicy: trustDoc(t, `{"AWS":"arn:aws:sts::111122223333:assumed-role/builder/ci"}`, assumeOnly, "")}, Allow, ""},
		// An exact trust match still needs the caller's boundary and session policies to allow
		// (doc "Update a role trust policy": the boundary "must allow the sts:AssumeRole action").
		{"exact user, boundary limits", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: star, Boundary: s3Only(t), ResourcePolicy: trustDoc(t, bobARN, assumeOnly, "")}, ImplicitDeny, reasonPB},
		{"exact user, boundary allows", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Boundary: starPolicy(t), ResourcePolicy: trustDoc(t, bobARN, assumeOnly, "")}, Allow, ""},
		{"exact session, boundary limits", Input{Request: on(session, assume, nil), PrincipalAccount: acctA, Identity: star, Boundary: s3Only(t), ResourcePolicy: trustDoc(t, `{"AWS":"arn:aws:sts::111122223333:assumed-role/builder/ci"}`, assumeOnly, "")}, ImplicitDeny, reasonPB},
		{"exact session, session policy limits", Input{Request: on(session, assume, nil), PrincipalAccount: acctA, Identity: star, HasSessionPolicies: true, Session: []*Policy{s3Only(t)}, ResourcePolicy: trustDoc(t, `{"AWS":"arn:aws:sts::111122223333:assumed-role/builder/ci"}`, assumeOnly, "")}, ImplicitDeny, reasonSP},
		{"exact session, session policy allows", Input{Request: on(session, assume, nil), PrincipalAccount: acctA, HasSessionPolicies: true, Session: star, ResourcePolicy: trustDoc(t, `{"AWS":"arn:aws:sts::111122223333:assumed-role/builder/ci"}`, assumeOnly, "")}, Allow, ""},
		{"role arn, boundary limits", Input{Request: on(session, assume, nil), PrincipalAccount: acctA, Identity: star, Boundary: s3Only(t), ResourcePolicy: trustDoc(t, `{"AWS":"arn:aws:iam::111122223333:role/builder"}`, assumeOnly, "")}, ImplicitDeny, reasonPB},
		{"account principal, no identity policies", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, ResourcePolicy: trustDoc(t, acctAPrinc, assumeOnly, "")}, ImplicitDeny, reasonID},
		{"root arn principal, no identity policies", Input{Request: on(session, assume, nil), PrincipalAccount: acctA, ResourcePolicy: trustDoc(t, rootAPrinc, assumeOnly, "")}, ImplicitDeny, reasonID},
		{"account principal, identity allows", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, acctAPrinc, assumeOnly, "")}, Allow, ""},
		{"account principal, boundary limits", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: star, Boundary: s3Only(t), ResourcePolicy: trustDoc(t, acctAPrinc, assumeOnly, "")}, ImplicitDeny, reasonPB},
		{"account principal, session policy limits", Input{Request: on(session, assume, nil), PrincipalAccount: acctA, Identity: star, HasSessionPolicies: true, Session: []*Policy{s3Only(t)}, ResourcePolicy: trustDoc(t, acctAPrinc, assumeOnly, "")}, ImplicitDeny, reasonSP},

		// Principal "*": users and role sessions of the account get in, within their limits.
		{"star trust, user without policies", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, ResourcePolicy: trustDoc(t, `"*"`, assumeOnly, "")}, Allow, ""},
		{"aws star trust, session without policies", Input{Request: on(session, assume, nil), PrincipalAccount: acctA, ResourcePolicy: trustDoc(t, `{"AWS":"*"}`, assumeOnly, "")}, Allow, ""},
		{"star trust, boundary limits", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Boundary: s3Only(t), ResourcePolicy: trustDoc(t, `"*"`, assumeOnly, "")}, ImplicitDeny, reasonPB},
		{"star trust, session policy limits", Input{Request: on(session, assume, nil), PrincipalAccount: acctA, HasSessionPolicies: true, Session: []*Policy{s3Only(t)}, ResourcePolicy: trustDoc(t, `"*"`, assumeOnly, "")}, ImplicitDeny, reasonSP},
		{"star trust, conditions still apply", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, `"*"`, assumeOnly, ext)}, ImplicitDeny, reasonRP},
		{"star trust, federated caller not admitted", Input{Request: on(oidc, "sts:AssumeRoleWithWebIdentity", nil), PrincipalAccount: acctA, ResourcePolicy: trustDoc(t, `"*"`, `"sts:AssumeRoleWithWebIdentity"`, "")}, ImplicitDeny, reasonFor("identity-based policy", "sts:AssumeRoleWithWebIdentity")},
		{"star trust, federated user without session policy", Input{Request: on(fedUser, assume, nil), PrincipalAccount: acctA, FederatedUser: true, Identity: star, ResourcePolicy: trustDoc(t, `"*"`, assumeOnly, "")}, ImplicitDeny, reasonSP},
		{"star trust, other account without identity", Input{Request: on(eve, assume, nil), PrincipalAccount: acctB, ResourceAccount: acctA, ResourcePolicy: trustDoc(t, `"*"`, assumeOnly, "")}, ImplicitDeny, reasonID},
		{"star trust, other account with identity", Input{Request: on(eve, assume, nil), PrincipalAccount: acctB, ResourceAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, `"*"`, assumeOnly, "")}, Allow, ""},

		// Cross account: both sides, always.
		{"cross-account exact trust, no identity", Input{Request: on(eve, assume, nil), PrincipalAccount: acctB, ResourceAccount: acctA, ResourcePolicy: trustDoc(t, `{"AWS":"arn:aws:iam::444455556666:user/eve"}`, assumeOnly, "")}, ImplicitDeny, reasonID},
		{"cross-account exact session trust, no identity", Input{Request: on(remoteSession, assume, nil), PrincipalAccount: acctB, ResourceAccount: acctA, ResourcePolicy: trustDoc(t, `{"AWS":"arn:aws:sts::444455556666:assumed-role/deployer/run"}`, assumeOnly, "")}, ImplicitDeny, reasonID},
		{"cross-account trust and identity", Input{Request: on(eve, assume, nil), PrincipalAccount: acctB, ResourceAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, `{"AWS":"444455556666"}`, assumeOnly, "")}, Allow, ""},
		{"cross-account identity star, trust names own account", Input{Request: on(eve, assume, nil), PrincipalAccount: acctB, ResourceAccount: acctA, Identity: star, ResourcePolicy: trustDoc(t, acctAPrinc, assumeOnly, "")}, ImplicitDeny, reasonRP},
		{"cross-account role trust, session policy limits", Input{Request: on(remoteSession, assume, nil), PrincipalAccount: acctB, ResourceAccount: acctA, Identity: star, HasSessionPolicies: true, Session: []*Policy{s3Only(t)}, ResourcePolicy: trustDoc(t, `{"AWS":"arn:aws:iam::444455556666:role/deployer"}`, assumeOnly, "")}, ImplicitDeny, reasonSP},

		// Explicit Deny anywhere wins.
		{"trust deny beats exact allow and star identity", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: star, ResourcePolicy: mustParse(t, Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":`+bobARN+`,"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:*"}]}`)}, ExplicitDeny, "with an explicit deny in a resource-based policy"},
		{"identity deny beats exact trust", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: []*Policy{denyAssume(t, "d")}, ResourcePolicy: trustDoc(t, bobARN, assumeOnly, "")}, ExplicitDeny, "with an explicit deny in an identity-based policy"},
		{"boundary deny beats exact trust", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Boundary: denyAssume(t, "b"), ResourcePolicy: trustDoc(t, bobARN, assumeOnly, "")}, ExplicitDeny, "with an explicit deny in a permissions boundary"},
		{"session deny beats exact trust", Input{Request: on(session, assume, nil), PrincipalAccount: acctA, HasSessionPolicies: true, Session: []*Policy{denyAssume(t, "s")}, ResourcePolicy: trustDoc(t, `{"AWS":"arn:aws:sts::111122223333:assumed-role/builder/ci"}`, assumeOnly, "")}, ExplicitDeny, "with an explicit deny in a session policy"},

		// The kind is part of the input, not of the caller's code path.
		{"explicit trust kind over a resource-parsed policy", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: star, ResourcePolicyKind: Trust, ResourcePolicy: mustParse(t, Resource, identityDoc(`"Effect":"Allow","Principal":`+aliceARN+`,"Action":"sts:AssumeRole","Resource":"*"`))}, ImplicitDeny, reasonRP},
		{"explicit resource kind keeps the general rule", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: star, ResourcePolicyKind: Resource, ResourcePolicy: trustDoc(t, aliceARN, assumeOnly, "")}, Allow, ""},
		{"trust kind with a principal-less statement names no one", Input{Request: on(bob, assume, nil), PrincipalAccount: acctA, Identity: star, ResourcePolicyKind: Trust, ResourcePolicy: starPolicy(t)}, ImplicitDeny, reasonRP},
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

// Other resource-based policies keep the general same-account rule, and Principal "*" grants to
// users and role sessions of the account (doc "Principal", all principals).
func TestDecideResourcePolicy(t *testing.T) {
	const bucket = "arn:aws:s3:::reports/q1"
	bob := userPrincipal("bob")
	session := sessionPrincipal(acctA, "builder", "ci")
	eve := Principal{Type: "AWS", Account: acctB, ARNs: []string{"arn:aws:iam::444455556666:user/eve"}}
	fedUser := Principal{Type: "AWS", Account: acctA, ARNs: []string{"arn:aws:sts::111122223333:federated-user/bob"}}
	anon := Principal{}
	get := func(p Principal) Request { return Request{Principal: p, Action: "s3:GetObject", Resource: bucket} }
	rp := func(principal string) *Policy {
		return mustParse(t, Resource, identityDoc(`"Effect":"Allow","Principal":`+principal+`,"Action":"s3:GetObject","Resource":"`+bucket+`"`))
	}
	star := []*Policy{starPolicy(t)}
	reason := func(kind string) string { return "no " + kind + " allows the s3:GetObject action" }
	cases := []struct {
		name   string
		in     Input
		want   Decision
		reason string
	}{
		{"identity alone suffices in the account", Input{Request: get(bob), PrincipalAccount: acctA, Identity: star, ResourcePolicy: rp(aliceARN)}, Allow, ""},
		{"star grants user without policies", Input{Request: get(bob), PrincipalAccount: acctA, ResourcePolicy: rp(`"*"`)}, Allow, ""},
		{"aws star grants session without policies", Input{Request: get(session), PrincipalAccount: acctA, ResourcePolicy: rp(`{"AWS":"*"}`)}, Allow, ""},
		{"star limited by boundary", Input{Request: get(bob), PrincipalAccount: acctA, Boundary: mustParse(t, Identity, identityDoc(`"Effect":"Allow","Action":"sqs:*","Resource":"*"`)), ResourcePolicy: rp(`"*"`)}, ImplicitDeny, reason("permissions boundary")},
		{"star within boundary", Input{Request: get(bob), PrincipalAccount: acctA, Boundary: s3Only(t), ResourcePolicy: rp(`"*"`)}, Allow, ""},
		{"star limited by session policy", Input{Request: get(session), PrincipalAccount: acctA, HasSessionPolicies: true, Session: []*Policy{mustParse(t, Identity, identityDoc(`"Effect":"Allow","Action":"sqs:*","Resource":"*"`))}, ResourcePolicy: rp(`"*"`)}, ImplicitDeny, reason("session policy")},
		{"star does not grant a federated user without session policy", Input{Request: get(fedUser), PrincipalAccount: acctA, FederatedUser: true, ResourcePolicy: rp(`"*"`)}, ImplicitDeny, reason("identity-based policy")},
		{"star does not grant anonymous callers here", Input{Request: get(anon), ResourcePolicy: rp(`"*"`)}, ImplicitDeny, reason("identity-based policy")},
		{"star other account needs identity", Input{Request: get(eve), PrincipalAccount: acctB, ResourceAccount: acctA, ResourcePolicy: rp(`"*"`)}, ImplicitDeny, reason("identity-based policy")},
		{"star other account with identity", Input{Request: get(eve), PrincipalAccount: acctB, ResourceAccount: acctA, Identity: star, ResourcePolicy: rp(`"*"`)}, Allow, ""},
		{"account principal alone grants nothing", Input{Request: get(bob), PrincipalAccount: acctA, ResourcePolicy: rp(acctAPrinc)}, ImplicitDeny, reason("identity-based policy")},
		{"cross-account identity without resource policy", Input{Request: get(eve), PrincipalAccount: acctB, ResourceAccount: acctA, Identity: star}, ImplicitDeny, reason("resource-based policy")},
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

// NotPrincipal with Deny (doc "NotPrincipal"): a caller is spared only when its account and every
// ARN it is known by (user; or role and role session) are listed.
func TestNotPrincipalDeny(t *testing.T) {
	const (
		sessARN = "arn:aws:sts::111122223333:assumed-role/builder/ci"
		role    = "arn:aws:iam::111122223333:role/builder"
		user    = "arn:aws:iam::111122223333:user/bob"
		rootA   = "arn:aws:iam::111122223333:root"
		oidcARN = "arn:aws:iam::111122223333:oidc-provider/example.com"
	)
	bob := userPrincipal("bob")
	session := sessionPrincipal(acctA, "builder", "ci")
	root := Principal{Type: "AWS", Account: acctA, ARNs: []string{rootA}}
	eve := Principal{Type: "AWS", Account: acctB, ARNs: []string{"arn:aws:iam::444455556666:user/eve"}}
	oidc := Principal{Type: "Federated", Account: acctA, ARNs: []string{oidcARN}}
	list := func(arns ...string) string { return `{"AWS":["` + strings.Join(arns, `","`) + `"]}` }
	cases := []struct {
		name     string
		caller   Principal
		not      string
		boundary bool
		denied   bool
	}{
		{"session, role and account listed", session, list(sessARN, role, acctA), false, false},
		{"session, role and root arn listed", session, list(sessARN, role, rootA), false, false},
		{"only the role", session, list(role), false, true},
		{"only the account", session, list(acctA), false, true},
		{"role and account, not the session", session, list(role, acctA), false, true},
		{"session and account, not the role", session, list(sessARN, acctA), false, true},
		{"session and role, not the account", session, list(sessARN, role), false, true},
		{"another session of the role", session, list("arn:aws:sts::111122223333:assumed-role/builder/other", role, acctA), false, true},
		{"user and account listed", bob, list(user, acctA), false, false},
		{"user and root arn listed", bob, list(user, rootA), false, false},
		{"only the user", bob, list(user), false, true},
		{"only the user's account", bob, list(acctA), false, true},
		{"root by its account", root, list(acctA), false, false},
		{"root not listed", root, list(user), false, true},
		{"other account's user", eve, list(user, acctA), false, true},
		{"aws star spares every aws caller", session, `{"AWS":"*"}`, false, false},
		{"a permissions boundary takes the exemption away", bob, list(user, acctA), true, true},
		{"federated provider listed", oidc, `{"Federated":"` + oidcARN + `"}`, false, false},
		{"other federated provider", oidc, `{"Federated":"arn:aws:iam::111122223333:oidc-provider/other.example.com"}`, false, true},
		{"aws list does not spare a federated caller", oidc, list(user, acctA), false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			deny := mustParse(t, Resource, identityDoc(`"Effect":"Deny","NotPrincipal":`+c.not+`,"Action":"s3:*","Resource":"*"`))
			in := &Input{Request: Request{Principal: c.caller, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, PrincipalAccount: c.caller.Account, Identity: []*Policy{starPolicy(t)}, ResourcePolicy: deny}
			if c.boundary {
				in.Boundary = starPolicy(t)
			}
			out := Decide(in)
			if got := out.Decision == ExplicitDeny; got != c.denied {
				t.Fatalf("denied=%v want %v (%v %q)", got, c.denied, out.Decision, out.Reason)
			}
		})
	}

	// NotPrincipal with Allow is not supported: it grants no one, not even across accounts
	// where the caller's identity side allows.
	allow := mustParse(t, Resource, identityDoc(`"Effect":"Allow","NotPrincipal":{"AWS":"`+user+`"},"Action":"s3:*","Resource":"*"`))
	out := Decide(&Input{Request: Request{Principal: eve, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, PrincipalAccount: acctB, ResourceAccount: acctA, Identity: []*Policy{starPolicy(t)}, ResourcePolicy: allow})
	if out.Decision != ImplicitDeny {
		t.Fatalf("Allow with NotPrincipal granted: %v", out.Decision)
	}
}

// RequireConditionKeys: an Allow counts only when it pins the keys to literal values (STS API
// reference, AssumeRoleWithWebIdentity, RoleArn; Cognito "Security best practices for identity
// pools": cross-account basic authentication needs aud and amr conditions).
func TestDecideRequireConditionKeys(t *testing.T) {
	const (
		aud  = "cognito-identity.amazonaws.com:aud"
		amr  = "cognito-identity.amazonaws.com:amr"
		pool = "us-east-1:11111111-2222-3333-4444-555555555555"
		act  = "sts:AssumeRoleWithWebIdentity"
	)
	require := []string{aud, amr}
	cognito := Principal{Type: "Federated", Account: acctA, ARNs: []string{"cognito-identity.amazonaws.com"}}
	ctx := ctxOf(aud, pool, amr, []string{"unauthenticated"})
	fed := `{"Federated":"cognito-identity.amazonaws.com"}`
	amrCond := `"ForAnyValue:StringLike":{"` + amr + `":"unauthenticated"}`
	trust := func(cond string) *Policy { return trustDoc(t, fed, `"`+act+`"`, cond) }
	cases := []struct {
		name    string
		policy  *Policy
		require []string
		want    Decision
	}{
		{"aud and amr pinned", trust(`{"StringEquals":{"` + aud + `":"` + pool + `"},` + amrCond + `}`), require, Allow},
		{"aud ignore case", trust(`{"StringEqualsIgnoreCase":{"` + aud + `":"` + strings.ToUpper(pool) + `"},` + amrCond + `}`), require, Allow},
		{"aud like without wildcard", trust(`{"StringLike":{"` + aud + `":"` + pool + `"},` + amrCond + `}`), require, Allow},
		{"aud under ForAnyValue", trust(`{"ForAnyValue:StringEquals":{"` + aud + `":"` + pool + `"},` + amrCond + `}`), require, Allow},
		{"key names fold case", trust(`{"StringEquals":{"COGNITO-IDENTITY.AMAZONAWS.COM:AUD":"` + pool + `"},` + amrCond + `}`), require, Allow},
		{"no condition at all", trust(""), require, ImplicitDeny},
		{"no aud condition", trust(`{` + amrCond + `}`), require, ImplicitDeny},
		{"no amr condition", trust(`{"StringEquals":{"` + aud + `":"` + pool + `"}}`), require, ImplicitDeny},
		{"aud like star", trust(`{"StringLike":{"` + aud + `":"*"},` + amrCond + `}`), require, ImplicitDeny},
		{"aud like region wildcard", trust(`{"StringLike":{"` + aud + `":"us-east-1:*"},` + amrCond + `}`), require, ImplicitDeny},
		{"aud not equals", trust(`{"StringNotEquals":{"` + aud + `":"us-east-1:other"},` + amrCond + `}`), require, ImplicitDeny},
		{"aud if exists", trust(`{"StringEqualsIfExists":{"` + aud + `":"` + pool + `"},` + amrCond + `}`), require, ImplicitDeny},
		{"aud for all values", trust(`{"ForAllValues:StringEquals":{"` + aud + `":"` + pool + `"},` + amrCond + `}`), require, ImplicitDeny},
		{"aud as its own variable", trust(`{"StringEquals":{"` + aud + `":"${` + aud + `}"},` + amrCond + `}`), require, ImplicitDeny},
		{"aud null check", trust(`{"Null":{"` + aud + `":"false"},` + amrCond + `}`), require, ImplicitDeny},
		{"aud pinned in another statement only", mustParse(t, Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":`+fed+`,"Action":"`+act+`"},{"Effect":"Allow","Principal":`+fed+`,"Action":"`+act+`","Condition":{"StringEquals":{"`+aud+`":"us-east-1:other"},`+amrCond+`}}]}`), require, ImplicitDeny},
		{"without the requirement the same trust allows", trust(""), nil, Allow},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := Decide(&Input{Request: Request{Principal: cognito, Action: act, Resource: roleARN, Context: ctx}, PrincipalAccount: acctA, ResourcePolicy: c.policy, ResourcePolicyKind: Trust, RequireConditionKeys: c.require})
			if out.Decision != c.want {
				t.Fatalf("got %v %q want %v", out.Decision, out.Reason, c.want)
			}
		})
	}
	// The requirement narrows Allows only: a Deny without the conditions still denies.
	deny := mustParse(t, Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":`+fed+`,"Action":"`+act+`","Condition":{"StringEquals":{"`+aud+`":"`+pool+`"},`+amrCond+`}},{"Effect":"Deny","Principal":"*","Action":"sts:*"}]}`)
	out := Decide(&Input{Request: Request{Principal: cognito, Action: act, Resource: roleARN, Context: ctx}, PrincipalAccount: acctA, ResourcePolicy: deny, RequireConditionKeys: require})
	if out.Decision != ExplicitDeny {
		t.Fatalf("deny ignored: %v", out.Decision)
	}
}

// The §5 evaluator fixes, each against a caller whose identity policy allows *:*: a trust Allow
// whose condition AWS would not satisfy no longer opens the role.
func TestDecideConditionFixesAgainstStarCaller(t *testing.T) {
	bob := userPrincipal("bob")
	star := []*Policy{starPolicy(t)}
	cases := []struct {
		name string
		cond string
		ctx  *Context
		want Decision
	}{
		// Set operators decide first: no tags sent is not "any tag approved".
		{"ForAnyValue IfExists without tags", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["approved"]}}`, nil, ImplicitDeny},
		{"ForAnyValue IfExists with the tag", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["approved"]}}`, ctxOf("aws:TagKeys", []string{"approved"}), Allow},
		// Variables are not substituted in Numeric, Date and IP address values.
		{"numeric variable", `{"NumericLessThanEquals":{"aws:MultiFactorAuthAge":"${aws:PrincipalTag/maxage}"}}`, ctxOf("aws:MultiFactorAuthAge", "10", "aws:PrincipalTag/maxage", "3600"), ImplicitDeny},
		{"numeric literal", `{"NumericLessThanEquals":{"aws:MultiFactorAuthAge":"3600"}}`, ctxOf("aws:MultiFactorAuthAge", "10"), Allow},
		{"ip variable", `{"IpAddress":{"aws:SourceIp":"${aws:PrincipalTag/cidr}"}}`, ctxOf("aws:SourceIp", "10.1.1.1", "aws:PrincipalTag/cidr", "0.0.0.0/0"), ImplicitDeny},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := &Input{Request: Request{Principal: bob, Action: assume, Resource: roleARN, Context: c.ctx}, PrincipalAccount: acctA, Identity: star,
				ResourcePolicy: trustDoc(t, bobARN, assumeOnly, c.cond)}
			if out := Decide(in); out.Decision != c.want {
				t.Fatalf("got %v %q want %v", out.Decision, out.Reason, c.want)
			}
		})
	}
}

package policy

import "testing"

// Principal forms (doc "AWS JSON policy elements: Principal").
func TestPrincipalMatching(t *testing.T) {
	const acct = "111122223333"
	user := userPrincipal("bob")
	session := sessionPrincipal(acct, "dev-builder", "ci")
	pathRole := Principal{Type: "AWS", Account: acct, ARNs: []string{"arn:aws:sts::" + acct + ":assumed-role/Admin/s", "arn:aws:iam::" + acct + ":role/ops/Admin"}}
	root := Principal{Type: "AWS", Account: acct, ARNs: []string{"arn:aws:iam::" + acct + ":root"}}
	fedUser := Principal{Type: "AWS", Account: acct, ARNs: []string{"arn:aws:sts::" + acct + ":federated-user/bob"}}
	other := userPrincipal("bob")
	other.Account = "444455556666"
	other.ARNs = []string{"arn:aws:iam::444455556666:user/bob"}
	anon := Principal{}
	oidc := Principal{Type: "Federated", ARNs: []string{"arn:aws:iam::" + acct + ":oidc-provider/token.actions.githubusercontent.com"}}
	cognito := Principal{Type: "Federated", ARNs: []string{"cognito-identity.amazonaws.com"}}
	svc := Principal{Type: "Service", ARNs: []string{"ec2.amazonaws.com"}}

	cases := []struct {
		name      string
		principal string
		not       bool
		caller    Principal
		want      PrincipalMatch
	}{
		{"star anyone", `"*"`, false, user, PrincipalWildcard},
		{"star anonymous", `"*"`, false, anon, PrincipalWildcard},
		{"star federated", `"*"`, false, oidc, PrincipalWildcard},
		{"aws star user", `{"AWS":"*"}`, false, user, PrincipalWildcard},
		{"aws star anonymous", `{"AWS":"*"}`, false, anon, PrincipalWildcard},
		{"aws star not federated", `{"AWS":"*"}`, false, oidc, pmNone},
		{"account id matches user", `{"AWS":"111122223333"}`, false, user, PrincipalAccount},
		// Minimal evaluation case 4 (see TestMinimalList).
		{"account id matches session", `{"AWS":"111122223333"}`, false, session, PrincipalAccount},
		{"account id matches root", `{"AWS":"111122223333"}`, false, root, PrincipalAccount},
		{"root arn matches session", `{"AWS":"arn:aws:iam::111122223333:root"}`, false, session, PrincipalAccount},
		{"account id other account", `{"AWS":"111122223333"}`, false, other, pmNone},
		{"account id not anonymous", `{"AWS":"111122223333"}`, false, anon, pmNone},
		{"user arn", `{"AWS":"arn:aws:iam::111122223333:user/bob"}`, false, user, PrincipalExact},
		{"user arn other user", `{"AWS":"arn:aws:iam::111122223333:user/alice"}`, false, user, pmNone},
		{"user arn case sensitive", `{"AWS":"arn:aws:iam::111122223333:user/Bob"}`, false, user, pmNone},
		{"role arn matches session", `{"AWS":"arn:aws:iam::111122223333:role/dev-builder"}`, false, session, PrincipalRole},
		{"role arn with path", `{"AWS":"arn:aws:iam::111122223333:role/ops/Admin"}`, false, pathRole, PrincipalRole},
		{"role arn without path misses", `{"AWS":"arn:aws:iam::111122223333:role/Admin"}`, false, pathRole, pmNone},
		{"session arn", `{"AWS":"arn:aws:sts::111122223333:assumed-role/dev-builder/ci"}`, false, session, PrincipalExact},
		{"other session", `{"AWS":"arn:aws:sts::111122223333:assumed-role/dev-builder/other"}`, false, session, pmNone},
		{"federated user arn", `{"AWS":"arn:aws:sts::111122223333:federated-user/bob"}`, false, fedUser, PrincipalExact},
		{"strongest of several", `{"AWS":["111122223333","arn:aws:iam::111122223333:role/dev-builder","arn:aws:sts::111122223333:assumed-role/dev-builder/ci"]}`, false, session, PrincipalExact},
		{"oidc provider", `{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}`, false, oidc, PrincipalExact},
		{"other oidc provider", `{"Federated":"arn:aws:iam::111122223333:oidc-provider/accounts.example.com"}`, false, oidc, pmNone},
		{"cognito", `{"Federated":"cognito-identity.amazonaws.com"}`, false, cognito, PrincipalExact},
		{"federated does not match aws caller", `{"Federated":"cognito-identity.amazonaws.com"}`, false, user, pmNone},
		{"aws does not match federated caller", `{"AWS":"111122223333"}`, false, oidc, pmNone},
		{"service", `{"Service":"ec2.amazonaws.com"}`, false, svc, PrincipalExact},
		{"other service", `{"Service":"lambda.amazonaws.com"}`, false, svc, pmNone},
		{"unique id matches nothing", `{"AWS":"AROADBQP57FF2AEXAMPLE"}`, false, session, pmNone},
		// NotPrincipal is supported with Deny only (doc "NotPrincipal"); an Allow with it grants
		// nothing, to the listed principals or to anyone else (TestNotPrincipalDeny covers Deny).
		{"not principal allow excludes listed", `{"AWS":"arn:aws:iam::111122223333:user/bob"}`, true, user, pmNone},
		{"not principal allow grants no one else", `{"AWS":"arn:aws:iam::111122223333:user/bob"}`, true, session, pmNone},
		{"not principal allow grants not anonymous", `{"AWS":"arn:aws:iam::111122223333:user/bob"}`, true, anon, pmNone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			field := "Principal"
			if tc.not {
				field = "NotPrincipal"
			}
			p := mustParse(t, Trust, identityDoc(`"Effect":"Allow","`+field+`":`+tc.principal+`,"Action":"sts:AssumeRole"`))
			r := p.Evaluate(&Request{Principal: tc.caller, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/target"})
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

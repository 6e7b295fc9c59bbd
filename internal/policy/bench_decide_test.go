package policy

import "testing"

// BenchmarkDecideAssumeRole is the whole decision of a same-account AssumeRole by a user whose
// identity policy allows it and whom the trust policy trusts through the account.
func BenchmarkDecideAssumeRole(b *testing.B) {
	trust, err := Parse("trust", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}]}`, Trust)
	if err != nil {
		b.Fatal(err)
	}
	id, err := Parse("id", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/*"}]}`, Identity)
	if err != nil {
		b.Fatal(err)
	}
	ctx := NewContext()
	ctx.Set("sts:ExternalId", "ext-1")
	ctx.Set("aws:SourceIp", "192.0.2.10")
	in := &Input{
		Request:          Request{Principal: Principal{Type: "AWS", Account: "111122223333", ARNs: []string{"arn:aws:iam::111122223333:user/bob"}}, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/target", Context: ctx},
		PrincipalAccount: "111122223333",
		Identity:         []*Policy{id},
		ResourcePolicy:   trust,
	}
	b.ReportAllocs()
	for b.Loop() {
		if Decide(in).Decision != Allow {
			b.Fatal("denied")
		}
	}
}

// BenchmarkDecideRefusedAndExplained is a federated AssumeRoleWithWebIdentity refused by its sub
// condition, decided and then explained, as a refusal is.
func BenchmarkDecideRefusedAndExplained(b *testing.B) {
	trust, err := Parse("arn:aws:iam::123456789012:role/deploy", benchTrustPolicy, Trust)
	if err != nil {
		b.Fatal(err)
	}
	ctx := NewContext()
	ctx.Set("token.actions.githubusercontent.com:sub", "repo:other/app:ref:refs/heads/main")
	ctx.Set("token.actions.githubusercontent.com:aud", "sts.amazonaws.com")
	in := &Input{
		Request:          Request{Principal: githubPrincipal, Action: "sts:AssumeRoleWithWebIdentity", Resource: "arn:aws:iam::123456789012:role/deploy", Context: ctx},
		PrincipalAccount: "123456789012",
		ResourcePolicy:   trust,
	}
	b.ReportAllocs()
	for b.Loop() {
		out := Decide(in)
		if out.Decision == Allow || in.Explain(out) == nil {
			b.Fatal("allowed")
		}
	}
}

package policy

import "testing"

// A typical GitHub Actions OIDC trust policy (doc "Configuring a role for GitHub OIDC identity
// provider").
const benchTrustPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:*"}
      }
    }
  ]
}`

var githubPrincipal = Principal{Type: "Federated", ARNs: []string{"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}}

func BenchmarkEvaluateTrustPolicy(b *testing.B) {
	p, err := Parse("trust", benchTrustPolicy, Trust)
	if err != nil {
		b.Fatal(err)
	}
	ctx := NewContext()
	ctx.Set("token.actions.githubusercontent.com:sub", "repo:octo-org/octo-repo:ref:refs/heads/main")
	ctx.Set("token.actions.githubusercontent.com:aud", "sts.amazonaws.com")
	ctx.Set("aws:SourceIp", "192.0.2.10")
	req := &Request{Principal: githubPrincipal, Action: "sts:AssumeRoleWithWebIdentity", Resource: "arn:aws:iam::123456789012:role/deploy", Context: ctx}
	b.ReportAllocs()
	for b.Loop() {
		if p.Evaluate(req).Decision != Allow {
			b.Fatal("denied")
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchTrustPolicy)))
	for b.Loop() {
		if _, err := Parse("trust", benchTrustPolicy, Trust); err != nil {
			b.Fatal(err)
		}
	}
}

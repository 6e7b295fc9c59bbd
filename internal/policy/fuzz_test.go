package policy

import (
	"encoding/json"
	"testing"
)

var fuzzSeeds = []string{
	benchTrustPolicy,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:Get*"],"NotResource":"arn:aws:s3:::x/${aws:PrincipalTag/t, 'd'}","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":false},"ForAllValues:StringLike":{"aws:TagKeys":["a*","${*}"]}}}]}`,
	`{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},"NumericLessThan":{"k":1.5},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00+01:00"}}}}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/r"],"Service":"ec2.amazonaws.com"},"Action":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/${aws:username}"},"BinaryEquals":{"b":"QQ=="},"Null":{"x":"true"},"Foo":{}}}}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam::*:r?le/*:x"}}`,
	`{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"1","Effect":"Allow","Action":"a:b","Resource":"*"},{"Sid":"2","Effect":"Deny","Action":"a:*","Resource":"*"}]}`,
	`{"a":"\ud83d\ude00"}`,
	`[1,2,{"a":null}]`,
	``,
}

// FuzzParse checks that no document makes Parse, Evaluate, Decide or SizeWithoutWhitespace panic,
// and that evaluation of an accepted document is deterministic.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "s3:GetObject", "arn:aws:s3:::b/bob/x", "bob")
	}
	f.Add(benchTrustPolicy, "sts:AssumeRoleWithWebIdentity", "*", "repo:octo-org/octo-repo:ref:refs/heads/main")
	ctxKeys := []string{"aws:username", "aws:SourceIp", "aws:CurrentTime", "aws:TagKeys", "k", "x", "b", "aws:PrincipalArn", "token.actions.githubusercontent.com:sub", "token.actions.githubusercontent.com:aud", "aws:MultiFactorAuthPresent", "aws:PrincipalTag/t"}
	f.Fuzz(func(t *testing.T, doc, action, resource, value string) {
		_ = SizeWithoutWhitespace(doc)
		ctx := NewContext()
		for i, k := range ctxKeys {
			if i%3 == 0 {
				ctx.Set(k, value, value+"x")
			} else {
				ctx.Set(k, value)
			}
		}
		callers := []Principal{
			{},
			userPrincipal(value),
			sessionPrincipal("111122223333", "r", value),
			{Type: "Federated", ARNs: []string{value}},
			{Type: "Service", ARNs: []string{value}},
		}
		for _, kind := range []Kind{Identity, Trust, Resource, Managed} {
			p, err := Parse("fuzz", doc, kind)
			if err != nil {
				if _, ok := err.(*ParseError); !ok {
					t.Fatalf("error of type %T", err)
				}
				continue
			}
			_ = p.ContextKeys()
			_ = p.Principals()
			for _, c := range callers {
				req := &Request{Principal: c, Action: action, Resource: resource, Context: ctx}
				r1 := p.Evaluate(req)
				r2 := p.Evaluate(req)
				if r1.Decision != r2.Decision || len(r1.Matched) != len(r2.Matched) {
					t.Fatalf("nondeterministic evaluation")
				}
				for _, m := range r1.Matched {
					if m.Start.Line < 1 || m.Start.Column < 1 || m.End.Line < m.Start.Line {
						t.Fatalf("bad position %+v", m)
					}
				}
				_ = Decide(&Input{Request: *req, PrincipalAccount: "111122223333", Identity: []*Policy{p}, Boundary: p, HasSessionPolicies: true, Session: []*Policy{p}, ResourcePolicy: p})
			}
		}
	})
}

// FuzzCondition builds well-formed documents around fuzzed operators, values and resource
// patterns, so the fuzzer spends its time in the typed parsers and matchers rather than in JSON
// syntax errors.
func FuzzCondition(f *testing.F) {
	f.Add("DateLessThanEquals", "2016-12-13T21:20:37.593194+00:00", "2016-12-13t2:00:00.5+23", "arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/x/y")
	f.Add("ForAllValues:ArnLikeIfExists", "arn:aws:iam::*:role/${k}", "arn:aws:iam::1:role/x", "arn:aws:iam::*:r?le/*", "arn:aws:iam::1:role/a:b")
	f.Add("NotIpAddress", "::ffff:10.0.0.0/104", "10.1.2.3", "*", "*")
	f.Add("NumericGreaterThanEquals", "-0.000", "+0", "arn:aws:s3:::${*}${?}", "arn:aws:s3:::*?")
	f.Add("BinaryEquals", "QQ", "QQ==", "arn:*:s3:::b", "arn:aws:s3:::b")
	f.Add("ForAnyValue:StringNotLike", "${k, 'a*'}", "a*", "arn:aws:sqs:*:1:q", "arn:aws:sqs:us-east-1:1:q")
	f.Fuzz(func(t *testing.T, op, value, reqValue, resPattern, resource string) {
		q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":` + q(resPattern) +
			`,"Condition":{` + q(op) + `:{"k":[` + q(value) + `,` + q(reqValue) + `]}}},{"Effect":"Deny","Action":"s3:*","NotResource":` + q(resPattern) +
			`,"Condition":{` + q(op) + `:{"k":` + q(value) + `}}}]}`
		p, err := Parse("fuzz", doc, Identity)
		if err != nil {
			return
		}
		for _, ctx := range []*Context{nil, ctxOf("k", reqValue), ctxOf("k", []string{reqValue, value}, "aws:username", reqValue)} {
			r := p.Evaluate(&Request{Action: "s3:GetObject", Resource: resource, Context: ctx})
			if r.Decision == Allow && r.PrincipalMatch != PrincipalNotApplicable {
				t.Fatalf("identity policy reported a principal match")
			}
		}
	})
}

package policy

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func evalAllow(t *testing.T, doc string, req *Request) bool {
	t.Helper()
	return mustParse(t, Identity, doc).Evaluate(req).Decision == Allow
}

// Action matching (doc "IAM JSON policy elements: Action", "…: NotAction").
func TestActionMatching(t *testing.T) {
	cases := []struct {
		pattern string
		not     bool
		action  string
		want    bool
	}{
		{`"sts:AssumeRole"`, false, "sts:AssumeRole", true},
		// Minimal evaluation case 5 (see TestMinimalList).
		{`"STS:assumerole"`, false, "sts:AssumeRole", true},
		{`"sts:AssumeRole"`, false, "STS:ASSUMEROLE", true},
		{`"sts:Assume*"`, false, "sts:AssumeRoleWithSAML", true},
		{`"sts:Assume*"`, false, "sts:GetCallerIdentity", false},
		{`"*"`, false, "iam:CreateUser", true},
		{`"s3:*"`, false, "s3:GetObject", true},
		{`"s3:*"`, false, "s3express:GetObject", false},
		{`"s3:*Object"`, false, "s3:GetObject", true},
		{`"s3:*Object"`, false, "s3:GetObjectAcl", false},
		{`"iam:Get?ser"`, false, "iam:GetUser", true},
		{`"iam:Get?ser"`, false, "iam:GetUUser", false},
		{`"ec2:*Instances"`, false, "ec2:DescribeInstances", true},
		{`["iam:GetUser","sts:*"]`, false, "sts:TagSession", true},
		{`["iam:GetUser","sts:*"]`, false, "s3:GetObject", false},
		{`"*:Get*"`, false, "s3:GetObject", true},
		{`"sts:AssumeRole"`, false, "sts:AssumeRoleWithWebIdentity", false},
		{`"iam:*"`, true, "s3:GetObject", true},
		{`"iam:*"`, true, "iam:CreateUser", false},
		{`["iam:*","sts:GetSessionToken"]`, true, "sts:GetSessionToken", false},
		{`["iam:*","sts:GetSessionToken"]`, true, "sts:AssumeRole", true},
	}
	for _, tc := range cases {
		field := "Action"
		if tc.not {
			field = "NotAction"
		}
		doc := identityDoc(`"Effect":"Allow","` + field + `":` + tc.pattern + `,"Resource":"*"`)
		got := evalAllow(t, doc, &Request{Action: tc.action, Resource: "*"})
		if got != tc.want {
			t.Errorf("%s %s vs %q = %v, want %v", field, tc.pattern, tc.action, got, tc.want)
		}
	}
}

// Resource matching (doc "IAM JSON policy elements: Resource", "Using wildcards in resource ARNs").
func TestResourceMatching(t *testing.T) {
	cases := []struct {
		pattern  string
		not      bool
		resource string
		want     bool
	}{
		{`"*"`, false, "arn:aws:s3:::b/k", true},
		{`"*"`, false, "*", true},
		{`"arn:aws:s3:::amzn-s3-demo-bucket/*"`, false, "arn:aws:s3:::amzn-s3-demo-bucket/1/test/object.jpg", true},
		{`"arn:aws:s3:::amzn-s3-demo-bucket/*"`, false, "arn:aws:s3:::amzn-s3-demo-bucket", false},
		{`"arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"`, false, "arn:aws:s3:::amzn-s3-demo-bucket/1/2/test/3/object.jpg", true},
		{`"arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"`, false, "arn:aws:s3:::amzn-s3-demo-bucket//test/object.jpg", true},
		{`"arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"`, false, "arn:aws:s3:::amzn-s3-demo-bucket/1-test/object.jpg", false},
		{`"arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"`, false, "arn:aws:s3:::amzn-s3-demo-bucket/test/object.jpg", false},
		{`"arn:aws:iam::123456789012:user/accounting/*"`, false, "arn:aws:iam::123456789012:user/accounting/bob", true},
		{`"arn:aws:iam::123456789012:user/accounting/*"`, false, "arn:aws:iam::123456789012:user/marketing/bob", false},
		{`"arn:aws:iam::123456789012:user/Bob"`, false, "arn:aws:iam::123456789012:user/bob", false},
		{`"arn:aws:iam::*:role/dev-*"`, false, "arn:aws:iam::123456789012:role/dev-x", true},
		{`"arn:aws:dynamodb:*:*:table/MyTable"`, false, "arn:aws:dynamodb:us-east-1:123456789012:table/MyTable", true},
		{`"arn:aws:dynamodb:*:*:table/MyTable"`, false, "arn:aws:dynamodb:us-east-1:123456789012:table/MyTable/index/x", false},
		// A * that is the last character of a segment may expand beyond the colon boundary.
		{`"arn:aws:sns:*"`, false, "arn:aws:sns:us-east-1:123456789012:topic", true},
		{`"arn:aws:sqs:us-east-1:*"`, false, "arn:aws:sqs:us-east-1:123456789012:queue", true},
		// One inside a segment may not.
		{`"arn:aws:iam::1*2:role/x"`, false, "arn:aws:iam::1:2:role/x", false},
		{`"arn:aws:iam::1*2:role/x"`, false, "arn:aws:iam::1002:role/x", true},
		{`"arn:aws:iam::12345678901?:role/x"`, false, "arn:aws:iam::123456789012:role/x", true},
		{`"arn:aws:iam::12345678901?:role/x"`, false, "arn:aws:iam::12345678901:role/x", false},
		// Colons are ordinary characters in the resource segment.
		{`"arn:aws:logs:us-east-1:123456789012:log-group:*"`, false, "arn:aws:logs:us-east-1:123456789012:log-group:/aws/x:log-stream:y", true},
		{`"arn:aws:logs:us-east-1:123456789012:log-group:a?b"`, false, "arn:aws:logs:us-east-1:123456789012:log-group:a:b", true},
		{`["arn:aws:s3:::a","arn:aws:s3:::b"]`, false, "arn:aws:s3:::b", true},
		{`"arn:aws:s3:::HRBucket/Payroll"`, true, "arn:aws:s3:::HRBucket/Other", true},
		{`["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]`, true, "arn:aws:s3:::HRBucket/Payroll/x", false},
		{`"*"`, true, "arn:aws:s3:::x", false},
		{`"arn:aws:s3:::caf\u00e9/*"`, false, "arn:aws:s3:::café/x", true},
	}
	for _, tc := range cases {
		field := "Resource"
		if tc.not {
			field = "NotResource"
		}
		doc := identityDoc(`"Effect":"Allow","Action":"s3:GetObject","` + field + `":` + tc.pattern)
		got := evalAllow(t, doc, &Request{Action: "s3:GetObject", Resource: tc.resource})
		if got != tc.want {
			t.Errorf("%s %s vs %q = %v, want %v", field, tc.pattern, tc.resource, got, tc.want)
		}
	}
}

// The DP matcher must agree with the greedy one whenever every wildcard is free, and with a
// naive recursive reference always.
func TestGlobMatchersAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune{'a', 'b', ':', '/', 'é'}
	randStr := func(n int, wild bool) string {
		var b strings.Builder
		for range rng.IntN(n) {
			if wild && rng.IntN(4) == 0 {
				b.WriteByte("*?"[rng.IntN(2)])
				continue
			}
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 20000 {
		pat, s := randStr(10, true), randStr(12, false)
		free := globPattern(globTokens(nil, pat, false))
		if got, want := dpMatch(free.toks, s), refMatch(free.toks, []rune(s)); got != want {
			t.Fatalf("dp(%q,%q)=%v ref=%v", pat, s, got, want)
		}
		if got, want := greedyMatch(free.toks, s, false), refMatch(free.toks, []rune(s)); got != want {
			t.Fatalf("greedy(%q,%q)=%v ref=%v", pat, s, got, want)
		}
		res := resourcePattern(globTokens(nil, pat, false))
		if got, want := res.match(s), refMatch(res.toks, []rune(s)); got != want {
			t.Fatalf("resource(%q,%q)=%v ref=%v", pat, s, got, want)
		}
	}
}

// refMatch is an exponential but obviously correct matcher.
func refMatch(toks []tok, s []rune) bool {
	if len(toks) == 0 {
		return len(s) == 0
	}
	t := toks[0]
	switch t.kind {
	case tStar:
		for i := 0; i <= len(s); i++ {
			if i > 0 && !t.free && s[i-1] == ':' {
				return false
			}
			if refMatch(toks[1:], s[i:]) {
				return true
			}
		}
		return false
	case tAny:
		return len(s) > 0 && (t.free || s[0] != ':') && refMatch(toks[1:], s[1:])
	}
	return len(s) > 0 && s[0] == t.r && refMatch(toks[1:], s[1:])
}

func TestLongResourceUsesHeap(t *testing.T) {
	long := "arn:aws:s3:::b/" + strings.Repeat("x", 600)
	p := resourcePattern(globTokens(nil, "arn:aws:s?:::b/*x", false))
	if !p.match(long) {
		t.Fatal("long resource did not match")
	}
	if p.match(long + "y") {
		t.Fatal("long resource matched wrongly")
	}
}

func TestSplitARN(t *testing.T) {
	parts, ok := splitARN("arn:aws:logs:us-east-1:1:log-group:a:b")
	if !ok || parts[5] != "log-group:a:b" || parts[2] != "logs" {
		t.Fatalf("%v %v", parts, ok)
	}
	if _, ok := splitARN("arn:aws:s3::b"); ok {
		t.Fatal("five parts accepted")
	}
}

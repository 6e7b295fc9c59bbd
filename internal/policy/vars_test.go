package policy

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// Policy variables (doc "IAM policy elements: Variables and tags").
func TestVariablesInResource(t *testing.T) {
	const bucket = "arn:aws:s3:::amzn-s3-demo-bucket/"
	res := func(version, pattern string) string {
		v := ""
		if version != "" {
			v = `"Version":"` + version + `",`
		}
		return `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"` + pattern + `"}}`
	}
	bob := ctxOf("aws:username", "bob")
	cases := []struct {
		name     string
		doc      string
		ctx      *Context
		resource string
		want     bool
	}{
		{"username substituted", res("2012-10-17", bucket+"${aws:username}/*"), bob, bucket + "bob/photo.jpg", true},
		{"other user's prefix", res("2012-10-17", bucket+"${aws:username}/*"), bob, bucket + "alice/photo.jpg", false},
		{"key name case-insensitive", res("2012-10-17", bucket+"${AWS:UserName}/*"), bob, bucket + "bob/x", true},
		// Minimal evaluation case 6 (see TestMinimalList): a role session has no aws:username.
		{"missing variable matches nothing", res("2012-10-17", bucket+"${aws:username}/*"), ctxOf("aws:userid", "AROAEXAMPLE:s"), bucket + "/x", false},
		{"missing variable literal does not match", res("2012-10-17", bucket+"${aws:username}/*"), nil, bucket + "${aws:username}/x", false},
		{"2008 keeps text literal", res("2008-10-17", bucket+"${aws:username}/*"), bob, bucket + "${aws:username}/x", true},
		{"2008 does not substitute", res("2008-10-17", bucket+"${aws:username}/*"), bob, bucket + "bob/x", false},
		{"no version keeps text literal", res("", bucket+"${aws:username}/*"), bob, bucket + "${aws:username}/x", true},
		{"default used", res("2012-10-17", bucket+"${aws:PrincipalTag/team, 'company-wide'}/*"), nil, bucket + "company-wide/x", true},
		{"default not used when present", res("2012-10-17", bucket+"${aws:PrincipalTag/team, 'company-wide'}/*"), ctxOf("aws:PrincipalTag/team", "eng"), bucket + "company-wide/x", false},
		{"tag value substituted", res("2012-10-17", bucket+"${aws:PrincipalTag/team, 'company-wide'}/*"), ctxOf("aws:PrincipalTag/team", "eng"), bucket + "eng/x", true},
		{"escape star is literal", res("2012-10-17", bucket+"${*}"), nil, bucket + "*", true},
		{"escape star not wildcard", res("2012-10-17", bucket+"${*}"), nil, bucket + "anything", false},
		{"escape question literal", res("2012-10-17", bucket+"a${?}"), nil, bucket + "a?", true},
		{"escape question not wildcard", res("2012-10-17", bucket+"a${?}"), nil, bucket + "ab", false},
		{"escape dollar", res("2012-10-17", bucket+"${$}{x}"), nil, bucket + "${x}", true},
		{"substituted star stays literal", res("2012-10-17", bucket+"${aws:username}"), ctxOf("aws:username", "*"), bucket + "alice", false},
		{"substituted star matches itself", res("2012-10-17", bucket+"${aws:username}"), ctxOf("aws:username", "*"), bucket + "*", true},
		{"multi-valued key not substituted", res("2012-10-17", bucket+"${aws:TagKeys}"), ctxOf("aws:TagKeys", []string{"a", "b"}), bucket + "a", false},
		{"unterminated stays literal", res("2012-10-17", bucket+"${aws:username"), bob, bucket + "${aws:username", true},
		{"cognito sub", res("2012-10-17", "arn:aws:s3:::bucket-name/cognito/application-name/${cognito-identity.amazonaws.com:sub}/*"), ctxOf("cognito-identity.amazonaws.com:sub", "us-east-1:1234"), "arn:aws:s3:::bucket-name/cognito/application-name/us-east-1:1234/f", true},
		{"two variables", res("2012-10-17", "arn:aws:s3:::${aws:PrincipalAccount}-data/${aws:userid}/*"), ctxOf("aws:PrincipalAccount", "111122223333", "aws:userid", "AIDAEXAMPLE"), "arn:aws:s3:::111122223333-data/AIDAEXAMPLE/x", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, Identity, tc.doc)
			got := p.Evaluate(&Request{Action: "s3:GetObject", Resource: tc.resource, Context: tc.ctx}).Decision == Allow
			if got != tc.want {
				t.Fatalf("got %v want %v", got, tc.want)
			}
		})
	}
}

// Variables in condition values (doc "Variables and tags": "Where you can use policy variables";
// "Policy variables with no value").
func TestVariablesInConditions(t *testing.T) {
	cases := []condCase{
		{"string equals variable", "", `{"StringEquals":{"ec2:ResourceTag/VolumeUser":"${aws:username}"}}`, ctxOf("ec2:ResourceTag/VolumeUser", "bob", "aws:username", "bob"), true, false},
		{"string equals variable differs", "", `{"StringEquals":{"ec2:ResourceTag/VolumeUser":"${aws:username}"}}`, ctxOf("ec2:ResourceTag/VolumeUser", "bob", "aws:username", "eve"), false, false},
		{"missing variable positive false", "", `{"StringEquals":{"k":"${aws:username}"}}`, ctxOf("k", "bob"), false, false},
		{"missing variable negated true", "", `{"StringNotEquals":{"k":"${aws:username}"}}`, ctxOf("k", "bob"), true, false},
		// Inverted operators match against the null value a variable without value stands for.
		{"missing variable not like true", "", `{"StringNotLike":{"k":"home/${aws:username}/*"}}`, ctxOf("k", "home/bob/x"), true, false},
		{"missing variable not equals ignore case true", "", `{"StringNotEqualsIgnoreCase":{"k":"${aws:username}"}}`, ctxOf("k", "bob"), true, false},
		{"missing variable arn not like true", "", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"}}`, ctxOf("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:t"), true, false},
		{"missing variable arn like false", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"}}`, ctxOf("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:t"), false, false},
		{"missing variable negated with a matching literal", "", `{"StringNotEquals":{"k":["${aws:username}","bob"]}}`, ctxOf("k", "bob"), false, false},
		{"missing variable with other value", "", `{"StringEquals":{"k":["${aws:username}","bob"]}}`, ctxOf("k", "bob"), true, false},
		{"like prefix with variable", "", `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}`, ctxOf("s3:prefix", "home/bob/docs", "aws:username", "bob"), true, false},
		{"like other user's prefix", "", `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/*"]}}`, ctxOf("s3:prefix", "home/eve/docs", "aws:username", "bob"), false, false},
		{"like value with star is literal", "", `{"StringLike":{"k":"${aws:username}"}}`, ctxOf("k", "anything", "aws:username", "*"), false, false},
		{"default in condition", "", `{"StringEquals":{"k":"${aws:PrincipalTag/team, 'none'}"}}`, ctxOf("k", "none"), true, false},
		{"2008 condition literal", "2008-10-17", `{"StringEquals":{"k":"${aws:username}"}}`, ctxOf("k", "${aws:username}", "aws:username", "bob"), true, false},
		// "You can not use a policy variable" with Numeric, Date, Binary and IP address operators
		// (doc "Condition operators"): the text stays literal and cannot be read as the type.
		{"numeric variable not substituted", "", `{"NumericLessThanEquals":{"k":"${aws:MultiFactorAuthAge}"}}`, ctxOf("k", "5", "aws:MultiFactorAuthAge", "10"), false, true},
		{"numeric variable not a number", "", `{"NumericEquals":{"k":"${aws:username}"}}`, ctxOf("k", "5", "aws:username", "bob"), false, true},
		{"date variable not substituted", "", `{"DateLessThan":{"aws:TokenIssueTime":"${aws:CurrentTime}"}}`, ctxOf("aws:CurrentTime", "2026-03-01T12:00:00Z", "aws:TokenIssueTime", "2026-03-01T11:00:00Z"), false, true},
		{"binary variable not substituted", "", `{"BinaryEquals":{"k":"${aws:PrincipalTag/blob}"}}`, ctxOf("k", "QUJD", "aws:PrincipalTag/blob", "QUJD"), false, true},
		{"bool variable", "", `{"Bool":{"aws:SecureTransport":"${aws:PrincipalTag/tls}"}}`, ctxOf("aws:SecureTransport", "true", "aws:PrincipalTag/tls", "true"), true, false},
		{"bool variable differs", "", `{"Bool":{"aws:SecureTransport":"${aws:PrincipalTag/tls}"}}`, ctxOf("aws:SecureTransport", "false", "aws:PrincipalTag/tls", "true"), false, false},
		{"arn variable", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"}}`, ctxOf("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:t", "aws:PrincipalAccount", "111122223333"), true, false},
		{"arn variable other account", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:${aws:PrincipalAccount}:*"}}`, ctxOf("aws:SourceArn", "arn:aws:sns:us-east-1:999999999999:t", "aws:PrincipalAccount", "111122223333"), false, false},
		{"ip variable not substituted", "", `{"IpAddress":{"aws:SourceIp":"${aws:PrincipalTag/cidr}"}}`, ctxOf("aws:SourceIp", "10.1.1.1", "aws:PrincipalTag/cidr", "10.0.0.0/8"), false, true},
		{"not ip variable not substituted", "", `{"NotIpAddress":{"aws:SourceIp":"${aws:PrincipalTag/cidr}"}}`, ctxOf("aws:SourceIp", "10.1.1.1", "aws:PrincipalTag/cidr", "192.0.2.0/24"), false, true},
		{"ignore case variable", "", `{"StringEqualsIgnoreCase":{"k":"${aws:username}"}}`, ctxOf("k", "BOB", "aws:username", "bob"), true, false},
	}
	runCondCases(t, cases)
}

// A pattern whose variable has no value "will not match any resource" (doc "Policy variables with
// no value"). Under NotResource that makes the statement apply to the request's resource, unless
// another listed pattern matches it: a Deny then denies and an Allow allows.
func TestNotResourceUnresolvedVariable(t *testing.T) {
	for _, eff := range []string{"Allow", "Deny"} {
		p := mustParse(t, Identity, identityDoc(`"Effect":"`+eff+`","Action":"s3:*","NotResource":"arn:aws:s3:::private/${aws:username}/*"`))
		r := p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::public/x"})
		if eff == "Allow" && r.Decision != Allow {
			t.Fatalf("Allow NotResource with missing variable did not apply: %v", r.Decision)
		}
		if eff == "Deny" && r.Decision != ExplicitDeny {
			t.Fatalf("Deny NotResource with missing variable did not apply: %v", r.Decision)
		}
		if !slices.Equal(r.MissingContextKeys, []string{"aws:username"}) {
			t.Fatalf("missing %v", r.MissingContextKeys)
		}
		// A literal pattern listed next to the unresolved one still excludes its resources.
		p = mustParse(t, Identity, identityDoc(`"Effect":"`+eff+`","Action":"s3:*","NotResource":["arn:aws:s3:::private/${aws:username}/*","arn:aws:s3:::public/*"]`))
		if r := p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::public/x"}); r.Decision != ImplicitDeny {
			t.Fatalf("%s NotResource: excluded literal resource still matched: %v", eff, r.Decision)
		}
	}
	// The same statement under Resource matches nothing.
	p := mustParse(t, Identity, identityDoc(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::private/${aws:username}/*"`))
	if r := p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::private/${aws:username}/x"}); r.Decision != ImplicitDeny {
		t.Fatalf("Resource with missing variable matched: %v", r.Decision)
	}
	// A Deny NotResource with an unresolved variable protects everything but what it excludes,
	// even from a caller whose identity policy allows *:*.
	star := mustParse(t, Identity, identityDoc(`"Effect":"Allow","Action":"*","Resource":"*"`))
	deny := mustParse(t, Identity, identityDoc(`"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:PrincipalTag/team}/*"`))
	out := Decide(&Input{Request: Request{Principal: userPrincipal("bob"), Action: "s3:GetObject", Resource: "arn:aws:s3:::home/ops/x"}, PrincipalAccount: acctA, Identity: []*Policy{star, deny}})
	if out.Decision != ExplicitDeny {
		t.Fatalf("*:* caller without the team tag: %v %q", out.Decision, out.Reason)
	}
	out = Decide(&Input{Request: Request{Principal: userPrincipal("bob"), Action: "s3:GetObject", Resource: "arn:aws:s3:::home/ops/x", Context: ctxOf("aws:PrincipalTag/team", "ops")}, PrincipalAccount: acctA, Identity: []*Policy{star, deny}})
	if out.Decision != Allow {
		t.Fatalf("*:* caller of the team: %v %q", out.Decision, out.Reason)
	}
	// With the variable present NotResource works normally.
	p = mustParse(t, Identity, identityDoc(`"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::private/${aws:username}/*"`))
	if p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::public/x", Context: ctxOf("aws:username", "bob")}).Decision != Allow {
		t.Fatal("NotResource with variable present")
	}
	if p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::private/bob/x", Context: ctxOf("aws:username", "bob")}).Decision != ImplicitDeny {
		t.Fatal("NotResource excluded resource allowed")
	}
}

// Unmatched "${" must not make parsing quadratic: IAM documents reach 131072 characters.
func TestParseTemplateLinear(t *testing.T) {
	hostile := strings.Repeat("${", 100000) + "}" + strings.Repeat("${x", 30000)
	start := time.Now()
	if tm := parseTemplate(hostile); tm != nil {
		t.Fatalf("found a variable in %d parts", len(tm))
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %v", d)
	}
	doc := identityDoc(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/` + strings.Repeat("${", 60000) + `}"`)
	start = time.Now()
	mustParse(t, Identity, doc)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Parse took %v", d)
	}
}

func TestParseTemplate(t *testing.T) {
	cases := []struct {
		in    string
		parts int
		keys  []string
	}{
		{"plain", 0, nil},
		{"${aws:username}", 1, []string{"aws:username"}},
		{"a/${aws:username}/b", 3, []string{"aws:username"}},
		{"${aws:PrincipalTag/team, 'company-wide'}", 1, []string{"aws:PrincipalTag/team"}},
		{"${ k , 'd,x' }", 1, []string{"k"}},
		{"${k, 'd}x'}", 0, nil}, // a default cannot contain "}"
		{"${*}${?}${$}", 3, nil},
		{"${}", 0, nil},
		{"${k, nodefaultquotes}", 0, nil},
		{"${a${b}", 2, []string{"b"}},
		{"$${k}", 2, []string{"k"}},
		{"${k", 0, nil},
	}
	for _, tc := range cases {
		tm := parseTemplate(tc.in)
		if len(tm) != tc.parts && !(tc.parts == 0 && tm == nil) {
			t.Errorf("%q: %d parts %+v", tc.in, len(tm), tm)
			continue
		}
		if got := tm.keys(nil); !slices.Equal(got, tc.keys) {
			t.Errorf("%q keys %v want %v", tc.in, got, tc.keys)
		}
	}
	tm := parseTemplate("${ k , 'd,x' }")
	s, _, ok := tm.resolveString(nil)
	if !ok || s != "d,x" {
		t.Fatalf("default %q %v", s, ok)
	}
}

package policy

import (
	"testing"
)

// condCase evaluates one Condition block in an Allow statement and in a Deny statement. want is the
// outcome for a definite condition; unknown marks conditions that cannot be evaluated, which must
// leave the Allow not applying and the Deny applying.
type condCase struct {
	name    string
	version string // "" = 2012-10-17
	cond    string
	ctx     *Context
	want    bool
	unknown bool
}

func runCondCases(t *testing.T, cases []condCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.version
			if v == "" {
				v = "2012-10-17"
			}
			for _, eff := range []string{"Allow", "Deny"} {
				doc := `{"Version":"` + v + `","Statement":{"Effect":"` + eff + `","Action":"s3:GetObject","Resource":"*","Condition":` + tc.cond + `}}`
				p := mustParse(t, Identity, doc)
				r := p.Evaluate(&Request{Principal: userPrincipal("bob"), Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: tc.ctx})
				var applied bool
				if eff == "Allow" {
					applied = r.Decision == Allow
				} else {
					applied = r.Decision == ExplicitDeny
				}
				want := tc.want
				if tc.unknown {
					want = eff == "Deny"
				}
				if applied != want {
					t.Fatalf("%s statement: applied=%v want %v\ncondition %s", eff, applied, want, tc.cond)
				}
			}
		})
	}
}

// String condition operators (doc "IAM JSON policy elements: Condition operators", String).
func TestConditionString(t *testing.T) {
	tag := ctxOf("aws:PrincipalTag/job-category", "iamuser-admin")
	cases := []condCase{
		{"equals match", "", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, tag, true, false},
		{"equals no match", "", `{"StringEquals":{"aws:PrincipalTag/job-category":"other"}}`, tag, false, false},
		{"equals case sensitive", "", `{"StringEquals":{"aws:PrincipalTag/job-category":"IAMUSER-ADMIN"}}`, tag, false, false},
		{"key name case insensitive", "", `{"StringEquals":{"AWS:PRINCIPALTAG/JOB-CATEGORY":"iamuser-admin"}}`, tag, true, false},
		{"equals any of values", "", `{"StringEquals":{"aws:PrincipalTag/job-category":["x","iamuser-admin"]}}`, tag, true, false},
		{"equals missing key", "", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, NewContext(), false, false},
		{"equals nil context", "", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, nil, false, false},
		{"equals empty value list", "", `{"StringEquals":{"aws:PrincipalTag/job-category":[]}}`, tag, false, false},
		{"not equals differs", "", `{"StringNotEquals":{"aws:PrincipalTag/job-category":"other"}}`, tag, true, false},
		{"not equals same", "", `{"StringNotEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, tag, false, false},
		{"not equals several none equal", "", `{"StringNotEquals":{"aws:PrincipalTag/job-category":["a","b"]}}`, tag, true, false},
		{"not equals several one equal", "", `{"StringNotEquals":{"aws:PrincipalTag/job-category":["a","iamuser-admin"]}}`, tag, false, false},
		{"not equals missing key", "", `{"StringNotEquals":{"aws:PrincipalTag/job-category":"x"}}`, NewContext(), true, false},
		{"equals ignore case", "", `{"StringEqualsIgnoreCase":{"aws:PrincipalTag/job-category":"IAMUser-Admin"}}`, tag, true, false},
		{"equals ignore case no match", "", `{"StringEqualsIgnoreCase":{"aws:PrincipalTag/job-category":"IAMUser"}}`, tag, false, false},
		{"not equals ignore case same", "", `{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/job-category":"IAMUSER-ADMIN"}}`, tag, false, false},
		{"not equals ignore case differs", "", `{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/job-category":"x"}}`, tag, true, false},
		{"not equals ignore case missing", "", `{"StringNotEqualsIgnoreCase":{"aws:PrincipalTag/job-category":"x"}}`, nil, true, false},
		{"like star", "", `{"StringLike":{"s3:prefix":"home/*"}}`, ctxOf("s3:prefix", "home/bob/x"), true, false},
		{"like star empty suffix", "", `{"StringLike":{"s3:prefix":"home/*"}}`, ctxOf("s3:prefix", "home/"), true, false},
		{"like star no match", "", `{"StringLike":{"s3:prefix":"home/*"}}`, ctxOf("s3:prefix", "other/home/"), false, false},
		{"like question", "", `{"StringLike":{"s3:prefix":"a?c"}}`, ctxOf("s3:prefix", "abc"), true, false},
		{"like question needs one char", "", `{"StringLike":{"s3:prefix":"a?c"}}`, ctxOf("s3:prefix", "ac"), false, false},
		{"like question one character not byte", "", `{"StringLike":{"s3:prefix":"a?c"}}`, ctxOf("s3:prefix", "aéc"), true, false},
		{"like case sensitive", "", `{"StringLike":{"s3:prefix":"Home/*"}}`, ctxOf("s3:prefix", "home/x"), false, false},
		{"like stars anywhere", "", `{"StringLike":{"k":"*a*b*"}}`, ctxOf("k", "xxaxxbxx"), true, false},
		{"like empty string value", "", `{"StringLike":{"s3:prefix":["","home/"]}}`, ctxOf("s3:prefix", ""), true, false},
		{"like crosses colons", "", `{"StringLike":{"k":"repo:org/*"}}`, ctxOf("k", "repo:org/x:ref:refs/heads/main"), true, false},
		{"not like matches", "", `{"StringNotLike":{"k":"a*"}}`, ctxOf("k", "abc"), false, false},
		{"not like no match", "", `{"StringNotLike":{"k":"a*"}}`, ctxOf("k", "xbc"), true, false},
		{"not like several", "", `{"StringNotLike":{"k":["x*","a*"]}}`, ctxOf("k", "abc"), false, false},
		{"not like missing", "", `{"StringNotLike":{"k":"a*"}}`, nil, true, false},
		{"number value as string", "", `{"StringEquals":{"k":10}}`, ctxOf("k", "10"), true, false},
		{"bool value as string", "", `{"StringEquals":{"k":true}}`, ctxOf("k", "true"), true, false},
		{"keys are ANDed", "", `{"StringEquals":{"a":"1","b":"2"}}`, ctxOf("a", "1", "b", "3"), false, false},
		{"keys are ANDed all true", "", `{"StringEquals":{"a":"1","b":"2"}}`, ctxOf("a", "1", "b", "2"), true, false},
		{"operators are ANDed", "", `{"StringEquals":{"a":"1"},"StringLike":{"b":"x*"}}`, ctxOf("a", "1", "b", "y"), false, false},
	}
	runCondCases(t, cases)
}

// Numeric condition operators (doc "Condition operators", Numeric).
func TestConditionNumeric(t *testing.T) {
	keys := ctxOf("s3:max-keys", "10")
	cases := []condCase{
		{"equals", "", `{"NumericEquals":{"s3:max-keys":"10"}}`, keys, true, false},
		{"equals json number", "", `{"NumericEquals":{"s3:max-keys":10}}`, keys, true, false},
		{"equals decimal form", "", `{"NumericEquals":{"s3:max-keys":"10.000"}}`, keys, true, false},
		{"equals leading zeros", "", `{"NumericEquals":{"s3:max-keys":"0010"}}`, keys, true, false},
		{"equals differs", "", `{"NumericEquals":{"s3:max-keys":"11"}}`, keys, false, false},
		{"not equals", "", `{"NumericNotEquals":{"s3:max-keys":"11"}}`, keys, true, false},
		{"not equals same", "", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, keys, false, false},
		{"not equals missing", "", `{"NumericNotEquals":{"s3:max-keys":"10"}}`, nil, true, false},
		{"less than", "", `{"NumericLessThan":{"s3:max-keys":"11"}}`, keys, true, false},
		{"less than equal boundary", "", `{"NumericLessThan":{"s3:max-keys":"10"}}`, keys, false, false},
		{"less than equals", "", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, keys, true, false},
		{"less than equals below", "", `{"NumericLessThanEquals":{"s3:max-keys":"9"}}`, keys, false, false},
		{"greater than", "", `{"NumericGreaterThan":{"s3:max-keys":"9.5"}}`, keys, true, false},
		{"greater than equal boundary", "", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`, keys, false, false},
		{"greater than equals", "", `{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}`, keys, true, false},
		{"negative numbers", "", `{"NumericLessThan":{"k":"-1"}}`, ctxOf("k", "-2"), true, false},
		{"negative versus positive", "", `{"NumericGreaterThan":{"k":"-5"}}`, ctxOf("k", "3"), true, false},
		{"negative zero equals zero", "", `{"NumericEquals":{"k":"-0"}}`, ctxOf("k", "0"), true, false},
		{"fractions", "", `{"NumericLessThan":{"k":"0.25"}}`, ctxOf("k", "0.125"), true, false},
		{"exact beyond float64", "", `{"NumericEquals":{"k":"9007199254740993"}}`, ctxOf("k", "9007199254740992"), false, false},
		{"big integers ordered", "", `{"NumericGreaterThan":{"k":"99999999999999999999"}}`, ctxOf("k", "100000000000000000000"), true, false},
		{"missing key positive", "", `{"NumericLessThan":{"k":"5"}}`, nil, false, false},
		{"request value not a number", "", `{"NumericLessThan":{"k":"5"}}`, ctxOf("k", "five"), false, true},
		{"policy value not a number", "", `{"NumericEquals":{"k":"abc"}}`, ctxOf("k", "1"), false, true},
		{"exponent refused", "", `{"NumericEquals":{"k":"1e3"}}`, ctxOf("k", "1000"), false, true},
		{"nan refused", "", `{"NumericNotEquals":{"k":"NaN"}}`, ctxOf("k", "1"), false, true},
		{"one good value matches despite a bad one", "", `{"NumericEquals":{"k":["abc","1"]}}`, ctxOf("k", "1"), true, false},
	}
	runCondCases(t, cases)
}

// Date condition operators (doc "Condition operators", Date; keys aws:CurrentTime, aws:EpochTime,
// aws:TokenIssueTime).
func TestConditionDate(t *testing.T) {
	now := ctxOf("aws:CurrentTime", "2026-03-01T12:00:00Z", "aws:EpochTime", "1772366400")
	cases := []condCase{
		{"greater than iso", "", `{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, now, true, false},
		{"less than iso", "", `{"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, now, false, false},
		{"date only", "", `{"DateGreaterThan":{"aws:CurrentTime":"2026-03-01"}}`, now, true, false},
		{"window", "", `{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2026-12-31T23:59:59Z"}}`, now, true, false},
		{"equals same instant other zone", "", `{"DateEquals":{"aws:CurrentTime":"2026-03-01T13:00:00+01:00"}}`, now, true, false},
		{"equals negative zone", "", `{"DateEquals":{"aws:CurrentTime":"2026-03-01T07:30:00-04:30"}}`, now, true, false},
		{"equals fraction", "", `{"DateEquals":{"aws:CurrentTime":"2026-03-01T12:00:00.000Z"}}`, now, true, false},
		{"not equals", "", `{"DateNotEquals":{"aws:CurrentTime":"2026-03-01T12:00:01Z"}}`, now, true, false},
		{"not equals same", "", `{"DateNotEquals":{"aws:CurrentTime":"2026-03-01T12:00:00Z"}}`, now, false, false},
		{"epoch policy vs iso request", "", `{"DateEquals":{"aws:CurrentTime":"1772366400"}}`, now, true, false},
		{"epoch json number", "", `{"DateGreaterThanEquals":{"aws:EpochTime":1772366400}}`, now, true, false},
		{"iso policy vs epoch request", "", `{"DateLessThanEquals":{"aws:EpochTime":"2026-03-01T12:00:00Z"}}`, now, true, false},
		{"less than equals", "", `{"DateLessThanEquals":{"aws:CurrentTime":"2026-03-01T12:00:00Z"}}`, now, true, false},
		{"greater than equals later", "", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2026-03-01T12:00:01Z"}}`, now, false, false},
		{"token issue time missing", "", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, now, false, false},
		{"not equals missing", "", `{"DateNotEquals":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, now, true, false},
		{"request not a date", "", `{"DateLessThan":{"aws:CurrentTime":"2026-01-01"}}`, ctxOf("aws:CurrentTime", "yesterday"), false, true},
		{"minute precision zone", "", `{"DateEquals":{"aws:CurrentTime":"2026-03-01T12:00Z"}}`, now, true, false},
		{"date variable stays literal", "", `{"DateLessThan":{"aws:TokenIssueTime":"${aws:CurrentTime}"}}`, ctxOf("aws:CurrentTime", "2026-03-01T12:00:00Z", "aws:TokenIssueTime", "2026-03-01T11:00:00Z"), false, true},
	}
	runCondCases(t, cases)
}

// Bool, BinaryEquals, IpAddress (doc "Condition operators": Boolean, Binary, IP address).
func TestConditionBoolBinaryIP(t *testing.T) {
	tls := ctxOf("aws:SecureTransport", "true")
	ip := ctxOf("aws:SourceIp", "203.0.113.7")
	ip6 := ctxOf("aws:SourceIp", "2001:db8:1234:5678::1")
	cases := []condCase{
		{"bool true", "", `{"Bool":{"aws:SecureTransport":"true"}}`, tls, true, false},
		{"bool json true", "", `{"Bool":{"aws:SecureTransport":true}}`, tls, true, false},
		{"bool false", "", `{"Bool":{"aws:SecureTransport":"false"}}`, tls, false, false},
		{"bool case folded", "", `{"Bool":{"aws:SecureTransport":"TRUE"}}`, tls, true, false},
		{"bool missing", "", `{"Bool":{"aws:SecureTransport":"false"}}`, nil, false, false},
		{"bool if exists missing", "", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, nil, true, false},
		{"bool if exists present false", "", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, ctxOf("aws:MultiFactorAuthPresent", "false"), true, false},
		{"bool if exists present true", "", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, ctxOf("aws:MultiFactorAuthPresent", "true"), false, false},
		{"bool request garbage", "", `{"Bool":{"aws:SecureTransport":"true"}}`, ctxOf("aws:SecureTransport", "yes"), false, true},
		{"bool policy garbage", "", `{"Bool":{"aws:SecureTransport":"yes"}}`, tls, false, true},
		{"binary equal", "", `{"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctxOf("key", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="), true, false},
		{"binary equal unpadded request", "", `{"BinaryEquals":{"key":"QQ=="}}`, ctxOf("key", "QQ"), true, false},
		{"binary differs", "", `{"BinaryEquals":{"key":"QQ=="}}`, ctxOf("key", "Qg=="), false, false},
		{"binary policy not base64", "", `{"BinaryEquals":{"key":"!!"}}`, ctxOf("key", "QQ=="), false, true},
		{"ip in cidr", "", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ip, true, false},
		{"ip outside cidr", "", `{"IpAddress":{"aws:SourceIp":"198.51.100.0/24"}}`, ip, false, false},
		{"ip bare address", "", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, ip, true, false},
		{"ip bare other", "", `{"IpAddress":{"aws:SourceIp":"203.0.113.8"}}`, ip, false, false},
		{"ip list", "", `{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}`, ip, true, false},
		{"ip unmasked cidr", "", `{"IpAddress":{"aws:SourceIp":"203.0.113.99/24"}}`, ip, true, false},
		{"ipv6 cidr", "", `{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}`, ip6, true, false},
		{"ipv6 outside", "", `{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5679::/64"}}`, ip6, false, false},
		{"ipv4 policy ipv6 request", "", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, ip6, false, false},
		{"mapped ipv4 request", "", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxOf("aws:SourceIp", "::ffff:10.1.2.3"), false, false},
		{"not ip outside", "", `{"NotIpAddress":{"aws:SourceIp":"198.51.100.0/24"}}`, ip, true, false},
		{"not ip inside", "", `{"NotIpAddress":{"aws:SourceIp":["198.51.100.0/24","203.0.113.0/24"]}}`, ip, false, false},
		{"not ip missing", "", `{"NotIpAddress":{"aws:SourceIp":"198.51.100.0/24"}}`, nil, true, false},
		{"ip missing", "", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, nil, false, false},
		{"ip request garbage", "", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, ctxOf("aws:SourceIp", "localhost"), false, true},
		{"not ip request garbage", "", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxOf("aws:SourceIp", "localhost"), false, true},
		{"ip policy garbage", "", `{"IpAddress":{"aws:SourceIp":"not-an-ip"}}`, ip, false, true},
		{"not ip policy bad cidr", "", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/33"}}`, ip, false, true},
	}
	runCondCases(t, cases)
}

// ARN condition operators (doc "Condition operators", Amazon Resource Name).
func TestConditionArn(t *testing.T) {
	src := ctxOf("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:my-topic")
	cases := []condCase{
		{"equals exact", "", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:my-topic"}}`, src, true, false},
		{"equals wildcard like like", "", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}}`, src, true, false},
		{"like region wildcard", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:my-*"}}`, src, true, false},
		{"like other account", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:999999999999:*"}}`, src, false, false},
		{"like case sensitive", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:My-*"}}`, src, false, false},
		{"star does not span parts", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:my-topic"}}`, src, false, true},
		{"star within part only", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:*:123456789012:my-topic:*"}}`, src, false, false},
		{"question mark", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-?:123456789012:my-topic"}}`, src, true, false},
		{"resource part keeps colons", "", `{"ArnLike":{"k":"arn:aws:logs:us-east-1:123456789012:log-group:*"}}`, ctxOf("k", "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s"), true, false},
		{"not equals different", "", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:other"}}`, src, true, false},
		{"not like matching", "", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, src, false, false},
		{"not like missing", "", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, nil, true, false},
		{"like missing", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, nil, false, false},
		{"request not an arn", "", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, ctxOf("aws:SourceArn", "my-topic"), false, true},
		{"not like request not an arn", "", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, ctxOf("aws:SourceArn", "my-topic"), false, true},
		// Minimal evaluation case 7 (see TestMinimalList).
		{"principal arn dev role", "", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/dev-*"}}`, ctxOf("aws:PrincipalArn", "arn:aws:iam::123456789012:role/dev-builder"), true, false},
		{"principal arn prod role", "", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/dev-*"}}`, ctxOf("aws:PrincipalArn", "arn:aws:iam::123456789012:role/prod-builder"), false, false},
	}
	runCondCases(t, cases)
}

// IfExists and Null (doc "Condition operators": "...IfExists condition operators", "Condition
// operator to check existence of condition keys").
func TestConditionIfExistsNull(t *testing.T) {
	t2 := ctxOf("ec2:InstanceType", "t2.micro")
	r5 := ctxOf("ec2:InstanceType", "r5.large")
	cases := []condCase{
		{"like if exists present match", "", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`, t2, true, false},
		{"like if exists present no match", "", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`, r5, false, false},
		{"like if exists absent", "", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*"]}}`, nil, true, false},
		{"not equals if exists absent", "", `{"StringNotEqualsIfExists":{"aws:PrincipalTag/team":"x"}}`, nil, true, false},
		{"not equals if exists present same", "", `{"StringNotEqualsIfExists":{"aws:PrincipalTag/team":"x"}}`, ctxOf("aws:PrincipalTag/team", "x"), false, false},
		{"numeric if exists absent", "", `{"NumericLessThanIfExists":{"k":"1"}}`, nil, true, false},
		{"ip if exists absent", "", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, nil, true, false},
		{"ip if exists present outside", "", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, ctxOf("aws:SourceIp", "11.0.0.1"), false, false},
		{"arn if exists absent", "", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, nil, true, false},
		{"date if exists absent", "", `{"DateLessThanIfExists":{"aws:TokenIssueTime":"2020-01-01"}}`, nil, true, false},
		{"if exists absent ignores bad value", "", `{"NumericLessThanIfExists":{"k":"abc"}}`, nil, true, false},
		{"null true absent", "", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true, false},
		{"null true present", "", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctxOf("aws:TokenIssueTime", "2026-01-01T00:00:00Z"), false, false},
		{"null false present", "", `{"Null":{"aws:TokenIssueTime":"false"}}`, ctxOf("aws:TokenIssueTime", "2026-01-01T00:00:00Z"), true, false},
		// Minimal evaluation case 3 (see TestMinimalList).
		{"null false absent", "", `{"Null":{"sts:ExternalId":"false"}}`, nil, false, false},
		{"null json bool", "", `{"Null":{"sts:ExternalId":false}}`, ctxOf("sts:ExternalId", "abc"), true, false},
		{"null both values", "", `{"Null":{"k":["true","false"]}}`, nil, true, false},
		{"null garbage", "", `{"Null":{"k":"maybe"}}`, nil, false, true},
		{"null no variables", "", `{"Null":{"k":"${aws:username}"}}`, ctxOf("aws:username", "true"), false, true},
		{"null multi-valued present", "", `{"Null":{"aws:TagKeys":"false"}}`, ctxOf("aws:TagKeys", []string{"a", "b"}), true, false},
		{"null with qualifier", "", `{"ForAnyValue:Null":{"k":"true"}}`, nil, true, false},
	}
	runCondCases(t, cases)
}

// Set operators (doc "Single-valued vs. multivalued context keys", "Condition operators: set").
func TestConditionSets(t *testing.T) {
	tags := ctxOf("aws:TagKeys", []string{"environment", "cost-center"})
	amr := ctxOf("cognito-identity.amazonaws.com:amr", []string{"authenticated", "cognito-idp.us-east-1.amazonaws.com/pool", "cognito-idp.us-east-1.amazonaws.com/pool:CognitoSignIn:sub"})
	cases := []condCase{
		{"all values subset", "", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center","owner"]}}`, tags, true, false},
		{"all values not subset", "", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment"]}}`, tags, false, false},
		{"all values absent vacuous", "", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment"]}}`, nil, true, false},
		{"all values absent with null guard", "", `{"ForAllValues:StringEquals":{"aws:TagKeys":["environment"]},"Null":{"aws:TagKeys":"false"}}`, nil, false, false},
		{"any value one matches", "", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","x"]}}`, tags, true, false},
		{"any value none match", "", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["x","y"]}}`, tags, false, false},
		{"any value absent", "", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["environment"]}}`, nil, false, false},
		// Minimal evaluation case 1 (see TestMinimalList).
		{"all values like amr absent", "", `{"ForAllValues:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`, nil, true, false},
		{"any value like amr absent", "", `{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`, nil, false, false},
		{"any value like amr authenticated", "", `{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`, amr, true, false},
		{"any value like amr unauthenticated", "", `{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`, ctxOf("cognito-identity.amazonaws.com:amr", "unauthenticated"), false, false},
		{"all values like several", "", `{"ForAllValues:StringLike":{"cognito-identity.amazonaws.com:amr":["authenticated","cognito-idp.*"]}}`, amr, true, false},
		{"all values not equals", "", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["owner"]}}`, tags, true, false},
		{"all values not equals one hit", "", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["environment"]}}`, tags, false, false},
		{"all values not equals absent", "", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["environment"]}}`, nil, true, false},
		{"any value not equals", "", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["environment"]}}`, tags, true, false},
		{"any value not equals all hit", "", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["environment","cost-center"]}}`, tags, false, false},
		{"any value not equals absent", "", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["environment"]}}`, nil, false, false},
		// The set qualifier decides before IfExists (doc "Multivalued context keys"): an absent
		// or empty key never satisfies ForAnyValue, with or without IfExists.
		{"any value if exists absent", "", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["environment"]}}`, nil, false, false},
		{"any value if exists empty", "", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["environment"]}}`, ctxOf("aws:TagKeys", []string{}), false, false},
		{"any value like if exists absent", "", `{"ForAnyValue:StringLikeIfExists":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`, nil, false, false},
		{"any value not equals if exists absent", "", `{"ForAnyValue:StringNotEqualsIfExists":{"aws:TagKeys":["environment"]}}`, nil, false, false},
		{"any value if exists present applies base", "", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["environment"]}}`, tags, true, false},
		{"any value if exists present no hit", "", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["owner"]}}`, tags, false, false},
		{"all values if exists absent", "", `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["environment"]}}`, nil, true, false},
		{"all values if exists present applies base", "", `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["environment"]}}`, tags, false, false},
		{"all values not like if exists absent", "", `{"ForAllValues:StringNotLikeIfExists":{"aws:TagKeys":["env*"]}}`, nil, true, false},
		{"all values ignore case", "", `{"ForAllValues:StringEqualsIgnoreCase":{"aws:TagKeys":["ENVIRONMENT","Cost-Center"]}}`, tags, true, false},
		{"any value numeric", "", `{"ForAnyValue:NumericGreaterThan":{"k":"5"}}`, ctxOf("k", []string{"1", "7"}), true, false},
		{"all values numeric", "", `{"ForAllValues:NumericGreaterThan":{"k":"5"}}`, ctxOf("k", []string{"1", "7"}), false, false},
		{"all values with a bad request value", "", `{"ForAllValues:NumericGreaterThan":{"k":"5"}}`, ctxOf("k", []string{"6", "x"}), false, true},
		{"any value with a bad request value and a hit", "", `{"ForAnyValue:NumericGreaterThan":{"k":"5"}}`, ctxOf("k", []string{"6", "x"}), true, false},
		{"any value ip", "", `{"ForAnyValue:IpAddress":{"k":"10.0.0.0/8"}}`, ctxOf("k", []string{"192.0.2.1", "10.9.9.9"}), true, false},
		{"all values arn", "", `{"ForAllValues:ArnLike":{"k":"arn:aws:iam::*:role/*"}}`, ctxOf("k", []string{"arn:aws:iam::1:role/a", "arn:aws:iam::2:role/b"}), true, false},
		{"plain op on multi-valued key any", "", `{"StringEquals":{"aws:TagKeys":"environment"}}`, tags, true, false},
		{"plain negated op on multi-valued key", "", `{"StringNotEquals":{"aws:TagKeys":"environment"}}`, tags, false, false},
		{"plain negated op on multi-valued key none", "", `{"StringNotEquals":{"aws:TagKeys":"owner"}}`, tags, true, false},
	}
	runCondCases(t, cases)
}

// Unknown operators and unreadable values fail closed.
func TestFailClosed(t *testing.T) {
	cases := []condCase{
		{"unknown operator with empty block", "", `{"StringEqualsFoo":{}}`, nil, false, true},
		{"unknown and false is false", "", `{"StringEqualsFoo":{},"StringEquals":{"k":"v"}}`, ctxOf("k", "other"), false, false},
		{"unknown and true is unknown", "", `{"StringEqualsFoo":{},"StringEquals":{"k":"v"}}`, ctxOf("k", "v"), false, true},
		{"bad value in negated operator", "", `{"NumericNotEquals":{"k":"x"}}`, ctxOf("k", "1"), false, true},
		{"bad date request", "", `{"DateNotEquals":{"aws:CurrentTime":"2020-01-01"}}`, ctxOf("aws:CurrentTime", "now"), false, true},
		{"empty known operator is vacuous", "", `{"StringEquals":{}}`, nil, true, false},
	}
	runCondCases(t, cases)

	// A condition block copied from a document IAM would refuse never reaches evaluation.
	if _, err := Parse("p", identityDoc(`"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsFoo":{"k":"v"}}`), Identity); err == nil {
		t.Fatal("unknown operator with keys accepted")
	}
}

func TestParseOperator(t *testing.T) {
	cases := []struct {
		name     string
		fam      family
		negated  bool
		q        qualifier
		ifExists bool
		ok       bool
	}{
		{"StringEquals", famString, false, qualNone, false, true},
		{"ForAnyValue:StringNotLikeIfExists", famStringLike, true, qualAny, true, true},
		{"ForAllValues:ArnNotEquals", famArn, true, qualAll, false, true},
		{"NotIpAddressIfExists", famIP, true, qualNone, true, true},
		{"BinaryEqualsIfExists", famBinary, false, qualNone, true, true},
		{"Null", famNull, false, qualNone, false, true},
		{"NullIfExists", 0, false, 0, false, false},
		{"ForAnyValue:ForAllValues:StringEquals", 0, false, 0, false, false},
		{"StringEqualsIfExistsIfExists", 0, false, 0, false, false},
		{"forallvalues:StringEquals", 0, false, 0, false, false},
		{"", 0, false, 0, false, false},
	}
	for _, tc := range cases {
		info, q, ie, ok := parseOperator(tc.name)
		if ok != tc.ok {
			t.Errorf("%q ok=%v", tc.name, ok)
			continue
		}
		if ok && (info.fam != tc.fam || info.negated != tc.negated || q != tc.q || ie != tc.ifExists) {
			t.Errorf("%q = %+v %v %v", tc.name, info, q, ie)
		}
	}
}

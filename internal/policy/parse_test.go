package policy

import (
	"errors"
	"strings"
	"testing"
)

const okRes = `"Resource":"arn:aws:s3:::example_bucket"`

type parseCase struct {
	name string
	kind Kind
	doc  string
	want string // "" = accepted
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p", tc.doc, tc.kind)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want accepted, got %q\n%s", err, tc.doc)
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("want %q, got %v\n%s", tc.want, err, tc.doc)
			}
			if pe.Message != tc.want {
				t.Fatalf("message\n got %q\nwant %q\n%s", pe.Message, tc.want, tc.doc)
			}
		})
	}
}

// Grammar errors for identity and managed policies. Cases and messages follow moto's IAM policy
// validation suite (recorded against AWS) and the grammar of "Grammar of the IAM JSON policy
// language".
func TestParseGrammarIdentity(t *testing.T) {
	I, M := Identity, Managed
	cases := []parseCase{
		{"not json", I, `This is not a json document`, msgSyntax},
		{"empty document", I, ``, msgSyntax},
		{"top level array", I, `[]`, msgSyntax},
		{"top level string", I, `"x"`, msgSyntax},
		{"trailing garbage", I, identityDoc(`"Effect":"Allow","Action":"s3:ListBucket",`+okRes) + `x`, msgSyntax},
		{"trailing comma", I, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `,}}`, msgSyntax},
		{"managed no version", M, `{"Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `}}`, msgVersionTooOld},
		{"managed 2008 version", M, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `}}`, msgVersionTooOld},
		{"inline no version accepted", I, `{"Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `}}`, ""},
		{"inline 2008 version accepted", I, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `}}`, ""},
		{"unknown version", I, `{"Version":"2013-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `}}`, msgSyntax},
		{"version not string", I, `{"Version":20121017,"Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `}}`, msgSyntax},
		{"no statement", I, `{"Version":"2012-10-17"}`, msgSyntax},
		{"statement of strings", I, `{"Version":"2012-10-17","Statement":["afd"]}`, msgSyntax},
		{"empty statement list", I, `{"Version":"2012-10-17","Statement":[]}`, msgSyntax},
		{"statement string", I, `{"Version":"2012-10-17","Statement":"x"}`, msgSyntax},
		{"extra top field", I, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `},"Extra field":"value"}`, msgSyntax},
		{"extra statement field", I, identityDoc(`"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `,"Extra field":"value"`), msgSyntax},
		{"id list", I, `{"Version":"2012-10-17","Id":["cd3a"],"Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `}}`, msgSyntax},
		{"id object", I, `{"Version":"2012-10-17","Id":{},"Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `}}`, msgSyntax},
		{"id string accepted", I, `{"Version":"2012-10-17","Id":"sdfsdfsdf","Statement":{"Effect":"Allow","NotAction":"s3:ListBucket",` + okRes + `}}`, ""},
		{"invalid effect", I, identityDoc(`"Effect":"invalid","Action":"s3:ListBucket",` + okRes), msgSyntax},
		{"missing effect", I, identityDoc(`"Action":"s3:ListBucket",` + okRes), msgSyntax},
		{"effect not string", I, identityDoc(`"Effect":true,"Action":"s3:ListBucket",` + okRes), msgSyntax},
		{"effect wrong case", I, identityDoc(`"Effect":"denY","Action":"s3:ListBucket",` + okRes), msgLegacy},
		{"effect lower case", I, identityDoc(`"Effect":"allow","Action":"s3:ListBucket",` + okRes), msgLegacy},
		{"action not vendored", I, identityDoc(`"Effect":"Allow","Action":"invalid",` + okRes), msgActionVendor},
		{"empty notaction", I, identityDoc(`"Effect":"Allow","NotAction":"",` + okRes), msgActionVendor},
		{"vendor with space", I, identityDoc(`"Effect":"Allow","Action":"a a:ListBucket",` + okRes), "Vendor a a is not valid"},
		{"two colons", I, identityDoc(`"Effect":"Allow","Action":"s3:List:Bucket",` + okRes), msgActionColon},
		{"two colons second statement", I, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3s:ListBucket",` + okRes + `},{"Effect":"Allow","Action":"s:3s:ListBucket",` + okRes + `}]}`, msgActionColon},
		{"action object", I, identityDoc(`"Effect":"Allow","Action":{},` + okRes), msgSyntax},
		{"action nested list", I, identityDoc(`"Effect":"Deny","Action":[[]],` + okRes), msgSyntax},
		{"action number", I, identityDoc(`"Effect":"Allow","Action":5,` + okRes), msgSyntax},
		{"action and notaction", I, identityDoc(`"Effect":"Allow","NotAction":"s3:ListBucket","Action":"iam:dsf",` + okRes), msgSyntax},
		{"resource and notresource", I, identityDoc(`"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `,"NotResource":"*"`), msgSyntax},
		{"resource object", I, identityDoc(`"Effect":"Allow","Action":"s3:ListBucket","Resource":{"a":"arn:aws:s3:::example_bucket"}`), msgSyntax},
		{"resource list with object", I, identityDoc(`"Effect":"Deny","Action":"s3:ListBucket","Resource":["adfdf",{}]`), msgSyntax},
		{"no actions", I, identityDoc(`"Effect":"Allow",` + okRes), msgNoActions},
		{"empty action list", I, identityDoc(`"Effect":"Allow","Action":[],` + okRes), msgNoActions},
		{"effect only", I, identityDoc(`"Effect":"Allow"`), msgNoActions},
		{"first statement lacks actions", I, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny"},{"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `}]}`, msgNoActions},
		{"no resources", I, identityDoc(`"Effect":"Allow","Action":"s3:ListBucket"`), msgNoResources},
		{"empty resource list", I, identityDoc(`"Effect":"Allow","Action":"s3:ListBucket","Resource":[]`), msgNoResources},
		{"no resource but bad action", I, identityDoc(`"Effect":"Allow","Action":"invalid"`), msgNoResources},
		{"sid object", I, identityDoc(`"Sid":{},"Effect":"Allow","Action":"s3:ListBucket",` + okRes), msgSyntax},
		{"sid list", I, identityDoc(`"Sid":[],"Effect":"Allow","Action":"s3:ListBucket",` + okRes), msgSyntax},
		{"duplicate sid", I, `{"Version":"2012-10-17","Statement":[{"Sid":"sdf","Effect":"Allow","Action":"s3:ListBucket",` + okRes + `},{"Sid":"sdf","Effect":"Allow"}]}`, msgSidUnique},
		{"duplicate sid managed without version", M, `{"Statement":[{"Sid":"sdf","Effect":"Allow","Action":"s3:ListBucket",` + okRes + `},{"Sid":"sdf","Effect":"Allow"}]}`, msgVersionTooOld},
		{"duplicate sid after legacy error", I, `{"Version":"2012-10-17","Statement":[{"Sid":"sdf","Effect":"aLLow","Action":"s3:ListBucket",` + okRes + `},{"Sid":"sdf","Effect":"Allow"}]}`, msgLegacy},
		{"empty sids may repeat", I, `{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"s3:ListBucket",` + okRes + `},{"Sid":"","Effect":"Allow","Action":"s3:ListBucket",` + okRes + `}]}`, ""},
		{"managed sid not alphanumeric", M, identityDoc(`"Sid":"autogenerated-id","Effect":"Allow","Action":"s3:ListBucket",` + okRes), msgSidAlnum},
		{"inline sid with dash accepted", I, identityDoc(`"Sid":"autogenerated-id","Effect":"Allow","Action":"s3:ListBucket",` + okRes), ""},
		{"duplicate json key", I, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Effect":"Deny","Action":"s3:ListBucket",` + okRes + `}}`, msgSyntax},
		{"duplicate top key", I, `{"Version":"2012-10-17","Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `}}`, msgSyntax},
		{"duplicate condition key", I, identityDoc(`"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `,"Condition":{"StringEquals":{"a:b":"1","a:b":"2"}}`), msgSyntax},
		{"principal in identity", I, identityDoc(`"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket",` + okRes), msgNoPrincipalWanted},
		{"notprincipal in managed", M, identityDoc(`"Effect":"Allow","NotPrincipal":{"AWS":"123456789012"},"Action":"s3:ListBucket",` + okRes), msgNoPrincipalWanted},
		{"control character in string", I, "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:List\x01\",\"Resource\":\"*\"}}", msgSyntax},
		{"invalid utf8", I, "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:List\xff\",\"Resource\":\"*\"}}", msgSyntax},
		{"lone surrogate", I, identityDoc(`"Effect":"Allow","Action":"s3:\ud800",` + okRes), msgSyntax},
		{"escaped action accepted", I, identityDoc(`"Effect":"Allow","Action":"s3:\u004cist\/x",` + okRes), ""},
		{"deeply nested", I, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `,"Condition":{"StringEquals":{"k":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}}}}`, msgSyntax},
	}
	runParseCases(t, cases)
}

// Resource formats (moto suite; doc "IAM JSON policy elements: Resource").
func TestParseResourceFormats(t *testing.T) {
	I := Identity
	res := func(r string) string { return identityDoc(`"Effect":"Allow","Action":"s3:ListBucket","Resource":` + r) }
	cases := []parseCase{
		{"plain word", I, res(`"invalid resource"`), `Resource invalid resource must be in ARN format or "*".`},
		{"empty", I, res(`""`), `Resource  must be in ARN format or "*".`},
		{"in list", I, res(`["adf"]`), `Resource adf must be in ARN format or "*".`},
		{"empty in two statements", I, `{"Version":"2012-10-17","Statement":[{"Sid":"EnableDisableHongKong","Effect":"Allow","Action":["account:EnableRegion","account:DisableRegion"],"Resource":"","Condition":{"StringEquals":{"account:TargetRegion":"ap-east-1"}}},{"Sid":"ViewConsole","Effect":"Allow","Action":["aws-portal:ViewAccount","account:ListRegions"],"Resource":""}]}`, `Resource  must be in ARN format or "*".`},
		{"bad partition short", I, identityDoc(`"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:bsdfdsafsad"`), `Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".`},
		{"bad partition three", I, identityDoc(`"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:b:cadfsdf"`), `Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".`},
		{"bad partition long", I, identityDoc(`"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:b:c:d:e:f:g:h"`), `Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h".`},
		{"missing arn prefix", I, res(`"aws:s3:::example_bucket"`), `Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".`},
		{"smallest bad resource reported", I, res(`["arn:error:s3:::example_bucket","arn:error:s3::example_bucket"]`), `Partition "error" is not valid for resource "arn:error:s3:::example_bucket".`},
		{"iam path", I, res(`"arn:aws:iam:::example_bucket"`), `IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`},
		{"iam region", I, res(`"arn:aws:iam:us-east-1::example_bucket"`), "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information."},
		{"s3 region", I, res(`"arn:aws:s3:us-east-1::example_bucket"`), "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information."},
		{"legacy five parts", I, res(`"arn:aws:s3::example_bucket"`), msgLegacy},
		{"legacy before missing actions", I, identityDoc(`"Effect":"Allow","Resource":"arn:aws:s3::example_bucket"`), msgLegacy},
		{"legacy empty service", I, identityDoc(`"Effect":"Allow","NotAction":"s3:ListBucket","Resource":"arn:aws::::example_bucket"`), msgLegacy},
		{"legacy notresource", I, identityDoc(`"Effect":"Allow","Action":"s3:ListBucket","NotResource":"arn:aws:s3::example_bucket"`), msgLegacy},
		{"legacy short", I, res(`"arn:aws::fdsasf"`), msgLegacy},
		{"legacy lowercase effect wins", I, identityDoc(`"Effect":"allow","Resource":"arn:aws:s3:us-east-1::example_bucket"`), msgLegacy},
		{"vendor missing", I, res(`"arn:aws"`), msgResourceVendor},
		{"vendor wildcard", I, res(`"arn:aws:s3*:::bucket"`), msgResourceVendor},
		{"star", I, res(`"*"`), ""},
		{"list with star", I, res(`["arn:aws:s3:::example_bucket","*"]`), ""},
		{"iam user", I, res(`"arn:aws:iam:::user/example_bucket"`), ""},
		{"iam star", I, res(`"arn:aws:iam::123456789012:*"`), ""},
		{"unknown service", I, res(`"arn:aws:s33:::example_bucket"`), ""},
		{"three part arn", I, res(`"arn:aws:fdsasf"`), ""},
		{"regional cloudwatch", I, res(`"arn:aws:cloudwatch:us-east-1::example_bucket"`), ""},
		{"wildcard partition", I, res(`"arn:*:s3:::bucket"`), ""},
		{"dynamodb wildcards", I, res(`"arn:aws:dynamodb:*:*:table/MyTable"`), ""},
		{"variable in resource", I, res(`"arn:aws:s3:::bucket/home/${aws:userid}/*"`), ""},
		{"notresource star", I, identityDoc(`"Effect":"Allow","NotAction":"s3:ListBucket","NotResource":"*"`), ""},
	}
	runParseCases(t, cases)
}

// Condition grammar (moto suite; doc "IAM JSON policy elements: Condition").
func TestParseConditions(t *testing.T) {
	I := Identity
	cond := func(c string) string {
		return identityDoc(`"Effect":"Allow","Action":"s3:ListBucket",` + okRes + `,"Condition":` + c)
	}
	cases := []parseCase{
		{"condition list", I, cond(`[]`), msgSyntax},
		{"condition string", I, cond(`"a"`), msgSyntax},
		{"operator string", I, cond(`{"a":"b"}`), msgSyntax},
		{"date body string", I, cond(`{"DateGreaterThan":"b"}`), msgSyntax},
		{"date body list", I, cond(`{"DateGreaterThan":[]}`), msgSyntax},
		{"date value object", I, cond(`{"DateGreaterThan":{"a":{}}}`), msgSyntax},
		{"value null", I, cond(`{"StringEquals":{"a":null}}`), msgSyntax},
		{"nested value list", I, cond(`{"StringEquals":{"a":[["x"]]}}`), msgSyntax},
		{"unknown operator", I, cond(`{"x":{"a":"1"}}`), msgSyntax},
		{"double colon qualifier", I, cond(`{"ForAnyValue::StringEqualsIfExists":{"a":"asf"}}`), msgSyntax},
		{"condition in list", I, cond(`[{"ForAllValues:StringEquals":{"aws:TagKeys":"Department"}}]`), msgSyntax},
		{"null if exists", I, cond(`{"NullIfExists":{"a":"true"}}`), msgSyntax},
		{"lower case operator", I, cond(`{"stringequals":{"a":"b"}}`), msgSyntax},
		{"bad date", I, cond(`{"DateGreaterThan":{"a":"sdfdsf"}}`), msgLegacy},
		{"bad date before missing action", I, identityDoc(`"Effect":"Allow","Condition":{"DateGreaterThan":{"a":"sdfdsf"}}`), msgLegacy},
		{"bad date month", I, cond(`{"DateLessThanEquals":{"a":"234-13"}}`), msgLegacy},
		{"bad date zone", I, cond(`{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.593194+1"}}`), msgLegacy},
		{"bad date fraction", I, cond(`{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.1999999999+10:59"}}`), msgLegacy},
		{"epoch overflow", I, cond(`{"DateLessThan":{"a":"9223372036854775808"}}`), msgLegacy},
		{"bad date in qualified operator", I, cond(`{"ForAnyValue:DateEqualsIfExists":{"a":"nope"}}`), msgLegacy},
		{"empty condition", I, cond(`{}`), ""},
		{"empty known operator", I, cond(`{"DateGreaterThan":{}}`), ""},
		{"empty value list", I, cond(`{"DateGreaterThan":{"a":[]}}`), ""},
		{"unknown operator empty body", I, cond(`{"a":{}}`), ""},
		{"two unknown empty", I, cond(`{"x":{},"y":{}}`), ""},
		{"if exists", I, cond(`{"StringEqualsIfExists":{"a":"asf"}}`), ""},
		{"qualifier if exists", I, cond(`{"ForAnyValue:StringEqualsIfExists":{"a":"asf"}}`), ""},
		{"for all values", I, cond(`{"ForAllValues:StringEquals":{"aws:TagKeys":"Department"}}`), ""},
		{"iso date", I, cond(`{"DateLessThanEquals":{"a":"2019-07-01T13:20:15Z"}}`), ""},
		{"iso date offset", I, cond(`{"DateLessThanEquals":{"a":"2016-12-13T21:20:37.593194+00:00"}}`), ""},
		{"lenient date", I, cond(`{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.593194+23"}}`), ""},
		{"year and t", I, cond(`{"DateGreaterThan":{"a":"01T"}}`), ""},
		{"negative year", I, cond(`{"DateLessThan":{"a":"-292275054"}}`), ""},
		{"epoch number", I, cond(`{"DateGreaterThan":{"aws:EpochTime":1700000000}}`), ""},
		{"date variable", I, cond(`{"DateLessThan":{"aws:CurrentTime":"${aws:TokenIssueTime}"}}`), ""},
		{"bool json", I, cond(`{"Bool":{"aws:SecureTransport":false}}`), ""},
		{"numeric json", I, cond(`{"NumericLessThanEquals":{"s3:max-keys":10}}`), ""},
		{"mixed list", I, cond(`{"StringEquals":{"k":["a",1,true]}}`), ""},
		{"every operator", I, cond(`{"StringEquals":{"a":"1"},"StringNotEquals":{"a":"1"},"StringEqualsIgnoreCase":{"a":"1"},"StringNotEqualsIgnoreCase":{"a":"1"},"StringLike":{"a":"1"},"StringNotLike":{"a":"1"},"NumericEquals":{"a":"1"},"NumericNotEquals":{"a":"1"},"NumericLessThan":{"a":"1"},"NumericLessThanEquals":{"a":"1"},"NumericGreaterThan":{"a":"1"},"NumericGreaterThanEquals":{"a":"1"},"DateEquals":{"a":"1"},"DateNotEquals":{"a":"1"},"DateLessThan":{"a":"1"},"DateLessThanEquals":{"a":"1"},"DateGreaterThan":{"a":"1"},"DateGreaterThanEquals":{"a":"1"},"Bool":{"a":"true"},"BinaryEquals":{"a":"QQ=="},"IpAddress":{"a":"10.0.0.0/8"},"NotIpAddress":{"a":"10.0.0.0/8"},"ArnEquals":{"a":"arn:aws:s3:::b"},"ArnLike":{"a":"arn:aws:s3:::b"},"ArnNotEquals":{"a":"arn:aws:s3:::b"},"ArnNotLike":{"a":"arn:aws:s3:::b"},"Null":{"a":"true"}}`), ""},
		// Values of the wrong type for non-date operators are not refused (whether IAM refuses
		// them is unverified); they fail closed at evaluation instead (see TestFailClosed).
		{"numeric garbage stored", I, cond(`{"NumericEquals":{"a":"abc"}}`), ""},
		{"ip garbage stored", I, cond(`{"IpAddress":{"aws:SourceIp":"not-an-ip"}}`), ""},
	}
	runParseCases(t, cases)
}

// Valid documents from the AWS example policies (doc "Example IAM identity-based policies").
func TestParseValidExamples(t *testing.T) {
	docs := []string{
		// "AWS: Allows IAM users to manage their own credentials" (abridged).
		`{"Version":"2012-10-17","Statement":[{"Sid":"AllowViewAccountInfo","Effect":"Allow","Action":["iam:GetAccountPasswordPolicy","iam:GetAccountSummary","iam:ListVirtualMFADevices"],"Resource":"*"},{"Sid":"AllowManageOwnPasswords","Effect":"Allow","Action":["iam:ChangePassword","iam:GetUser"],"Resource":"arn:aws:iam::*:user/${aws:username}"},{"Sid":"AllowManageOwnVirtualMFADevice","Effect":"Allow","Action":["iam:CreateVirtualMFADevice","iam:DeleteVirtualMFADevice"],"Resource":"arn:aws:iam::*:mfa/${aws:username}"},{"Sid":"DenyAllExceptListedIfNoMFA","Effect":"Deny","NotAction":["iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:GetUser","iam:ListMFADevices","iam:ListVirtualMFADevices","iam:ResyncMFADevice","sts:GetSessionToken"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`,
		// "Amazon DynamoDB: Allows access to a specific table".
		`{"Version":"2012-10-17","Statement":[{"Sid":"ListAndDescribe","Effect":"Allow","Action":["dynamodb:List*","dynamodb:DescribeReservedCapacity*","dynamodb:DescribeLimits","dynamodb:DescribeTimeToLive"],"Resource":"*"},{"Sid":"SpecificTable","Effect":"Allow","Action":["dynamodb:BatchGet*","dynamodb:Get*","dynamodb:Query","dynamodb:Scan","dynamodb:PutItem"],"Resource":"arn:aws:dynamodb:*:*:table/MyTable"}]}`,
		// "Amazon EC2: Attach or detach volumes to an EC2 instance".
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:AttachVolume","ec2:DetachVolume"],"Resource":["arn:aws:ec2:*:*:volume/*","arn:aws:ec2:*:*:instance/*"],"Condition":{"ArnEquals":{"ec2:SourceInstanceARN":"arn:aws:ec2:*:*:instance/instance-id"}}}]}`,
		// "Amazon S3: Allows Amazon Cognito users to access objects in their bucket".
		`{"Version":"2012-10-17","Statement":[{"Sid":"ListYourObjects","Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::bucket-name"],"Condition":{"StringLike":{"s3:prefix":["cognito/application-name/${cognito-identity.amazonaws.com:sub}"]}}},{"Sid":"ReadWriteDeleteYourObjects","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":["arn:aws:s3:::bucket-name/cognito/application-name/${cognito-identity.amazonaws.com:sub}","arn:aws:s3:::bucket-name/cognito/application-name/${cognito-identity.amazonaws.com:sub}/*"]}]}`,
		// "IAM: Allows tagging users with specific tags" shape.
		`{"Version":"2012-10-17","Statement":[{"Sid":"AddTag","Effect":"Allow","Action":["iam:TagUser","iam:TagRole"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/CostCenter":["A-123","B-456"]},"ForAllValues:StringEquals":{"aws:TagKeys":"CostCenter"}}}]}`,
		// Odd but accepted action names (moto suite).
		identityDoc(`"Effect":"Allow","Action":"iam: asdf safdsf af ",` + okRes),
		identityDoc(`"Effect":"Allow","Action":"s3-s:ListBucket",` + okRes),
		identityDoc(`"Effect":"Allow","Action":"s3.s:ListBucket",` + okRes),
		identityDoc(`"Effect":"Allow","Action":"*",` + okRes),
		// Whitespace and formatting do not matter.
		"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}\n",
	}
	for i, d := range docs {
		for _, k := range []Kind{Identity, Managed} {
			if _, err := Parse("p", d, k); err != nil {
				t.Errorf("doc %d kind %d: %v", i, k, err)
			}
		}
	}
}

// Trust policies (doc "AWS JSON policy elements: Principal"; obs messages from CreateRole).
func TestParseTrust(t *testing.T) {
	T := Trust
	trust := func(stmt string) string { return identityDoc(stmt) }
	cases := []parseCase{
		{"not json", T, `ecs-assume-role-policy.yaml`, msgInvalidJSON},
		{"resource prohibited", T, trust(`"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"`), "Has prohibited field Resource"},
		{"notresource prohibited", T, trust(`"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","NotResource":"*"`), "Has prohibited field NotResource"},
		{"no principal", T, trust(`"Effect":"Allow","Action":"sts:AssumeRole"`), msgNoPrincipalTrust},
		{"no action", T, trust(`"Effect":"Allow","Principal":{"AWS":"123456789012"}`), msgNoActions},
		{"principal string not star", T, trust(`"Effect":"Allow","Principal":"arn:aws:iam::123456789012:root","Action":"sts:AssumeRole"`), msgSyntax},
		{"principal unknown type", T, trust(`"Effect":"Allow","Principal":{"Bogus":"x"},"Action":"sts:AssumeRole"`), msgSyntax},
		{"principal empty object", T, trust(`"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"`), msgSyntax},
		{"principal empty list", T, trust(`"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"`), msgSyntax},
		{"principal and notprincipal", T, trust(`"Effect":"Allow","Principal":{"AWS":"*"},"NotPrincipal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"`), msgSyntax},
		{"principal number", T, trust(`"Effect":"Allow","Principal":{"AWS":123456789012},"Action":"sts:AssumeRole"`), msgSyntax},
		{"aws wildcard in arn", T, trust(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/*"},"Action":"sts:AssumeRole"`), `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/*"`},
		{"aws short account", T, trust(`"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"sts:AssumeRole"`), `Invalid principal in policy: "AWS":"12345"`},
		{"aws bad arn", T, trust(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:group/devs"},"Action":"sts:AssumeRole"`), `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:group/devs"`},
		{"aws second value bad", T, trust(`"Effect":"Allow","Principal":{"AWS":["123456789012","bob"]},"Action":"sts:AssumeRole"`), `Invalid principal in policy: "AWS":"bob"`},
		{"federated bad", T, trust(`"Effect":"Allow","Principal":{"Federated":"not a provider"},"Action":"sts:AssumeRoleWithWebIdentity"`), `Invalid principal in policy: "Federated":"not a provider"`},
		{"federated star", T, trust(`"Effect":"Allow","Principal":{"Federated":"*"},"Action":"sts:AssumeRoleWithWebIdentity"`), `Invalid principal in policy: "Federated":"*"`},
		{"service bad", T, trust(`"Effect":"Allow","Principal":{"Service":"ec2"},"Action":"sts:AssumeRole"`), `Invalid principal in policy: "Service":"ec2"`},
		{"bad action vendor", T, trust(`"Effect":"Allow","Principal":{"AWS":"*"},"Action":"AssumeRole"`), msgActionVendor},
		{"star", T, trust(`"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"`), ""},
		{"aws star", T, trust(`"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"`), ""},
		{"account id", T, trust(`"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"`), ""},
		{"root arn", T, trust(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"`), ""},
		{"role with path", T, trust(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/path/to/Admin"},"Action":"sts:AssumeRole"`), ""},
		{"user", T, trust(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":["sts:AssumeRole","sts:TagSession"]`), ""},
		{"session", T, trust(`"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::123456789012:assumed-role/R/s1"},"Action":"sts:AssumeRole"`), ""},
		{"federated user", T, trust(`"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::123456789012:federated-user/bob"},"Action":"sts:AssumeRole"`), ""},
		{"unique id", T, trust(`"Effect":"Allow","Principal":{"AWS":"AROADBQP57FF2AEXAMPLE"},"Action":"sts:AssumeRole"`), ""},
		{"oidc", T, trust(`"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo-org/*"}}`), ""},
		{"saml", T, trust(`"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/MySAMLIdP"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`), ""},
		{"cognito", T, trust(`"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:12345678-abcd-abcd-abcd-123456789012"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`), ""},
		{"service", T, trust(`"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Action":"sts:AssumeRole"`), ""},
		{"notprincipal", T, trust(`"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"sts:AssumeRole"`), ""},
		{"no version", T, `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, ""},
		{"any action accepted", T, trust(`"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject"`), ""},
		{"principal grammar before legacy", T, trust(`"Effect":"allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"`), msgLegacy},
	}
	runParseCases(t, cases)
}

// Other resource policies (doc "Identity-based policies and resource-based policies").
func TestParseResourceKind(t *testing.T) {
	R := Resource
	cases := []parseCase{
		{"missing principal", R, identityDoc(`"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), msgNoPrincipalRes},
		{"principal with resource", R, identityDoc(`"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`), ""},
		{"principal without resource", R, identityDoc(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject"`), ""},
		{"bad resource", R, identityDoc(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"bucket"`), `Resource bucket must be in ARN format or "*".`},
	}
	runParseCases(t, cases)
}

func TestParseInvalidKind(t *testing.T) {
	if _, err := Parse("p", identityDoc(`"Effect":"Allow","Action":"*","Resource":"*"`), Kind(0)); err == nil {
		t.Fatal("Kind(0) accepted")
	}
	if _, err := Parse("p", identityDoc(`"Effect":"Allow","Action":"*","Resource":"*"`), Kind(99)); err == nil {
		t.Fatal("Kind(99) accepted")
	}
}

func TestParseErrorType(t *testing.T) {
	_, err := Parse("p", "{", Identity)
	if err == nil || err.Error() != msgSyntax {
		t.Fatalf("got %v", err)
	}
}

func TestPolicyAccessors(t *testing.T) {
	p := mustParse(t, Trust, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/bob","111122223333"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}]}`)
	if p.Kind() != Trust || p.Version() != "2012-10-17" || p.ID != "test" {
		t.Fatalf("accessors: %v %q %q", p.Kind(), p.Version(), p.ID)
	}
	want := []PrincipalRef{{"AWS", "arn:aws:iam::111122223333:user/bob"}, {"AWS", "111122223333"}, {"Service", "ec2.amazonaws.com"}, {"*", "*"}}
	got := p.Principals()
	if len(got) != len(want) {
		t.Fatalf("principals %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("principal %d: %v want %v", i, got[i], want[i])
		}
	}
	got[0].Value = "mutated"
	if p.Principals()[0].Value == "mutated" {
		t.Fatal("Principals exposes internal state")
	}
	q := mustParse(t, Identity, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	if q.Version() != "" {
		t.Fatal("absent version")
	}
}

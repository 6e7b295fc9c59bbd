package awsmodel_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awsmodel"
)

const (
	roleArn   = "arn:aws:iam::123456789012:role/demo"
	policyArn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	// U+1D400 MATHEMATICAL BOLD CAPITAL A is a letter (\p{L}) outside the BMP: one rune, two Java chars.
	boldA = "\U0001D400"
)

func tags(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"Key": fmt.Sprintf("k%d", i), "Value": "v"}
	}
	return out
}

func strs(n int, s string) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// with returns a copy of base with the given members replaced (nil deletes).
func with(base map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func logins(n int) map[string]any {
	out := map[string]any{}
	for i := 0; i < n; i++ {
		out[fmt.Sprintf("provider%d.example.com", i)] = fmt.Sprintf("secret-token-%d", i)
	}
	return out
}

func TestValidate(t *testing.T) {
	assumeRole := map[string]any{"RoleArn": roleArn, "RoleSessionName": "sess-1"}
	fullAssumeRole := with(assumeRole,
		"PolicyArns", []any{map[string]any{"arn": policyArn}},
		"Policy", `{"Version":"2012-10-17","Statement":[]}`,
		"DurationSeconds", int64(3600),
		"Tags", tags(50),
		"TransitiveTagKeys", strs(50, "Project"),
		"ExternalId", "ext-123",
		"SerialNumber", "arn:aws:iam::123456789012:mfa/user",
		"TokenCode", "123456",
		"SourceIdentity", "alice",
		"ProvidedContexts", []any{map[string]any{"ProviderArn": "arn:aws:iam::aws:contextProvider/QuickSight", "ContextAssertion": "abcd"}},
	)
	webIdentity := map[string]any{"RoleArn": roleArn, "RoleSessionName": "s1", "WebIdentityToken": "eyJhbGciOi.x.y"}
	createRole := map[string]any{"RoleName": "r1", "AssumeRolePolicyDocument": "{}"}
	getID := map[string]any{"IdentityPoolId": "us-east-1:0123abcd-0000-1111-2222-333344445555"}
	identityContext := map[string]any{"AwsAccountId": "123456789012", "UserIdentifier": map[string]any{"UserName": "alice"}}

	const (
		providerName = "Member must have length less than or equal to 128, Member must have length greater than or equal to 1"
		tokenLen     = "Member must have length less than or equal to 50000, Member must have length greater than or equal to 1"
		notNull      = "failed to satisfy constraint: Member must not be null"
		sessPat      = `Member must satisfy regular expression pattern: [\w+=,.@-]*`
		tagKeyPat    = `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	)

	for _, c := range []struct {
		name, svc, op string
		in            map[string]any
		want          string   // exact message; "" means valid
		contains      []string // used instead of want when set
		absent        []string // must not appear in the message
	}{
		{name: "minimal AssumeRole", svc: "sts", op: "AssumeRole", in: assumeRole},
		{name: "every AssumeRole member at its limits", svc: "sts", op: "AssumeRole", in: fullAssumeRole},
		{name: "nil input", svc: "sts", op: "GetCallerIdentity", in: nil},
		{
			name: "missing RoleArn", svc: "sts", op: "AssumeRole", in: with(assumeRole, "RoleArn", nil),
			want: "1 validation error detected: Value null at 'roleArn' " + notNull,
		},
		{
			name: "nil input with required members", svc: "sts", op: "AssumeRole", in: nil,
			want: "2 validation errors detected: Value null at 'roleArn' " + notNull + "; Value null at 'roleSessionName' " + notNull,
		},
		{
			name: "RoleSessionName too short", svc: "sts", op: "AssumeRole", in: with(assumeRole, "RoleSessionName", "a"),
			want: "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
		},
		{name: "RoleSessionName at min", svc: "sts", op: "AssumeRole", in: with(assumeRole, "RoleSessionName", "ab")},
		{name: "RoleSessionName at max", svc: "sts", op: "AssumeRole", in: with(assumeRole, "RoleSessionName", strings.Repeat("a", 64))},
		{
			name: "RoleSessionName too long", svc: "sts", op: "AssumeRole", in: with(assumeRole, "RoleSessionName", strings.Repeat("a", 65)),
			want: "1 validation error detected: Value '" + strings.Repeat("a", 65) + "' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64",
		},
		{
			name: "RoleSessionName pattern", svc: "sts", op: "AssumeRole", in: with(assumeRole, "RoleSessionName", "my session"),
			want: "1 validation error detected: Value 'my session' at 'roleSessionName' failed to satisfy constraint: " + sessPat,
		},
		{
			name: "one value failing length and pattern", svc: "sts", op: "AssumeRole", in: with(assumeRole, "RoleSessionName", "é"),
			want: "2 validation errors detected: Value 'é' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; " +
				"Value 'é' at 'roleSessionName' failed to satisfy constraint: " + sessPat,
		},
		{
			name: "RoleArn too short", svc: "sts", op: "AssumeRole", in: with(assumeRole, "RoleArn", "arn:aws:iam::1"),
			want: "1 validation error detected: Value 'arn:aws:iam::1' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20",
		},
		{
			name: "DurationSeconds below range", svc: "sts", op: "AssumeRole", in: with(assumeRole, "DurationSeconds", int64(899)),
			want: "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
		},
		{name: "DurationSeconds at min", svc: "sts", op: "AssumeRole", in: with(assumeRole, "DurationSeconds", int64(900))},
		{name: "DurationSeconds at max", svc: "sts", op: "AssumeRole", in: with(assumeRole, "DurationSeconds", int64(43200))},
		{
			name: "DurationSeconds above range", svc: "sts", op: "AssumeRole", in: with(assumeRole, "DurationSeconds", int64(43201)),
			want: "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
		},
		{
			name: "two members failing", svc: "sts", op: "AssumeRole", in: with(assumeRole, "RoleSessionName", "a", "DurationSeconds", int64(60)),
			want: "2 validation errors detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; " +
				"Value '60' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
		},
		{
			name: "three errors across nesting", svc: "sts", op: "AssumeRole",
			in: with(assumeRole, "RoleArn", nil, "Tags", []any{map[string]any{"Key": "a#b", "Value": "v"}}, "TokenCode", "12345a"),
			want: "3 validation errors detected: Value null at 'roleArn' " + notNull + "; " +
				"Value 'a#b' at 'tags.1.member.key' failed to satisfy constraint: " + tagKeyPat + "; " +
				`Value '12345a' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\d]*`,
		},
		{
			name: "Tags over 50", svc: "sts", op: "AssumeRole", in: with(assumeRole, "Tags", tags(51)),
			contains: []string{"1 validation error detected: Value '[{Key=k0, Value=v}, {Key=k1, Value=v}", "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		},
		{
			name: "tag missing key", svc: "sts", op: "AssumeRole", in: with(assumeRole, "Tags", []any{map[string]any{"Value": "v"}}),
			want: "1 validation error detected: Value null at 'tags.1.member.key' " + notNull,
		},
		{
			name: "second tag key pattern", svc: "sts", op: "AssumeRole",
			in:   with(assumeRole, "Tags", []any{map[string]any{"Key": "ok", "Value": "v"}, map[string]any{"Key": "a#b", "Value": "v"}}),
			want: "1 validation error detected: Value 'a#b' at 'tags.2.member.key' failed to satisfy constraint: " + tagKeyPat,
		},
		{
			name: "tag value too long", svc: "sts", op: "AssumeRole",
			in:   with(assumeRole, "Tags", []any{map[string]any{"Key": "k", "Value": strings.Repeat("v", 257)}}),
			want: "1 validation error detected: Value '" + strings.Repeat("v", 257) + "' at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
		},
		{name: "empty tag value", svc: "sts", op: "AssumeRole", in: with(assumeRole, "Tags", []any{map[string]any{"Key": "k", "Value": ""}})},
		{
			name: "non-BMP letters count twice", svc: "sts", op: "AssumeRole",
			in: with(assumeRole, "Tags", []any{map[string]any{"Key": "k", "Value": strings.Repeat(boldA, 128)}}),
		},
		{
			name: "non-BMP letters over the limit", svc: "sts", op: "AssumeRole",
			in:   with(assumeRole, "Tags", []any{map[string]any{"Key": "k", "Value": strings.Repeat(boldA, 129)}}),
			want: "1 validation error detected: Value '" + strings.Repeat(boldA, 129) + "' at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
		},
		{
			name: "TransitiveTagKeys over 50", svc: "sts", op: "AssumeRole", in: with(assumeRole, "TransitiveTagKeys", strs(51, "k")),
			want: "1 validation error detected: Value '[" + strings.TrimSuffix(strings.Repeat("k, ", 51), ", ") + "]' at 'transitiveTagKeys' failed to satisfy constraint: Member must have length less than or equal to 50",
		},
		{
			name: "empty transitive key", svc: "sts", op: "AssumeRole", in: with(assumeRole, "TransitiveTagKeys", []any{"ok", ""}),
			want: "1 validation error detected: Value '[ok, ]' at 'transitiveTagKeys' failed to satisfy constraint: Member must satisfy constraint: " +
				"[Member must have length less than or equal to 128, Member must have length greater than or equal to 1, " + tagKeyPat + "]",
		},
		{
			name: "empty ProvidedContexts", svc: "sts", op: "AssumeRole", in: with(assumeRole, "ProvidedContexts", []any{}),
			want: "1 validation error detected: Value '[]' at 'providedContexts' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
		{name: "empty optional list without min", svc: "sts", op: "AssumeRole", in: with(assumeRole, "Tags", []any{}, "TransitiveTagKeys", []any{})},
		{
			name: "policy arn too short", svc: "sts", op: "AssumeRole", in: with(assumeRole, "PolicyArns", []any{map[string]any{"arn": policyArn}, map[string]any{"arn": "arn:x"}}),
			want: "1 validation error detected: Value 'arn:x' at 'policyArns.2.member.arn' failed to satisfy constraint: Member must have length greater than or equal to 20",
		},
		{
			name: "TokenCode length", svc: "sts", op: "AssumeRole", in: with(assumeRole, "TokenCode", "12345"),
			want: "1 validation error detected: Value '12345' at 'tokenCode' failed to satisfy constraint: Member must have length greater than or equal to 6",
		},
		{
			name: "session policy outside Latin-1", svc: "sts", op: "AssumeRole", in: with(assumeRole, "Policy", `{"Sid":"€"}`),
			want: `1 validation error detected: Value '{"Sid":"€"}' at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`,
		},
		{
			name: "AssumeRoot nested structure", svc: "sts", op: "AssumeRoot",
			in: map[string]any{"TargetPrincipal": "123456789012", "TaskPolicyArn": map[string]any{"arn": "short"}, "DurationSeconds": int64(901)},
			want: "2 validation errors detected: Value 'short' at 'taskPolicyArn.arn' failed to satisfy constraint: Member must have length greater than or equal to 20; " +
				"Value '901' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 900",
		},
		{
			name: "AssumeRoot DurationSeconds zero", svc: "sts", op: "AssumeRoot",
			in: map[string]any{"TargetPrincipal": "123456789012", "TaskPolicyArn": map[string]any{"arn": policyArn}, "DurationSeconds": int64(0)},
		},
		{
			name: "GetWebIdentityToken audience list", svc: "sts", op: "GetWebIdentityToken",
			in:   map[string]any{"Audience": []any{}, "SigningAlgorithm": "RS256"},
			want: "1 validation error detected: Value '[]' at 'audience' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
		{name: "web identity valid", svc: "sts", op: "AssumeRoleWithWebIdentity", in: webIdentity},
		{
			name: "sensitive token not echoed", svc: "sts", op: "AssumeRoleWithWebIdentity", in: with(webIdentity, "WebIdentityToken", "abc"),
			want:   "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4",
			absent: []string{"'abc'"},
		},
		{
			name: "sensitive SAML assertion not echoed", svc: "sts", op: "AssumeRoleWithSAML",
			in:   map[string]any{"RoleArn": roleArn, "PrincipalArn": "arn:aws:iam::123456789012:saml-provider/idp", "SAMLAssertion": "xyz"},
			want: "1 validation error detected: Value at 'sAMLAssertion' failed to satisfy constraint: Member must have length greater than or equal to 4",
		},
		{
			name: "IAM enum", svc: "iam", op: "UpdateAccessKey", in: map[string]any{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Deleted"},
			want: "1 validation error detected: Value 'Deleted' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]",
		},
		{name: "IAM enum valid", svc: "iam", op: "UpdateAccessKey", in: map[string]any{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Inactive"}},
		{
			name: "IAM enum is case-sensitive", svc: "iam", op: "UpdateAccessKey", in: map[string]any{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "active"},
			contains: []string{"Value 'active' at 'status'", "enum value set"},
		},
		{
			name: "IAM access key id", svc: "iam", op: "UpdateAccessKey", in: map[string]any{"AccessKeyId": "AKIA-SHORT", "Status": "Active"},
			want: "2 validation errors detected: Value 'AKIA-SHORT' at 'accessKeyId' failed to satisfy constraint: Member must have length greater than or equal to 16; " +
				`Value 'AKIA-SHORT' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w]+`,
		},
		{name: "CreateRole valid", svc: "iam", op: "CreateRole", in: with(createRole, "Path", "/a/b/", "MaxSessionDuration", int64(43200), "Tags", tags(50))},
		{
			name: "CreateRole path and duration", svc: "iam", op: "CreateRole", in: with(createRole, "Path", "a/", "MaxSessionDuration", int64(3599)),
			want: "2 validation errors detected: Value 'a/' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F); " +
				"Value '3599' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600",
		},
		{
			name: "CreateRole nested tag key length", svc: "iam", op: "CreateRole",
			in:   with(createRole, "Tags", []any{map[string]any{"Key": strings.Repeat("k", 129), "Value": "v"}}),
			want: "1 validation error detected: Value '" + strings.Repeat("k", 129) + "' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128",
		},
		{
			name: "CreateRole empty name", svc: "iam", op: "CreateRole", in: with(createRole, "RoleName", ""),
			want: "2 validation errors detected: Value '' at 'roleName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				`Value '' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`,
		},
		{
			name: "OIDC thumbprint length in a list", svc: "iam", op: "CreateOpenIDConnectProvider",
			in: map[string]any{"Url": "https://example.com", "ThumbprintList": []any{strings.Repeat("a", 40), strings.Repeat("b", 39)}},
			want: "1 validation error detected: Value '[" + strings.Repeat("a", 40) + ", " + strings.Repeat("b", 39) + "]' at 'thumbprintList' failed to satisfy constraint: " +
				"Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]",
		},
		{
			name: "list in list", svc: "iam", op: "SimulatePrincipalPolicy",
			in: map[string]any{"PolicySourceArn": roleArn, "ActionNames": []any{"s3:GetObject"}, "ContextEntries": []any{
				map[string]any{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": []any{"10.0.0.1"}, "ContextKeyType": "ip"},
				map[string]any{"ContextKeyName": "ab", "ContextKeyValues": []any{"x"}, "ContextKeyType": "ipv6"},
			}},
			want: "2 validation errors detected: Value 'ab' at 'contextEntries.2.member.contextKeyName' failed to satisfy constraint: Member must have length greater than or equal to 5; " +
				"Value 'ipv6' at 'contextEntries.2.member.contextKeyType' failed to satisfy constraint: Member must satisfy enum value set: [string, stringList, numeric, numericList, boolean, booleanList, ip, ipList, binary, binaryList, date, dateList]",
		},
		{
			name: "IAM MaxItems range", svc: "iam", op: "ListRoles", in: map[string]any{"MaxItems": int64(1001)},
			want: "1 validation error detected: Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000",
		},
		{name: "GetId valid", svc: "cognito-identity", op: "GetId", in: with(getID, "Logins", logins(10))},
		{
			name: "GetId pool id pattern", svc: "cognito-identity", op: "GetId", in: map[string]any{"IdentityPoolId": "nocolon"},
			want: `1 validation error detected: Value 'nocolon' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`,
		},
		{
			name: "Logins key too long", svc: "cognito-identity", op: "GetId", in: with(getID, "Logins", map[string]any{strings.Repeat("p", 129): "tok"}),
			want: "1 validation error detected: Value '{" + strings.Repeat("p", 129) + "=" + awsmodel.Redacted + "}' at 'logins' failed to satisfy constraint: " +
				"Map keys must satisfy constraint: [" + providerName + "]",
			absent: []string{"tok"},
		},
		{
			name: "Logins key non-BMP", svc: "cognito-identity", op: "GetId", in: with(getID, "Logins", map[string]any{strings.Repeat(boldA, 65): "tok"}),
			contains: []string{"at 'logins' failed to satisfy constraint: Map keys must satisfy constraint: [" + providerName + "]"},
		},
		{name: "Logins key non-BMP at limit", svc: "cognito-identity", op: "GetId", in: with(getID, "Logins", map[string]any{strings.Repeat(boldA, 64): "tok"})},
		{
			name: "Logins empty key", svc: "cognito-identity", op: "GetId", in: with(getID, "Logins", map[string]any{"": "tok"}),
			want: "1 validation error detected: Value '{=" + awsmodel.Redacted + "}' at 'logins' failed to satisfy constraint: Map keys must satisfy constraint: [" + providerName + "]",
		},
		{
			name: "Logins over 10 hides tokens", svc: "cognito-identity", op: "GetId", in: with(getID, "Logins", logins(11)),
			contains: []string{"1 validation error detected: Value '{provider0.example.com=" + awsmodel.Redacted + ", provider1.example.com=" + awsmodel.Redacted + ", ",
				"provider9.example.com=" + awsmodel.Redacted + "}' at 'logins' failed to satisfy constraint: Member must have length less than or equal to 10"},
			absent: []string{"secret-token"},
		},
		{
			name: "Logins empty token", svc: "cognito-identity", op: "GetCredentialsForIdentity",
			in:   map[string]any{"IdentityId": "us-east-1:0123abcd", "Logins": map[string]any{"graph.facebook.com": ""}},
			want: "1 validation error detected: Value '{graph.facebook.com=}' at 'logins' failed to satisfy constraint: Map value must satisfy constraint: [" + tokenLen + "]",
		},
		{
			name: "Roles map key pattern", svc: "cognito-identity", op: "SetIdentityPoolRoles",
			in: map[string]any{"IdentityPoolId": "us-east-1:0123abcd", "Roles": map[string]any{"admin": roleArn}},
			want: "1 validation error detected: Value '{admin=" + roleArn + "}' at 'roles' failed to satisfy constraint: Map keys must satisfy constraint: " +
				"[Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: (un)?authenticated]",
		},
		{name: "union with one member", svc: "quicksight", op: "GetIdentityContext", in: identityContext},
		{
			name: "union with none", svc: "quicksight", op: "GetIdentityContext", in: with(identityContext, "UserIdentifier", map[string]any{}),
			want: "1 validation error detected: Value at 'userIdentifier' failed to satisfy constraint: Exactly one member must be set, but 0 were set",
		},
		{
			name: "union with two", svc: "quicksight", op: "GetIdentityContext",
			in:     with(identityContext, "UserIdentifier", map[string]any{"UserName": "alice", "Email": "alice@example.com"}),
			want:   "1 validation error detected: Value at 'userIdentifier' failed to satisfy constraint: Exactly one member must be set, but 2 were set",
			absent: []string{"alice"},
		},
		{
			name: "union absent but required", svc: "quicksight", op: "GetIdentityContext", in: with(identityContext, "UserIdentifier", nil),
			want: "1 validation error detected: Value null at 'userIdentifier' " + notNull,
		},
		{
			name: "union null member does not count", svc: "quicksight", op: "GetIdentityContext",
			in: with(identityContext, "UserIdentifier", map[string]any{"UserName": "alice", "Email": nil}),
		},
		{
			name: "QuickSight account id and time", svc: "quicksight", op: "GetIdentityContext",
			in: with(identityContext, "AwsAccountId", "1234", "SessionExpiresAt", time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC)),
			want: "2 validation errors detected: Value '1234' at 'awsAccountId' failed to satisfy constraint: Member must have length greater than or equal to 12; " +
				"Value '1234' at 'awsAccountId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9]{12}$",
		},
		{
			name: "QuickSight integer range", svc: "quicksight", op: "ListUsers",
			in:   map[string]any{"AwsAccountId": "123456789012", "Namespace": "default", "MaxResults": int64(0)},
			want: "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
		},
		{
			name: "QuickSight tag list min", svc: "quicksight", op: "RegisterUser",
			in:       map[string]any{"AwsAccountId": "123456789012", "Namespace": "default", "IdentityType": "IAM", "Email": "a@example.com", "UserRole": "READER", "Tags": []any{}},
			contains: []string{"Value '[]' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			op := awsmodel.MustLoad(c.svc).Operations[c.op]
			if op == nil || op.Input == nil {
				t.Fatalf("%s has no operation %s with input", c.svc, c.op)
			}
			got := awsmodel.Validate(op.Input, c.in)
			switch {
			case c.contains != nil:
				for _, s := range c.contains {
					if !strings.Contains(got, s) {
						t.Errorf("message %q\nlacks %q", got, s)
					}
				}
			case got != c.want:
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
			for _, s := range c.absent {
				if strings.Contains(got, s) {
					t.Errorf("message %q echoes %q", got, s)
				}
			}
		})
	}
}

func TestValidateNilShape(t *testing.T) {
	if got := awsmodel.Validate(nil, map[string]any{"x": 1}); got != "" {
		t.Errorf("got %q", got)
	}
}

func TestValidationMessage(t *testing.T) {
	if got := awsmodel.ValidationMessage(nil); got != "" {
		t.Errorf("no errors: %q", got)
	}
	if got := awsmodel.ValidationMessage([]string{"a", "b", "c"}); got != "3 validation errors detected: a; b; c" {
		t.Errorf("three errors: %q", got)
	}
}

// TestValidateCollections: a list or map whose elements are scalars is judged whole, as AWS does:
// one error at the collection's own path, the collection rendered Java-style, naming every
// constraint of the element shape. Login tokens inside stay hidden whatever the caller sends.
func TestValidateCollections(t *testing.T) {
	const (
		providerName = "Member must have length less than or equal to 128, Member must have length greater than or equal to 1"
		tokenLen     = "Member must have length less than or equal to 50000, Member must have length greater than or equal to 1"
		idPattern    = `Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`
		identity     = "us-east-1:0123abcd-0000-1111-2222-333344445555"
		pool         = "us-east-1:0123abcd-0000-1111-2222-333344445555"
	)
	creds := func(l map[string]any) map[string]any { return map[string]any{"IdentityId": identity, "Logins": l} }
	longToken := "eyJ" + strings.Repeat("k", 50000)
	ids := func(n int, last string) []any {
		out := strs(n-1, identity)
		return append(out, last)
	}
	for _, c := range []struct {
		name, svc, op string
		in            map[string]any
		want          string   // exact message; "" means valid
		contains      []string // used instead of want when set
		absent        []string // must not appear in the message
	}{
		{name: "valid logins", svc: "cognito-identity", op: "GetCredentialsForIdentity", in: creds(logins(10))},
		{name: "token at its maximum", svc: "cognito-identity", op: "GetCredentialsForIdentity", in: creds(map[string]any{"accounts.google.com": longToken[:50000]})},
		{
			name: "oversized token beside a valid one", svc: "cognito-identity", op: "GetCredentialsForIdentity",
			in: creds(map[string]any{"accounts.google.com": longToken, "graph.facebook.com": "fb-valid-token"}),
			want: "1 validation error detected: Value '{accounts.google.com=" + awsmodel.Redacted + ", graph.facebook.com=" + awsmodel.Redacted +
				"}' at 'logins' failed to satisfy constraint: Map value must satisfy constraint: [" + tokenLen + "]",
			absent: []string{"eyJ", "fb-valid-token"},
		},
		{
			name: "several bad tokens are one error", svc: "cognito-identity", op: "GetCredentialsForIdentity",
			in:   creds(map[string]any{"a.example.com": "", "b.example.com": longToken, "c.example.com": ""}),
			want: "1 validation error detected: Value '{a.example.com=, b.example.com=" + awsmodel.Redacted + ", c.example.com=}' at 'logins' failed to satisfy constraint: Map value must satisfy constraint: [" + tokenLen + "]",
		},
		{
			name: "bad key and bad token: keys first, token hidden", svc: "cognito-identity", op: "GetCredentialsForIdentity",
			in: creds(map[string]any{"": "secret-token", "graph.facebook.com": ""}),
			want: "2 validation errors detected: Value '{=" + awsmodel.Redacted + ", graph.facebook.com=}' at 'logins' failed to satisfy constraint: Map keys must satisfy constraint: [" + providerName + "]; " +
				"Value '{=" + awsmodel.Redacted + ", graph.facebook.com=}' at 'logins' failed to satisfy constraint: Map value must satisfy constraint: [" + tokenLen + "]",
			absent: []string{"secret-token"},
		},
		{
			name: "too many logins and a bad token: the map's own length first", svc: "cognito-identity", op: "GetCredentialsForIdentity",
			in: creds(with(logins(10), "z.example.com", "")),
			contains: []string{"2 validation errors detected: Value '{provider0.example.com=" + awsmodel.Redacted,
				"at 'logins' failed to satisfy constraint: Member must have length less than or equal to 10; Value '{provider0.example.com=",
				"z.example.com=}' at 'logins' failed to satisfy constraint: Map value must satisfy constraint: [" + tokenLen + "]"},
			absent: []string{"secret-token"},
		},
		{
			name: "developer logins on the signed operation", svc: "cognito-identity", op: "GetOpenIdTokenForDeveloperIdentity",
			in: map[string]any{"IdentityPoolId": pool, "Logins": map[string]any{"login.example.app": ""}, "PrincipalTags": map[string]any{"team": strings.Repeat("t", 257)}},
			want: "2 validation errors detected: Value '{login.example.app=}' at 'logins' failed to satisfy constraint: Map value must satisfy constraint: [" + tokenLen + "]; " +
				"Value '{team=" + strings.Repeat("t", 257) + "}' at 'principalTags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 1]",
		},
		{
			name: "non-sensitive values are shown", svc: "cognito-identity", op: "SetIdentityPoolRoles",
			in: map[string]any{"IdentityPoolId": pool, "Roles": map[string]any{"authenticated": "arn:short"}},
			want: "1 validation error detected: Value '{authenticated=arn:short}' at 'roles' failed to satisfy constraint: Map value must satisfy constraint: " +
				"[Member must have length less than or equal to 2048, Member must have length greater than or equal to 20]",
		},
		{
			name: "model minimum of zero is listed", svc: "cognito-identity", op: "TagResource",
			in: map[string]any{"ResourceArn": "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/" + pool, "Tags": map[string]any{"team": strings.Repeat("v", 257), "empty": ""}},
			want: "1 validation error detected: Value '{empty=, team=" + strings.Repeat("v", 257) + "}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: " +
				"[Member must have length less than or equal to 256, Member must have length greater than or equal to 0]",
		},
		{name: "empty tag value within the model's minimum", svc: "cognito-identity", op: "TagResource",
			in: map[string]any{"ResourceArn": "arn:aws:cognito-identity:us-east-1:123456789012:identitypool/" + pool, "Tags": map[string]any{"empty": ""}}},
		{
			name: "map of structures: keys whole, values member by member", svc: "cognito-identity", op: "SetIdentityPoolRoles",
			in: map[string]any{"IdentityPoolId": pool, "Roles": map[string]any{},
				"RoleMappings": map[string]any{"": map[string]any{"Type": "Token"}, "p": map[string]any{"Type": "Bogus"}}},
			want: "2 validation errors detected: Value '{={Type=Token}, p={Type=Bogus}}' at 'roleMappings' failed to satisfy constraint: Map keys must satisfy constraint: [" + providerName + "]; " +
				"Value 'Bogus' at 'roleMappings.p.member.type' failed to satisfy constraint: Member must satisfy enum value set: [Token, Rules]",
		},
		{
			name: "list of identity ids: length, then members whole", svc: "cognito-identity", op: "DeleteIdentities",
			in: map[string]any{"IdentityIdsToDelete": ids(61, "nocolon")},
			contains: []string{"2 validation errors detected: Value '[" + identity + ", ",
				", nocolon]' at 'identityIdsToDelete' failed to satisfy constraint: Member must have length less than or equal to 60; Value '[" + identity,
				", nocolon]' at 'identityIdsToDelete' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 55, Member must have length greater than or equal to 1, " + idPattern + "]"},
		},
		{name: "sixty identity ids", svc: "cognito-identity", op: "DeleteIdentities", in: map[string]any{"IdentityIdsToDelete": ids(60, identity)}},
		{
			name: "list of structures stays member by member", svc: "sts", op: "AssumeRole",
			in: map[string]any{"RoleArn": roleArn, "RoleSessionName": "s1", "Tags": []any{map[string]any{"Key": "", "Value": "v"}}},
			want: "2 validation errors detected: Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
				`Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`,
		},
		{
			name: "IAM list of policy names", svc: "iam", op: "SimulateCustomPolicy",
			in: map[string]any{"PolicyInputList": []any{"{}", ""}, "ActionNames": []any{"s3:GetObject", "s3"}},
			want: "2 validation errors detected: Value '[{}, ]' at 'policyInputList' failed to satisfy constraint: Member must satisfy constraint: " +
				`[Member must have length less than or equal to 131072, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+]; ` +
				"Value '[s3:GetObject, s3]' at 'actionNames' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 3]",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			op := awsmodel.MustLoad(c.svc).Operations[c.op]
			if op == nil || op.Input == nil {
				t.Fatalf("%s has no operation %s with input", c.svc, c.op)
			}
			got := awsmodel.Validate(op.Input, c.in)
			switch {
			case c.contains != nil:
				for _, s := range c.contains {
					if !strings.Contains(got, s) {
						t.Errorf("message %q\nlacks %q", got, s)
					}
				}
			case got != c.want:
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
			for _, s := range c.absent {
				if strings.Contains(got, s) {
					t.Errorf("message %q echoes %q", got, s)
				}
			}
		})
	}
}

// TestValidateMatchesAWSAnswers replays requests whose real AWS answers are quoted in public
// issues. Where AWS listed the errors in an order Latchkey does not reproduce (see
// docs/security.md), the same errors must still be there, word for word.
func TestValidateMatchesAWSAnswers(t *testing.T) {
	for _, c := range []struct {
		source, op string
		in         map[string]any
		aws        string
		sameOrder  bool
	}{
		{
			source: "aws/aws-sdk-cpp#1085", op: "GetCredentialsForIdentity",
			in:  map[string]any{"IdentityId": "", "Logins": map[string]any{"xx.xx.xx/xx-xx-xx-xx-xx": ""}},
			aws: `3 validation errors detected: Value '{xx.xx.xx/xx-xx-xx-xx-xx=}' at 'logins' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 50000, Member must have length greater than or equal to 1]; Value '' at 'identityId' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '' at 'identityId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`,
		},
		{
			source: "aws-amplify/aws-sdk-ios#2317", op: "GetCredentialsForIdentity", sameOrder: true,
			in:  map[string]any{"IdentityId": "cn-north-1:00000000-0000-4000-8000-000000000000", "Logins": map[string]any{"cognito-identity.cn-north-1.amazonaws.com.cn": ""}},
			aws: `1 validation error detected: Value '{cognito-identity.cn-north-1.amazonaws.com.cn=}' at 'logins' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 50000, Member must have length greater than or equal to 1]`,
		},
		{
			source: "o3de/o3de-multiplayersample#105", op: "GetId", sameOrder: true,
			in:  map[string]any{"IdentityPoolId": ""},
			aws: `2 validation errors detected: Value '' at 'identityPoolId' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`,
		},
		{
			source: "aws/amazon-freertos#1829", op: "GetId", sameOrder: true,
			in:  map[string]any{"IdentityPoolId": "6eaf0258-e8c5-467f-90de-6e212326e6d3"},
			aws: `1 validation error detected: Value '6eaf0258-e8c5-467f-90de-6e212326e6d3' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`,
		},
	} {
		t.Run(c.source, func(t *testing.T) {
			got := awsmodel.Validate(awsmodel.MustLoad("cognito-identity").Operations[c.op].Input, c.in)
			if c.sameOrder {
				if got != c.aws {
					t.Errorf("got %q\naws %q", got, c.aws)
				}
				return
			}
			head := func(s string) (string, []string) {
				count, rest, _ := strings.Cut(s, ": ")
				errs := strings.Split(rest, "; ")
				sort.Strings(errs)
				return count, errs
			}
			gotCount, gotErrs := head(got)
			awsCount, awsErrs := head(c.aws)
			if gotCount != awsCount || strings.Join(gotErrs, "\n") != strings.Join(awsErrs, "\n") {
				t.Errorf("got %q\naws %q", got, c.aws)
			}
		})
	}
}

package awsmodel

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var serviceIDs = []string{"sts", "iam", "cognito-identity", "quicksight"}

// rawOps reads the operation names straight from the embedded JSON, independently of parse.
func rawOps(t *testing.T, id string) map[string]json.RawMessage {
	t.Helper()
	data, err := modelFS.ReadFile("models/" + id + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Operations map[string]json.RawMessage `json:"operations"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m.Operations
}

func TestLoadAllOperations(t *testing.T) {
	want := map[string]struct {
		protocol, version, signing, ns, target string
	}{
		"sts":              {"query", "2011-06-15", "sts", "https://sts.amazonaws.com/doc/2011-06-15/", ""},
		"iam":              {"query", "2010-05-08", "iam", "https://iam.amazonaws.com/doc/2010-05-08/", ""},
		"cognito-identity": {"json", "2014-06-30", "cognito-identity", "", "AWSCognitoIdentityService"},
		"quicksight":       {"rest-json", "2018-04-01", "quicksight", "", ""},
	}
	for _, id := range serviceIDs {
		t.Run(id, func(t *testing.T) {
			svc, err := Load(id)
			if err != nil {
				t.Fatal(err)
			}
			w := want[id]
			if svc.ID != id || svc.Protocol != w.protocol || svc.APIVersion != w.version || svc.SigningName != w.signing ||
				svc.XMLNamespace != w.ns || svc.TargetPrefix != w.target {
				t.Errorf("metadata = %q %q %q %q %q %q", svc.ID, svc.Protocol, svc.APIVersion, svc.SigningName, svc.XMLNamespace, svc.TargetPrefix)
			}
			raw := rawOps(t, id)
			if len(svc.Operations) != len(raw) || len(raw) == 0 {
				t.Fatalf("loaded %d operations, model has %d", len(svc.Operations), len(raw))
			}
			for name, rop := range raw {
				op := svc.Operations[name]
				if op == nil {
					t.Errorf("operation %s missing", name)
					continue
				}
				var r struct {
					Input  *struct{ Shape string }
					Output *struct {
						Shape         string
						ResultWrapper string
					}
					Errors []struct{ Shape string }
				}
				if err := json.Unmarshal(rop, &r); err != nil {
					t.Fatal(err)
				}
				if (r.Input == nil) != (op.Input == nil) || r.Input != nil && op.Input.Name != r.Input.Shape {
					t.Errorf("%s input = %v, model %v", name, op.Input, r.Input)
				}
				if (r.Output == nil) != (op.Output == nil) || r.Output != nil && op.Output.Name != r.Output.Shape {
					t.Errorf("%s output = %v, model %v", name, op.Output, r.Output)
				}
				if svc.Protocol == "query" && op.Output != nil && op.ResultWrapper != name+"Result" {
					t.Errorf("%s result wrapper = %q", name, op.ResultWrapper)
				}
				if len(op.Errors) != len(r.Errors) {
					t.Errorf("%s has %d errors, model %d", name, len(op.Errors), len(r.Errors))
				}
				for _, e := range op.Errors {
					if e.Error == nil {
						t.Errorf("%s error shape %s has no error trait", name, e.Name)
					}
				}
				if svc.Protocol == "rest-json" && (op.HTTPMethod == "" || !strings.HasPrefix(op.RequestURI, "/")) {
					t.Errorf("%s has no HTTP binding: %q %q", name, op.HTTPMethod, op.RequestURI)
				}
			}
		})
	}
	if _, err := Load("s3"); err == nil {
		t.Error("Load(s3) succeeded")
	}
}

var knownTypes = map[string]bool{
	"structure": true, "list": true, "map": true, "string": true, "integer": true, "long": true,
	"boolean": true, "timestamp": true, "blob": true, "double": true, "float": true,
}

// TestReachableShapesResolve walks every shape reachable from an operation and checks that every
// reference resolved, every structure indexes its members and required names are real members.
func TestReachableShapesResolve(t *testing.T) {
	for _, id := range serviceIDs {
		svc := MustLoad(id)
		seen := map[*Shape]bool{}
		var walk func(where string, s *Shape)
		walk = func(where string, s *Shape) {
			if s == nil {
				t.Errorf("%s %s: nil shape", id, where)
				return
			}
			if seen[s] {
				return
			}
			seen[s] = true
			if svc.Shapes[s.Name] != s {
				t.Errorf("%s %s: shape %s is not the service's own", id, where, s.Name)
			}
			if !knownTypes[s.Type] {
				t.Errorf("%s %s: shape %s has type %q", id, where, s.Name, s.Type)
			}
			switch s.Type {
			case "structure":
				for r := range s.Required {
					if s.MemberByName(r) == nil {
						t.Errorf("%s: %s requires unknown member %s", id, s.Name, r)
					}
				}
				for _, m := range s.Members {
					if s.MemberByName(m.Name) != m {
						t.Errorf("%s: %s.%s not indexed", id, s.Name, m.Name)
					}
					walk(s.Name+"."+m.Name, m.Shape)
				}
			case "list":
				if s.Member == nil {
					t.Errorf("%s: list %s has no member", id, s.Name)
					return
				}
				walk(s.Name+".member", s.Member.Shape)
			case "map":
				if s.Key == nil || s.Value == nil {
					t.Errorf("%s: map %s lacks key or value", id, s.Name)
					return
				}
				walk(s.Name+".key", s.Key.Shape)
				walk(s.Name+".value", s.Value.Shape)
			default:
				if len(s.Members) > 0 || s.Member != nil || s.Key != nil {
					t.Errorf("%s: scalar %s has children", id, s.Name)
				}
			}
		}
		names := make([]string, 0, len(svc.Operations))
		for n := range svc.Operations {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			op := svc.Operations[n]
			if op.Input != nil {
				walk(n+" input", op.Input)
			}
			if op.Output != nil {
				walk(n+" output", op.Output)
			}
		}
		if len(seen) < 10 {
			t.Errorf("%s: only %d shapes reachable", id, len(seen))
		}
	}
}

// Structures keep the model's member order, which responses follow.
func TestMemberOrder(t *testing.T) {
	ar := MustLoad("sts").Operations["AssumeRole"].Input
	var got []string
	for _, m := range ar.Members {
		got = append(got, m.Name)
	}
	want := "RoleArn RoleSessionName PolicyArns Policy DurationSeconds Tags TransitiveTagKeys ExternalId SerialNumber TokenCode SourceIdentity ProvidedContexts"
	if strings.Join(got, " ") != want {
		t.Errorf("order = %v", got)
	}
	if !ar.Required["RoleArn"] || !ar.Required["RoleSessionName"] || ar.Required["Policy"] {
		t.Errorf("required = %v", ar.Required)
	}
	if pd := MustLoad("sts").Shapes["PolicyDescriptorType"]; pd.MemberByName("arn") == nil || pd.MemberByName("Arn") != nil {
		t.Error("PolicyDescriptorType member must be the lowercase arn")
	}
}

func TestAllPatternsCompile(t *testing.T) {
	total := 0
	for _, id := range serviceIDs {
		for name, s := range MustLoad(id).Shapes {
			if s.Pattern == "" {
				continue
			}
			total++
			if _, known := s.MatchPattern(""); !known {
				_, err := regexp.Compile(`^(?:` + javaToRE2(s.Pattern) + `)$`)
				t.Errorf("%s %s: pattern %q does not compile: %v", id, name, s.Pattern, err)
			}
		}
	}
	if total < 40 {
		t.Errorf("only %d patterns found", total)
	}
}

func TestJavaToRE2(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`\u0009\u00FF`, `\x{0009}\x{00FF}`},
		{`[\u10000-\u10FFFF]`, `[\x{1000}0-\x{10FF}FF]`},
		{`[\w\s+=]+`, `[\w[:space:]+=]+`},
		{`\s\S`, `[[:space:]][[:^space:]]`},
		{`[\S]+`, `[[:^space:]]+`},
		{`\\u0041`, `\\u0041`},
		{`\Q[\u0041\E\u0041`, `\Q[\u0041\E\x{0041}`},
		{`\Q\s`, `\Q\s`},
		{`\u12`, `\u12`},
		{`[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`},
		{`a\`, `a\`},
	} {
		if got := javaToRE2(c.in); got != c.want {
			t.Errorf("javaToRE2(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestPatternSemantics checks that translated patterns accept what Java's java.util.regex (AWS's
// validator) accepts with Matcher.matches(): whole-string, ASCII \w \d \s, Unicode \p{…}.
func TestPatternSemantics(t *testing.T) {
	for _, c := range []struct {
		svc, shape, in string
		match          bool
	}{
		{"sts", "sessionPolicyDocumentType", `{"Version":"2012-10-17"}`, true},
		{"sts", "sessionPolicyDocumentType", "tab\tnl\ncr\r", true},
		{"sts", "sessionPolicyDocumentType", "caf\u00e9 \u00ff", true},
		{"sts", "sessionPolicyDocumentType", "\u20ac", false},
		{"sts", "sessionPolicyDocumentType", "\x01", false},
		{"sts", "sessionPolicyDocumentType", "\x0b", false},
		{"sts", "sessionPolicyDocumentType", "", false},
		{"sts", "tagKeyType", "Project", true},
		{"sts", "tagKeyType", "cost center", true},
		{"sts", "tagKeyType", "a\u00a0b", true}, // NBSP is \p{Zs}
		{"sts", "tagKeyType", "ключ日本", true},
		{"sts", "tagKeyType", "\u0661\u0662", true}, // Arabic-Indic digits are \p{N}
		{"sts", "tagKeyType", "a_.:/=+-@b", true},
		{"sts", "tagKeyType", "a#b", false},
		{"sts", "tagKeyType", "a\tb", false},
		{"sts", "tagKeyType", "a,b", false},
		{"sts", "tagKeyType", "\U0001F600", false},
		{"sts", "tagKeyType", "", false},
		{"sts", "tagValueType", "", true},
		{"sts", "roleSessionNameType", "sess-1", true},
		{"sts", "roleSessionNameType", "a+b=c,d.e@f_g-h", true},
		{"sts", "roleSessionNameType", "", true},
		{"sts", "roleSessionNameType", "a b", false},
		{"sts", "roleSessionNameType", "a:b", false},
		{"sts", "roleSessionNameType", "a/b", false},
		{"sts", "roleSessionNameType", "caf\u00e9", false}, // Java's \w is ASCII
		{"sts", "roleSessionNameType", "sess\n", false},    // matches() does not let $ skip a final newline
		{"sts", "externalIdType", "a:b/c", true},
		{"sts", "federatedIdType", "a:b", true},
		{"sts", "tokenCodeType", "123456", true},
		{"sts", "tokenCodeType", "\u0661\u0662\u0663", false}, // Java's \d is ASCII
		{"sts", "arnType", "arn:aws:iam::123456789012:role/demo", true},
		{"sts", "arnType", "arn\u0085\u00a0\ud7ff\ue000\ufffd", true},
		// Java reads \u10000-\u10FFFF as \u1000, 0-\u10FF, FF: the supplementary planes are not in
		// the set, and the stray 0-\u10FF range lets DEL and C1 controls through.
		{"sts", "arnType", "arn\U0001F600", false},
		{"sts", "arnType", "arn\x7f\u0080", true},
		{"sts", "arnType", "arn\x00", false},
		{"iam", "pathType", "/", true},
		{"iam", "pathType", "/a/b/", true},
		{"iam", "pathType", "/a", false},
		{"iam", "pathType", "a/", false},
		{"iam", "pathType", "//", false},
		{"iam", "pathType", "/a b/", false},
		{"iam", "pathPrefixType", "/", true},
		{"iam", "policyPathType", "/", true},
		{"iam", "policyPathType", "/a.b/c@d/", true},
		{"iam", "policyPathType", "/a b/", false},
		{"iam", "policyVersionIdType", "v1", true},
		{"iam", "policyVersionIdType", "v12.x-1", true},
		{"iam", "policyVersionIdType", "v0", false},
		{"iam", "roleDescriptionType", "", true},
		{"iam", "roleDescriptionType", "r\u00e9le", true},
		{"iam", "roleDescriptionType", "a\u00a0b", false},
		{"iam", "roleNameType", "my-role+x", true},
		{"iam", "roleNameType", "", false},
		{"iam", "SAMLProviderNameType", "my_idp.v-1", true},
		{"cognito-identity", "IdentityPoolName", "my pool", true},
		{"cognito-identity", "IdentityPoolName", "tab\tpool", true},
		{"cognito-identity", "IdentityPoolName", "vt\vpool", true}, // Java's \s includes \x0B, RE2's does not
		{"cognito-identity", "IdentityPoolName", "nb\u00a0sp", false},
		{"cognito-identity", "PaginationKey", "abc==", true},
		{"cognito-identity", "PaginationKey", "caf\u00e9", true},
		{"cognito-identity", "PaginationKey", "a b", false},
		{"cognito-identity", "PaginationKey", "a\vb", false},
		{"cognito-identity", "IdentityId", "us-east-1:0123abcd-0000-1111-2222-333344445555", true},
		{"cognito-identity", "IdentityId", "us-east-1:ABC", false},
		{"cognito-identity", "ClaimName", "custom:tenant", true},
		{"cognito-identity", "ClaimName", "a b", false},
		{"cognito-identity", "RoleType", "authenticated", true},
		{"cognito-identity", "RoleType", "unauthenticated", true},
		{"cognito-identity", "RoleType", "authenticatedx", false},
		{"quicksight", "AwsAccountId", "123456789012", true},
		{"quicksight", "AwsAccountId", "123456789012\n", false},
		{"quicksight", "AwsAccountId", "1234", false},
		{"quicksight", "Namespace", "default", true},
		{"quicksight", "Namespace", "", true},
		{"quicksight", "Namespace", "a/b", false},
		{"quicksight", "UserName", "alice/x y", true},
		{"quicksight", "Region", "us-east-1", true},
		{"quicksight", "Region", "us-east-12", false},
		{"quicksight", "RoleSessionName", "a,b", false},
	} {
		s := MustLoad(c.svc).Shapes[c.shape]
		if s == nil {
			t.Errorf("%s has no shape %s", c.svc, c.shape)
			continue
		}
		re := s.PatternRegexp()
		if re == nil {
			t.Errorf("%s %s: no pattern", c.svc, c.shape)
			continue
		}
		if got := re.MatchString(c.in); got != c.match {
			t.Errorf("%s %s (%s) on %q = %v, want %v", c.svc, c.shape, s.Pattern, c.in, got, c.match)
		}
	}
}

func TestUnsignedOperations(t *testing.T) {
	want := []string{
		"cognito-identity.GetCredentialsForIdentity", "cognito-identity.GetId", "cognito-identity.GetOpenIdToken",
		"cognito-identity.UnlinkIdentity", "sts.AssumeRoleWithSAML", "sts.AssumeRoleWithWebIdentity",
	}
	var got []string
	for _, id := range serviceIDs {
		for name, op := range MustLoad(id).Operations {
			if op.Unsigned {
				got = append(got, id+"."+name)
			}
		}
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("unsigned = %v\nwant %v", got, want)
	}
}

func TestErrorTraits(t *testing.T) {
	for _, c := range []struct {
		svc, shape, code string
		status           int
		sender           bool
	}{
		{"iam", "NoSuchEntityException", "NoSuchEntity", 404, true},
		{"iam", "EntityAlreadyExistsException", "EntityAlreadyExists", 409, true},
		{"iam", "MalformedPolicyDocumentException", "MalformedPolicyDocument", 400, true},
		{"iam", "ServiceFailureException", "ServiceFailure", 500, false},
		{"sts", "ExpiredTokenException", "ExpiredTokenException", 400, true},
		{"sts", "PackedPolicyTooLargeException", "PackedPolicyTooLarge", 400, true},
		{"sts", "IDPRejectedClaimException", "IDPRejectedClaim", 403, true},
		{"sts", "RegionDisabledException", "RegionDisabledException", 403, true},
		{"cognito-identity", "InternalErrorException", "InternalErrorException", 500, false},
		{"cognito-identity", "NotAuthorizedException", "NotAuthorizedException", 400, true},
		{"quicksight", "AccessDeniedException", "AccessDeniedException", 401, true},
		{"quicksight", "ResourceNotFoundException", "ResourceNotFoundException", 404, true},
		{"quicksight", "InternalFailureException", "InternalFailureException", 500, false},
		{"quicksight", "ThrottlingException", "ThrottlingException", 429, true},
		{"quicksight", "ResourceUnavailableException", "ResourceUnavailableException", 503, false},
		{"iam", "PolicyEvaluationException", "PolicyEvaluation", 500, false},
	} {
		svc := MustLoad(c.svc)
		s := svc.Shapes[c.shape]
		if s == nil || s.Error == nil {
			t.Errorf("%s %s: no error trait", c.svc, c.shape)
			continue
		}
		if *s.Error != (ErrorTrait{Code: c.code, HTTPStatus: c.status, Sender: c.sender}) {
			t.Errorf("%s %s = %+v", c.svc, c.shape, *s.Error)
		}
		if got := svc.ErrorShape(strings.ToLower(c.code)); got != s {
			t.Errorf("%s ErrorShape(%s) = %v", c.svc, c.code, got)
		}
	}
	if MustLoad("iam").ErrorShape("NoSuchEntityException") != nil {
		t.Error("IAM's wire code is NoSuchEntity; the shape name must not match")
	}
	// ErrorShape picks any match, so codes must be unique per service.
	for _, id := range serviceIDs {
		codes := map[string]string{}
		for name, s := range MustLoad(id).Shapes {
			if s.Error == nil {
				continue
			}
			k := strings.ToLower(s.Error.Code)
			if other, dup := codes[k]; dup {
				t.Errorf("%s: shapes %s and %s share code %s", id, name, other, s.Error.Code)
			}
			codes[k] = name
		}
	}
}

func TestHoldsSensitive(t *testing.T) {
	for _, c := range []struct {
		svc, shape string
		want       bool
	}{
		{"cognito-identity", "IdentityProviderToken", true},
		{"cognito-identity", "LoginsMap", true},
		{"cognito-identity", "GetIdInput", true},
		{"cognito-identity", "IdentityProviderName", false},
		{"sts", "tagListType", false},
		{"sts", "AssumeRoleWithWebIdentityRequest", true},
		{"quicksight", "UserIdentifier", true},
	} {
		if got := MustLoad(c.svc).Shapes[c.shape].holdsSensitive; got != c.want {
			t.Errorf("%s %s holdsSensitive = %v", c.svc, c.shape, got)
		}
	}
}

// TestLookaheadEquivalents: the account alias pattern (a negative lookahead in Java) accepts and
// refuses what IAM's does.
func TestLookaheadEquivalents(t *testing.T) {
	alias := MustLoad("iam").Shapes["accountAliasType"]
	for v, want := range map[string]bool{
		"abc": true, "my-company-dev": true, "a1-b2-c3": true, "0ab": true,
		"ab": false, "-abc": false, "abc-": false, "a--b": false, "ABC": false, "a_b": false,
		strings.Repeat("a", 63): true, strings.Repeat("a", 64): false,
	} {
		if got, known := alias.MatchPattern(v); got != want || !known {
			t.Errorf("MatchPattern(%q) = %v, %v; want %v, true", v, got, known, want)
		}
	}
}

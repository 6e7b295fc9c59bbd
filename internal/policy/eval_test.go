package policy

import (
	"slices"
	"sync"
	"testing"
)

// The minimal evaluation cases every IAM evaluator must get right (numbered below), each spelled
// out.
func TestMinimalList(t *testing.T) {
	allowIf := func(cond string) *Policy {
		return mustParse(t, Identity, identityDoc(`"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":`+cond))
	}
	req := func(ctx *Context) *Request {
		return &Request{Principal: userPrincipal("bob"), Action: "sts:AssumeRole", Resource: "arn:aws:iam::111122223333:role/r", Context: ctx}
	}

	t.Run("1 ForAllValues vacuous, ForAnyValue false", func(t *testing.T) {
		if allowIf(`{"ForAllValues:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`).Evaluate(req(nil)).Decision != Allow {
			t.Fatal("ForAllValues with absent key must be true")
		}
		if allowIf(`{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`).Evaluate(req(nil)).Decision != ImplicitDeny {
			t.Fatal("ForAnyValue with absent key must be false")
		}
	})
	t.Run("2 StringNotEquals on absent tag", func(t *testing.T) {
		if allowIf(`{"StringNotEquals":{"aws:PrincipalTag/team":"x"}}`).Evaluate(req(nil)).Decision != Allow {
			t.Fatal("StringNotEquals with absent key must be true")
		}
		if allowIf(`{"StringNotEqualsIfExists":{"aws:PrincipalTag/team":"x"}}`).Evaluate(req(nil)).Decision != Allow {
			t.Fatal("StringNotEqualsIfExists with absent key must be true")
		}
	})
	t.Run("3 Null false without ExternalId", func(t *testing.T) {
		if allowIf(`{"Null":{"sts:ExternalId":"false"}}`).Evaluate(req(nil)).Decision != ImplicitDeny {
			t.Fatal("Null false with absent key must be false")
		}
	})
	t.Run("4 account principal matches a session, identity still required", func(t *testing.T) {
		trust := mustParse(t, Trust, identityDoc(`"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"`))
		caller := sessionPrincipal("123456789012", "builder", "s")
		r := trust.Evaluate(&Request{Principal: caller, Action: "sts:AssumeRole"})
		if r.Decision != Allow || r.PrincipalMatch != PrincipalAccount {
			t.Fatalf("trust: %v %v", r.Decision, r.PrincipalMatch)
		}
		out := Decide(&Input{Request: Request{Principal: caller, Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/target"}, PrincipalAccount: "123456789012", ResourcePolicy: trust})
		if out.Decision != ImplicitDeny || out.Reason != "no identity-based policy allows the sts:AssumeRole action" {
			t.Fatalf("without identity: %v %q", out.Decision, out.Reason)
		}
		id := mustParse(t, Identity, identityDoc(`"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/target"`))
		out = Decide(&Input{Request: Request{Principal: caller, Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/target"}, PrincipalAccount: "123456789012", ResourcePolicy: trust, Identity: []*Policy{id}})
		if out.Decision != Allow {
			t.Fatalf("with identity: %v %q", out.Decision, out.Reason)
		}
	})
	t.Run("5 action case-insensitive", func(t *testing.T) {
		p := mustParse(t, Identity, identityDoc(`"Effect":"Allow","Action":"STS:assumerole","Resource":"*"`))
		if p.Evaluate(req(nil)).Decision != Allow {
			t.Fatal("STS:assumerole must match sts:AssumeRole")
		}
	})
	t.Run("6 username variable for a role session", func(t *testing.T) {
		p := mustParse(t, Identity, identityDoc(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/${aws:username}/*"`))
		ctx := ctxOf("aws:userid", "AROAEXAMPLEID:session", "aws:PrincipalType", "AssumedRole")
		for _, res := range []string{"arn:aws:s3:::bucket//x", "arn:aws:s3:::bucket/${aws:username}/x", "arn:aws:s3:::bucket/session/x"} {
			if p.Evaluate(&Request{Action: "s3:GetObject", Resource: res, Context: ctx}).Decision != ImplicitDeny {
				t.Fatalf("%s matched", res)
			}
		}
	})
	t.Run("7 ArnLike on the role ARN of a session", func(t *testing.T) {
		p := allowIf(`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/dev-*"}}`)
		if p.Evaluate(req(ctxOf("aws:PrincipalArn", "arn:aws:iam::123456789012:role/dev-app"))).Decision != Allow {
			t.Fatal("dev role must match")
		}
		if p.Evaluate(req(ctxOf("aws:PrincipalArn", "arn:aws:sts::123456789012:assumed-role/dev-app/s"))).Decision != ImplicitDeny {
			t.Fatal("a session ARN is not a role ARN")
		}
	})
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{ImplicitDeny: "implicitDeny", Allow: "allowed", ExplicitDeny: "explicitDeny", Decision(9): "implicitDeny"} {
		if d.String() != want {
			t.Errorf("%d: %q", d, d.String())
		}
	}
}

// Positions and matched statements, as SimulateCustomPolicy reports them.
func TestMatchedStatementsAndPositions(t *testing.T) {
	doc := "{\n" +
		"  \"Version\": \"2012-10-17\",\n" +
		"  \"Statement\": [\n" +
		"    {\"Sid\": \"A\", \"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n" +
		"    {\n" +
		"      \"Sid\": \"B\",\n" +
		"      \"Effect\": \"Allow\",\n" +
		"      \"Action\": \"s3:GetObject\",\n" +
		"      \"Resource\": \"*\"\n" +
		"    },\n" +
		"    {\"Effect\": \"Deny\", \"Action\": \"s3:DeleteObject\", \"Resource\": \"*\"}\n" +
		"  ]\n" +
		"}"
	p, err := Parse("arn:aws:iam::111122223333:policy/P", doc, Identity)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"})
	want := []MatchedStatement{
		{PolicyID: "arn:aws:iam::111122223333:policy/P", Sid: "A", Index: 0, Effect: "Allow", Start: Position{4, 5}, End: Position{4, 71}},
		{PolicyID: "arn:aws:iam::111122223333:policy/P", Sid: "B", Index: 1, Effect: "Allow", Start: Position{5, 5}, End: Position{10, 6}},
	}
	if r.Decision != Allow || !slices.Equal(r.Matched, want) {
		t.Fatalf("got %v %+v\nwant %+v", r.Decision, r.Matched, want)
	}
	r = p.Evaluate(&Request{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/k"})
	want = []MatchedStatement{{PolicyID: "arn:aws:iam::111122223333:policy/P", Index: 2, Effect: "Deny", Start: Position{11, 5}, End: Position{11, 69}}}
	if r.Decision != ExplicitDeny || !slices.Equal(r.Matched, want) {
		t.Fatalf("deny: %v %+v", r.Decision, r.Matched)
	}
	r = p.Evaluate(&Request{Action: "iam:GetUser", Resource: "*"})
	if r.Decision != ImplicitDeny || r.Matched != nil {
		t.Fatalf("implicit: %v %+v", r.Decision, r.Matched)
	}
}

func TestPositionsCountCharacters(t *testing.T) {
	doc := `{"Id":"é","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	p := mustParse(t, Identity, doc)
	st := p.statements[0]
	if st.start != (Position{1, 23}) || st.end != (Position{1, 69}) {
		t.Fatalf("%+v %+v", st.start, st.end)
	}
}

func TestMissingContextKeys(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"eng","AWS:PRINCIPALTAG/TEAM":"eng"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringLike":{"k":"${aws:PrincipalTag/dept}"}}},
		{"Effect":"Allow","Action":"iam:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}
	]}`
	p := mustParse(t, Identity, doc)
	r := p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x/y", Context: ctxOf("aws:SourceIp", "10.1.1.1", "k", "v", "aws:username", "x")})
	want := []string{"aws:PrincipalTag/team", "aws:PrincipalTag/dept"}
	if r.Decision != ImplicitDeny || !slices.Equal(r.MissingContextKeys, want) {
		t.Fatalf("%v %v want %v", r.Decision, r.MissingContextKeys, want)
	}
	// A resource that matches nothing for want of a variable stops the statement there.
	r = p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x/y", Context: ctxOf("aws:SourceIp", "10.1.1.1", "k", "v")})
	if !slices.Equal(r.MissingContextKeys, []string{"aws:username"}) {
		t.Fatalf("unresolved resource: %v", r.MissingContextKeys)
	}
	// The second statement's action does not match, so its key is not reported.
	if slices.Contains(r.MissingContextKeys, "aws:MultiFactorAuthPresent") {
		t.Fatal("key of an unmatched statement reported")
	}
	full := ctxOf("aws:SourceIp", "10.1.1.1", "k", "x", "aws:username", "x", "aws:PrincipalTag/team", "eng", "aws:PrincipalTag/dept", "x")
	r = p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x/y", Context: full})
	if r.Decision != Allow || r.MissingContextKeys != nil {
		t.Fatalf("complete context: %v %v", r.Decision, r.MissingContextKeys)
	}
}

// GetContextKeysForCustomPolicy lists keys in order of first appearance.
func TestContextKeys(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"StringLike":{"s3:prefix":"home/${aws:userid}/*"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},
		{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Null":{"AWS:USERNAME":"true"},"ForAllValues:StringEquals":{"aws:TagKeys":["a","${aws:PrincipalTag/x, 'd'}"]}}}
	]}`
	p := mustParse(t, Identity, doc)
	want := []string{"aws:username", "s3:prefix", "aws:userid", "aws:SourceIp", "aws:TagKeys", "aws:PrincipalTag/x"}
	if got := p.ContextKeys(); !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	p.ContextKeys()[0] = "mutated"
	if p.ContextKeys()[0] != "aws:username" {
		t.Fatal("ContextKeys exposes internal state")
	}
	old := mustParse(t, Identity, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}}`)
	if len(old.ContextKeys()) != 0 {
		t.Fatalf("2008 variables are text: %v", old.ContextKeys())
	}
}

func TestDenyOverridesAllowInOnePolicy(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`
	p := mustParse(t, Identity, doc)
	if p.Evaluate(&Request{Action: "iam:DeleteUser", Resource: "*"}).Decision != ExplicitDeny {
		t.Fatal("deny must win")
	}
	if p.Evaluate(&Request{Action: "sts:AssumeRole", Resource: "*"}).Decision != Allow {
		t.Fatal("allow elsewhere")
	}
}

func TestContextAPI(t *testing.T) {
	c := NewContext()
	vals := []string{"a", "b"}
	c.Set("aws:TagKeys", vals...)
	vals[0] = "mutated"
	got, ok := c.Get("AWS:TAGKEYS")
	if !ok || !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("%v %v", got, ok)
	}
	got[0] = "x"
	if again, _ := c.Get("aws:tagkeys"); again[0] != "a" {
		t.Fatal("Get exposes internal state")
	}
	c.Set("aws:TagKeys")
	if _, ok := c.Get("aws:TagKeys"); ok {
		t.Fatal("empty Set must remove")
	}
	c.Set("b", "1")
	c.Set("A", "2")
	if !slices.Equal(c.Keys(), []string{"A", "b"}) {
		t.Fatalf("keys %v", c.Keys())
	}
	d := c.Clone()
	d.Set("A", "3")
	if v, _ := c.Get("a"); v[0] != "2" {
		t.Fatal("Clone shares state")
	}
	var nilCtx *Context
	if _, ok := nilCtx.Get("x"); ok || nilCtx.Keys() != nil || nilCtx.Clone() == nil {
		t.Fatal("nil context")
	}
	var zero Context
	zero.Set("k", "v")
	if v, ok := zero.Get("K"); !ok || v[0] != "v" {
		t.Fatal("zero Context must be usable")
	}
}

// A parsed Policy is shared between request goroutines.
func TestConcurrentEvaluate(t *testing.T) {
	p := mustParse(t, Trust, benchTrustPolicy)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				ctx := ctxOf("token.actions.githubusercontent.com:sub", "repo:octo-org/octo-repo:ref:refs/heads/main", "token.actions.githubusercontent.com:aud", "sts.amazonaws.com")
				if (g+i)%2 == 0 {
					ctx.Set("token.actions.githubusercontent.com:aud", "other")
				}
				r := p.Evaluate(&Request{Principal: githubPrincipal, Action: "sts:AssumeRoleWithWebIdentity", Context: ctx})
				if want := (g+i)%2 != 0; (r.Decision == Allow) != want {
					t.Errorf("goroutine %d iteration %d: %v", g, i, r.Decision)
					return
				}
			}
		}()
	}
	wg.Wait()
}

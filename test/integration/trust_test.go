package integration

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/quicksight"
	qstypes "github.com/aws/aws-sdk-go-v2/service/quicksight/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	"github.com/golang-jwt/jwt/v5"
)

const starPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// starUser creates a user whose identity policy allows everything and returns its STS client.
func starUser(t *testing.T, ts *testServer, c *iam.Client, name string) *sts.Client {
	t.Helper()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("everything"), PolicyDocument: aws.String(starPolicy)}); err != nil {
		t.Fatal(err)
	}
	id, secret := mustKey(t, c, name)
	return ts.sts(id, secret)
}

func trustAWS(principal, actions, condition string) string {
	s := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":` + actions
	if condition != "" {
		s += `,"Condition":` + condition
	}
	return s + `}]}`
}

func assumeIn(c *sts.Client, role *string, mod func(*sts.AssumeRoleInput)) (*sts.AssumeRoleOutput, error) {
	in := &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("gate")}
	if mod != nil {
		mod(in)
	}
	return c.AssumeRole(ctx, in)
}

// A user whose identity policy allows *:* still needs the role's trust policy, for
// sts:AssumeRole and for every extra action the call uses (IAM User Guide, "Policy evaluation
// logic": role trust policies "must explicitly allow access for principals").
func TestTrustGateAssumeRole(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	admin := starUser(t, ts, root, "admin")
	adminARN := userARN("admin")
	createUserWithKey(t, ts, "alice")
	daveID, daveSecret := createUserWithKey(t, ts, "dave") // no policies at all
	dave := ts.sts(daveID, daveSecret)
	tags := []ststypes.Tag{{Key: aws.String("Project"), Value: aws.String("unicorn")}}

	aliceOnly := mustRole(t, root, "alice-only", trustAWS(userARN("alice"), `"sts:AssumeRole"`, ""))
	_, err := assumeIn(admin, aliceOnly.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)
	if !strings.Contains(err.Error(), "User: "+adminARN+" is not authorized to perform: sts:AssumeRole on resource: "+aws.ToString(aliceOnly.Arn)) {
		t.Fatalf("message: %v", err)
	}

	vendor := mustRole(t, root, "vendor", trustAWS("arn:aws:iam::"+accountID+":root", `"sts:AssumeRole"`, `{"StringEquals":{"sts:ExternalId":"ext-123"}}`))
	_, err = assumeIn(admin, vendor.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = assumeIn(admin, vendor.Arn, func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String("ext-999") })
	wantAPIError(t, err, "AccessDenied", 403)
	if _, err := assumeIn(admin, vendor.Arn, func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String("ext-123") }); err != nil {
		t.Fatalf("the right external id: %v", err)
	}

	mfa := mustRole(t, root, "needs-mfa", trustAWS("arn:aws:iam::"+accountID+":root", `"sts:AssumeRole"`, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`))
	_, err = assumeIn(admin, mfa.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)

	plain := mustRole(t, root, "plain", trustAWS(adminARN, `"sts:AssumeRole"`, ""))
	_, err = assumeIn(admin, plain.Arn, func(in *sts.AssumeRoleInput) { in.Tags = tags })
	wantAPIError(t, err, "AccessDenied", 403)
	if !strings.Contains(err.Error(), "sts:TagSession") {
		t.Fatalf("message: %v", err)
	}
	_, err = assumeIn(admin, plain.Arn, func(in *sts.AssumeRoleInput) { in.SourceIdentity = aws.String("admin") })
	wantAPIError(t, err, "AccessDenied", 403)
	if !strings.Contains(err.Error(), "sts:SetSourceIdentity") {
		t.Fatalf("message: %v", err)
	}
	if _, err := assumeIn(admin, plain.Arn, nil); err != nil {
		t.Fatalf("the trusted caller: %v", err)
	}

	tagged := mustRole(t, root, "tag-checked", trustAWS(adminARN, `["sts:AssumeRole","sts:TagSession"]`, `{"StringEquals":{"aws:RequestTag/Project":"unicorn"}}`))
	_, err = assumeIn(admin, tagged.Arn, func(in *sts.AssumeRoleInput) {
		in.Tags = []ststypes.Tag{{Key: aws.String("Project"), Value: aws.String("pegasus")}}
	})
	wantAPIError(t, err, "AccessDenied", 403)
	if _, err := assumeIn(admin, tagged.Arn, func(in *sts.AssumeRoleInput) { in.Tags = tags }); err != nil {
		t.Fatalf("allowed tag value: %v", err)
	}

	// Role chaining: a session of a role whose policy allows *:* is refused by a trust policy
	// that does not name it.
	power := mustRole(t, root, "power", trustAWS(adminARN, `"sts:AssumeRole"`, ""))
	if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("power"), PolicyName: aws.String("everything"), PolicyDocument: aws.String(starPolicy)}); err != nil {
		t.Fatal(err)
	}
	out, err := assumeIn(admin, power.Arn, nil)
	if err != nil {
		t.Fatal(err)
	}
	powerSTS, _ := ts.session(out.Credentials)
	_, err = assumeIn(powerSTS, aliceOnly.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)

	// An explicit Deny in the trust policy wins over its own Allow and over *:*.
	denied := mustRole(t, root, "denied", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+adminARN+`"},"Action":"sts:AssumeRole"},`+
		`{"Effect":"Deny","Principal":{"AWS":"`+adminARN+`"},"Action":"sts:AssumeRole","Condition":{"StringNotEquals":{"sts:ExternalId":"break-glass"}}}]}`)
	_, err = assumeIn(admin, denied.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)
	if !strings.Contains(err.Error(), "explicit deny") {
		t.Fatalf("message: %v", err)
	}
	if _, err := assumeIn(admin, denied.Arn, func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String("break-glass") }); err != nil {
		t.Fatalf("deny condition unmet: %v", err)
	}

	// Principal "*": a user of the account with no policies at all gets in (IAM User Guide,
	// "Principal", all principals), still subject to the trust's conditions.
	open := mustRole(t, root, "open", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"shared"}}}]}`)
	_, err = assumeIn(dave, open.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)
	if _, err := assumeIn(dave, open.Arn, func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String("shared") }); err != nil {
		t.Fatalf("Principal * for a same-account user: %v", err)
	}
}

// Across accounts both sides must allow: the trust policy naming the caller and the caller's own
// identity policies.
func TestTrustGateCrossAccount(t *testing.T) {
	ts := startServer(t)
	const other = "111111111111"
	otherID, otherSecret := ts.secondAccount(t, other)
	otherIAM := ts.iam(otherID, otherSecret)
	eve := starUser(t, ts, otherIAM, "eve")
	if _, err := otherIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")}); err != nil {
		t.Fatal(err)
	}
	malID, malSecret := mustKey(t, otherIAM, "mallory")
	mallory := ts.sts(malID, malSecret)
	root := ts.rootIAM()
	eveARN := "arn:aws:iam::" + other + ":user/eve"
	malloryARN := "arn:aws:iam::" + other + ":user/mallory"

	own := mustRole(t, root, "own-account", trustAWS("arn:aws:iam::"+accountID+":root", `"sts:AssumeRole"`, ""))
	_, err := assumeIn(eve, own.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)

	named := mustRole(t, root, "partners", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["`+eveARN+`","`+malloryARN+`"]},"Action":"sts:AssumeRole"}]}`)
	// The trust policy names mallory exactly, but mallory's own account grants her nothing.
	_, err = assumeIn(mallory, named.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)
	out, err := assumeIn(eve, named.Arn, nil)
	if err != nil {
		t.Fatalf("both sides allow: %v", err)
	}
	if !strings.HasPrefix(aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::"+accountID+":assumed-role/partners/") {
		t.Fatalf("session %+v", out.AssumedRoleUser)
	}
}

// ProvidedContexts (the QuickSight identity-enhanced path) also needs sts:SetContext in the
// trust policy, whatever the caller's policies allow.
func TestTrustGateSetContext(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	admin := starUser(t, ts, root, "admin")
	q := ts.quicksight(rootKeyID, rootSecret)
	registerQS(t, q, &quicksight.RegisterUserInput{IdentityType: qstypes.IdentityTypeQuicksight, UserName: aws.String("bob"),
		Email: aws.String("bob@example.com"), UserRole: qstypes.UserRoleReader})
	assertion := identityContext(t, q, &quicksight.GetIdentityContextInput{Namespace: aws.String("default"),
		UserIdentifier: &qstypes.UserIdentifierMemberUserName{Value: "bob"}})
	plain := mustRole(t, root, "plain", trustWithContext(userARN("admin"), "sts:AssumeRole"))
	_, err := assumeWithContext(ts, admin, aws.ToString(plain.Arn), qsProvider, assertion)
	wantAPIError(t, err, "AccessDenied", 403)
	if !strings.Contains(err.Error(), "sts:SetContext") {
		t.Fatalf("message: %v", err)
	}
	enhanced := mustRole(t, root, "enhanced", trustWithContext(userARN("admin"), "sts:AssumeRole", "sts:SetContext"))
	if _, err := assumeWithContext(ts, admin, aws.ToString(enhanced.Arn), qsProvider, assertion); err != nil {
		t.Fatalf("trusted SetContext: %v", err)
	}
}

// AssumeRoleWithWebIdentity: the trust policy must name the provider and allow the extra actions
// the token asks for.
func TestTrustGateWebIdentity(t *testing.T) {
	ts := startServer(t)
	p := startIdP(t, ts, "")
	c := ts.anonSTS()
	assume := func(role string, claims jwt.MapClaims) error {
		_, err := c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ci"), WebIdentityToken: aws.String(p.token(t, claims))})
		return err
	}
	tags := jwt.MapClaims{"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string]any{"team": []string{"ops"}}}}
	err := assume(p.role, tags)
	wantAPIError(t, err, "AccessDenied", 403)
	err = assume(p.role, jwt.MapClaims{"https://aws.amazon.com/source_identity": "ci-bot"})
	wantAPIError(t, err, "AccessDenied", 403)
	if err := assume(p.role, nil); err != nil {
		t.Fatalf("plain token: %v", err)
	}
	// Neither Principal "*" nor the account principal admits a federated caller.
	root := ts.rootIAM()
	star := mustRole(t, root, "star", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity"}]}`)
	wantAPIError(t, assume(aws.ToString(star.Arn), nil), "AccessDenied", 403)
	acct := mustRole(t, root, "acct", trustAWS(accountID, `"sts:AssumeRoleWithWebIdentity"`, ""))
	wantAPIError(t, assume(aws.ToString(acct.Arn), nil), "AccessDenied", 403)
	tagging := mustRole(t, root, "tagging", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+p.provider+`"},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"]}]}`)
	if err := assume(aws.ToString(tagging.Arn), tags); err != nil {
		t.Fatalf("tags with sts:TagSession: %v", err)
	}
}

// samlResponseWith is an assertion for the role pair with extra attributes.
func samlResponseWith(t *testing.T, s *samlIdP, pair string, extra ...crewjam.Attribute) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "https://idp.example.com/saml/sso", nil)
	req, err := s.idp.NewIdpInitiatedRequest(r, samlSP, "")
	if err != nil {
		t.Fatal(err)
	}
	str := func(v string) []crewjam.AttributeValue {
		return []crewjam.AttributeValue{{Type: "xs:string", Value: v}}
	}
	attrs := append([]crewjam.Attribute{{Name: "https://aws.amazon.com/SAML/Attributes/Role", Values: str(pair)},
		{Name: "https://aws.amazon.com/SAML/Attributes/RoleSessionName", Values: str("alice")}}, extra...)
	sess := &crewjam.Session{ID: "s", CreateTime: time.Now().Add(-time.Minute), ExpireTime: time.Now().Add(time.Hour), Index: "1",
		NameID: "alice@example.com", NameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", CustomAttributes: attrs}
	if err := (crewjam.DefaultAssertionMaker{}).MakeAssertion(req, sess); err != nil {
		t.Fatal(err)
	}
	if err := req.MakeResponse(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	d := etree.NewDocument()
	d.SetRoot(req.ResponseEl)
	if _, err := d.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// AssumeRoleWithSAML goes through the same gate.
func TestTrustGateSAML(t *testing.T) {
	ts := startServer(t)
	s := newSAMLIdP(t, ts)
	c := ts.anonSTS()
	assume := func(role, resp string) error {
		_, err := c.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(role), PrincipalArn: aws.String(s.provider), SAMLAssertion: aws.String(resp)})
		return err
	}
	tag := crewjam.Attribute{Name: "https://aws.amazon.com/SAML/Attributes/PrincipalTag:team", Values: []crewjam.AttributeValue{{Type: "xs:string", Value: "ops"}}}
	source := crewjam.Attribute{Name: "https://aws.amazon.com/SAML/Attributes/SourceIdentity", Values: []crewjam.AttributeValue{{Type: "xs:string", Value: "alice"}}}
	pair := s.role + "," + s.provider
	wantAPIError(t, assume(s.role, samlResponseWith(t, s, pair, tag)), "AccessDenied", 403)
	wantAPIError(t, assume(s.role, samlResponseWith(t, s, pair, source)), "AccessDenied", 403)
	if err := assume(s.role, samlResponseWith(t, s, pair)); err != nil {
		t.Fatalf("plain assertion: %v", err)
	}
	root := ts.rootIAM()
	wrongAction := mustRole(t, root, "wrong-action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+s.provider+`"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`)
	wantAPIError(t, assume(aws.ToString(wrongAction.Arn), samlResponseWith(t, s, aws.ToString(wrongAction.Arn)+","+s.provider)), "AccessDenied", 403)
	tagging := mustRole(t, root, "saml-tagging", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+s.provider+`"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"]}]}`)
	if err := assume(aws.ToString(tagging.Arn), samlResponseWith(t, s, aws.ToString(tagging.Arn)+","+s.provider, tag)); err != nil {
		t.Fatalf("tags with sts:TagSession: %v", err)
	}
}

// Classic (basic) flow across accounts: a guest of an identity pool in another account cannot
// assume a role whose trust policy does not pin that pool (STS API reference,
// AssumeRoleWithWebIdentity, RoleArn; Cognito Developer Guide, "Security best practices for
// Amazon Cognito identity pools").
func TestTrustGateCognitoClassicAcrossAccounts(t *testing.T) {
	ts := startServer(t)
	const other = "111111111111"
	otherID, otherSecret := ts.secondAccount(t, other)
	guestToken := func(c *cognitoidentity.Client) (pool, tok string) {
		t.Helper()
		p, err := c.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("guests"), AllowUnauthenticatedIdentities: true})
		if err != nil {
			t.Fatal(err)
		}
		pool = aws.ToString(p.IdentityPoolId)
		anon := ts.anonCognito()
		id, err := anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(pool)})
		if err != nil {
			t.Fatal(err)
		}
		out, err := anon.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: id.IdentityId})
		if err != nil {
			t.Fatal(err)
		}
		return pool, aws.ToString(out.Token)
	}
	foreignPool, foreignToken := guestToken(ts.cognito(otherID, otherSecret))
	ownPool, ownToken := guestToken(ts.cognito(rootKeyID, rootSecret))
	if foreignPool == ownPool {
		t.Fatal("one pool")
	}

	root := ts.rootIAM()
	role := func(name, condition string) string {
		r := mustRole(t, root, name, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+cognitoPrincipal+`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":`+condition+`}]}`)
		return aws.ToString(r.Arn)
	}
	guestsOnly := role("guests-only", `{"ForAnyValue:StringLike":{"`+cognitoPrincipal+`:amr":"unauthenticated"}}`)
	audOnly := role("aud-only", `{"StringEquals":{"`+cognitoPrincipal+`:aud":"`+foreignPool+`"}}`)
	partner := mustRole(t, root, "partner", cognitoTrust(foreignPool, "unauthenticated"))
	assume := func(role, tok string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return ts.anonSTS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(role), RoleSessionName: aws.String("guest"), WebIdentityToken: aws.String(tok)})
	}

	// The attack: a guest of the other account's pool against a role that trusts every pool.
	_, err := assume(guestsOnly, foreignToken)
	wantAPIError(t, err, "AccessDenied", 403)
	if !strings.Contains(err.Error(), "Not authorized to perform sts:AssumeRoleWithWebIdentity") {
		t.Fatalf("message: %v", err)
	}
	// aud alone is not enough across accounts: STS requires amr as well.
	_, err = assume(audOnly, foreignToken)
	wantAPIError(t, err, "AccessDenied", 403)
	// The legitimate path: a trust policy that pins the other account's pool.
	out, err := assume(aws.ToString(partner.Arn), foreignToken)
	if err != nil {
		t.Fatalf("pinned pool: %v", err)
	}
	if aws.ToString(out.Audience) != foreignPool {
		t.Fatalf("audience %q", aws.ToString(out.Audience))
	}
	// The same loose trust still serves the role account's own pool.
	if _, err := assume(guestsOnly, ownToken); err != nil {
		t.Fatalf("own pool, loose trust: %v", err)
	}
	// And the pinned trust refuses the own pool's guests (its aud condition).
	_, err = assume(aws.ToString(partner.Arn), ownToken)
	wantAPIError(t, err, "AccessDenied", 403)
}

// A trust policy that names the caller exactly does not lift the caller's permissions boundary:
// "If a permissions boundary is set for the user, then it must allow the sts:AssumeRole action"
// (IAM User Guide, "Update a role trust policy"). Found by an adversarial review: the exact-ARN
// match used to grant past the boundary.
func TestTrustGateExactMatchKeepsBoundary(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	bounded := starUser(t, ts, root, "bounded")
	readOnly := "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
	if _, err := root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String(readOnly)}); err != nil {
		t.Fatal(err)
	}
	exact := mustRole(t, root, "exact-user", trustAWS(userARN("bounded"), `"sts:AssumeRole"`, ""))
	_, err := assumeIn(bounded, exact.Arn, nil)
	wantAPIError(t, err, "AccessDenied", 403)
	if !strings.Contains(err.Error(), "because no permissions boundary allows the sts:AssumeRole action") {
		t.Fatalf("message: %v", err)
	}
	// A boundary that allows sts:AssumeRole lets the same call through.
	if _, err := root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := assumeIn(bounded, exact.Arn, nil); err != nil {
		t.Fatalf("boundary allows, trust names the user: %v", err)
	}
}

// Another account's customer managed policy is neither a permissions boundary nor a session policy
// here, and the answer is the one for a policy that does not exist, so it does not tell whether the
// policy exists (IAM User Guide, customer managed policies belong to their own account; STS API
// Reference, AssumeRole PolicyArns: "The policies must exist in the same account as the role").
// Found by an adversarial review: account A could pin account B's policy as a boundary, and B could
// then never delete it.
func TestOtherAccountsPoliciesAreNotUsable(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	const other = "111111111111"
	otherID, otherSecret := ts.secondAccount(t, other)
	otherIAM := ts.iam(otherID, otherSecret)
	foreign, err := otherIAM.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("b-only"), PolicyDocument: aws.String(starPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	foreignARN := aws.ToString(foreign.Policy.Arn)
	missingARN := "arn:aws:iam::" + other + ":policy/nope"
	admin := starUser(t, ts, root, "admin")

	for _, arn := range []string{foreignARN, missingARN} {
		_, err = root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("admin"), PermissionsBoundary: aws.String(arn)})
		wantAPIError(t, err, "NoSuchEntity", 404)
		if !strings.Contains(err.Error(), "Scope ARN: "+arn+" does not exist or is not attachable.") {
			t.Fatalf("message: %v", err)
		}
		_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bounded"), AssumeRolePolicyDocument: aws.String(trustAWS(userARN("admin"), `"sts:AssumeRole"`, "")), PermissionsBoundary: aws.String(arn)})
		wantAPIError(t, err, "NoSuchEntity", 404)
	}
	if _, err := otherIAM.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: foreign.Policy.Arn}); err != nil {
		t.Fatalf("account B deletes its own policy: %v", err)
	}
	foreign, err = otherIAM.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("b-only"), PolicyDocument: aws.String(starPolicy)})
	if err != nil {
		t.Fatal(err)
	}

	role := mustRole(t, root, "session-policies", trustAWS(userARN("admin"), `"sts:AssumeRole"`, ""))
	for _, arn := range []string{aws.ToString(foreign.Policy.Arn), missingARN} {
		_, err = assumeIn(admin, role.Arn, func(in *sts.AssumeRoleInput) { in.PolicyArns = []ststypes.PolicyDescriptorType{{Arn: aws.String(arn)}} })
		wantAPIError(t, err, "MalformedPolicyDocument", 400)
		if !strings.Contains(err.Error(), "The policy "+arn+" does not exist or is not attachable.") {
			t.Fatalf("message: %v", err)
		}
	}
	// The legitimate paths: an AWS managed policy and a policy of the role's own account.
	own, err := root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("a-own"), PolicyDocument: aws.String(starPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	for _, arn := range []string{"arn:aws:iam::aws:policy/AdministratorAccess", aws.ToString(own.Policy.Arn)} {
		if _, err := root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("admin"), PermissionsBoundary: aws.String(arn)}); err != nil {
			t.Fatalf("boundary %s: %v", arn, err)
		}
		if _, err := assumeIn(admin, role.Arn, func(in *sts.AssumeRoleInput) { in.PolicyArns = []ststypes.PolicyDescriptorType{{Arn: aws.String(arn)}} }); err != nil {
			t.Fatalf("session policy %s: %v", arn, err)
		}
	}
}

package integration

import (
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

// idp is an independent OIDC provider (mockoidc) registered in Latchkey, with a role that trusts it.
type idp struct {
	m        *mockoidc.MockOIDC
	prefix   string // issuer without scheme: the condition-key prefix
	provider string // IAM provider ARN
	clientID string
	role     string
}

func startIdP(t *testing.T, ts *testServer, trustCondition string) *idp {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	root := ts.rootIAM()
	p, err := root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(m.Issuer()), ClientIDList: []string{"sts.amazonaws.com"}})
	if err != nil {
		t.Fatal(err)
	}
	prefix := strings.TrimPrefix(m.Issuer(), "http://")
	if trustCondition == "" {
		trustCondition = `{"StringEquals":{"` + prefix + `:aud":"sts.amazonaws.com"},"StringLike":{"` + prefix + `:sub":"repo:acme/*"}}`
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + aws.ToString(p.OpenIDConnectProviderArn) + `"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":` + trustCondition + `}]}`
	role := mustRole(t, root, "ci", trust)
	return &idp{m: m, prefix: prefix, provider: aws.ToString(p.OpenIDConnectProviderArn), clientID: "sts.amazonaws.com", role: aws.ToString(role.Arn)}
}

func (p *idp) token(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	base := jwt.MapClaims{"iss": p.m.Issuer(), "aud": p.clientID, "sub": "repo:acme/app:ref:refs/heads/main",
		"iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(base, k)
			continue
		}
		base[k] = v
	}
	tok, err := p.m.Keypair.SignJWT(base)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (ts *testServer) anonSTS() *sts.Client {
	return sts.NewFromConfig(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1}, func(o *sts.Options) { o.BaseEndpoint = aws.String(ts.URL) })
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	ts := startServer(t)
	p := startIdP(t, ts, "")
	c := ts.anonSTS()
	out, err := c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(p.role), RoleSessionName: aws.String("gha-1"), WebIdentityToken: aws.String(p.token(t, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != "repo:acme/app:ref:refs/heads/main" || aws.ToString(out.Provider) != p.provider ||
		aws.ToString(out.Audience) != "sts.amazonaws.com" || aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+accountID+":assumed-role/ci/gha-1" {
		t.Fatalf("output %+v %+v", out, out.AssumedRoleUser)
	}
	s, _ := ts.session(out.Credentials)
	who, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != aws.ToString(out.AssumedRoleUser.Arn) {
		t.Fatalf("identity %+v %v", who, err)
	}

	assume := func(tok string) error {
		_, err := c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(p.role), RoleSessionName: aws.String("gha-1"), WebIdentityToken: aws.String(tok)})
		return err
	}
	// The trust policy's sub condition.
	err = assume(p.token(t, jwt.MapClaims{"sub": "repo:evil/app:ref:refs/heads/main"}))
	wantAPIError(t, err, "AccessDenied", 403)
	if !strings.Contains(err.Error(), "Not authorized to perform sts:AssumeRoleWithWebIdentity") {
		t.Fatalf("message: %v", err)
	}
	err = assume(p.token(t, jwt.MapClaims{"aud": "someone-else"}))
	wantAPIError(t, err, "InvalidIdentityToken", 400)
	if !strings.Contains(err.Error(), "Incorrect token audience") {
		t.Fatalf("message: %v", err)
	}
	var iit *ststypes.InvalidIdentityTokenException
	if !errorsAs(err, &iit) {
		t.Fatalf("not typed: %T", err)
	}
	err = assume(p.token(t, jwt.MapClaims{"exp": time.Now().Add(-time.Minute).Unix()}))
	wantAPIError(t, err, "ExpiredTokenException", 400)
	if !strings.Contains(err.Error(), "Token expired: current date/time") {
		t.Fatalf("message: %v", err)
	}
	err = assume(p.token(t, jwt.MapClaims{"nbf": time.Now().Add(time.Hour).Unix()}))
	wantAPIError(t, err, "InvalidIdentityToken", 400)
	err = assume(p.token(t, jwt.MapClaims{"sub": nil}))
	wantAPIError(t, err, "InvalidIdentityToken", 400)
	err = assume(p.token(t, jwt.MapClaims{"iss": "https://unknown.example.com"}))
	wantAPIError(t, err, "InvalidIdentityToken", 400)
	if !strings.Contains(err.Error(), "No OpenIDConnect provider found in your account for https://unknown.example.com") {
		t.Fatalf("message: %v", err)
	}
	err = assume("garbage")
	wantAPIError(t, err, "InvalidIdentityToken", 400)
	// alg=none, and a tampered payload.
	good := p.token(t, nil)
	parts := strings.Split(good, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	wantAPIError(t, assume(none), "InvalidIdentityToken", 400)
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := strings.Replace(string(payload), "repo:acme/app", "repo:acme/adm", 1)
	wantAPIError(t, assume(parts[0]+"."+base64.RawURLEncoding.EncodeToString([]byte(tampered))+"."+parts[2]), "InvalidIdentityToken", 400)

	// Session tags from the token need sts:TagSession.
	tagged := p.token(t, jwt.MapClaims{"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string]any{"team": []string{"ci"}}}})
	wantAPIError(t, assume(tagged), "AccessDenied", 403)

	// Deleting the provider stops its tokens.
	if _, err := ts.rootIAM().DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(p.provider)}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, assume(p.token(t, nil)), "InvalidIdentityToken", 400)
}

func TestWebIdentityIdPDown(t *testing.T) {
	ts := startServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	p, err := ts.rootIAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(dead), ClientIDList: []string{"aud"}})
	if err != nil {
		t.Fatal(err)
	}
	role := mustRole(t, ts.rootIAM(), "r", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+aws.ToString(p.OpenIDConnectProviderArn)+`"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`)
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown()
	tok, _ := m.Keypair.SignJWT(jwt.MapClaims{"iss": dead, "aud": "aud", "sub": "someone-long", "exp": time.Now().Add(time.Hour).Unix()})
	start := time.Now()
	_, err = ts.anonSTS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1"), WebIdentityToken: aws.String(tok)})
	wantAPIError(t, err, "IDPCommunicationError", 400)
	if time.Since(start) > 10*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
}

func TestOIDCProvidersThroughIAM(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	p, err := root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com"),
		ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{"6938fd4d98bab03faadb97b34396831e3780aea1"}})
	if err != nil {
		t.Fatal(err)
	}
	arn := p.OpenIDConnectProviderArn
	if aws.ToString(arn) != "arn:aws:iam::"+accountID+":oidc-provider/token.actions.githubusercontent.com" {
		t.Fatalf("arn %s", aws.ToString(arn))
	}
	_, err = root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com")})
	wantAPIError(t, err, "EntityAlreadyExists", 409)
	_, err = root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://x.example.com"), ThumbprintList: []string{"nothex"}})
	if err == nil {
		t.Fatal("bad thumbprint accepted")
	}
	if _, err := root.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: arn, ThumbprintList: []string{}}); err != nil {
		t.Fatal(err)
	}
	got, err := root.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn})
	if err != nil || aws.ToString(got.Url) != "token.actions.githubusercontent.com" || len(got.ClientIDList) != 2 || len(got.ThumbprintList) != 0 {
		t.Fatalf("get %+v %v", got, err)
	}
	list, err := root.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(list.OpenIDConnectProviderList) != 1 {
		t.Fatalf("list %+v %v", list, err)
	}
	if _, err := root.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn}); err != nil {
		t.Fatal(err)
	}
	_, err = root.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn})
	wantAPIError(t, err, "NoSuchEntity", 404)
}

// The SDK's own web-identity credential provider, configured only through the environment.
func TestSDKWebIdentityCredentialChain(t *testing.T) {
	ts := startServer(t)
	p := startIdP(t, ts, `{"StringEquals":{"sts:RoleSessionName":"sdk-chain"}}`)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(p.token(t, nil)), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ROLE_ARN": p.role, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_SESSION_NAME": "sdk-chain",
		"AWS_ENDPOINT_URL_STS": ts.URL, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") {
		t.Fatalf("credentials %s", creds.AccessKeyID)
	}
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:sts::"+accountID+":assumed-role/ci/sdk-chain" {
		t.Fatalf("identity %+v %v", who, err)
	}
}

func TestGetWebIdentityTokenVerifiesWithGoOIDC(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	id, secret := createUserWithKey(t, ts, "svc")
	_, err := ts.sts(id, secret).GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{Audience: []string{"my-api"}, SigningAlgorithm: aws.String("RS256")})
	wantAPIError(t, err, "AccessDenied", 403)
	if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("svc"), PolicyName: aws.String("jwt"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.sts(id, secret).GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{Audience: []string{"my-api"}, SigningAlgorithm: aws.String("RS256")})
	wantAPIError(t, err, "OutboundWebIdentityFederationDisabledException", 403)
	_, err = root.GetOutboundWebIdentityFederationInfo(ctx, &iam.GetOutboundWebIdentityFederationInfoInput{})
	wantAPIError(t, err, "FeatureDisabled", 404)
	en, err := root.EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})
	if err != nil {
		t.Fatal(err)
	}
	issuer := aws.ToString(en.IssuerIdentifier)
	if !strings.HasPrefix(issuer, ts.URL+"/outbound/") {
		t.Fatalf("issuer %s", issuer)
	}
	_, err = root.EnableOutboundWebIdentityFederation(ctx, &iam.EnableOutboundWebIdentityFederationInput{})
	wantAPIError(t, err, "FeatureEnabled", 409)

	provider, err := gooidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{"RS256", "ES384"} {
		out, err := ts.sts(id, secret).GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{Audience: []string{"my-api"}, SigningAlgorithm: aws.String(alg), DurationSeconds: aws.Int32(120)})
		if err != nil {
			t.Fatal(err)
		}
		v := provider.Verifier(&gooidc.Config{ClientID: "my-api", SupportedSigningAlgs: []string{alg}})
		idt, err := v.Verify(ctx, aws.ToString(out.WebIdentityToken))
		if err != nil {
			t.Fatalf("%s: go-oidc rejects Latchkey's token: %v", alg, err)
		}
		if idt.Subject != userARN("svc") || idt.Issuer != issuer {
			t.Fatalf("%s: claims %+v", alg, idt)
		}
		if d := time.Until(aws.ToTime(out.Expiration)); d > 2*time.Minute || d < time.Minute {
			t.Fatalf("expiration in %v", d)
		}
	}
	_, err = ts.sts(id, secret).GetWebIdentityToken(ctx, &sts.GetWebIdentityTokenInput{Audience: []string{"a"}, SigningAlgorithm: aws.String("HS256")})
	wantAPIError(t, err, "ValidationError", 400)
}

func TestWebIdentityRefusalIsAudited(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	ts := startServer(t, func(c *config.Config, _ *app.Options) { c.AuditLog = logPath })
	p := startIdP(t, ts, "")
	_, err := ts.anonSTS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(p.role), RoleSessionName: aws.String("gha-1"),
		WebIdentityToken: aws.String(p.token(t, jwt.MapClaims{"sub": "repo:evil/x"}))})
	wantAPIError(t, err, "AccessDenied", 403)
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	line := string(data)
	if !strings.Contains(line, `"eventName":"AssumeRoleWithWebIdentity"`) || !strings.Contains(line, `"errorCode":"AccessDenied"`) || !strings.Contains(line, "latchkeyRefusalReason") {
		t.Fatalf("audit: %s", line)
	}
	if strings.Contains(line, "webIdentityToken") {
		t.Fatalf("the token reached the audit log: %s", line)
	}
}

// TestWebIdentityWrongAudienceIsExplained: a token for another audience is refused with AWS's
// message, and the audit event's reason explains it with the token's aud and the provider's
// client ids, never the token.
func TestWebIdentityWrongAudienceIsExplained(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	ts := startServer(t, func(c *config.Config, _ *app.Options) { c.AuditLog = logPath })
	p := startIdP(t, ts, "")
	tok := p.token(t, jwt.MapClaims{"aud": "my-other-app"})
	_, err := ts.anonSTS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(p.role), RoleSessionName: aws.String("gha-1"),
		WebIdentityToken: aws.String(tok)})
	wantAPIError(t, err, "InvalidIdentityToken", 400)
	if !strings.Contains(err.Error(), "Incorrect token audience") || strings.Contains(err.Error(), "my-other-app") {
		t.Fatalf("the caller's message changed: %v", err)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	line := string(data)
	if !strings.Contains(line, `"errorCode":"InvalidIdentityToken"`) || !strings.Contains(line, `aud \"my-other-app\" is not a client id`) ||
		!strings.Contains(line, `accepts \"sts.amazonaws.com\"`) {
		t.Fatalf("audit does not explain the audience: %s", line)
	}
	for _, part := range strings.Split(tok, ".") {
		if strings.Contains(line, part) {
			t.Fatalf("the token reached the audit log: %s", line)
		}
	}
}

func BenchmarkAssumeRoleWithWebIdentity(b *testing.B) {
	ts := startServer(b)
	m, err := mockoidc.Run()
	if err != nil {
		b.Fatal(err)
	}
	defer m.Shutdown()
	prov, err := ts.rootIAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(m.Issuer()), ClientIDList: []string{"sts.amazonaws.com"}})
	if err != nil {
		b.Fatal(err)
	}
	role, err := ts.rootIAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ci"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + aws.ToString(prov.OpenIDConnectProviderArn) + `"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`)})
	if err != nil {
		b.Fatal(err)
	}
	tok, _ := m.Keypair.SignJWT(jwt.MapClaims{"iss": m.Issuer(), "aud": "sts.amazonaws.com", "sub": "repo:acme/app", "exp": time.Now().Add(time.Hour).Unix()})
	c := ts.anonSTS()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("bench"), WebIdentityToken: aws.String(tok)}); err != nil {
			b.Fatal(err)
		}
	}
}

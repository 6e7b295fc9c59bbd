package loadgen

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// fixture is what setup created in the Latchkey child, through the AWS SDK for Go v2.
type fixture struct {
	idp          *idp
	login        string // the Logins key: the issuer without its scheme
	webRole      string // trusts the OIDC provider for AssumeRoleWithWebIdentity
	assumeRole   string // trusts the user for AssumeRole
	pool         string // identity pool with the OIDC provider as its login
	identity     string // the pool identity of subject "load-user"
	webToken     string // RS256 ID token of "load-user"
	userKey      aws.Credentials
	session      aws.Credentials // Latchkey session credentials (from AssumeRole)
	floorSession aws.Credentials // floor session credentials, sealed with the floor key
}

const loadSubject = "load-user"

func sdkConfig(keyID, secret, token string) aws.Config {
	return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, token)}
}

// setup creates, as the account root: an OIDC provider for the tool's IdP, a role trusting it, a
// user whose access key may call sts:AssumeRole and a role trusting that user, and a Cognito
// identity pool with the provider as its login and an authenticated role; then the pool identity
// of the load subject and session credentials from AssumeRole.
func setup(ctx context.Context, url string, p *idp) (*fixture, error) {
	f := &fixture{idp: p, login: strings.TrimPrefix(p.issuer, "http://")}
	endpoint := aws.String(url)
	rootCfg := sdkConfig(rootKeyID, rootSecret, "")
	ic := iam.NewFromConfig(rootCfg, func(o *iam.Options) { o.BaseEndpoint = endpoint })
	prov, err := ic.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(p.issuer), ClientIDList: []string{Audience}})
	if err != nil {
		return nil, fmt.Errorf("CreateOpenIDConnectProvider: %w", err)
	}
	provider := aws.ToString(prov.OpenIDConnectProviderArn)
	webTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider +
		`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + f.login + `:aud":"` + Audience + `"}}}]}`
	if f.webRole, err = createRole(ctx, ic, "load-web-identity", webTrust); err != nil {
		return nil, err
	}
	user, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("load")})
	if err != nil {
		return nil, fmt.Errorf("CreateUser: %w", err)
	}
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("load"), PolicyName: aws.String("assume"), PolicyDocument: aws.String(allow)}); err != nil {
		return nil, fmt.Errorf("PutUserPolicy: %w", err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("load")})
	if err != nil {
		return nil, fmt.Errorf("CreateAccessKey: %w", err)
	}
	f.userKey = aws.Credentials{AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey)}
	userTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + aws.ToString(user.User.Arn) + `"},"Action":"sts:AssumeRole"}]}`
	if f.assumeRole, err = createRole(ctx, ic, "load-assume", userTrust); err != nil {
		return nil, err
	}
	if err := f.setupCognito(ctx, rootCfg, ic, endpoint, provider); err != nil {
		return nil, err
	}
	if f.session, err = f.newSession(ctx, url); err != nil {
		return nil, err
	}
	return f, nil
}

// sessionLifetime is how long the session credentials of newSession last.
const sessionLifetime = time.Hour

// newSession is session credentials from AssumeRole of the fixture's role with the user's key.
func (f *fixture) newSession(ctx context.Context, url string) (aws.Credentials, error) {
	sc := sts.NewFromConfig(sdkConfig(f.userKey.AccessKeyID, f.userKey.SecretAccessKey, ""), func(o *sts.Options) { o.BaseEndpoint = aws.String(url) })
	out, err := sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(f.assumeRole), RoleSessionName: aws.String("load"),
		DurationSeconds: aws.Int32(int32(sessionLifetime / time.Second))})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("AssumeRole: %w", err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}, nil
}

func (f *fixture) setupCognito(ctx context.Context, rootCfg aws.Config, ic *iam.Client, endpoint *string, provider string) error {
	cc := cognitoidentity.NewFromConfig(rootCfg, func(o *cognitoidentity.Options) { o.BaseEndpoint = endpoint })
	pool, err := cc.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("load"),
		AllowUnauthenticatedIdentities: false, OpenIdConnectProviderARNs: []string{provider}})
	if err != nil {
		return fmt.Errorf("CreateIdentityPool: %w", err)
	}
	f.pool = aws.ToString(pool.IdentityPoolId)
	const principal = "cognito-identity.amazonaws.com"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + principal + `"},` +
		`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + principal + `:aud":"` + f.pool + `"},` +
		`"ForAnyValue:StringLike":{"` + principal + `:amr":"authenticated"}}}]}`
	role, err := createRole(ctx, ic, "load-cognito", trust)
	if err != nil {
		return err
	}
	if _, err := cc.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(f.pool),
		Roles: map[string]string{"authenticated": role}}); err != nil {
		return fmt.Errorf("SetIdentityPoolRoles: %w", err)
	}
	if f.webToken, err = f.idp.token(loadSubject, false, time.Now()); err != nil {
		return err
	}
	anon := cognitoidentity.NewFromConfig(aws.Config{Region: "us-east-1"}, func(o *cognitoidentity.Options) { o.BaseEndpoint = endpoint })
	id, err := anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(f.pool), Logins: map[string]string{f.login: f.webToken}})
	if err != nil {
		return fmt.Errorf("GetId: %w", err)
	}
	f.identity = aws.ToString(id.IdentityId)
	return nil
}

func createRole(ctx context.Context, ic *iam.Client, name, trust string) (string, error) {
	r, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		return "", fmt.Errorf("CreateRole %s: %w", name, err)
	}
	return aws.ToString(r.Role.Arn), nil
}

package multinode

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// credentialPaths are the credential operations of one node for one ID token, each answering
// nil on success.
type credentialPaths struct {
	webIdentity, getID, credentials func() error
	identity                        string
}

// refusedWith turns a probe into one that answers nil once the call is refused with code.
func refusedWith(code string, call func() error) func() error {
	return func() error {
		err := call()
		if got, _ := apiCode(err); got == code {
			return nil
		}
		return fmt.Errorf("want %s, got %v", code, err)
	}
}

// testCredentialCaches: roles, OIDC providers, identity pools and identities are served from each
// node's caches on the credential paths. Deleting one on node a refuses it on node a at once and
// on node b, whose caches were warmed just before, within the cache bound.
func testCredentialCaches(t *testing.T, a, b *node) {
	idp, err := mockoidc.Run()
	noErr(t, "starting the IdP", err)
	defer func() { _ = idp.Shutdown() }()
	root := a.rootIAM()
	prov, err := root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(idp.Issuer()), ClientIDList: []string{"caches"}})
	noErr(t, "CreateOpenIDConnectProvider on node a", err)
	provARN := aws.ToString(prov.OpenIDConnectProviderArn)
	pool, err := a.cognito(rootKeyID, rootSecret, "").CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("caches"), OpenIdConnectProviderARNs: []string{provARN}})
	noErr(t, "CreateIdentityPool on node a", err)
	federated := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"%s"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"%s":"%s"}}}]}`
	_, err = root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("web"),
		AssumeRolePolicyDocument: aws.String(fmt.Sprintf(federated, provARN, strings.TrimPrefix(idp.Issuer(), "http://")+":aud", "caches"))})
	noErr(t, "CreateRole web on node a", err)
	authRole, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("pool-auth"),
		AssumeRolePolicyDocument: aws.String(fmt.Sprintf(federated, "cognito-identity.amazonaws.com", "cognito-identity.amazonaws.com:aud", aws.ToString(pool.IdentityPoolId)))})
	noErr(t, "CreateRole pool-auth on node a", err)
	_, err = a.cognito(rootKeyID, rootSecret, "").SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{
		IdentityPoolId: pool.IdentityPoolId, Roles: map[string]string{"authenticated": aws.ToString(authRole.Role.Arn)}})
	noErr(t, "SetIdentityPoolRoles on node a", err)

	tok, err := idp.Keypair.SignJWT(jwt.MapClaims{"iss": idp.Issuer(), "aud": "caches", "sub": "cached-user",
		"iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix()})
	noErr(t, "signing an ID token", err)
	logins := map[string]string{strings.TrimPrefix(idp.Issuer(), "http://"): tok}
	paths := func(n *node, identity *string) credentialPaths {
		c := n.cognito(rootKeyID, rootSecret, "")
		return credentialPaths{
			webIdentity: func() error {
				_, err := n.sts(rootKeyID, rootSecret, "").AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
					RoleArn: aws.String("arn:aws:iam::" + accountID + ":role/web"), RoleSessionName: aws.String("cache-probe"), WebIdentityToken: aws.String(tok)})
				return err
			},
			getID: func() error {
				out, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: pool.IdentityPoolId, AccountId: aws.String(accountID), Logins: logins})
				if err == nil {
					*identity = aws.ToString(out.IdentityId)
				}
				return err
			},
			credentials: func() error {
				_, err := c.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: identity, Logins: logins})
				return err
			},
		}
	}
	var idA, idB string
	onA, onB := paths(a, &idA), paths(b, &idB)
	warm := func() {
		t.Helper()
		for _, p := range []credentialPaths{onA, onB} {
			noErr(t, "AssumeRoleWithWebIdentity", p.webIdentity())
			noErr(t, "GetId", p.getID())
			noErr(t, "GetCredentialsForIdentity", p.credentials())
		}
		if idA != idB {
			t.Fatalf("GetId answered %s on node a and %s on node b", idA, idB)
		}
	}
	check := func(what string, probeA, probeB func() error) {
		t.Helper()
		noErr(t, what+": on node a at once", probeA())
		took := eventually(t, what+": on node b", cacheBound, probeB)
		t.Logf("%s: node b, its caches warm, refused after %v", what, took)
	}

	warm()
	_, err = a.cognito(rootKeyID, rootSecret, "").DeleteIdentities(ctx, &cognitoidentity.DeleteIdentitiesInput{IdentityIdsToDelete: []string{idA}})
	noErr(t, "DeleteIdentities on node a", err)
	check("a deleted identity", refusedWith("ResourceNotFoundException", onA.credentials), refusedWith("ResourceNotFoundException", onB.credentials))

	warm() // GetId makes a new identity for the login
	_, err = root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("web")})
	noErr(t, "DeleteRole web on node a", err)
	check("a deleted role", refusedWith("AccessDenied", onA.webIdentity), refusedWith("AccessDenied", onB.webIdentity))
	noErr(t, "GetCredentialsForIdentity on node a", onA.credentials())
	noErr(t, "GetCredentialsForIdentity on node b", onB.credentials())
	_, err = root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("pool-auth")})
	noErr(t, "DeleteRole pool-auth on node a", err)
	check("a pool's deleted role", refusedWith("InvalidIdentityPoolConfigurationException", onA.credentials),
		refusedWith("InvalidIdentityPoolConfigurationException", onB.credentials))

	noErr(t, "GetId on node a", onA.getID())
	noErr(t, "GetId on node b", onB.getID())
	_, err = root.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(provARN)})
	noErr(t, "DeleteOpenIDConnectProvider on node a", err)
	check("a deleted OIDC provider", refusedWith("NotAuthorizedException", onA.getID), refusedWith("NotAuthorizedException", onB.getID))

	_, err = a.cognito(rootKeyID, rootSecret, "").DeleteIdentityPool(ctx, &cognitoidentity.DeleteIdentityPoolInput{IdentityPoolId: pool.IdentityPoolId})
	noErr(t, "DeleteIdentityPool on node a", err)
	check("a deleted pool", refusedWith("ResourceNotFoundException", onA.getID), refusedWith("ResourceNotFoundException", onB.getID))
}

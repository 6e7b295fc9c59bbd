package multinode

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// TestCognitoGuestRacesAcrossNodes: the owner of a guest identity signs in on node a at the moment an
// attacker who knows the guest id sends her own login for it to node b, each through the unsigned
// GetOpenIdToken. Nothing but the shared PostgreSQL database orders them, and every round must end
// as one of the two serial orders would: the second first login of one guest is refused, and a
// merge of the guest into the attacker's identity never takes the owner's login with it.
func TestCognitoGuestRacesAcrossNodes(t *testing.T) {
	c := newCluster(t)
	d := newDeployment(t, c)
	nodes := startNodes(t, d, "a", "b")
	a, b := nodes[0], nodes[1]

	idp := func(name string) (string, func(sub string) string) {
		m, err := mockoidc.Run()
		noErr(t, "starting the "+name+" IdP", err)
		t.Cleanup(func() { _ = m.Shutdown() })
		sign := func(sub string) string {
			tok, err := m.Keypair.SignJWT(jwt.MapClaims{"iss": m.Issuer(), "aud": "multinode", "sub": sub,
				"iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix()})
			noErr(t, "signing an ID token", err)
			return tok
		}
		return m.Issuer(), sign
	}
	ownerIssuer, ownerLogin := idp("owner's")
	attackerIssuer, attackerLogin := idp("attacker's")
	var arns []string
	for _, iss := range []string{ownerIssuer, attackerIssuer} {
		p, err := a.rootIAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(iss), ClientIDList: []string{"multinode"}})
		noErr(t, "CreateOpenIDConnectProvider", err)
		arns = append(arns, aws.ToString(p.OpenIDConnectProviderArn))
	}
	pool, err := a.cognito(rootKeyID, rootSecret, "").CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("races"), AllowUnauthenticatedIdentities: true, OpenIdConnectProviderARNs: arns,
	})
	noErr(t, "CreateIdentityPool", err)
	ownerKey, attackerKey := strings.TrimPrefix(ownerIssuer, "http://"), strings.TrimPrefix(attackerIssuer, "http://")

	// Unsigned calls, as the apps of the owner and of the attacker make them.
	anon := func(n *node) *cognitoidentity.Client {
		return cognitoidentity.NewFromConfig(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1}, func(o *cognitoidentity.Options) { o.BaseEndpoint = aws.String(n.url) })
	}
	getID := func(logins map[string]string) string {
		out, err := anon(a).GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: pool.IdentityPoolId, Logins: logins})
		noErr(t, "GetId", err)
		return aws.ToString(out.IdentityId)
	}
	openID := func(n *node, id string, logins map[string]string) (string, error) {
		out, err := anon(n).GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(id), Logins: logins})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.IdentityId), nil
	}
	// race sends the owner's request to node a and the attacker's to node b at once.
	race := func(guest string, owner, attacker map[string]string) (ownerID, attackerID string, ownerErr, attackerErr error) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; ownerID, ownerErr = openID(a, guest, owner) })
		wg.Go(func() { <-start; attackerID, attackerErr = openID(b, guest, attacker) })
		close(start)
		wg.Wait()
		return ownerID, attackerID, ownerErr, attackerErr
	}
	refused := func(err error, msg string) bool {
		code, _ := apiCode(err)
		return code == "NotAuthorizedException" && strings.Contains(err.Error(), msg)
	}
	const rounds = 16
	const loginsDontMatch = "Logins don't match."

	t.Run("FirstLoginsOfOneGuest", func(t *testing.T) {
		ownerFirst := 0
		for i := range rounds {
			guest := getID(nil)
			owner := map[string]string{ownerKey: ownerLogin(fmt.Sprint("owner-", i))}
			attacker := map[string]string{attackerKey: attackerLogin(fmt.Sprint("mallory-", i))}
			ownerID, attackerID, ownerErr, attackerErr := race(guest, owner, attacker)
			switch {
			case ownerErr == nil && refused(attackerErr, loginsDontMatch):
				ownerFirst++
				if ownerID != guest || getID(owner) != guest {
					t.Fatalf("round %d: the owner came first, but its login leads to %s, not its guest %s", i, getID(owner), guest)
				}
			case attackerErr == nil && refused(ownerErr, loginsDontMatch):
				if attackerID != guest {
					t.Fatalf("round %d: the attacker came first with identity %s, want the guest %s", i, attackerID, guest)
				}
			default:
				t.Fatalf("round %d: owner on node a %v, attacker on node b %v; want exactly one refused with %q", i, ownerErr, attackerErr, loginsDontMatch)
			}
		}
		t.Logf("%d rounds: the owner came first in %d", rounds, ownerFirst)
	})

	t.Run("GuestMergedWhileItsOwnerSignsIn", func(t *testing.T) {
		ownerFirst := 0
		for i := range rounds {
			attacker := map[string]string{attackerKey: attackerLogin(fmt.Sprint("merger-", i))}
			own := getID(attacker)
			guest := getID(nil)
			owner := map[string]string{ownerKey: ownerLogin(fmt.Sprint("signing-in-", i))}
			ownerID, attackerID, ownerErr, attackerErr := race(guest, owner, attacker)
			switch {
			case ownerErr == nil && refused(attackerErr, loginsDontMatch):
				ownerFirst++
				if ownerID != guest {
					t.Fatalf("round %d: the owner came first with identity %s, want its guest %s", i, ownerID, guest)
				}
			case attackerErr == nil && refused(ownerErr, "Access to Identity '"+guest+"' is forbidden."):
				if attackerID != own {
					t.Fatalf("round %d: the merge answered %s, want the attacker's own identity %s", i, attackerID, own)
				}
			default:
				t.Fatalf("round %d: owner on node a %v, attacker on node b %v; want the owner first (attacker refused) or the merge first (the guest forbidden)", i, ownerErr, attackerErr)
			}
			if got := getID(owner); got == own {
				t.Fatalf("round %d: the owner's login belongs to the attacker's identity %s", i, own)
			}
		}
		t.Logf("%d rounds: the owner came first in %d", rounds, ownerFirst)
	})
}

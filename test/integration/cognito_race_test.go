package integration

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// Races of two unsigned Cognito requests on one guest identity, through the AWS SDK for Go v2 and
// the real SQLite store. The victim upgrades its guest identity with its own login while an
// attacker who knows the guest id (it leaks easily: logs, shared devices) sends her own, valid,
// login for it at the same moment. Each round must end as one of the two serial orders would; the
// store decides which by checking the ownership rules under the identity's row lock.

// raceRounds is how many times each race is run. Before the rules were checked under the lock,
// more than half of the rounds of the upgrade race and about one in five of the merge race let
// both requests through.
const raceRounds = 40

// secondIdP registers another in-process OIDC provider in IAM and adds it to the pool; it returns
// its Logins key and a function that signs an ID token of it for a subject.
func secondIdP(t *testing.T, ts *testServer, e *cognitoEnv) (string, func(sub string) string) {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	p, err := ts.rootIAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(m.Issuer()), ClientIDList: []string{"app-client"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.root.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(e.pool)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.root.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: d.IdentityPoolId, IdentityPoolName: d.IdentityPoolName,
		AllowUnauthenticatedIdentities: d.AllowUnauthenticatedIdentities, DeveloperProviderName: d.DeveloperProviderName,
		OpenIdConnectProviderARNs: append(d.OpenIdConnectProviderARNs, aws.ToString(p.OpenIDConnectProviderArn))}); err != nil {
		t.Fatal(err)
	}
	sign := func(sub string) string {
		tok, err := m.Keypair.SignJWT(jwt.MapClaims{"iss": m.Issuer(), "aud": "app-client", "sub": sub, "iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	return strings.TrimPrefix(m.Issuer(), "http://"), sign
}

// raceCredentials asks GetCredentialsForIdentity for one identity with the victim's and with the
// attacker's logins at once and returns both answers.
func (e *cognitoEnv) raceCredentials(identity string, victim, attacker map[string]string) (v, a *cognitoidentity.GetCredentialsForIdentityOutput, verr, aerr error) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Go(func() { <-start; v, verr = e.credentials(identity, victim) })
	wg.Go(func() { <-start; a, aerr = e.credentials(identity, attacker) })
	close(start)
	wg.Wait()
	return v, a, verr, aerr
}

// refusedWith reports whether err is the Cognito error code with a message that starts with msg.
func refusedWith(err error, code, msg string) bool {
	var ae smithy.APIError
	return errorsAs(err, &ae) && ae.ErrorCode() == code && strings.HasPrefix(ae.ErrorMessage(), msg)
}

func (e *cognitoEnv) describeLogins(t *testing.T, id string) []string {
	t.Helper()
	d, err := e.root.DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	return d.Logins
}

// TestCognitoGuestUpgradeRace: the victim's first login of its guest identity and the attacker's
// first login of the same guest race. Serially the second is refused ("Logins don't match": an
// identity that has logins takes a new one only with one of them), so exactly one succeeds, the
// identity keeps exactly that login, and the attacker never gets the victim's authenticated
// credentials.
func TestCognitoGuestUpgradeRace(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "race", nil)
	attackerKey, attackerLogin := secondIdP(t, ts, e)
	victimWon, attackerWon := 0, 0
	for i := range raceRounds {
		guest := e.getID(t, nil)
		victim := e.logins(t, jwt.MapClaims{"sub": fmt.Sprint("victim-", i)})
		attacker := map[string]string{attackerKey: attackerLogin(fmt.Sprint("mallory-", i))}
		v, a, verr, aerr := e.raceCredentials(guest, victim, attacker)
		logins := e.describeLogins(t, guest)
		switch {
		case verr == nil && refusedWith(aerr, "NotAuthorizedException", "Logins don't match."):
			victimWon++
			if aws.ToString(v.IdentityId) != guest || len(logins) != 1 || logins[0] != e.login {
				t.Fatalf("round %d: the victim won, but it got %s and the identity has logins %v", i, aws.ToString(v.IdentityId), logins)
			}
		case aerr == nil && refusedWith(verr, "NotAuthorizedException", "Logins don't match."):
			// The guest id was a bearer secret until its first login: whoever comes first owns it.
			attackerWon++
			if aws.ToString(a.IdentityId) != guest || len(logins) != 1 || logins[0] != attackerKey {
				t.Fatalf("round %d: the attacker won, but she got %s and the identity has logins %v", i, aws.ToString(a.IdentityId), logins)
			}
		default:
			t.Fatalf("round %d: victim %v, attacker %v (identity logins %v); want exactly one refused with \"Logins don't match\"", i, verr, aerr, logins)
		}
	}
	t.Logf("%d rounds: the victim came first in %d, the attacker in %d", raceRounds, victimWon, attackerWon)
}

// TestCognitoGuestMergeRace: the attacker, who has an authenticated identity of her own, sends her
// login for the victim's guest identity (which merges a guest into the identity of the login, as
// AWS does) at the moment the victim's first login upgrades that guest. Serially, either the
// victim comes first and the attacker is refused, or the attacker's merge comes first and the
// victim's guest identity is disabled before its login could be linked. Never may the victim's
// login end in the attacker's identity: that would be two authenticated identities merged.
func TestCognitoGuestMergeRace(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "merge", nil)
	attackerKey, attackerLogin := secondIdP(t, ts, e)
	victimWon, attackerWon := 0, 0
	for i := range raceRounds {
		mallory := fmt.Sprint("mallory-", i)
		own := e.getID(t, map[string]string{attackerKey: attackerLogin(mallory)})
		guest := e.getID(t, nil)
		victimSub := fmt.Sprint("victim-", i)
		victimLogins, attackerLogins := e.logins(t, jwt.MapClaims{"sub": victimSub}), map[string]string{attackerKey: attackerLogin(mallory)}
		v, a, verr, aerr := e.raceCredentials(guest, victimLogins, attackerLogins)
		switch {
		case verr == nil && refusedWith(aerr, "NotAuthorizedException", "Logins don't match."):
			victimWon++
			if aws.ToString(v.IdentityId) != guest {
				t.Fatalf("round %d: the victim won with identity %s, want its guest %s", i, aws.ToString(v.IdentityId), guest)
			}
		case aerr == nil && refusedWith(verr, "NotAuthorizedException", forbiddenIdentity(guest)):
			attackerWon++
			if aws.ToString(a.IdentityId) != own {
				t.Fatalf("round %d: the merge answered identity %s, want the attacker's own %s", i, aws.ToString(a.IdentityId), own)
			}
		default:
			t.Fatalf("round %d: victim %v, attacker %v; want the victim first (attacker refused) or the merge first (the guest forbidden)", i, verr, aerr)
		}
		if logins := e.describeLogins(t, own); len(logins) != 1 || logins[0] != attackerKey {
			t.Fatalf("round %d: the attacker's identity has logins %v, want only hers", i, logins)
		}
		// The victim's login leads to the victim's identity, or to a new one when the merge came
		// first, never to the attacker's.
		out, err := e.anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(e.pool), Logins: e.logins(t, jwt.MapClaims{"sub": victimSub})})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.IdentityId); got == own {
			t.Fatalf("round %d: the victim's login belongs to the attacker's identity %s", i, own)
		}
	}
	t.Logf("%d rounds: the victim came first in %d, the attacker's merge in %d", raceRounds, victimWon, attackerWon)
}

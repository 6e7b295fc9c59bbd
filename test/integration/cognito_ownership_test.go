package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/golang-jwt/jwt/v5"
)

// cognitoIn is a Cognito client of the given credentials whose SDK is configured for region: it
// signs for that region, as every SDK does, while all regions share Latchkey's one endpoint.
func (ts *testServer) cognitoIn(region, keyID, secret string) *cognitoidentity.Client {
	cfg := ts.awsConfig(keyID, secret, "")
	cfg.Region = region
	return cognitoidentity.NewFromConfig(cfg, func(o *cognitoidentity.Options) { o.BaseEndpoint = aws.String(ts.URL) })
}

// starCognito creates an IAM user whose identity policy allows everything ("*" on "*") and
// returns its Cognito client for region.
func starCognito(t *testing.T, ts *testServer, name, region string) *cognitoidentity.Client {
	t.Helper()
	c := ts.rootIAM()
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("everything"), PolicyDocument: aws.String(starPolicy)}); err != nil {
		t.Fatal(err)
	}
	id, secret := mustKey(t, c, name)
	return ts.cognitoIn(region, id, secret)
}

func forbiddenIdentity(id string) string { return "Access to Identity '" + id + "' is forbidden." }

// wantAPIMessage asserts the code, status 400 and that the message contains msg.
func wantAPIMessage(t *testing.T, err error, code, msg string) {
	t.Helper()
	wantAPIError(t, err, code, 400)
	var ae smithy.APIError
	if errorsAs(err, &ae) && !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("%s: message %q, want it to contain %q", code, ae.ErrorMessage(), msg)
	}
}

// TestCognitoUnlinkedIdentityStaysInaccessible: after the last login of an identity is removed,
// nobody can take it over, not an unsigned caller with a valid login of their own nor a "*:*" IAM
// user or the account root through the developer API; next to it, an identity that keeps a
// login keeps working.
func TestCognitoUnlinkedIdentityStaysInaccessible(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "own", nil)
	star := starCognito(t, ts, "star", "us-east-1")
	alice := func() map[string]string { return e.logins(t, nil) }
	mallory := func() map[string]string { return e.logins(t, jwt.MapClaims{"sub": "mallory"}) }

	for _, how := range []string{"UnlinkIdentity", "UnlinkDeveloperIdentity"} {
		t.Run(how, func(t *testing.T) {
			id := e.getID(t, alice())
			if _, err := e.root.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(e.pool),
				IdentityId: aws.String(id), Logins: map[string]string{"login.acme.app": "alice-" + how}}); err != nil {
				t.Fatal(err)
			}
			unlinkOIDC := func() error {
				_, err := e.anon.UnlinkIdentity(ctx, &cognitoidentity.UnlinkIdentityInput{IdentityId: aws.String(id), Logins: alice(), LoginsToRemove: []string{e.login}})
				return err
			}
			unlinkDev := func() error {
				_, err := e.root.UnlinkDeveloperIdentity(ctx, &cognitoidentity.UnlinkDeveloperIdentityInput{IdentityPoolId: aws.String(e.pool), IdentityId: aws.String(id),
					DeveloperProviderName: aws.String("login.acme.app"), DeveloperUserIdentifier: aws.String("alice-" + how)})
				return err
			}
			first, last := unlinkOIDC, unlinkDev
			if how == "UnlinkIdentity" {
				first, last = unlinkDev, unlinkOIDC
			}
			if err := first(); err != nil {
				t.Fatal(err)
			}
			// One login left: the identity still works, with it.
			if how == "UnlinkIdentity" {
				if _, err := e.credentials(id, alice()); err != nil {
					t.Fatalf("the identity with one login left: %v", err)
				}
			} else if _, err := e.root.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(e.pool),
				Logins: map[string]string{"login.acme.app": "alice-" + how}}); err != nil {
				t.Fatalf("the identity with one login left: %v", err)
			}
			if err := last(); err != nil {
				t.Fatal(err)
			}

			for _, a := range []struct {
				name string
				call func() error
			}{
				{"GetCredentialsForIdentity with the attacker's own login", func() error { _, err := e.credentials(id, mallory()); return err }},
				{"GetCredentialsForIdentity without logins", func() error { _, err := e.credentials(id, nil); return err }},
				{"GetCredentialsForIdentity with the login it had", func() error { _, err := e.credentials(id, alice()); return err }},
				{"GetOpenIdToken with the attacker's own login", func() error {
					_, err := e.anon.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(id), Logins: mallory()})
					return err
				}},
				{"UnlinkIdentity with the attacker's own login", func() error {
					_, err := e.anon.UnlinkIdentity(ctx, &cognitoidentity.UnlinkIdentityInput{IdentityId: aws.String(id), Logins: mallory(), LoginsToRemove: []string{e.login}})
					return err
				}},
				{"GetOpenIdTokenForDeveloperIdentity by a *:* IAM user", func() error {
					_, err := star.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(e.pool),
						IdentityId: aws.String(id), Logins: map[string]string{"login.acme.app": "star-user"}})
					return err
				}},
				{"GetOpenIdTokenForDeveloperIdentity by the account root", func() error {
					_, err := e.root.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(e.pool),
						IdentityId: aws.String(id), Logins: map[string]string{"login.acme.app": "root-user"}})
					return err
				}},
			} {
				t.Run(a.name, func(t *testing.T) { wantAPIMessage(t, a.call(), "NotAuthorizedException", forbiddenIdentity(id)) })
			}
			// Merging a user of the attacker's into the identity's old developer user.
			if _, err := e.root.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(e.pool),
				Logins: map[string]string{"login.acme.app": "mallory-" + how}}); err != nil {
				t.Fatal(err)
			}
			_, err := star.MergeDeveloperIdentities(ctx, &cognitoidentity.MergeDeveloperIdentitiesInput{IdentityPoolId: aws.String(e.pool),
				DeveloperProviderName: aws.String("login.acme.app"), SourceUserIdentifier: aws.String("mallory-" + how), DestinationUserIdentifier: aws.String("alice-" + how)})
			wantAPIMessage(t, err, "ResourceNotFoundException", "Developer user identifier 'alice-"+how+"' not found.")

			// The login it had is a new identity next time; the inaccessible one is listed as
			// disabled, without logins.
			if fresh := e.getID(t, alice()); fresh == id {
				t.Fatal("the unlinked login still maps to the inaccessible identity")
			}
			d, err := e.root.DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: aws.String(id)})
			if err != nil || len(d.Logins) != 0 {
				t.Fatalf("DescribeIdentity = %+v %v", d, err)
			}
			visible, err := e.root.ListIdentities(ctx, &cognitoidentity.ListIdentitiesInput{IdentityPoolId: aws.String(e.pool), MaxResults: aws.Int32(60), HideDisabled: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range visible.Identities {
				if aws.ToString(v.IdentityId) == id {
					t.Fatal("HideDisabled lists the inaccessible identity")
				}
			}
		})
	}
}

// TestCognitoGuestTokenProvesNothing: a guest's Cognito token, kept from before the identity got
// its first login, neither gets the now authenticated identity's credentials nor links another
// login to it. The owner's own login keeps working.
func TestCognitoGuestTokenProvesNothing(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "guesttok", nil)
	shared := e.getID(t, nil)
	guest, err := e.anon.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(shared)})
	if err != nil {
		t.Fatal(err)
	}
	// Alice signs in on the device: the guest identity becomes hers.
	out, err := e.credentials(shared, e.logins(t, nil))
	if err != nil || aws.ToString(out.IdentityId) != shared {
		t.Fatalf("%+v %v", out, err)
	}
	withGuest := func(extra map[string]string) map[string]string {
		m := map[string]string{cognitoPrincipal: aws.ToString(guest.Token)}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	_, err = e.credentials(shared, withGuest(e.logins(t, jwt.MapClaims{"sub": "mallory"})))
	wantAPIMessage(t, err, "NotAuthorizedException", "Logins don't match.")
	_, err = e.credentials(shared, withGuest(nil))
	wantAPIMessage(t, err, "NotAuthorizedException", forbiddenIdentity(shared))
	_, err = e.credentials(shared, nil)
	wantAPIMessage(t, err, "NotAuthorizedException", forbiddenIdentity(shared))
	// Mallory's login was not linked: it is a new identity of its own.
	if m := e.getID(t, e.logins(t, jwt.MapClaims{"sub": "mallory"})); m == shared {
		t.Fatal("the attacker's login was linked to Alice's identity")
	}
	out, err = e.credentials(shared, e.logins(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if arn := ts.callerARN(t, out.Credentials); arn != sessionARN("guesttok-auth") {
		t.Fatalf("Alice's credentials are for %s", arn)
	}
}

// TestCognitoPoolsStayInTheirRegion: a pool belongs to the region its creating call was signed
// for. Clients configured for another region, the account root and a "*:*" user included, get
// ResourceNotFoundException for it and do not list it; unsigned calls reach it by its id, whose
// region is where it lives.
func TestCognitoPoolsStayInTheirRegion(t *testing.T) {
	ts := startServer(t)
	usRoot := ts.cognitoIn("us-east-1", rootKeyID, rootSecret)
	euRoot := ts.cognitoIn("eu-west-1", rootKeyID, rootSecret)
	euStar := starCognito(t, ts, "star", "eu-west-1")
	create := func(c *cognitoidentity.Client, name string) string {
		out, err := c.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String(name), AllowUnauthenticatedIdentities: true})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.IdentityPoolId)
	}
	usPool, euPool := create(usRoot, "us"), create(euRoot, "eu")
	if !strings.HasPrefix(usPool, "us-east-1:") || !strings.HasPrefix(euPool, "eu-west-1:") {
		t.Fatalf("pool ids %s and %s, want their signing regions first", usPool, euPool)
	}
	for name, c := range map[string]*cognitoidentity.Client{"root": euRoot, "*:* user": euStar} {
		t.Run(name, func(t *testing.T) {
			_, err := c.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(usPool)})
			wantAPIMessage(t, err, "ResourceNotFoundException", "IdentityPool '"+usPool+"' not found.")
			_, err = c.DeleteIdentityPool(ctx, &cognitoidentity.DeleteIdentityPoolInput{IdentityPoolId: aws.String(usPool)})
			wantAPIError(t, err, "ResourceNotFoundException", 400)
			_, err = c.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: aws.String(usPool), IdentityPoolName: aws.String("moved")})
			wantAPIError(t, err, "ResourceNotFoundException", 400)
			list, err := c.ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(60)})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range list.IdentityPools {
				ids = append(ids, aws.ToString(p.IdentityPoolId))
			}
			if !slices.Equal(ids, []string{euPool}) {
				t.Fatalf("ListIdentityPools in eu-west-1 = %v, want only %s", ids, euPool)
			}
			if _, err := c.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(euPool)}); err != nil {
				t.Fatalf("the pool of the client's own region: %v", err)
			}
		})
	}
	d, err := usRoot.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(usPool)})
	if err != nil || aws.ToString(d.IdentityPoolName) != "us" {
		t.Fatalf("the us-east-1 pool after the refused calls: %+v %v", d, err)
	}
	list, err := usRoot.ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil || len(list.IdentityPools) != 1 || aws.ToString(list.IdentityPools[0].IdentityPoolId) != usPool {
		t.Fatalf("ListIdentityPools in us-east-1 = %+v %v", list, err)
	}
	// Unsigned: the identity takes its pool's region, whatever region the client is set to.
	anonEU := cognitoidentity.NewFromConfig(aws.Config{Region: "eu-west-1", RetryMaxAttempts: 1}, func(o *cognitoidentity.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	id, err := anonEU.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(usPool)})
	if err != nil || !strings.HasPrefix(aws.ToString(id.IdentityId), "us-east-1:") {
		t.Fatalf("GetId in the us-east-1 pool = %v %v", aws.ToString(id.IdentityId), err)
	}
	_, err = euRoot.DescribeIdentity(ctx, &cognitoidentity.DescribeIdentityInput{IdentityId: id.IdentityId})
	wantAPIError(t, err, "ResourceNotFoundException", 400)
}

const poolIDConstraint = "failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+"

// TestCognitoValidationException: values that break the model answer ValidationException with
// AWS's wording (compare aws-amplify/amplify-swift#2864: "1 validation error detected: Value
// '…' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression
// pattern: [\w-]+:[0-9a-f-]+"), through the Go SDK, raw HTTP and boto3.
func TestCognitoValidationException(t *testing.T) {
	ts := startServer(t)
	anon := ts.anonCognito()
	_, err := anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String("us-east-1_abcDEF")})
	wantAPIError(t, err, "ValidationException", 400)
	var ae smithy.APIError
	if !errorsAs(err, &ae) || ae.ErrorMessage() != "1 validation error detected: Value 'us-east-1_abcDEF' at 'identityPoolId' "+poolIDConstraint {
		t.Fatalf("message %v", err)
	}
	root := ts.cognito(rootKeyID, rootSecret)
	_, err = root.ListIdentities(ctx, &cognitoidentity.ListIdentitiesInput{IdentityPoolId: aws.String("bad"), MaxResults: aws.Int32(61)})
	wantAPIError(t, err, "ValidationException", 400)
	if !errorsAs(err, &ae) || ae.ErrorMessage() != "2 validation errors detected: Value 'bad' at 'identityPoolId' "+poolIDConstraint+
		"; Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60" {
		t.Fatalf("message %v", err)
	}
	// Login tokens are sensitive: their values are never echoed.
	_, err = anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String("us-east-1:00000000-0000-4000-8000-000000000000"),
		Logins: map[string]string{"accounts.google.com": strings.Repeat("s3cr3t", 10000)}})
	wantAPIError(t, err, "ValidationException", 400)
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("the token was echoed: %.200v", err)
	}
	// A bad login token is reported at the map, under every constraint of the token shape, as AWS
	// answered in aws/aws-sdk-cpp#1085 (which listed the 'logins' error first; Latchkey keeps the
	// model's member order). A token that is too long and a valid one beside it are both hidden.
	_, err = anon.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(""),
		Logins: map[string]string{"xx.xx.xx/xx-xx-xx-xx-xx": ""}})
	wantAPIError(t, err, "ValidationException", 400)
	const tokenConstraint = "failed to satisfy constraint: Map value must satisfy constraint: " +
		"[Member must have length less than or equal to 50000, Member must have length greater than or equal to 1]"
	if !errorsAs(err, &ae) || ae.ErrorMessage() != "3 validation errors detected: "+
		"Value '' at 'identityId' failed to satisfy constraint: Member must have length greater than or equal to 1; "+
		"Value '' at 'identityId' "+poolIDConstraint+"; "+
		"Value '{xx.xx.xx/xx-xx-xx-xx-xx=}' at 'logins' "+tokenConstraint {
		t.Fatalf("message %v", err)
	}
	_, err = anon.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String("us-east-1:00000000-0000-4000-8000-000000000000"),
		Logins: map[string]string{"accounts.google.com": strings.Repeat("s3cr3t", 10000), "graph.facebook.com": "fb-valid-token"}})
	wantAPIError(t, err, "ValidationException", 400)
	if !errorsAs(err, &ae) || ae.ErrorMessage() != "1 validation error detected: Value '{accounts.google.com=*** Sensitive Data Redacted ***, "+
		"graph.facebook.com=*** Sensitive Data Redacted ***}' at 'logins' "+tokenConstraint {
		t.Fatalf("message %.300v", err)
	}
	// A semantic refusal keeps its modeled code.
	_, err = root.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("p"), SupportedLoginProviders: map[string]string{"login.example.com": "x"}})
	wantAPIError(t, err, "InvalidParameterException", 400)

	// On the wire: the code in the body and in x-amzn-ErrorType, as both client families read.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader(`{"IdentityPoolId":"us-east-1_abcDEF"}`))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.GetId")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-Errortype") != "ValidationException" || body["__type"] != "ValidationException" ||
		!strings.HasPrefix(body["message"], "1 validation error detected: Value 'us-east-1_abcDEF' at 'identityPoolId'") {
		t.Fatalf("raw: %d %v %v", resp.StatusCode, resp.Header, body)
	}

	// boto3 has no ValidationException class for Cognito Identity; it must still be a
	// ClientError with the code and the message.
	const script = `
import os, boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
c = boto3.client("cognito-identity", endpoint_url=os.environ["LK_URL"], region_name="us-east-1",
    config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
try:
    c.get_id(IdentityPoolId="us-east-1_abcDEF")
    print("no error")
except ClientError as e:
    print(e.response["ResponseMetadata"]["HTTPStatusCode"])
    print(e.response["Error"]["Code"])
    print(e.response["Error"]["Message"])
`
	cmd := exec.Command("python3", "-c", script)
	cmd.Env = append(os.Environ(), "LK_URL="+ts.URL, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3: %v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 || lines[0] != "400" || lines[1] != "ValidationException" ||
		lines[2] != "1 validation error detected: Value 'us-east-1_abcDEF' at 'identityPoolId' "+poolIDConstraint {
		t.Fatalf("boto3 printed %q", out)
	}
}

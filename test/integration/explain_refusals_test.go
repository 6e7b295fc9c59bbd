package integration

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/principal"
)

// lastCheck is the name of the failed (last) check of the recorded decision id, read through
// the admin API as the account root, and the decision's summary.
func lastCheck(t *testing.T, ts *testServer, id string) (string, string) {
	t.Helper()
	status, body := adminGet(t, ts, rootKeyID, rootSecret, "/latchkey/v1/decisions/"+id)
	if status != 200 {
		t.Fatalf("decision %s: %d %v", id, status, body)
	}
	x, _ := body["explanation"].(map[string]any)
	checks, _ := x["checks"].([]any)
	summary, _ := x["summary"].(string)
	if len(checks) == 0 {
		return "", summary
	}
	name, _ := checks[len(checks)-1].(map[string]any)["name"].(string)
	return name, summary
}

// TestQuickSightContextRefusalsExplained: each refused identity context of AssumeRole's
// ProvidedContexts — altered, expired, another token of the same issuer, a user of another
// account — is explained in development mode's message and by the admin API, naming the check
// and its values and never the assertion.
func TestQuickSightContextRefusalsExplained(t *testing.T) {
	ts := startServer(t, withExplainDenials)
	aliceID, aliceSecret := createUserWithKey(t, ts, "alice")
	alice := ts.sts(aliceID, aliceSecret)
	role := mustRole(t, ts.rootIAM(), "reports", trustWithContext(userARN("alice"), "sts:AssumeRole", "sts:SetContext"))
	sign := func(ic principal.IdentityContext, typ string) string { return signContext(t, ts, ic, typ) }
	good := principal.IdentityContext{AccountID: accountID, Namespace: "default", UserARN: "arn:aws:quicksight:us-east-1:" + accountID + ":user/default/bob",
		PrincipalID: "p-bob", Region: "us-east-1", Expires: time.Now().Add(time.Minute)}
	if _, err := assumeWithContext(ts, alice, aws.ToString(role.Arn), qsProvider, sign(good, "")); err != nil {
		t.Fatalf("a valid context: %v", err)
	}
	expired, foreign := good, good
	expired.Expires = time.Now().Add(-time.Hour)
	foreign.AccountID, foreign.UserARN = "111111111111", "arn:aws:quicksight:us-east-1:111111111111:user/default/bob"
	valid := sign(good, "")
	parts := strings.Split(valid, ".")
	altered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	for _, tc := range []struct {
		name, assertion, code string
		status                int
		check                 string
		values                []string
	}{
		{"altered signature", altered, "ValidationError", 400, "signature", []string{"ES384"}},
		{"not a JWS", "not-a-token", "ValidationError", 400, "format", []string{"not a compact JWS"}},
		{"expired", sign(expired, ""), "ExpiredTokenException", 400, "exp", []string{"expired at " + expired.Expires.UTC().Format(time.RFC3339)}},
		{"another token of the issuer", sign(good, "JWT"), "ValidationError", 400, "typ", []string{`typ "JWT"`}},
		{"a user of another account", sign(foreign, ""), "AccessDenied", 403, "account", []string{"account 111111111111", "account " + accountID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := assumeWithContext(ts, alice, aws.ToString(role.Arn), qsProvider, tc.assertion)
			wantAPIError(t, err, tc.code, tc.status)
			msg := apiMessage(t, err)
			for _, v := range tc.values {
				if !strings.Contains(msg, "(Latchkey: ") || !strings.Contains(msg, v) {
					t.Fatalf("message %q does not explain %q", msg, v)
				}
			}
			name, summary := lastCheck(t, ts, requestID(t, err))
			if name != tc.check || summary == "" {
				t.Fatalf("recorded check %q, summary %q; want %s", name, summary, tc.check)
			}
			for _, secret := range []string{parts[1], parts[2], tc.assertion} {
				if len(secret) > 8 && strings.Contains(msg+summary, secret) {
					t.Fatalf("the assertion leaks into the explanation: %q", msg)
				}
			}
		})
	}
}

// storedCheck is the failed check and summary of the decision id as `latchkey explain` reads it
// (the store, directly, within decisionBound): for refusals of unsigned calls, which belong to no
// caller's account.
func storedCheck(t *testing.T, ts *testServer, id string) (string, string) {
	t.Helper()
	d := storedDecision(t, ts, id)
	var x explain.Explanation
	if err := json.Unmarshal(d.Explanation, &x); err != nil {
		t.Fatal(err)
	}
	if len(x.Checks) == 0 {
		return "", x.Summary
	}
	return x.Checks[len(x.Checks)-1].Name, x.Summary
}

// TestCognitoRefusalsExplained: Cognito refusals carry their explanation to development mode's
// message and the decision store — a Cognito token of a pool that disabled the classic flow
// (AssumeRoleWithWebIdentity), a valid Cognito token of another pool and an upstream token for
// another client (GetCredentialsForIdentity's Logins, the OIDC verifier's explanation kept), and
// a user with *:* but an explicit deny on iam:PassRole setting the pool's roles.
func TestCognitoRefusalsExplained(t *testing.T) {
	ts := startServer(t, withExplainDenials)
	e := newCognitoEnv(t, ts, "ex", nil)
	other := newCognitoEnv(t, ts, "ex2", nil)

	guest := e.getID(t, nil)
	tok, err := e.anon.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(guest)})
	if err != nil {
		t.Fatal(err)
	}
	cognitoToken := aws.ToString(tok.Token)
	otherGuest := other.getID(t, nil)
	otherTok, err := other.anon.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(otherGuest)})
	if err != nil {
		t.Fatal(err)
	}

	// The Logins key of Cognito tokens: a valid token of another pool is refused by its aud.
	_, err = e.anon.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(guest),
		Logins: map[string]string{cognitoPrincipal: aws.ToString(otherTok.Token)}})
	wantAPIError(t, err, "NotAuthorizedException", 400)
	if msg := apiMessage(t, err); !strings.Contains(msg, "(Latchkey: the Cognito token was issued for identity pool "+strconv.Quote(other.pool)) {
		t.Fatalf("message %q", msg)
	}
	if check, _ := storedCheck(t, ts, requestID(t, err)); check != "aud" {
		t.Fatalf("recorded check %q", check)
	}
	// An upstream token for another client: the OIDC verifier's explanation reaches the record.
	_, err = e.anon.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(e.pool), Logins: e.logins(t, jwt.MapClaims{"aud": "other-client"})})
	wantAPIError(t, err, "NotAuthorizedException", 400)
	if msg := apiMessage(t, err); !strings.Contains(msg, `(Latchkey: the token's aud "other-client"`) {
		t.Fatalf("message %q", msg)
	}
	if check, summary := storedCheck(t, ts, requestID(t, err)); check != "aud" || !strings.Contains(summary, "app-client") {
		t.Fatalf("recorded check %q: %s", check, summary)
	}

	// The classic flow, once the pool disables it.
	if _, err := e.root.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: aws.String(e.pool), IdentityPoolName: aws.String("ex pool"),
		AllowUnauthenticatedIdentities: true, OpenIdConnectProviderARNs: []string{e.providerARN}, DeveloperProviderName: aws.String("login.acme.app"),
		AllowClassicFlow: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.anonSTS().AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(e.unauthRole), RoleSessionName: aws.String("classic"),
		WebIdentityToken: aws.String(cognitoToken)})
	wantAPIError(t, err, "InvalidIdentityToken", 400)
	if msg := apiMessage(t, err); !strings.Contains(msg, "(Latchkey: identity pool "+e.pool+" has AllowClassicFlow false") {
		t.Fatalf("message %q", msg)
	}
	if check, _ := lastCheck(t, ts, requestID(t, err)); check != "AllowClassicFlow" {
		t.Fatalf("recorded check %q", check)
	}

	// The enhanced flow: a role whose trust policy names another pool refuses the identity, and the
	// trust policy's evaluation is the explanation.
	if _, err := other.root.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(other.pool),
		Roles: map[string]string{"authenticated": other.authRole, "unauthenticated": e.unauthRole}}); err != nil {
		t.Fatal(err)
	}
	_, err = other.anon.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(otherGuest)})
	wantAPIError(t, err, "InvalidIdentityPoolConfigurationException", 400)
	if msg := apiMessage(t, err); !strings.Contains(msg, "(Latchkey: ") || !strings.Contains(msg, other.pool) {
		t.Fatalf("message %q", msg)
	}
	if d := storedDecision(t, ts, requestID(t, err)); !strings.Contains(string(d.Explanation), `"kind":"trust"`) {
		t.Fatalf("decision %s", d.Explanation)
	}

	// iam:PassRole: broad permissions, one explicit deny.
	carolID, carolSecret := createUserWithKey(t, ts, "carol")
	putUserPolicy(t, ts, "carol", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},`+
		`{"Sid":"NoPassRole","Effect":"Deny","Action":"iam:PassRole","Resource":"*"}]}`)
	_, err = ts.cognito(carolID, carolSecret).SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(e.pool),
		Roles: map[string]string{"authenticated": e.adminRole}})
	wantAPIError(t, err, "NotAuthorizedException", 400)
	if msg := apiMessage(t, err); !strings.HasPrefix(msg, "Access to Role '"+e.adminRole+"' is forbidden. (Latchkey: ") || !strings.Contains(msg, "NoPassRole") {
		t.Fatalf("message %q", msg)
	}
	status, body := adminGet(t, ts, rootKeyID, rootSecret, "/latchkey/v1/decisions/"+requestID(t, err))
	x, _ := body["explanation"].(map[string]any)
	if status != 200 || body["principal"] != userARN("carol") || x["outcome"] != string(explain.ExplicitDeny) || x["policies"] == nil {
		t.Fatalf("decision: %d %v", status, body)
	}
}

// TestUnexplainedRefusalIsRecorded: a refusal whose decider attached no explanation (here an
// unsigned GetCallerIdentity) is still found by its request id, with what its code means; a
// validation error is not a decision and is not recorded.
func TestUnexplainedRefusalIsRecorded(t *testing.T) {
	ts := startServer(t)
	_, err := ts.anonSTS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "MissingAuthenticationToken", 403)
	if _, summary := storedCheck(t, ts, requestID(t, err)); !strings.Contains(summary, "not signed") {
		t.Fatalf("summary %q", summary)
	}
	_, err = ts.rootSTS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + accountID + ":role/x"), RoleSessionName: aws.String("a b")})
	wantAPIError(t, err, "ValidationError", 400)
	if !notRecorded(t, ts, requestID(t, err)) {
		t.Fatal("a validation error was recorded as a decision")
	}
}

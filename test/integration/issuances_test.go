package integration

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/latchkey/latchkey/internal/store"
)

// waitIssuance polls GET /latchkey/v1/issuances as keyID until a record with requestID appears:
// the recorder writes off the request path, in batches at least every 200 ms.
func waitIssuance(t *testing.T, ts *testServer, keyID, secret, query, requestID string) map[string]any {
	t.Helper()
	return waitIssuanceOf(t, ts, keyID, secret, query, "requestId", requestID)
}

// waitIssuanceOf is waitIssuance for the record whose member is value.
func waitIssuanceOf(t *testing.T, ts *testServer, keyID, secret, query, member, value string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body := adminGet(t, ts, keyID, secret, "/latchkey/v1/issuances"+query)
		if status != 200 {
			t.Fatalf("GET issuances%s: %d %v", query, status, body)
		}
		list, _ := body["issuances"].([]any)
		for _, e := range list {
			if m := e.(map[string]any); m[member] == value {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("issuance with %s %s never listed: %v", member, value, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestIssuancesAdminAPI: an AssumeRole that succeeds is listed by GET /latchkey/v1/issuances to
// its account's root and to a user allowed latchkey:ListIssuances, with its identifiers and no
// secret; a user with broad permissions but not latchkey:ListIssuances, and another account's
// root, see none of it.
func TestIssuancesAdminAPI(t *testing.T) {
	ts := startServer(t)
	aliceID, aliceSecret := createUserWithKey(t, ts, "alice")
	role := mustRole(t, ts.rootIAM(), "app", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+userARN("alice")+
		`"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`)
	out, err := ts.sts(aliceID, aliceSecret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("s1"),
		SourceIdentity: aws.String("alice-src")})
	if err != nil {
		t.Fatal(err)
	}
	rid, _ := middleware.GetRequestIDMetadata(out.ResultMetadata)
	got := waitIssuance(t, ts, rootKeyID, rootSecret, "?since=10m&action=sts:AssumeRole*&principal="+url.QueryEscape(userARN("alice")), rid)
	want := map[string]any{"accountId": accountID, "principal": userARN("alice"), "action": "sts:AssumeRole", "roleArn": aws.ToString(role.Arn),
		"sessionArn": aws.ToString(out.AssumedRoleUser.Arn), "sourceIdentity": "alice-src", "accessKeyId": aws.ToString(out.Credentials.AccessKeyId)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if exp, _ := time.Parse(time.RFC3339, got["expiration"].(string)); exp.Sub(*out.Credentials.Expiration).Abs() >= time.Second {
		t.Errorf("expiration %v, want %v", got["expiration"], out.Credentials.Expiration)
	}
	_, whole := adminGet(t, ts, rootKeyID, rootSecret, "/latchkey/v1/issuances")
	raw, _ := json.Marshal(whole)
	if strings.Contains(string(raw), aws.ToString(out.Credentials.SecretAccessKey)) || strings.Contains(string(raw), aws.ToString(out.Credentials.SessionToken)) {
		t.Fatal("the issuance list carries the credentials' secret or token")
	}
	if _, body := adminGet(t, ts, rootKeyID, rootSecret, "/latchkey/v1/issuances?action=iam:*"); len(body["issuances"].([]any)) != 0 {
		t.Errorf("filtered list: %v", body)
	}

	// The console's Activity page lists it, as the account's root sees it.
	cc := ts.console(t)
	cc.signIn(rootKeyID, rootSecret)
	status, page := cc.do("/console/activity?kind=issued", nil)
	if status != 200 || !strings.Contains(page, aws.ToString(out.Credentials.AccessKeyId)) || !strings.Contains(page, aws.ToString(out.AssumedRoleUser.Arn)) ||
		strings.Contains(page, aws.ToString(out.Credentials.SecretAccessKey)) {
		t.Fatalf("console activity: %d\n%s", status, page)
	}

	// Broad permissions, and the refusals' own action, but not latchkey:ListIssuances.
	carolID, carolSecret := createUserWithKey(t, ts, "carol")
	putUserPolicy(t, ts, "carol", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:*","iam:*","latchkey:ListDecisions","latchkey:GetDecision"],"Resource":"*"}]}`)
	if status, body := adminGet(t, ts, carolID, carolSecret, "/latchkey/v1/issuances"); status != 403 || body["code"] != "AccessDenied" {
		t.Fatalf("user without latchkey:ListIssuances: %d %v", status, body)
	}
	putUserPolicy(t, ts, "carol", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"latchkey:ListIssuances","Resource":"*"}]}`)
	waitIssuance(t, ts, carolID, carolSecret, "", rid)

	// Another account's root, allowed everything in its own account, lists none of it.
	otherID, otherSecret := ts.secondAccount(t, "210987654321")
	if status, body := adminGet(t, ts, otherID, otherSecret, "/latchkey/v1/issuances"); status != 200 || len(body["issuances"].([]any)) != 0 {
		t.Fatalf("another account's list: %d %v", status, body)
	}
	other := ts.console(t)
	other.signIn(otherID, otherSecret)
	if status, page := other.do("/console/activity", nil); status != 200 || strings.Contains(page, aws.ToString(out.Credentials.AccessKeyId)) {
		t.Fatalf("another account's console activity: %d\n%s", status, page)
	}
	if status, body := adminGet(t, ts, "", "", "/latchkey/v1/issuances"); status != 403 || body["code"] == "" {
		t.Fatalf("unsigned: %d %v", status, body)
	}
	for _, q := range []string{"since=yesterday", "limit=0"} {
		if status, body := adminGet(t, ts, rootKeyID, rootSecret, "/latchkey/v1/issuances?"+q); status != 400 || body["code"] != "InvalidParameterValue" {
			t.Fatalf("%s: %d %v", q, status, body)
		}
	}
}

// TestWebIdentityIssuanceAndProviderFetch: an AssumeRoleWithWebIdentity (no signed caller) with
// an upstream IdP's token is an issuance of the role's account; the console's Providers page
// shows this node's fetch of the IdP's key set with the kid it published.
func TestWebIdentityIssuanceAndProviderFetch(t *testing.T) {
	ts := startServer(t)
	ln := mustListen(t)
	issuer := "http://" + ln.Addr().String()
	idp := startKeyIdP(t, issuer, ln, nil)
	role := registerIdP(t, ts, issuer, "web")
	cc := ts.console(t)
	cc.signIn(rootKeyID, rootSecret)
	if status, page := cc.do("/console/providers", nil); status != 200 || !strings.Contains(page, "Not fetched by this node") {
		t.Fatalf("providers before any fetch: %d\n%s", status, page)
	}
	out, err := assumeWithToken(ts, role, idp.token(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	rid, _ := middleware.GetRequestIDMetadata(out.ResultMetadata)
	got := waitIssuance(t, ts, rootKeyID, rootSecret, "?action=sts:AssumeRoleWithWebIdentity", rid)
	if got["accountId"] != accountID || got["principal"] != nil || got["roleArn"] != role || got["accessKeyId"] != aws.ToString(out.Credentials.AccessKeyId) {
		t.Errorf("web identity issuance %v", got)
	}
	status, page := cc.do("/console/providers", nil)
	for _, want := range []string{issuer, "success", idp.kid, "this node"} {
		if status != 200 || !strings.Contains(page, want) {
			t.Fatalf("providers after a fetch: %d, lacks %q\n%s", status, want, page)
		}
	}
}

// TestIssuancesWrittenOnClose: a node that shuts down right after issuing writes its queued
// issuance records before it closes the store; a node opened afterwards on the same data lists them.
func TestIssuancesWrittenOnClose(t *testing.T) {
	ts := startServer(t)
	var ids []string
	for range 5 {
		out, err := ts.sts(rootKeyID, rootSecret).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		id, _ := middleware.GetRequestIDMetadata(out.ResultMetadata)
		ids = append(ids, id)
	}
	st := shutDownAndReopen(t, ts)
	is, err := st.ListIssuances(ctx, store.IssuanceFilter{Action: "sts:GetSessionToken"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, i := range is {
		got[i.RequestID] = true
	}
	for _, id := range ids {
		if !got[id] {
			t.Errorf("issuance %s lost at shutdown (stored %d of %d)", id, len(is), len(ids))
		}
	}
}

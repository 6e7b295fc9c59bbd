package console_test

// Red-team findings against the console. Each test states what AWS does and fails while
// Latchkey does otherwise.

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
)

// redUser adds a user of account A with doc as its only policy, keyed like the fixture's users.
func redUser(t *testing.T, f *fixture, name, doc string) key {
	t.Helper()
	mk, err := keys.NewMasterKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return f.user(t, mk, acctA, name, doc)
}

// denyReads allows everything (console actions included) but explicitly denies the IAM,
// Cognito and admin-API reads the console pages show the results of.
const denyReads = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"*","Resource":"*"},
 {"Effect":"Deny","Action":["iam:Get*","iam:List*","cognito-identity:*","latchkey:GetDecision","latchkey:ListDecisions"],"Resource":"*"}]}`

// TestRedteamConsoleBypassesExplicitDenyOnReads: an explicit Deny always wins ("Policy
// evaluation logic", IAM User Guide). AWS's console is a client of the APIs, signed as the
// person: a principal denied iam:GetRole/iam:GetRolePolicy sees no role detail in it, one denied
// cognito-identity:* sees no pool, and Latchkey's admin API refuses latchkey:GetDecision to one
// denied it. Latchkey's console checks only latchkey:Console* and reads the store directly, so
// each page below shows what the explicit Deny withholds.
func TestRedteamConsoleBypassesExplicitDenyOnReads(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	if err := f.st.PutInlinePolicy(ctx, store.InlinePolicy{OwnerKind: store.KindRole, OwnerID: "AROACI", PolicyName: "secret-inline",
		Document: `{"Version":"2012-10-17","Statement":[{"Sid":"MarkerOnlyInThePolicy","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::crown-jewels/*"}]}`},
		func(d string) int { return len(d) }, 1<<20); err != nil {
		t.Fatal(err)
	}
	poolID := "us-east-1:00000000-0000-4000-8000-000000000001"
	if err := f.st.CreateIdentityPool(ctx, store.IdentityPool{ID: poolID, AccountID: acctA, Name: "mobile", CreatedAt: testNow, UpdatedAt: testNow}, 1000); err != nil {
		t.Fatal(err)
	}
	identity := store.Identity{ID: "us-east-1:00000000-0000-4000-8000-0000000000aa", PoolID: poolID, CreatedAt: testNow, UpdatedAt: testNow}
	login := store.IdentityLogin{PoolID: poolID, IdentityID: identity.ID, Provider: "accounts.google.com", Subject: "google-subject-42", CreatedAt: testNow}
	if err := f.st.CreateIdentity(ctx, identity, []store.IdentityLogin{login}); err != nil {
		t.Fatal(err)
	}
	dana := redUser(t, f, "dana", denyReads)
	b := f.browser(t)
	b.mustSignIn(dana)
	for _, tc := range []struct{ path, withheld, deniedBy string }{
		{"/console/roles/ci", "crown-jewels", "iam:GetRolePolicy"},
		{"/console/roles/ci", "repo:acme/app", "iam:GetRole (trust policy)"},
		{"/console/roles", ">ci<", "iam:ListRoles"},
		{"/console/providers", "idp.example.com", "iam:ListOpenIDConnectProviders"},
		{"/console/pools", poolID, "cognito-identity:ListIdentityPools"},
		{"/console/pools/" + poolID, "google-subject-42", "cognito-identity:ListIdentities / LookupDeveloperIdentity"},
		{"/console/activity", refusalA, "latchkey:ListDecisions"},
		{"/console/activity/" + refusalA, "repo:evil/app", "latchkey:GetDecision"},
	} {
		r := b.do("GET", tc.path, nil)
		if r.status == http.StatusOK && strings.Contains(r.body, tc.withheld) {
			t.Errorf("GET %s shows %q to a principal explicitly denied %s", tc.path, tc.withheld, tc.deniedBy)
		}
	}
}

// TestRedteamConsoleTryTokenRevealsTrustPolicy: a principal explicitly denied iam:GetRole (the
// only API that returns a trust policy) pastes any token into Try a token and reads the role's
// trust policy conditions, values included, in the refusal's checks. AWS answers a refused
// AssumeRoleWithWebIdentity with "Not authorized to perform sts:AssumeRoleWithWebIdentity" and
// nothing more; the console's explanation is a read of the trust policy and should need what
// reading it needs (iam:GetRole on the role).
func TestRedteamConsoleTryTokenRevealsTrustPolicy(t *testing.T) {
	f := newFixture(t)
	dana := redUser(t, f, "dana", denyReads)
	b := f.browser(t)
	b.mustSignIn(dana)
	r := b.post("/console/try", url.Values{"kind": {"oidc"}, "role": {"arn:aws:iam::" + acctA + ":role/ci"}, "token": {"sub:guess"}})
	if strings.Contains(r.body, "repo:acme/app") {
		t.Fatalf("a principal denied iam:GetRole reads the trust policy's expected sub through Try a token: %d", r.status)
	}
}

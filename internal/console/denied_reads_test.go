package console_test

// The console is a client of the APIs, signed as the person: an explicit Deny always wins
// ("Policy evaluation logic", IAM User Guide), so a page shows only what the underlying
// operations answer the signed-in caller.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
)

// userWith adds a user of account A with doc as its only policy, keyed like the fixture's users.
func userWith(t *testing.T, f *fixture, name, doc string) key {
	t.Helper()
	mk, err := keys.NewMasterKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return f.user(t, mk, acctA, name, doc)
}

// allowAllDeny allows everything (console actions included) and explicitly denies actions.
func allowAllDeny(actions string) string {
	return `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"*","Resource":"*"},
 {"Effect":"Deny","Action":[` + actions + `],"Resource":"*"}]}`
}

// denyReads denies the IAM, Cognito and admin-API reads the console pages show the results of.
var denyReads = allowAllDeny(`"iam:Get*","iam:List*","cognito-identity:*","latchkey:GetDecision","latchkey:ListDecisions","latchkey:ListIssuances"`)

const poolID = "us-east-1:00000000-0000-4000-8000-000000000001"

// withSecrets adds to the fixture an inline policy of role ci and an identity pool with one
// identity whose linked login has a subject, the data the pages must withhold.
func withSecrets(t *testing.T, f *fixture) {
	t.Helper()
	ctx := t.Context()
	if err := f.st.PutInlinePolicy(ctx, store.InlinePolicy{OwnerKind: store.KindRole, OwnerID: "AROACI", PolicyName: "secret-inline",
		Document: `{"Version":"2012-10-17","Statement":[{"Sid":"MarkerOnlyInThePolicy","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::crown-jewels/*"}]}`},
		func(d string) int { return len(d) }, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CreateIdentityPool(ctx, store.IdentityPool{ID: poolID, AccountID: acctA, Name: "mobile",
		Roles: map[string]string{"authenticated": "arn:aws:iam::" + acctA + ":role/ci"}, CreatedAt: testNow, UpdatedAt: testNow}, 1000); err != nil {
		t.Fatal(err)
	}
	identity := store.Identity{ID: "us-east-1:00000000-0000-4000-8000-0000000000aa", PoolID: poolID, CreatedAt: testNow, UpdatedAt: testNow}
	login := store.IdentityLogin{PoolID: poolID, IdentityID: identity.ID, Provider: "accounts.google.com", Subject: "google-subject-42", CreatedAt: testNow}
	if err := f.st.CreateIdentity(ctx, identity, []store.IdentityLogin{login}); err != nil {
		t.Fatal(err)
	}
}

// TestConsolePagesNeedTheirAPIPermissions: a principal with *:* but an explicit Deny on the
// reads gets, on every page, an AccessDenied notice naming the operation's action and none of
// its data; the root (the legitimate path) gets the data.
func TestConsolePagesNeedTheirAPIPermissions(t *testing.T) {
	f := newFixture(t)
	withSecrets(t, f)
	dana := f.browser(t)
	dana.mustSignIn(userWith(t, f, "dana", denyReads))
	root := f.browser(t)
	root.mustSignIn(f.root)
	for _, tc := range []struct{ path, data, action string }{
		{"/console/roles/ci", "crown-jewels", "iam:GetRole"},
		{"/console/roles/ci", "repo:acme/app", "iam:GetRole"},
		{"/console/roles", ">ci<", "iam:ListRoles"},
		{"/console/providers", "idp.example.com", "iam:ListOpenIDConnectProviders"},
		{"/console/providers", "kid-2026", "iam:ListOpenIDConnectProviders"},
		{"/console/providers", "No SAML providers", "iam:ListSAMLProviders"},
		{"/console/pools", poolID, "cognito-identity:ListIdentityPools"},
		{"/console/pools/" + poolID, "google-subject-42", "cognito-identity:DescribeIdentityPool"},
		{"/console/activity", refusalA, "latchkey:ListDecisions"},
		{"/console/activity", issuedA, "latchkey:ListIssuances"},
		{"/console/activity/" + refusalA, "repo:evil/app", "latchkey:GetDecision"},
	} {
		r := dana.do("GET", tc.path, nil)
		if strings.Contains(r.body, tc.data) || !strings.Contains(r.body, "AccessDenied") || !strings.Contains(r.body, tc.action) {
			t.Errorf("GET %s by a principal denied %s: %d, want an AccessDenied notice naming it and no %q\n%s", tc.path, tc.action, r.status, tc.data, r.body)
		}
		if r.status >= 500 {
			t.Errorf("GET %s: %d", tc.path, r.status)
		}
		if r := root.do("GET", tc.path, nil); r.status != http.StatusOK || !strings.Contains(r.body, tc.data) || strings.Contains(r.body, "your policies do not allow") {
			t.Errorf("GET %s by the root: %d, want %q\n%s", tc.path, r.status, tc.data, r.body)
		}
	}
}

// TestPagePartsNeedTheirOwnActions: each part of a page is its own operation. Allowed GetRole
// but denied GetRolePolicy, ListAttachedRolePolicies and ListDecisions, a principal sees the
// trust policy and the inline policies' names, and a notice in place of each part it may not
// read (never "no permission policies"); denied ListIdentities, it sees the pool's roles and
// no identity, and denied GetIdentityPoolRoles, the identities and no role.
func TestPagePartsNeedTheirOwnActions(t *testing.T) {
	f := newFixture(t)
	withSecrets(t, f)
	gina := f.browser(t)
	gina.mustSignIn(userWith(t, f, "gina", allowAllDeny(`"iam:GetRolePolicy","iam:ListAttachedRolePolicies","latchkey:ListDecisions","cognito-identity:ListIdentities"`)))
	ian := f.browser(t)
	ian.mustSignIn(userWith(t, f, "ian", allowAllDeny(`"cognito-identity:GetIdentityPoolRoles"`)))
	cases := []struct {
		b           *browser
		path        string
		want, never []string
	}{
		{gina, "/console/roles/ci", []string{"repo:acme/app", "secret-inline", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "latchkey:ListDecisions"},
			[]string{"crown-jewels", "No permission policies", refusalA}},
		{gina, "/console/pools/" + poolID, []string{"role/ci", "cognito-identity:ListIdentities"}, []string{"google-subject-42", "0000000000aa"}},
		{ian, "/console/pools/" + poolID, []string{"google-subject-42", "cognito-identity:GetIdentityPoolRoles"}, []string{"role/ci"}},
	}
	for _, c := range cases {
		r := c.b.do("GET", c.path, nil)
		for _, w := range c.want {
			if r.status != http.StatusOK || !strings.Contains(r.body, w) {
				t.Errorf("GET %s: %d, lacks %q\n%s", c.path, r.status, w, r.body)
			}
		}
		for _, n := range c.never {
			if strings.Contains(r.body, n) {
				t.Errorf("GET %s shows %q", c.path, n)
			}
		}
	}
}

// TestTryTokenShowsTrustPolicyOnlyWithGetRole: the refusal's policy detail is a read of the
// role's trust policy, so it needs iam:GetRole on the role. A principal denied it gets the
// verdict, the token's own checks and a note why the rest is hidden; one allowed it (alice,
// *:*) gets the condition and its values.
func TestTryTokenShowsTrustPolicyOnlyWithGetRole(t *testing.T) {
	f := newFixture(t)
	role := "arn:aws:iam::" + acctA + ":role/ci"
	dana := f.browser(t)
	dana.mustSignIn(userWith(t, f, "dana", denyReads))
	alice := f.browser(t)
	alice.mustSignIn(f.alice)
	for _, c := range []struct {
		name        string
		b           *browser
		token       string
		want, never []string
	}{
		{"denied GetRole, refused by the trust policy", dana, "sub:guess",
			[]string{"Would be refused", "AccessDenied", "iam:GetRole on " + role, `name="role" value="` + role + `"`}, []string{"repo:acme/app", "StringEquals"}},
		{"denied GetRole, refused by a token check", dana, "garbage", []string{"Would be refused", "InvalidIdentityToken"}, []string{"repo:acme/app"}},
		{"allowed GetRole", alice, "sub:guess", []string{"Would be refused", "StringEquals idp.example.com:sub", "repo:acme/app"}, []string{"are hidden"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.b.post("/console/try", url.Values{"kind": {"oidc"}, "role": {role}, "token": {c.token}})
			for _, w := range c.want {
				if r.status != http.StatusOK || !strings.Contains(r.body, w) {
					t.Errorf("lacks %q: %d\n%s", w, r.status, r.body)
				}
			}
			for _, n := range c.never {
				if strings.Contains(r.body, n) {
					t.Errorf("shows %q\n%s", n, r.body)
				}
			}
		})
	}
}

// samlMetadata is an IdP's metadata with entityID and one signing certificate of subject cn.
func samlMetadata(t *testing.T, entityID, cn string) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="` + entityID + `">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` +
		base64.StdEncoding.EncodeToString(der) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sso.example.com/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`
}

// TestSAMLMetadataNeedsGetSAMLProvider: ListSAMLProviders names a provider; its metadata (entity
// id, certificates) is GetSAMLProvider's answer. Denied that, a principal sees the name and a
// notice naming the action; alice (*:*) sees the entity id and the certificate's subject.
func TestSAMLMetadataNeedsGetSAMLProvider(t *testing.T) {
	f := newFixture(t)
	arn := "arn:aws:iam::" + acctA + ":saml-provider/corp"
	if err := f.st.CreateSAMLProvider(t.Context(), store.SAMLProvider{AccountID: acctA, ARN: arn, Name: "corp",
		MetadataDocument: samlMetadata(t, "https://corp-idp.example.com/entity", "corp-signing-cert"), CreatedAt: testNow}, 100); err != nil {
		t.Fatal(err)
	}
	hank := f.browser(t)
	hank.mustSignIn(userWith(t, f, "hank", allowAllDeny(`"iam:GetSAMLProvider"`)))
	alice := f.browser(t)
	alice.mustSignIn(f.alice)
	for _, c := range []struct {
		name        string
		b           *browser
		want, never []string
	}{
		{"denied GetSAMLProvider", hank, []string{arn, "iam:GetSAMLProvider"}, []string{"corp-idp.example.com", "corp-signing-cert"}},
		{"allowed", alice, []string{arn, "https://corp-idp.example.com/entity", "corp-signing-cert"}, []string{"iam:GetSAMLProvider"}},
	} {
		r := c.b.do("GET", "/console/providers", nil)
		for _, w := range c.want {
			if r.status != http.StatusOK || !strings.Contains(r.body, w) {
				t.Errorf("%s: lacks %q: %d\n%s", c.name, w, r.status, r.body)
			}
		}
		for _, n := range c.never {
			if strings.Contains(r.body, n) {
				t.Errorf("%s: shows %q", c.name, n)
			}
		}
	}
}

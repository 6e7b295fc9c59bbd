package imds

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

type fakeStore struct {
	profiles map[string]store.InstanceProfile // by account/name
	roles    map[string]store.Role            // by id
}

func (f *fakeStore) GetInstanceProfile(_ context.Context, acct, name string) (store.InstanceProfile, error) {
	p, ok := f.profiles[acct+"/"+name]
	if !ok {
		return p, store.ErrNotFound
	}
	return p, nil
}

func (f *fakeStore) GetRoleByID(_ context.Context, id string) (store.Role, error) {
	r, ok := f.roles[id]
	if !ok {
		return r, store.ErrNotFound
	}
	return r, nil
}

// fakeSessions admits only what a real trust gate would for this test: the EC2 service identity
// with aws:SourceAccount of the role's own account, and it records every request.
type fakeSessions struct {
	now  func() time.Time
	reqs []session.Request
}

func (f *fakeSessions) AssumeRole(_ context.Context, r session.Request) (session.RoleSession, error) {
	f.reqs = append(f.reqs, r)
	if r.Federated == nil || !r.Federated.Service || r.Federated.ProviderARN != EC2 ||
		len(r.Condition["aws:SourceAccount"]) != 1 || r.Condition["aws:SourceAccount"][0] != r.Role.AccountID {
		return session.RoleSession{}, session.FederatedDenied(r.Action)
	}
	n := len(f.reqs)
	return session.RoleSession{Credentials: session.Credentials{AccessKeyID: "ASIA" + string(rune('A'+n)), SecretAccessKey: "s", SessionToken: "t",
		Expiration: f.now().Add(time.Hour)}, ARN: "arn:aws:sts::" + r.Role.AccountID + ":assumed-role/" + r.Role.RoleName + "/" + r.SessionName}, nil
}

const acct = "123456789012"

func fixture(t *testing.T) (*Service, *fakeStore, *fakeSessions, *time.Time) {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st := &fakeStore{
		profiles: map[string]store.InstanceProfile{
			acct + "/web":         {AccountID: acct, InstanceProfileID: "AIPAWEB", InstanceProfileName: "web", Path: "/", RoleID: "AROAWEB"},
			acct + "/empty":       {AccountID: acct, InstanceProfileID: "AIPAEMPTY", InstanceProfileName: "empty", Path: "/"},
			"210987654321/web":    {AccountID: "210987654321", InstanceProfileID: "AIPAOTHER", InstanceProfileName: "web", Path: "/", RoleID: "AROAOTHER"},
			acct + "/other-owner": {AccountID: acct, InstanceProfileID: "AIPAX", InstanceProfileName: "other-owner", Path: "/", RoleID: "AROAOTHER"},
		},
		roles: map[string]store.Role{
			"AROAWEB":   {AccountID: acct, RoleID: "AROAWEB", RoleName: "web-role", Path: "/"},
			"AROAOTHER": {AccountID: "210987654321", RoleID: "AROAOTHER", RoleName: "theirs", Path: "/"},
		},
	}
	ss := &fakeSessions{now: func() time.Time { return now }}
	svc, err := New(Deps{Store: st, Sessions: ss, AccountID: acct, InstanceProfile: "web", Region: "eu-west-1", Keys: newFakeKeys(t), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st, ss, &now
}

// fakeKeys is a key ring of one key.
type fakeKeys struct{ k keys.Key }

func newFakeKeys(t *testing.T) *fakeKeys {
	m := make([]byte, 32)
	if _, err := rand.Read(m); err != nil {
		t.Fatal(err)
	}
	return &fakeKeys{keys.Key{ID: "k" + base64.RawURLEncoding.EncodeToString(m[:6]), Material: m}}
}

func (f *fakeKeys) Signer(context.Context) (keys.Key, error) { return f.k, nil }
func (f *fakeKeys) Lookup(_ context.Context, id string) (keys.Key, bool, error) {
	return f.k, id == f.k.ID, nil
}

// TestTokens: TTLs from 1 to 21600 seconds only; a token is valid until its TTL passes, on every
// node that shares the deployment's key ring, and a changed, truncated or foreign token is refused.
func TestTokens(t *testing.T) {
	ctx := context.Background()
	svc, _, _, now := fixture(t)
	other, _, _, _ := fixture(t)
	sameDeployment, err := New(Deps{Store: &fakeStore{}, Sessions: &fakeSessions{}, AccountID: acct, InstanceProfile: "web", Region: "eu-west-1",
		Keys: svc.d.Keys, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, ttl := range []string{"", "0", "-5", "21601", "x", "1e3", "99999999999999999999"} {
		if _, _, err := svc.IssueToken(ctx, ttl); !errors.Is(err, ErrBadTTL) {
			t.Errorf("TTL %q: %v, want ErrBadTTL", ttl, err)
		}
	}
	for _, ttl := range []string{"1", "21600", " 60 "} {
		if _, _, err := svc.IssueToken(ctx, ttl); err != nil {
			t.Errorf("TTL %q: %v", ttl, err)
		}
	}
	tok, n, err := svc.IssueToken(ctx, "60")
	if err != nil || n != 60 {
		t.Fatal(n, err)
	}
	kid, body, _ := strings.Cut(tok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return kid + "." + base64.RawURLEncoding.EncodeToString(b)
	}
	for name, tc := range map[string]struct {
		svc   *Service
		token string
		ok    bool
	}{
		"issued":                   {svc, tok, true},
		"another node, same ring":  {sameDeployment, tok, true},
		"another deployment's key": {other, tok, false},
		"another key id":           {svc, "kother." + body, false},
		"no key id":                {svc, body, false},
		"expiry pushed":            {svc, flip(7), false},
		"nonce changed":            {svc, flip(10), false},
		"mac changed":              {svc, flip(len(raw) - 1), false},
		"truncated":                {svc, tok[:len(tok)-4], false},
		"empty":                    {svc, "", false},
		"not base64":               {svc, "!!!!", false},
		"v1-style static text":     {svc, "AQAEAFakeToken==", false},
	} {
		if err := tc.svc.CheckToken(ctx, tc.token); (err == nil) != tc.ok {
			t.Errorf("%s: CheckToken = %v, want ok=%v", name, err, tc.ok)
		}
	}
	*now = now.Add(59 * time.Second)
	if err := svc.CheckToken(ctx, tok); err != nil {
		t.Errorf("token refused before its TTL: %v", err)
	}
	*now = now.Add(time.Second)
	if err := svc.CheckToken(ctx, tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("token accepted at its expiry: %v", err)
	}
}

// TestCredentials: the profile's role is minted as ec2.amazonaws.com with aws:SourceAccount and
// the instance id as session name, kept until five minutes before expiry, re-minted when the
// trust policy changes, and nothing else is served.
func TestCredentials(t *testing.T) {
	svc, st, ss, now := fixture(t)
	if _, err := svc.Credentials(t.Context(), "WEB-ROLE"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the role name in another case: %v, want ErrNotFound", err)
	}
	c, err := svc.Credentials(t.Context(), "web-role")
	if err != nil || !c.Minted || c.RoleARN != "arn:aws:iam::"+acct+":role/web-role" {
		t.Fatalf("Credentials = %+v, %v", c, err)
	}
	r := ss.reqs[0]
	if r.Action != "sts:AssumeRole" || r.SessionName != svc.InstanceID() || r.Role.RoleID != "AROAWEB" {
		t.Fatalf("session request = %+v", r)
	}
	again, _ := svc.Credentials(t.Context(), "web-role")
	if again.Minted || again.AccessKeyID != c.AccessKeyID {
		t.Fatalf("not cached: %+v", again)
	}
	*now = c.Expiration.Add(-refreshBefore)
	fresh, _ := svc.Credentials(t.Context(), "web-role")
	if !fresh.Minted || fresh.AccessKeyID == c.AccessKeyID {
		t.Fatalf("not refreshed five minutes before expiry: %+v", fresh)
	}
	role := st.roles["AROAWEB"]
	role.AssumeRolePolicyDocument = "changed"
	st.roles["AROAWEB"] = role
	if changed, _ := svc.Credentials(t.Context(), "web-role"); !changed.Minted {
		t.Fatal("a changed trust policy was not re-evaluated")
	}
	if _, err := svc.Credentials(t.Context(), "other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another role name: %v", err)
	}
}

// TestProfileRefusals: a profile without a role, a missing profile, and a profile of the
// instance's account that holds another account's role (which IAM never allows, here planted
// in the store) give no credentials: the last is refused by the trust gate's aws:SourceAccount.
func TestProfileRefusals(t *testing.T) {
	for _, tc := range []struct {
		profile, role string
		notFound      bool
	}{
		{"empty", "", true},
		{"missing", "web-role", true},
		{"other-owner", "theirs", false},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			_, st, ss, now := fixture(t)
			svc, _ := New(Deps{Store: st, Sessions: ss, AccountID: acct, InstanceProfile: tc.profile, Region: "eu-west-1", Keys: newFakeKeys(t), Now: func() time.Time { return *now }})
			_, err := svc.Credentials(t.Context(), tc.role)
			if tc.notFound {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("got %v, want ErrNotFound", err)
				}
				if _, err := svc.Info(t.Context()); !errors.Is(err, ErrNotFound) {
					t.Fatalf("Info: %v, want ErrNotFound", err)
				}
				return
			}
			if ae, ok := awserr.As(err); !ok || ae.HTTPStatus != http.StatusForbidden {
				t.Fatalf("got %v, want AccessDenied", err)
			}
		})
	}
}

// TestDocuments: the instance id is stable for an account and profile and looks like EC2's.
func TestDocuments(t *testing.T) {
	a, _, _, _ := fixture(t)
	b, _, _, _ := fixture(t)
	if a.InstanceID() != b.InstanceID() || len(a.InstanceID()) != 19 || a.InstanceID()[:2] != "i-" {
		t.Fatalf("instance ids %q %q", a.InstanceID(), b.InstanceID())
	}
	d := a.Document()
	if d.AccountID != acct || d.Region != "eu-west-1" || d.InstanceID != a.InstanceID() || d.AvailabilityZone != "eu-west-1a" {
		t.Fatalf("document = %+v", d)
	}
	info, err := a.Info(t.Context())
	if err != nil || info.InstanceProfileArn != "arn:aws:iam::"+acct+":instance-profile/web" || info.InstanceProfileID != "AIPAWEB" {
		t.Fatalf("Info = %+v, %v", info, err)
	}
}

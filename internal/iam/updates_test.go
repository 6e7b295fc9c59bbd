package iam

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
)

const testAccount = "123456789012"

// allowAll authorizes everything, as the identity policy {"Effect":"Allow","Action":"*","Resource":"*"}
// does; the rules under test here are the store's, which no policy can waive.
type allowAll struct{}

func (allowAll) Authorize(context.Context, authz.Request) error { return nil }

type noCache struct{}

func (noCache) Invalidate(string) {}
func (noCache) InvalidateAll()    {}

// racingStore is the real SQL store with hooks around its updaters: before runs ahead of the
// updater's transaction, as a concurrent request that commits between the service's read and its
// write; lost, when set, is what every updater returns, as the store does for a race it lost on
// every retry.
type racingStore struct {
	*sqlstore.Store
	before func()
	lost   error
}

func (r *racingStore) hook() error {
	if r.before != nil {
		before := r.before
		r.before = nil
		before()
	}
	return r.lost
}

func (r *racingStore) UpdateUser(ctx context.Context, id string, fn func(*store.User) error) (store.User, error) {
	if err := r.hook(); err != nil {
		return store.User{}, err
	}
	return r.Store.UpdateUser(ctx, id, fn)
}

func (r *racingStore) UpdateRole(ctx context.Context, id string, fn func(*store.Role) error) (store.Role, error) {
	if err := r.hook(); err != nil {
		return store.Role{}, err
	}
	return r.Store.UpdateRole(ctx, id, fn)
}

func (r *racingStore) UpdateOIDCProvider(ctx context.Context, arn string, fn func(*store.OIDCProvider) error) (store.OIDCProvider, error) {
	if err := r.hook(); err != nil {
		return store.OIDCProvider{}, err
	}
	return r.Store.UpdateOIDCProvider(ctx, arn, fn)
}

func (r *racingStore) UpdateOutboundFederation(ctx context.Context, account string, fn func(*store.OutboundFederation, bool) error) (store.OutboundFederation, error) {
	if err := r.hook(); err != nil {
		return store.OutboundFederation{}, err
	}
	return r.Store.UpdateOutboundFederation(ctx, account, fn)
}

func newTestService(t testing.TB) (*Service, *racingStore, *principal.Principal) {
	t.Helper()
	st := sqltest.Open(t)
	if err := st.CreateAccount(t.Context(), store.Account{ID: testAccount, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	rs := &racingStore{Store: st}
	svc := New(Deps{Store: rs, Authz: allowAll{}, Cache: noCache{}, IDs: ids.Minter{R: rand.Reader}, Now: time.Now, IssuerURL: "https://issuer.example.com"})
	root := &principal.Principal{Kind: principal.Root, AccountID: testAccount, ARN: "arn:aws:iam::" + testAccount + ":root", UserID: testAccount}
	return svc, rs, root
}

func wantAWSError(t *testing.T, err error, code string, status int) {
	t.Helper()
	ae, ok := awserr.As(err)
	if !ok || ae.Code != code || ae.HTTPStatus != status {
		t.Fatalf("got %v, want %s (%d)", err, code, status)
	}
}

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`

func tags(keys ...string) []Tag {
	var out []Tag
	for _, k := range keys {
		out = append(out, Tag{Key: k, Value: "v"})
	}
	return out
}

// TestLostRacesAnswerConcurrentModification: when the store gives up on a race, every updater
// answers ConcurrentModification (409) of kind Conflict with the store's error as its cause. The
// server answers it as it is where the operation's model has ConcurrentModification, and as
// ServiceUnavailable (503) where it does not: wire and status are that answer, which the
// server's TestConcurrentModificationAnsweredAsTheModelSays checks for the same operations.
// Nothing is written either way.
func TestLostRacesAnswerConcurrentModification(t *testing.T) {
	for _, tc := range []struct {
		name   string
		call   func(s *Service, root *principal.Principal) error
		wire   string
		status int
	}{
		{"TagRole", func(s *Service, root *principal.Principal) error { return s.TagRole(ctx, root, "r", tags("k")) }, "ConcurrentModification", 409},
		{"UntagRole", func(s *Service, root *principal.Principal) error { return s.UntagRole(ctx, root, "r", []string{"k"}) }, "ConcurrentModification", 409},
		{"UpdateRole", func(s *Service, root *principal.Principal) error {
			err := s.UpdateRole(ctx, root, "r", new("d"), 0)
			return err
		}, "ServiceUnavailable", 503},
		{"UpdateAssumeRolePolicy", func(s *Service, root *principal.Principal) error {
			return s.UpdateAssumeRolePolicy(ctx, root, "r", trust)
		}, "ServiceUnavailable", 503},
		{"TagUser", func(s *Service, root *principal.Principal) error { return s.TagUser(ctx, root, "u", tags("k")) }, "ConcurrentModification", 409},
		{"UpdateUser", func(s *Service, root *principal.Principal) error {
			return s.UpdateUser(ctx, root, UpdateUserInput{UserName: "u", NewUserName: "v"})
		}, "ConcurrentModification", 409},
		{"DeleteUserPermissionsBoundary", func(s *Service, root *principal.Principal) error {
			return s.DeletePermissionsBoundary(ctx, root, store.KindUser, "u")
		}, "ServiceUnavailable", 503},
		{"AddClientIDToOpenIDConnectProvider", func(s *Service, root *principal.Principal) error {
			return s.AddClientIDToOpenIDConnectProvider(ctx, root, "arn:aws:iam::123456789012:oidc-provider/idp.example.com", "c")
		}, "ConcurrentModification", 409},
		{"EnableOutboundWebIdentityFederation", func(s *Service, root *principal.Principal) error {
			_, err := s.EnableOutboundWebIdentityFederation(ctx, root)
			return err
		}, "ServiceUnavailable", 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, rs, root := newTestService(t)
			if _, err := s.CreateRole(ctx, root, CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: trust, Tags: tags("k")}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateUser(ctx, root, CreateUserInput{UserName: "u"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateOpenIDConnectProvider(ctx, root, CreateOIDCProviderInput{URL: "https://idp.example.com"}); err != nil {
				t.Fatal(err)
			}
			rs.lost = fmt.Errorf("test: %w: %w", store.ErrConcurrentModification, store.ErrUnavailable)
			err := tc.call(s, root)
			wantAWSError(t, err, "ConcurrentModification", 409)
			if !awserr.IsKind(err, awserr.Conflict) || !errors.Is(err, store.ErrConcurrentModification) || !errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("got %v (kind %v), want kind Conflict caused by the store's lost race", err, kindOf(err))
			}
		})
	}
}

func kindOf(err error) awserr.Kind {
	if ae, ok := awserr.As(err); ok {
		return ae.Kind
	}
	return awserr.Coded
}

var ctx = context.Background()

// TestChangesApplyToTheEntityAsItIs: a request that commits between another request's read and
// its transaction is never overwritten, quotas hold against the entity as it now is, and a role
// or user deleted and re-created under the same name in between is not the one changed.
func TestChangesApplyToTheEntityAsItIs(t *testing.T) {
	fifty := make([]string, MaxTagsPerResource)
	for i := range fifty {
		fifty[i] = fmt.Sprintf("k%02d", i)
	}
	for _, tc := range []struct {
		name string
		// between is the concurrent request, committed between the read and the transaction.
		between func(s *Service, root *principal.Principal) error
		call    func(s *Service, root *principal.Principal) error
		// code is the AWS error the call must answer, "" for success.
		code  string
		check func(t *testing.T, s *Service, root *principal.Principal)
	}{
		{
			name:    "TagRole keeps a concurrent tag",
			between: func(s *Service, root *principal.Principal) error { return s.TagRole(ctx, root, "r", tags("theirs")) },
			call:    func(s *Service, root *principal.Principal) error { return s.TagRole(ctx, root, "r", tags("mine")) },
			check:   wantRoleTags("theirs", "mine"),
		},
		{
			name:    "TagRole checks the 50-tag quota against the tags as they are",
			between: func(s *Service, root *principal.Principal) error { return s.TagRole(ctx, root, "r", tags(fifty...)) },
			call: func(s *Service, root *principal.Principal) error {
				return s.TagRole(ctx, root, "r", tags("one-too-many"))
			},
			code:  "LimitExceeded",
			check: wantRoleTags(fifty...),
		},
		{
			name:    "UpdateAssumeRolePolicy keeps a concurrent tag",
			between: func(s *Service, root *principal.Principal) error { return s.TagRole(ctx, root, "r", tags("theirs")) },
			call: func(s *Service, root *principal.Principal) error {
				return s.UpdateAssumeRolePolicy(ctx, root, "r", trust)
			},
			check: wantRoleTags("theirs"),
		},
		{
			name: "TagRole does not tag a role re-created under the same name",
			between: func(s *Service, root *principal.Principal) error {
				if err := s.DeleteRole(ctx, root, "r"); err != nil {
					return err
				}
				_, err := s.CreateRole(ctx, root, CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: trust})
				return err
			},
			call:  func(s *Service, root *principal.Principal) error { return s.TagRole(ctx, root, "r", tags("mine")) },
			code:  "NoSuchEntity",
			check: wantRoleTags(),
		},
		{
			name: "TagUser does not tag a user re-created under the same name",
			between: func(s *Service, root *principal.Principal) error {
				if err := s.DeleteUser(ctx, root, "u"); err != nil {
					return err
				}
				_, err := s.CreateUser(ctx, root, CreateUserInput{UserName: "u"})
				return err
			},
			call: func(s *Service, root *principal.Principal) error { return s.TagUser(ctx, root, "u", tags("mine")) },
			code: "NoSuchEntity",
			check: func(t *testing.T, s *Service, root *principal.Principal) {
				page, err := s.ListUserTags(ctx, root, "u", "", 0)
				if err != nil || len(page.Items) != 0 {
					t.Fatalf("the re-created user has tags %v (%v), want none", page.Items, err)
				}
			},
		},
		{
			name: "AddClientIDToOpenIDConnectProvider checks the client id quota against the list as it is",
			between: func(s *Service, root *principal.Principal) error {
				for i := range MaxClientIDsPerOIDC - 1 {
					if err := s.AddClientIDToOpenIDConnectProvider(ctx, root, "arn:aws:iam::123456789012:oidc-provider/idp.example.com", fmt.Sprint("theirs-", i)); err != nil {
						return err
					}
				}
				return nil
			},
			call: func(s *Service, root *principal.Principal) error {
				return s.AddClientIDToOpenIDConnectProvider(ctx, root, "arn:aws:iam::123456789012:oidc-provider/idp.example.com", "mine")
			},
			code: "LimitExceeded",
			check: func(t *testing.T, s *Service, root *principal.Principal) {
				p, err := s.GetOpenIDConnectProvider(ctx, root, "arn:aws:iam::123456789012:oidc-provider/idp.example.com")
				if err != nil || len(p.ClientIDs) != MaxClientIDsPerOIDC || slices.Contains(p.ClientIDs, "mine") {
					t.Fatalf("the provider has %d client ids (%v), want the quota of %d without the refused one", len(p.ClientIDs), err, MaxClientIDsPerOIDC)
				}
			},
		},
		{
			name: "EnableOutboundWebIdentityFederation answers FeatureEnabled to the second of two first enables",
			between: func(s *Service, root *principal.Principal) error {
				_, err := s.EnableOutboundWebIdentityFederation(ctx, root)
				return err
			},
			call: func(s *Service, root *principal.Principal) error {
				_, err := s.EnableOutboundWebIdentityFederation(ctx, root)
				return err
			},
			code: "FeatureEnabled",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, rs, root := newTestService(t)
			if _, err := s.CreateRole(ctx, root, CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: trust}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateUser(ctx, root, CreateUserInput{UserName: "u"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateOpenIDConnectProvider(ctx, root, CreateOIDCProviderInput{URL: "https://idp.example.com", ClientIDs: []string{"c0"}}); err != nil {
				t.Fatal(err)
			}
			var betweenErr error
			rs.before = func() { betweenErr = tc.between(s, root) }
			err := tc.call(s, root)
			if rs.before != nil {
				t.Fatal("the request never reached the store's updater")
			}
			if betweenErr != nil {
				t.Fatalf("the concurrent request: %v", betweenErr)
			}
			if tc.code == "" && err != nil {
				t.Fatal(err)
			}
			if tc.code != "" {
				if ae, ok := awserr.As(err); !ok || ae.Code != tc.code {
					t.Fatalf("got %v, want %s", err, tc.code)
				}
			}
			if tc.check != nil {
				tc.check(t, s, root)
			}
		})
	}
}

func wantRoleTags(keys ...string) func(t *testing.T, s *Service, root *principal.Principal) {
	return func(t *testing.T, s *Service, root *principal.Principal) {
		t.Helper()
		page, err := s.ListRoleTags(ctx, root, "r", "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tag := range page.Items {
			got = append(got, tag.Key)
		}
		if !slices.Equal(got, keys) && !(len(got) == 0 && len(keys) == 0) {
			t.Fatalf("role tags = %v, want %v", got, keys)
		}
	}
}

// A permissions boundary whose policy is deleted between IAM's existence check and the write is
// refused as NoSuchEntity, as a missing policy is, and nothing is written: the store checks again
// in the writing transaction (found by an adversarial review: the boundary used to be left naming
// a deleted policy, which a policy re-created with that name would silently become).
func TestBoundaryPolicyDeletedDuringTheWrite(t *testing.T) {
	svc, rs, root := newTestService(t)
	ctx := t.Context()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	for _, kind := range []store.PrincipalKind{store.KindUser, store.KindRole} {
		t.Run(string(kind), func(t *testing.T) {
			p, err := svc.CreatePolicy(ctx, root, ManagedPolicyInput{PolicyName: "short-lived-" + string(kind), Document: doc})
			if err != nil {
				t.Fatal(err)
			}
			name := "bounded-" + string(kind)
			if kind == store.KindUser {
				_, err = svc.CreateUser(ctx, root, CreateUserInput{UserName: name})
			} else {
				_, err = svc.CreateRole(ctx, root, CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: trust})
			}
			if err != nil {
				t.Fatal(err)
			}
			rs.before = func() {
				if err := svc.DeletePolicy(ctx, root, p.ARN); err != nil {
					t.Errorf("concurrent DeletePolicy: %v", err)
				}
			}
			err = svc.PutPermissionsBoundary(ctx, root, kind, name, p.ARN)
			wantAWSError(t, err, "NoSuchEntity", 404)
			if ae, _ := awserr.As(err); ae.Message != "Scope ARN: "+p.ARN+" does not exist or is not attachable." {
				t.Fatalf("message %q", ae.Message)
			}
			var boundary string
			if kind == store.KindUser {
				u, err := rs.GetUser(ctx, testAccount, name)
				if err != nil {
					t.Fatal(err)
				}
				boundary = u.PermissionsBoundary
			} else {
				r, err := rs.GetRole(ctx, testAccount, name)
				if err != nil {
					t.Fatal(err)
				}
				boundary = r.PermissionsBoundary
			}
			if boundary != "" {
				t.Fatalf("boundary %q written although its policy is gone", boundary)
			}
		})
	}
}

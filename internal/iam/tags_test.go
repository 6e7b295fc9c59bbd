package iam

import (
	"fmt"
	"testing"

	"github.com/latchkey/latchkey/internal/principal"
)

// TestTagRules: every taggable resource keeps IAM's rules — the 50-tag quota, the reserved aws:
// prefix, no duplicate keys in one request, case-insensitive keys for users and roles only —
// through one helper; a caller allowed everything (allowAll) is still refused by each rule.
func TestTagRules(t *testing.T) {
	fortyNine := make([]string, MaxTagsPerResource-1)
	for i := range fortyNine {
		fortyNine[i] = fmt.Sprintf("k%02d", i)
	}
	type resource struct {
		name     string
		tag      func(s *Service, root *principal.Principal, tags []Tag) error
		list     func(s *Service, root *principal.Principal) (Page[Tag], error)
		caseFold bool
	}
	const oidcARN = "arn:aws:iam::123456789012:oidc-provider/idp.example.com"
	resources := []resource{
		{"user", func(s *Service, r *principal.Principal, tags []Tag) error { return s.TagUser(ctx, r, "u", tags) },
			func(s *Service, r *principal.Principal) (Page[Tag], error) { return s.ListUserTags(ctx, r, "u", "", 0) }, true},
		{"role", func(s *Service, r *principal.Principal, tags []Tag) error { return s.TagRole(ctx, r, "r", tags) },
			func(s *Service, r *principal.Principal) (Page[Tag], error) { return s.ListRoleTags(ctx, r, "r", "", 0) }, true},
		{"oidc provider", func(s *Service, r *principal.Principal, tags []Tag) error {
			return s.TagOpenIDConnectProvider(ctx, r, oidcARN, tags)
		},
			func(s *Service, r *principal.Principal) (Page[Tag], error) {
				return s.ListOpenIDConnectProviderTags(ctx, r, oidcARN, "", 0)
			}, false},
	}
	for _, res := range resources {
		for _, tc := range []struct {
			name  string
			tags  []Tag
			code  string
			count int // tags listed afterwards
		}{
			{"within quota", tags("a", "b"), "", 2},
			{"quota", append(tags(fortyNine...), tags("x", "y")...), "LimitExceeded", 0},
			{"exactly the quota", append(tags(fortyNine...), tags("x")...), "", MaxTagsPerResource},
			{"reserved prefix", []Tag{{Key: "aws:owner", Value: "me"}}, "InvalidInput", 0},
			{"reserved prefix any case", []Tag{{Key: "AWS:owner", Value: "me"}}, "InvalidInput", 0},
			{"duplicate key", []Tag{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}}, "InvalidInput", 0},
		} {
			t.Run(res.name+"/"+tc.name, func(t *testing.T) {
				s, _, root := tagFixture(t)
				err := res.tag(s, root, tc.tags)
				if tc.code != "" {
					wantAWSError(t, err, tc.code, map[string]int{"LimitExceeded": 409, "InvalidInput": 400}[tc.code])
				} else if err != nil {
					t.Fatal(err)
				}
				p, err := res.list(s, root)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Items) != tc.count {
					t.Fatalf("%d tags listed, want %d", len(p.Items), tc.count)
				}
			})
		}
		t.Run(res.name+"/keys differing in case", func(t *testing.T) {
			s, _, root := tagFixture(t)
			err := res.tag(s, root, []Tag{{Key: "Team", Value: "1"}, {Key: "team", Value: "2"}})
			if res.caseFold {
				wantAWSError(t, err, "InvalidInput", 400)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p, _ := res.list(s, root); len(p.Items) != 2 {
				t.Fatalf("listed %v, want both keys", p.Items)
			}
		})
	}
}

// TestListTagsPages: tags page with IAM's marker; a forged marker is refused.
func TestListTagsPages(t *testing.T) {
	s, _, root := tagFixture(t)
	if err := s.TagRole(ctx, root, "r", tags("a", "b", "c")); err != nil {
		t.Fatal(err)
	}
	p, err := s.ListRoleTags(ctx, root, "r", "", 2)
	if err != nil || len(p.Items) != 2 || !p.IsTruncated || p.Marker == "" {
		t.Fatalf("first page = %+v, %v", p, err)
	}
	p, err = s.ListRoleTags(ctx, root, "r", p.Marker, 2)
	if err != nil || len(p.Items) != 1 || p.Items[0].Key != "c" || p.IsTruncated {
		t.Fatalf("second page = %+v, %v", p, err)
	}
	_, err = s.ListRoleTags(ctx, root, "r", "not-a-marker", 2)
	wantAWSError(t, err, "ValidationError", 400)
}

func tagFixture(t *testing.T) (*Service, *racingStore, *principal.Principal) {
	t.Helper()
	s, rs, root := newTestService(t)
	if _, err := s.CreateRole(ctx, root, CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: trust}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, root, CreateUserInput{UserName: "u"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateOpenIDConnectProvider(ctx, root, CreateOIDCProviderInput{URL: "https://idp.example.com"}); err != nil {
		t.Fatal(err)
	}
	return s, rs, root
}

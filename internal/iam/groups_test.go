package iam

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/principal"
)

// groupFixture is a rule fixture with user alice in group devs (path /team/), which has an inline
// policy and an attached managed policy.
func groupFixture(t *testing.T) *ruleFixture {
	t.Helper()
	f := newRuleFixture(t)
	f.mustUser(t, f.root, "alice")
	if _, err := f.svc.CreateGroup(ctx, f.root, "devs", "/team/"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AddUserToGroup(ctx, f.root, "devs", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.PutInlinePolicy(ctx, f.root, KindGroup, "devs", "read", s3GetDoc); err != nil {
		t.Fatal(err)
	}
	f.policy = f.mustPolicy(t, f.root, "p")
	if err := f.svc.AttachPolicy(ctx, f.root, KindGroup, "devs", f.policy); err != nil {
		t.Fatal(err)
	}
	return f
}

const s3GetDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"x"}}}]}`

// The group lifecycle: a group is made at a path with an AGPA id and its ARN, lists its members,
// keeps them and its policies through a rename, and lists under its path.
func TestGroupLifecycle(t *testing.T) {
	f := groupFixture(t)
	g, users, err := f.svc.GetGroup(ctx, f.root, "DEVS", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(g.GroupID, "AGPA") || len(g.GroupID) != 21 || g.ARN != "arn:aws:iam::"+testAccount+":group/team/devs" ||
		len(users.Items) != 1 || users.Items[0].UserName != "alice" {
		t.Fatalf("GetGroup = %+v %+v", g, users)
	}
	if err := f.svc.UpdateGroup(ctx, f.root, UpdateGroupInput{GroupName: "devs", NewGroupName: "builders", NewPath: "/eng/"}); err != nil {
		t.Fatal(err)
	}
	g2, users, err := f.svc.GetGroup(ctx, f.root, "builders", "", 0)
	if err != nil || g2.GroupID != g.GroupID || g2.ARN != "arn:aws:iam::"+testAccount+":group/eng/builders" || len(users.Items) != 1 {
		t.Fatalf("after rename: %+v %+v %v", g2, users, err)
	}
	names, err := f.svc.ListInlinePolicies(ctx, f.root, KindGroup, "builders", "", 0)
	if err != nil || !slices.Equal(names.Items, []string{"read"}) {
		t.Fatalf("inline policies after rename: %v %v", names.Items, err)
	}
	atts, err := f.svc.ListAttached(ctx, f.root, KindGroup, "builders", "", "", 0)
	if err != nil || len(atts.Items) != 1 || atts.Items[0].PolicyARN != f.policy {
		t.Fatalf("attached after rename: %+v %v", atts.Items, err)
	}
	forUser, err := f.svc.ListGroupsForUser(ctx, f.root, "alice", "", 0)
	if err != nil || len(forUser.Items) != 1 || forUser.Items[0].GroupName != "builders" {
		t.Fatalf("ListGroupsForUser = %+v %v", forUser.Items, err)
	}
	ents, err := f.svc.ListEntitiesForPolicy(ctx, f.root, EntitiesForPolicyInput{PolicyARN: f.policy, EntityFilter: "Group"})
	if err != nil || len(ents.Items) != 1 || ents.Items[0].OwnerKind != KindGroup || ents.Items[0].OwnerName != "builders" {
		t.Fatalf("ListEntitiesForPolicy Group = %+v %v", ents.Items, err)
	}
	if ents, _ := f.svc.ListEntitiesForPolicy(ctx, f.root, EntitiesForPolicyInput{PolicyARN: f.policy, EntityFilter: "User"}); len(ents.Items) != 0 {
		t.Fatalf("ListEntitiesForPolicy User = %+v", ents.Items)
	}
	if _, err := f.svc.CreateGroup(ctx, f.root, "ops", "/"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{{"", []string{"builders", "ops"}}, {"/eng/", []string{"builders"}}, {"/none/", nil}} {
		page, err := f.svc.ListGroups(ctx, f.root, tc.prefix, "", 0)
		var got []string
		for _, g := range page.Items {
			got = append(got, g.GroupName)
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ListGroups %q = %v %v, want %v", tc.prefix, got, err, tc.want)
		}
	}
	// Taking everything out lets the group go.
	if err := f.svc.RemoveUserFromGroup(ctx, f.root, "builders", "alice"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteInlinePolicy(ctx, f.root, KindGroup, "builders", "read"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DetachPolicy(ctx, f.root, KindGroup, "builders", f.policy); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteGroup(ctx, f.root, "builders"); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.GetGroup(ctx, f.root, "builders", "", 0)
	wantNoSuchEntity(t, err)
}

// IAM's group rules refuse the root and a *:* user alike: each row is one rule.
func TestGroupRules(t *testing.T) {
	rules := []struct {
		name   string
		call   func(f *ruleFixture, c *principal.Principal) error
		code   string
		status int
	}{
		{"names are unique case-insensitively", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.CreateGroup(ctx, c, "DEVS", "/")
			return err
		}, "EntityAlreadyExists", http.StatusConflict},
		{"a rename onto a taken name", func(f *ruleFixture, c *principal.Principal) error {
			if _, err := f.svc.CreateGroup(ctx, c, "ops", "/"); err != nil {
				return err
			}
			return f.svc.UpdateGroup(ctx, c, UpdateGroupInput{GroupName: "ops", NewGroupName: "Devs"})
		}, "EntityAlreadyExists", http.StatusConflict},
		{"DeleteGroup while it has a member", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.DeleteGroup(ctx, c, "devs")
		}, "DeleteConflict", http.StatusConflict},
		{"DeleteGroup while it has an inline policy", func(f *ruleFixture, c *principal.Principal) error {
			if err := f.svc.RemoveUserFromGroup(ctx, c, "devs", "alice"); err != nil {
				return err
			}
			if err := f.svc.DetachPolicy(ctx, c, KindGroup, "devs", f.policy); err != nil {
				return err
			}
			return f.svc.DeleteGroup(ctx, c, "devs")
		}, "DeleteConflict", http.StatusConflict},
		{"DeleteGroup while it has an attached policy", func(f *ruleFixture, c *principal.Principal) error {
			if err := f.svc.RemoveUserFromGroup(ctx, c, "devs", "alice"); err != nil {
				return err
			}
			if err := f.svc.DeleteInlinePolicy(ctx, c, KindGroup, "devs", "read"); err != nil {
				return err
			}
			return f.svc.DeleteGroup(ctx, c, "devs")
		}, "DeleteConflict", http.StatusConflict},
		{"DeleteUser while in a group", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.DeleteUser(ctx, c, "alice")
		}, "DeleteConflict", http.StatusConflict},
		{"a user belongs to at most 10 groups", func(f *ruleFixture, c *principal.Principal) error {
			for i := range MaxGroupsPerUser {
				if _, err := f.svc.CreateGroup(ctx, c, fmt.Sprint("g", i), "/"); err != nil {
					return err
				}
				if err := f.svc.AddUserToGroup(ctx, c, fmt.Sprint("g", i), "alice"); err != nil {
					if i == MaxGroupsPerUser-1 {
						return err // alice is in devs already: the 10th add is her 11th group
					}
					return fmt.Errorf("add %d: %w", i, err)
				}
			}
			return nil
		}, "LimitExceeded", http.StatusConflict},
		{"a group has at most 10 attached policies", func(f *ruleFixture, c *principal.Principal) error {
			for i := range MaxAttachedPerEntity {
				p, err := f.svc.CreatePolicy(ctx, c, ManagedPolicyInput{PolicyName: fmt.Sprint("extra", i), Document: allowStarDoc})
				if err != nil {
					return fmt.Errorf("create policy %d: %w", i, err)
				}
				if err := f.svc.AttachPolicy(ctx, c, KindGroup, "devs", p.ARN); err != nil {
					return err
				}
			}
			return nil
		}, "LimitExceeded", http.StatusConflict},
		{"a group's inline policies total at most 5,120 characters", func(f *ruleFixture, c *principal.Principal) error {
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 5000) + `"}]}`
			return f.svc.PutInlinePolicy(ctx, c, KindGroup, "devs", "big", doc)
		}, "LimitExceeded", http.StatusConflict},
		{"RemoveUserFromGroup of a non-member", func(f *ruleFixture, c *principal.Principal) error {
			if _, err := f.svc.CreateUser(ctx, c, CreateUserInput{UserName: "bob"}); err != nil {
				return fmt.Errorf("create bob: %w", err)
			}
			return f.svc.RemoveUserFromGroup(ctx, c, "devs", "bob")
		}, "NoSuchEntity", http.StatusNotFound},
		{"AddUserToGroup of a missing user", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.AddUserToGroup(ctx, c, "devs", "nobody")
		}, "NoSuchEntity", http.StatusNotFound},
		{"SimulatePrincipalPolicy of a missing group", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.SimulatePrincipalPolicy(ctx, c, SimulationInput{PolicySourceARN: GroupARN(testAccount, "/", "nope"), Actions: []string{"s3:GetObject"}})
			return err
		}, "NoSuchEntity", http.StatusNotFound},
	}
	for _, r := range rules {
		for _, b := range broadCallers {
			t.Run(r.name+" "+b.name, func(t *testing.T) {
				f := groupFixture(t)
				wantAWSError(t, r.call(f, b.of(f)), r.code, r.status)
			})
		}
	}
}

// An account holds at most 300 groups (IAM quota GroupsPerAccount).
func TestGroupsPerAccountQuota(t *testing.T) {
	f := newRuleFixture(t)
	for i := range MaxGroupsPerAccount {
		if _, err := f.svc.CreateGroup(ctx, f.root, fmt.Sprint("g", i), "/"); err != nil {
			t.Fatalf("group %d: %v", i, err)
		}
	}
	_, err := f.svc.CreateGroup(ctx, f.admin, "one-too-many", "/")
	wantAWSError(t, err, "LimitExceeded", http.StatusConflict)
	// The quota is per account: another account still creates.
	if _, err := f.svc.CreateGroup(ctx, f.otherRoot, "g0", "/"); err != nil {
		t.Fatal(err)
	}
}

// Another account's root and *:* users cannot see or touch this account's groups: each call is
// answered as for a group that does not exist, and the group is left as it was.
func TestGroupsOfAnotherAccount(t *testing.T) {
	calls := []struct {
		name string
		call func(f *ruleFixture, c *principal.Principal) error
	}{
		{"GetGroup", func(f *ruleFixture, c *principal.Principal) error {
			_, _, err := f.svc.GetGroup(ctx, c, "devs", "", 0)
			return err
		}},
		{"UpdateGroup", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.UpdateGroup(ctx, c, UpdateGroupInput{GroupName: "devs", NewGroupName: "x"})
		}},
		{"DeleteGroup", func(f *ruleFixture, c *principal.Principal) error { return f.svc.DeleteGroup(ctx, c, "devs") }},
		{"AddUserToGroup of its own user", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.AddUserToGroup(ctx, c, "devs", "mine")
		}},
		{"RemoveUserFromGroup", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.RemoveUserFromGroup(ctx, c, "devs", "alice")
		}},
		{"PutGroupPolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.PutInlinePolicy(ctx, c, KindGroup, "devs", "evil", allowStarDoc)
		}},
		{"AttachGroupPolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.AttachPolicy(ctx, c, KindGroup, "devs", adminPolicyARN)
		}},
		{"DeleteGroupPolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.DeleteInlinePolicy(ctx, c, KindGroup, "devs", "read")
		}},
		{"SimulatePrincipalPolicy", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.SimulatePrincipalPolicy(ctx, c, SimulationInput{PolicySourceARN: GroupARN(testAccount, "/team/", "devs"), Actions: []string{"s3:GetObject"}})
			return err
		}},
	}
	for _, tc := range calls {
		for _, a := range []struct {
			name string
			of   func(*ruleFixture) *principal.Principal
		}{{"other root", func(f *ruleFixture) *principal.Principal { return f.otherRoot }}, {"other star user", func(f *ruleFixture) *principal.Principal { return f.otherAdmin }}} {
			t.Run(tc.name+" "+a.name, func(t *testing.T) {
				f := groupFixture(t)
				f.mustUser(t, f.otherRoot, "mine")
				wantNoSuchEntity(t, tc.call(f, a.of(f)))
				g, users, err := f.svc.GetGroup(ctx, f.root, "devs", "", 0)
				names, _ := f.svc.ListInlinePolicies(ctx, f.root, KindGroup, "devs", "", 0)
				atts, _ := f.svc.ListAttached(ctx, f.root, KindGroup, "devs", "", "", 0)
				if err != nil || g.Path != "/team/" || len(users.Items) != 1 || len(names.Items) != 1 || len(atts.Items) != 1 {
					t.Fatalf("devs changed: %+v %+v %v %v %v", g, users.Items, names.Items, atts.Items, err)
				}
			})
		}
	}
}

// recorder is an authorizer that allows everything and records what it was asked.
type recorder struct{ asked []authz.Request }

func (r *recorder) Authorize(_ context.Context, req authz.Request) error {
	r.asked = append(r.asked, req)
	return nil
}

// Every group operation is authorized with its own iam: action on the group's ARN (with its path),
// AddUserToGroup and RemoveUserFromGroup included; ListGroupsForUser on the user.
func TestGroupOperationsAuthorizeTheGroup(t *testing.T) {
	groupARN := "arn:aws:iam::" + testAccount + ":group/team/devs"
	cases := []struct {
		action, resource string
		call             func(f *ruleFixture) error
	}{
		{"iam:GetGroup", groupARN, func(f *ruleFixture) error { _, _, err := f.svc.GetGroup(ctx, f.root, "devs", "", 0); return err }},
		{"iam:AddUserToGroup", groupARN, func(f *ruleFixture) error { return f.svc.AddUserToGroup(ctx, f.root, "devs", "alice") }},
		{"iam:RemoveUserFromGroup", groupARN, func(f *ruleFixture) error { return f.svc.RemoveUserFromGroup(ctx, f.root, "devs", "alice") }},
		{"iam:PutGroupPolicy", groupARN, func(f *ruleFixture) error {
			return f.svc.PutInlinePolicy(ctx, f.root, KindGroup, "devs", "p2", allowStarDoc)
		}},
		{"iam:GetGroupPolicy", groupARN, func(f *ruleFixture) error {
			_, _, err := f.svc.GetInlinePolicy(ctx, f.root, KindGroup, "devs", "read")
			return err
		}},
		{"iam:ListGroupPolicies", groupARN, func(f *ruleFixture) error {
			_, err := f.svc.ListInlinePolicies(ctx, f.root, KindGroup, "devs", "", 0)
			return err
		}},
		{"iam:DetachGroupPolicy", groupARN, func(f *ruleFixture) error { return f.svc.DetachPolicy(ctx, f.root, KindGroup, "devs", f.policy) }},
		{"iam:ListAttachedGroupPolicies", groupARN, func(f *ruleFixture) error {
			_, err := f.svc.ListAttached(ctx, f.root, KindGroup, "devs", "", "", 0)
			return err
		}},
		{"iam:UpdateGroup", "arn:aws:iam::" + testAccount + ":group/team/renamed", func(f *ruleFixture) error {
			return f.svc.UpdateGroup(ctx, f.root, UpdateGroupInput{GroupName: "devs", NewGroupName: "renamed"})
		}},
		{"iam:ListGroupsForUser", principal.UserARN(testAccount, "/", "alice"), func(f *ruleFixture) error {
			_, err := f.svc.ListGroupsForUser(ctx, f.root, "alice", "", 0)
			return err
		}},
		{"iam:CreateGroup", "arn:aws:iam::" + testAccount + ":group/x/new", func(f *ruleFixture) error {
			_, err := f.svc.CreateGroup(ctx, f.root, "new", "/x/")
			return err
		}},
		{"iam:ListGroups", "arn:aws:iam::" + testAccount + ":group/", func(f *ruleFixture) error {
			_, err := f.svc.ListGroups(ctx, f.root, "", "", 0)
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.action, func(t *testing.T) {
			f := groupFixture(t)
			rec := &recorder{}
			f.svc.Authz = rec
			if err := tc.call(f); err != nil {
				t.Fatal(err)
			}
			for _, r := range rec.asked {
				if r.Action == tc.action && r.Resource == tc.resource && r.ResourceAccount == testAccount {
					return
				}
			}
			t.Fatalf("asked %+v, want %s on %s", rec.asked, tc.action, tc.resource)
		})
	}
}

// SimulatePrincipalPolicy for a user counts its groups' policies; for a group, the group's own;
// GetContextKeysForPrincipalPolicy reads the same policies.
func TestSimulateGroups(t *testing.T) {
	f := groupFixture(t)
	for _, tc := range []struct {
		source, want string
	}{
		{principal.UserARN(testAccount, "/", "alice"), "allowed"},
		{GroupARN(testAccount, "/team/", "devs"), "allowed"},
	} {
		res, err := f.svc.SimulatePrincipalPolicy(ctx, f.admin, SimulationInput{PolicySourceARN: tc.source, Actions: []string{"s3:GetObject"},
			Context: []ContextEntry{{Key: "s3:prefix", Values: []string{"x"}}}})
		if err != nil || len(res.Items) != 1 || res.Items[0].Decision != tc.want {
			t.Fatalf("%s: %+v %v", tc.source, res.Items, err)
		}
		if m := res.Items[0].Matched; len(m) == 0 || m[0].SourcePolicyID != "group_devs_read" && m[0].SourcePolicyType != "user-managed" {
			t.Errorf("%s: matched %+v, want the group's policy", tc.source, m)
		}
		keys, err := f.svc.GetContextKeysForPrincipalPolicy(ctx, f.admin, tc.source, nil)
		if err != nil || !slices.Contains(keys, "s3:prefix") {
			t.Errorf("%s: context keys %v %v, want s3:prefix from the group's policy", tc.source, keys, err)
		}
	}
	f.mustUser(t, f.root, "loner")
	res, err := f.svc.SimulatePrincipalPolicy(ctx, f.admin, SimulationInput{PolicySourceARN: principal.UserARN(testAccount, "/", "loner"),
		Actions: []string{"s3:GetObject"}, Context: []ContextEntry{{Key: "s3:prefix", Values: []string{"x"}}}})
	if err != nil || res.Items[0].Decision != "implicitDeny" {
		t.Fatalf("a user in no group: %+v %v", res.Items, err)
	}
}

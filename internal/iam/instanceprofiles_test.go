package iam

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
)

func (f *ruleFixture) mustProfileWithRole(t *testing.T, caller *principal.Principal, profile, role string) {
	t.Helper()
	if _, err := f.svc.CreateInstanceProfile(ctx, caller, CreateInstanceProfileInput{InstanceProfileName: profile, Path: "/ec2/"}); err != nil {
		t.Fatalf("CreateInstanceProfile %s: %v", profile, err)
	}
	if role == "" {
		return
	}
	f.mustRole(t, caller, role)
	if err := f.svc.AddRoleToInstanceProfile(ctx, caller, profile, role); err != nil {
		t.Fatalf("AddRoleToInstanceProfile %s %s: %v", profile, role, err)
	}
}

// TestInstanceProfileLifecycle: the legitimate path — a profile is created without a role, takes
// one, shows it, is found from the role, gives it back and is deleted.
func TestInstanceProfileLifecycle(t *testing.T) {
	f := newRuleFixture(t)
	f.mustProfileWithRole(t, f.admin, "web", "web-role")
	p, err := f.svc.GetInstanceProfile(ctx, f.admin, "WEB")
	if err != nil {
		t.Fatal(err)
	}
	if p.ARN != "arn:aws:iam::"+testAccount+":instance-profile/ec2/web" || !strings.HasPrefix(p.InstanceProfileID, "AIPA") ||
		len(p.Roles) != 1 || p.Roles[0].RoleName != "web-role" {
		t.Fatalf("GetInstanceProfile = %+v", p)
	}
	for _, list := range []func() (Page[InstanceProfile], error){
		func() (Page[InstanceProfile], error) {
			return f.svc.ListInstanceProfilesForRole(ctx, f.admin, "web-role", "", 0)
		},
		func() (Page[InstanceProfile], error) { return f.svc.ListInstanceProfiles(ctx, f.admin, "/ec2/", "", 0) },
	} {
		page, err := list()
		if err != nil || len(page.Items) != 1 || page.Items[0].InstanceProfileName != "web" || len(page.Items[0].Roles) != 1 {
			t.Fatalf("list = %+v, %v", page, err)
		}
	}
	if page, err := f.svc.ListInstanceProfiles(ctx, f.admin, "/other/", "", 0); err != nil || len(page.Items) != 0 {
		t.Fatalf("ListInstanceProfiles /other/ = %+v, %v", page, err)
	}
	if err := f.svc.RemoveRoleFromInstanceProfile(ctx, f.admin, "web", "web-role"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteRole(ctx, f.admin, "web-role"); err != nil {
		t.Fatalf("DeleteRole after removal: %v", err)
	}
	if err := f.svc.DeleteInstanceProfile(ctx, f.admin, "web"); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetInstanceProfile(ctx, f.admin, "web")
	wantNoSuchEntity(t, err)
}

// TestInstanceProfileRules: each of IAM's instance-profile rules refuses the account's root and a
// user allowed everything, and a user allowed everything in another account cannot reach the
// first account's profiles at all.
func TestInstanceProfileRules(t *testing.T) {
	for _, bc := range broadCallers {
		for _, tc := range []struct {
			name   string
			call   func(f *ruleFixture, c *principal.Principal) error
			code   string
			status int
			msg    string
		}{
			{"one role per profile", func(f *ruleFixture, c *principal.Principal) error {
				f.mustRole(t, c, "second")
				return f.svc.AddRoleToInstanceProfile(ctx, c, "p", "second")
			}, "LimitExceeded", http.StatusConflict, "InstanceSessionsPerInstanceProfile: 1"},
			{"the same role again", func(f *ruleFixture, c *principal.Principal) error {
				return f.svc.AddRoleToInstanceProfile(ctx, c, "p", "r")
			}, "LimitExceeded", http.StatusConflict, "InstanceSessionsPerInstanceProfile"},
			{"delete a profile with a role", func(f *ruleFixture, c *principal.Principal) error {
				return f.svc.DeleteInstanceProfile(ctx, c, "p")
			}, "DeleteConflict", http.StatusConflict, "must remove roles from instance profile first"},
			{"delete a role in a profile", func(f *ruleFixture, c *principal.Principal) error {
				return f.svc.DeleteRole(ctx, c, "r")
			}, "DeleteConflict", http.StatusConflict, "must remove roles from instance profile first"},
			{"duplicate name in another case", func(f *ruleFixture, c *principal.Principal) error {
				_, err := f.svc.CreateInstanceProfile(ctx, c, CreateInstanceProfileInput{InstanceProfileName: "P"})
				return err
			}, "EntityAlreadyExists", http.StatusConflict, "Instance Profile P already exists."},
			{"remove a role the profile does not hold", func(f *ruleFixture, c *principal.Principal) error {
				f.mustRole(t, c, "other")
				return f.svc.RemoveRoleFromInstanceProfile(ctx, c, "p", "other")
			}, "NoSuchEntity", http.StatusNotFound, "role with name other"},
			{"add a role that does not exist", func(f *ruleFixture, c *principal.Principal) error {
				if err := f.svc.RemoveRoleFromInstanceProfile(ctx, c, "p", "r"); err != nil {
					return err
				}
				return f.svc.AddRoleToInstanceProfile(ctx, c, "p", "ghost")
			}, "NoSuchEntity", http.StatusNotFound, "role with name ghost"},
			{"invalid path", func(f *ruleFixture, c *principal.Principal) error {
				_, err := f.svc.CreateInstanceProfile(ctx, c, CreateInstanceProfileInput{InstanceProfileName: "q", Path: "/no-trailing"})
				return err
			}, "ValidationError", http.StatusBadRequest, "path"},
		} {
			t.Run(bc.name+"/"+tc.name, func(t *testing.T) {
				f := newRuleFixture(t)
				c := bc.of(f)
				f.mustProfileWithRole(t, c, "p", "r")
				err := tc.call(f, c)
				wantAWSError(t, err, tc.code, tc.status)
				if ae, _ := awserr.As(err); !strings.Contains(ae.Message, tc.msg) {
					t.Errorf("message %q does not say %q", ae.Message, tc.msg)
				}
				p, err := f.svc.GetInstanceProfile(ctx, c, "p")
				if err != nil {
					t.Fatal(err)
				}
				if tc.name != "add a role that does not exist" && (len(p.Roles) != 1 || p.Roles[0].RoleName != "r") {
					t.Errorf("profile changed by a refused call: roles %+v", p.Roles)
				}
			})
		}
	}
	for _, tc := range []struct {
		name string
		call func(f *ruleFixture, c *principal.Principal) error
	}{
		{"get", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.GetInstanceProfile(ctx, c, "p")
			return err
		}},
		{"delete", func(f *ruleFixture, c *principal.Principal) error { return f.svc.DeleteInstanceProfile(ctx, c, "p") }},
		{"remove role", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.RemoveRoleFromInstanceProfile(ctx, c, "p", "r")
		}},
		{"tag", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.TagInstanceProfile(ctx, c, "p", tags("x"))
		}},
		{"list tags", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.ListInstanceProfileTags(ctx, c, "p", "", 0)
			return err
		}},
		{"list for role", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.ListInstanceProfilesForRole(ctx, c, "r", "", 0)
			return err
		}},
	} {
		t.Run("other account star user/"+tc.name, func(t *testing.T) {
			f := newRuleFixture(t)
			f.mustProfileWithRole(t, f.root, "p", "r")
			wantNoSuchEntity(t, tc.call(f, f.otherAdmin))
			if page, err := f.svc.ListInstanceProfiles(ctx, f.otherAdmin, "/", "", 0); err != nil || len(page.Items) != 0 {
				t.Fatalf("other account lists %+v, %v", page, err)
			}
			if p, err := f.svc.GetInstanceProfile(ctx, f.root, "p"); err != nil || len(p.Roles) != 1 {
				t.Fatalf("profile after the other account's call: %+v, %v", p, err)
			}
		})
	}
}

// recordingAuthz allows everything except the denied actions, and records what it was asked.
type recordingAuthz struct {
	deny map[string]bool
	seen []authz.Request
}

func (a *recordingAuthz) Authorize(_ context.Context, r authz.Request) error {
	a.seen = append(a.seen, r)
	if a.deny[r.Action] {
		return awserr.New("AccessDenied", http.StatusForbidden, "not authorized to perform: %s on resource: %s", r.Action, r.Resource)
	}
	return nil
}

// TestInstanceProfileAuthorization: every call is authorized as iam:<Op> on the profile's ARN
// (path included, resource tags given), and AddRoleToInstanceProfile also needs iam:PassRole on
// the role, as in IAM: a caller allowed every instance-profile action but not PassRole is refused.
func TestInstanceProfileAuthorization(t *testing.T) {
	f := newRuleFixture(t)
	f.mustProfileWithRole(t, f.root, "p", "")
	f.mustRole(t, f.root, "r")
	if err := f.svc.TagInstanceProfile(ctx, f.root, "p", []Tag{{Key: "team", Value: "a"}}); err != nil {
		t.Fatal(err)
	}
	a := &recordingAuthz{deny: map[string]bool{"iam:PassRole": true}}
	svc := New(f.svc.Deps)
	svc.Authz = a
	err := svc.AddRoleToInstanceProfile(ctx, f.admin, "p", "r")
	wantAWSError(t, err, "AccessDenied", http.StatusForbidden)
	if p, _ := svc.GetInstanceProfile(ctx, f.root, "p"); len(p.Roles) != 0 {
		t.Fatalf("role added without iam:PassRole: %+v", p.Roles)
	}
	want := map[string]string{
		"iam:AddRoleToInstanceProfile": "arn:aws:iam::" + testAccount + ":instance-profile/ec2/p",
		"iam:PassRole":                 "arn:aws:iam::" + testAccount + ":role/r",
		"iam:GetInstanceProfile":       "arn:aws:iam::" + testAccount + ":instance-profile/ec2/p",
	}
	for _, r := range a.seen {
		if w, ok := want[r.Action]; ok {
			if r.Resource != w {
				t.Errorf("%s authorized on %s, want %s", r.Action, r.Resource, w)
			}
			if strings.Contains(r.Resource, "instance-profile") && (len(r.ResourceTags) != 1 || r.ResourceTags[0].Key != "team") {
				t.Errorf("%s without the profile's tags: %+v", r.Action, r.ResourceTags)
			}
			delete(want, r.Action)
		}
	}
	if len(want) != 0 {
		t.Errorf("never authorized: %v", want)
	}
}

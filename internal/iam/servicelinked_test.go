package iam

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/principal"
)

// A service-linked role is named as the service's documentation names it; CustomSuffix is only
// for services that accept one; an unknown service is refused.
func TestServiceLinkedRoleNames(t *testing.T) {
	cases := []struct {
		service, suffix string
		want            string // role name, "" when refused with InvalidInput
	}{
		{"elasticbeanstalk.amazonaws.com", "", "AWSServiceRoleForElasticBeanstalk"},
		{"autoscaling.amazonaws.com", "", "AWSServiceRoleForAutoScaling"},
		{"autoscaling.amazonaws.com", "web", "AWSServiceRoleForAutoScaling_web"},
		{"ecs.amazonaws.com", "", "AWSServiceRoleForECS"},
		{"rds.amazonaws.com", "", "AWSServiceRoleForRDS"},
		{"ecs.amazonaws.com", "mine", ""},
		{"autoscaling.amazonaws.com", strings.Repeat("x", 40), ""},
		{"nosuchservice.amazonaws.com", "", ""},
		{"ecs.amazonaws.com.evil.example", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.service+"_"+tc.suffix, func(t *testing.T) {
			f := newRuleFixture(t)
			r, err := f.svc.CreateServiceLinkedRole(ctx, f.admin, CreateServiceLinkedRoleInput{AWSServiceName: tc.service, CustomSuffix: tc.suffix, Description: "d"})
			if tc.want == "" {
				wantAWSError(t, err, "InvalidInput", http.StatusBadRequest)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.RoleName != tc.want || r.Path != "/aws-service-role/"+tc.service+"/" || r.Description != "d" ||
				r.ARN != "arn:aws:iam::"+testAccount+":role/aws-service-role/"+tc.service+"/"+tc.want ||
				r.AssumeRolePolicyDocument != ServiceLinkedTrust(tc.service) {
				t.Fatalf("role %+v", r)
			}
			_, err = f.svc.CreateServiceLinkedRole(ctx, f.root, CreateServiceLinkedRoleInput{AWSServiceName: tc.service, CustomSuffix: tc.suffix})
			wantAWSError(t, err, "InvalidInput", http.StatusBadRequest)
			if ae, _ := awserrAs(err); !strings.Contains(ae, "has been taken in this account") {
				t.Fatalf("second create: %q", ae)
			}
		})
	}
}

// Broad callers (the account root, a user allowed everything) cannot change a service-linked
// role's trust or permissions or delete it with DeleteRole; its description stays editable.
func TestServiceLinkedRolesAreUnmodifiable(t *testing.T) {
	const slr = "AWSServiceRoleForECS"
	calls := []struct {
		name string
		call func(f *ruleFixture, c *principal.Principal) error
	}{
		{"UpdateAssumeRolePolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.UpdateAssumeRolePolicy(ctx, c, slr, trust)
		}},
		{"DeleteRole", func(f *ruleFixture, c *principal.Principal) error { return f.svc.DeleteRole(ctx, c, slr) }},
		{"PutRolePolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.PutInlinePolicy(ctx, c, KindRole, slr, "grab", allowStarDoc)
		}},
		{"DeleteRolePolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.DeleteInlinePolicy(ctx, c, KindRole, slr, "grab")
		}},
		{"AttachRolePolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.AttachPolicy(ctx, c, KindRole, slr, adminPolicyARN)
		}},
		{"DetachRolePolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.DetachPolicy(ctx, c, KindRole, slr, adminPolicyARN)
		}},
		{"PutRolePermissionsBoundary", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.PutPermissionsBoundary(ctx, c, KindRole, slr, adminPolicyARN)
		}},
		{"DeleteRolePermissionsBoundary", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.DeletePermissionsBoundary(ctx, c, KindRole, slr)
		}},
	}
	for _, tc := range calls {
		for _, b := range broadCallers {
			t.Run(tc.name+" "+b.name, func(t *testing.T) {
				f := newRuleFixture(t)
				f.mustECSRole(t)
				wantAWSError(t, tc.call(f, b.of(f)), "UnmodifiableEntity", http.StatusBadRequest)
				r, err := f.svc.GetRole(ctx, f.root, slr)
				if err != nil || r.AssumeRolePolicyDocument != ServiceLinkedTrust("ecs.amazonaws.com") || r.PermissionsBoundary != "" {
					t.Fatalf("role after the refused call: %+v %v", r, err)
				}
				if _, err := f.svc.UpdateRoleDescription(ctx, b.of(f), slr, "edited"); err != nil {
					t.Fatalf("UpdateRoleDescription of a service-linked role: %v", err)
				}
			})
		}
	}
}

// UpdateRole may change a service-linked role's description but not its MaxSessionDuration:
// IAM lets a person edit only the description ("Service-linked roles", IAM User Guide), and
// UpdateRole's errors list UnmodifiableEntity. Broad callers are refused and the limit stays.
func TestUpdateRoleKeepsServiceLinkedSessionLimit(t *testing.T) {
	const slr = "AWSServiceRoleForECS"
	eachBroadCallerWithECSRole(t, func(t *testing.T, f *ruleFixture, caller *principal.Principal) {
		desc := "edited"
		if err := f.svc.UpdateRole(ctx, caller, slr, &desc, 0); err != nil {
			t.Fatalf("UpdateRole with only a description: %v", err)
		}
		err := f.svc.UpdateRole(ctx, caller, slr, &desc, 43200)
		wantAWSError(t, err, "UnmodifiableEntity", http.StatusBadRequest)
		r, gerr := f.svc.GetRole(ctx, f.root, slr)
		if gerr != nil || r.MaxSessionDuration != DefaultMaxSessionDuration || r.Description != desc {
			t.Fatalf("role after the refused UpdateRole: %+v %v", r, gerr)
		}
		f.mustRole(t, f.root, "ordinary")
		if err := f.svc.UpdateRole(ctx, caller, "ordinary", nil, 43200); err != nil {
			t.Fatalf("UpdateRole MaxSessionDuration of an ordinary role: %v", err)
		}
	})
}

// A service-linked role goes into no instance profile: AddRoleToInstanceProfile's errors (IAM
// API Reference) include UnmodifiableEntity, and only the service puts its role to use. An
// ordinary role goes in.
func TestInstanceProfileRefusesServiceLinkedRole(t *testing.T) {
	eachBroadCallerWithECSRole(t, func(t *testing.T, f *ruleFixture, caller *principal.Principal) {
		if _, err := f.svc.CreateInstanceProfile(ctx, f.root, CreateInstanceProfileInput{InstanceProfileName: "web"}); err != nil {
			t.Fatal(err)
		}
		wantAWSError(t, f.svc.AddRoleToInstanceProfile(ctx, caller, "web", "AWSServiceRoleForECS"), "UnmodifiableEntity", http.StatusBadRequest)
		f.mustRole(t, f.root, "ordinary")
		if err := f.svc.AddRoleToInstanceProfile(ctx, caller, "web", "ordinary"); err != nil {
			t.Fatalf("AddRoleToInstanceProfile of an ordinary role after the refusal: %v", err)
		}
	})
}

// TagRole and UntagRole work on a service-linked role, as in IAM (TagRole, IAM API Reference:
// "The role can be a regular role or a service-linked role").
func TestServiceLinkedRolesCanBeTagged(t *testing.T) {
	const slr = "AWSServiceRoleForECS"
	eachBroadCallerWithECSRole(t, func(t *testing.T, f *ruleFixture, caller *principal.Principal) {
		if err := f.svc.TagRole(ctx, caller, slr, tags("team", "env")); err != nil {
			t.Fatalf("TagRole: %v", err)
		}
		if err := f.svc.UntagRole(ctx, caller, slr, []string{"env"}); err != nil {
			t.Fatalf("UntagRole: %v", err)
		}
		r, err := f.svc.GetRole(ctx, f.root, slr)
		if err != nil || len(r.Tags) != 1 || r.Tags[0].Key != "team" {
			t.Fatalf("tags after TagRole and UntagRole: %+v %v", r.Tags, err)
		}
	})
}

// CreateRole cannot put a role at the service-linked path.
func TestCreateRoleRefusesServiceLinkedPath(t *testing.T) {
	f := newRuleFixture(t)
	for _, b := range broadCallers {
		_, err := f.svc.CreateRole(ctx, b.of(f), CreateRoleInput{RoleName: "fake", Path: "/aws-service-role/ecs.amazonaws.com/", AssumeRolePolicyDocument: trust})
		wantAWSError(t, err, "InvalidInput", http.StatusBadRequest)
	}
}

var taskID = regexp.MustCompile(`^task/aws-service-role/ecs\.amazonaws\.com/AWSServiceRoleForECS/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// DeleteServiceLinkedRole deletes the role and answers a task that has SUCCEEDED; another
// account finds neither the role nor the task; an ordinary role is not deleted this way.
func TestDeleteServiceLinkedRole(t *testing.T) {
	f := newRuleFixture(t)
	f.mustECSRole(t)
	f.mustRole(t, f.root, "builder")
	_, err := f.svc.DeleteServiceLinkedRole(ctx, f.admin, "builder")
	wantAWSError(t, err, "InvalidInput", http.StatusBadRequest)
	for _, other := range []*principal.Principal{f.otherRoot, f.otherAdmin} {
		_, err := f.svc.DeleteServiceLinkedRole(ctx, other, "AWSServiceRoleForECS")
		wantNoSuchEntity(t, err)
	}
	task, err := f.svc.DeleteServiceLinkedRole(ctx, f.admin, "AWSServiceRoleForECS")
	if err != nil {
		t.Fatal(err)
	}
	if !taskID.MatchString(task) {
		t.Fatalf("deletion task id %q", task)
	}
	_, err = f.svc.GetRole(ctx, f.root, "AWSServiceRoleForECS")
	wantNoSuchEntity(t, err)
	st, err := f.svc.GetServiceLinkedRoleDeletionStatus(ctx, f.admin, task)
	if err != nil || st.Status != "SUCCEEDED" {
		t.Fatalf("deletion status %+v %v", st, err)
	}
	for _, other := range []*principal.Principal{f.otherRoot, f.otherAdmin} {
		_, err := f.svc.GetServiceLinkedRoleDeletionStatus(ctx, other, task)
		wantNoSuchEntity(t, err)
	}
	_, err = f.svc.GetServiceLinkedRoleDeletionStatus(ctx, f.admin, strings.Replace(task, task[len(task)-4:], "0000", 1))
	wantNoSuchEntity(t, err)
	_, err = f.svc.GetServiceLinkedRoleDeletionStatus(ctx, f.admin, "not-a-task")
	wantAWSError(t, err, "InvalidInput", http.StatusBadRequest)
	// The name is free again.
	f.mustECSRole(t)
}

// mustECSRole creates ECS's service-linked role, AWSServiceRoleForECS, as the service would.
func (f *ruleFixture) mustECSRole(t *testing.T) {
	t.Helper()
	if _, err := f.svc.CreateServiceLinkedRole(ctx, f.root, CreateServiceLinkedRoleInput{AWSServiceName: "ecs.amazonaws.com"}); err != nil {
		t.Fatal(err)
	}
}

// eachBroadCallerWithECSRole runs fn for each broad caller on a fixture holding ECS's
// service-linked role.
func eachBroadCallerWithECSRole(t *testing.T, fn func(t *testing.T, f *ruleFixture, caller *principal.Principal)) {
	for _, b := range broadCallers {
		t.Run(b.name, func(t *testing.T) {
			f := newRuleFixture(t)
			f.mustECSRole(t)
			fn(t, f, b.of(f))
		})
	}
}

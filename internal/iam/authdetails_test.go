package iam

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/latchkey/latchkey/internal/principal"
)

// detailsFixture holds two users (alice in devs), a group, a role, two customer managed
// policies and two AWS managed policies in use, plus another account that attaches AWS managed
// policies too.
func detailsFixture(t *testing.T) *ruleFixture {
	t.Helper()
	f := newRuleFixture(t)
	f.policy = f.mustPolicy(t, f.root, "shared")
	bound := f.mustPolicy(t, f.root, "bound")
	if _, err := f.svc.CreateUser(ctx, f.root, CreateUserInput{UserName: "alice", PermissionsBoundary: bound}); err != nil {
		t.Fatal(err)
	}
	f.mustUser(t, f.root, "bob")
	f.mustRole(t, f.root, "builder")
	if _, err := f.svc.CreateGroup(ctx, f.root, "devs", "/"); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		f.svc.AddUserToGroup(ctx, f.root, "devs", "alice"),
		f.svc.AttachPolicy(ctx, f.root, KindGroup, "devs", f.policy),
		f.svc.AttachPolicy(ctx, f.root, KindRole, "builder", adminPolicyARN),
		f.svc.AttachPolicy(ctx, f.root, KindUser, "bob", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	f.mustUser(t, f.otherRoot, "mallory")
	for _, arn := range []string{adminPolicyARN, "arn:aws:iam::aws:policy/IAMFullAccess"} {
		if err := f.svc.AttachPolicy(ctx, f.otherRoot, KindUser, "mallory", arn); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// detailList flattens authorization details into "Type:name" entries, in the answer's order.
func detailList(d AuthorizationDetails) []string {
	var out []string
	for _, u := range d.Users {
		out = append(out, "User:"+u.UserName)
	}
	for _, g := range d.Groups {
		out = append(out, "Group:"+g.GroupName)
	}
	for _, r := range d.Roles {
		out = append(out, "Role:"+r.RoleName)
	}
	for _, p := range d.Policies {
		out = append(out, "Policy:"+p.PolicyName)
	}
	return out
}

// allDetails pages to the end, checking every page's size and that only the last one is not
// truncated.
func allDetails(t *testing.T, f *ruleFixture, caller *principal.Principal, filter []string, maxItems int) []string {
	t.Helper()
	var all []string
	marker := ""
	for range 100 {
		d, err := f.svc.GetAccountAuthorizationDetails(ctx, caller, filter, marker, maxItems)
		if err != nil {
			t.Fatal(err)
		}
		page := detailList(d)
		if maxItems > 0 && len(page) > maxItems || len(page) == 0 && d.IsTruncated {
			t.Fatalf("page of %d holds %v (truncated %v)", maxItems, page, d.IsTruncated)
		}
		all = append(all, page...)
		if !d.IsTruncated {
			if d.Marker != "" {
				t.Fatalf("last page has marker %q", d.Marker)
			}
			return all
		}
		marker = d.Marker
	}
	t.Fatal("paging never ended")
	return nil
}

// Paging runs across entity types: every page size yields the same listing as one page, for
// every filter, and a page is truncated only when something follows.
func TestAuthorizationDetailsPaging(t *testing.T) {
	f := detailsFixture(t)
	everything := []string{"User:alice", "User:bob", "Group:devs", "Role:builder", "Policy:bound", "Policy:shared",
		"Policy:AdministratorAccess", "Policy:IAMReadOnlyAccess"}
	cases := []struct {
		filter []string
		want   []string
	}{
		{nil, everything},
		{[]string{EntityUser, EntityGroup, EntityRole, EntityLocalManagedPolicy, EntityAWSManagedPolicy}, everything},
		{[]string{EntityRole, EntityUser}, []string{"User:alice", "User:bob", "Role:builder"}},
		{[]string{EntityGroup}, []string{"Group:devs"}},
		{[]string{EntityLocalManagedPolicy}, []string{"Policy:bound", "Policy:shared"}},
		{[]string{EntityAWSManagedPolicy}, []string{"Policy:AdministratorAccess", "Policy:IAMReadOnlyAccess"}},
		{[]string{EntityUser, EntityAWSManagedPolicy}, []string{"User:alice", "User:bob", "Policy:AdministratorAccess", "Policy:IAMReadOnlyAccess"}},
	}
	for _, tc := range cases {
		for _, size := range []int{0, 1, 2, 3, 7, 8, 9} {
			t.Run(fmt.Sprint(tc.filter, size), func(t *testing.T) {
				if got := allDetails(t, f, f.admin, tc.filter, size); !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			})
		}
	}
}

func TestAuthorizationDetailsContents(t *testing.T) {
	f := detailsFixture(t)
	d, err := f.svc.GetAccountAuthorizationDetails(ctx, f.root, nil, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := d.Users[0], d.Users[1]
	if !slices.Equal(alice.Groups, []string{"devs"}) || alice.PermissionsBoundary == "" || len(bob.Groups) != 0 ||
		len(bob.Attached) != 1 || bob.Attached[0].PolicyName != "IAMReadOnlyAccess" {
		t.Fatalf("users %+v", d.Users)
	}
	if g := d.Groups[0]; len(g.Attached) != 1 || g.Attached[0].PolicyARN != f.policy {
		t.Fatalf("group %+v", g)
	}
	counts := map[string][2]int{}
	for _, p := range d.Policies {
		counts[p.PolicyName] = [2]int{p.AttachmentCount, p.BoundaryUsageCount}
		if len(p.Versions) == 0 || p.Versions[0].Document == "" {
			t.Fatalf("policy %s without versions: %+v", p.PolicyName, p)
		}
	}
	// AdministratorAccess is attached in both accounts: only this account's attachment counts.
	want := map[string][2]int{"bound": {0, 1}, "shared": {1, 0}, "AdministratorAccess": {1, 0}, "IAMReadOnlyAccess": {1, 0}}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Fatalf("counts %v, want %v", counts, want)
	}
}

// Attack: callers of another account, its root and its user allowed everything, see only their
// own account: mallory and the AWS managed policies mallory uses, counted there.
func TestAuthorizationDetailsStayInTheAccount(t *testing.T) {
	f := detailsFixture(t)
	for _, caller := range []*principal.Principal{f.otherRoot, f.otherAdmin} {
		got := allDetails(t, f, caller, nil, 2)
		if want := []string{"User:mallory", "Policy:AdministratorAccess", "Policy:IAMFullAccess"}; !slices.Equal(got, want) {
			t.Fatalf("%s sees %v, want %v", caller.ARN, got, want)
		}
		// A marker of the first account's listing carries no account: it pages the caller's own.
		first, err := f.svc.GetAccountAuthorizationDetails(ctx, f.root, nil, "", 1)
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.svc.GetAccountAuthorizationDetails(ctx, caller, nil, first.Marker, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := detailList(d); slices.Contains(got, "User:bob") || slices.Contains(got, "Role:builder") {
			t.Fatalf("%s read %v with another account's marker", caller.ARN, got)
		}
	}
}

func TestAuthorizationDetailsBadInput(t *testing.T) {
	f := detailsFixture(t)
	cases := []struct {
		name   string
		filter []string
		marker string
	}{
		{"unknown entity type", []string{"Policy"}, ""},
		{"marker not base64", nil, "!!"},
		{"marker without a type", nil, encodeMarker("alice")},
		{"marker with an unknown type", nil, encodeMarker("9/alice")},
		{"marker with a negative type", nil, encodeMarker("-1/alice")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.GetAccountAuthorizationDetails(ctx, f.root, tc.filter, tc.marker, 0)
			wantAWSError(t, err, "ValidationError", http.StatusBadRequest)
		})
	}
}

// Paging under concurrent change, as documented on GetAccountAuthorizationDetails: a page resumes
// after the last name shown, so an entity created before that name is not shown, one after it
// is, and a renamed entity is not shown twice.
func TestAuthorizationDetailsPagingUnderChange(t *testing.T) {
	f := newRuleFixture(t)
	for _, n := range []string{"bob", "dave"} {
		f.mustUser(t, f.root, n)
	}
	first, err := f.svc.GetAccountAuthorizationDetails(ctx, f.root, []string{EntityUser}, "", 1)
	if err != nil || !first.IsTruncated || !slices.Equal(detailList(first), []string{"User:bob"}) {
		t.Fatalf("first page %v %v", detailList(first), err)
	}
	f.mustUser(t, f.root, "alice")
	f.mustUser(t, f.root, "carol")
	if err := f.svc.UpdateUser(ctx, f.root, UpdateUserInput{UserName: "bob", NewUserName: "zed"}); err != nil {
		t.Fatal(err)
	}
	rest, err := f.svc.GetAccountAuthorizationDetails(ctx, f.root, []string{EntityUser}, first.Marker, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := detailList(rest); !slices.Equal(got, []string{"User:carol", "User:dave", "User:zed"}) {
		t.Fatalf("second page %v", got)
	}
}

// Both calls are authorized as account-level actions on "*".
func TestAccountReadsAuthorizeStar(t *testing.T) {
	for _, tc := range []struct {
		action string
		call   func(*ruleFixture) error
	}{
		{"iam:GetAccountAuthorizationDetails", func(f *ruleFixture) error {
			_, err := f.svc.GetAccountAuthorizationDetails(ctx, f.root, nil, "", 0)
			return err
		}},
		{"iam:GetAccountSummary", func(f *ruleFixture) error { _, err := f.svc.GetAccountSummary(ctx, f.root); return err }},
	} {
		t.Run(tc.action, func(t *testing.T) {
			f := newRuleFixture(t)
			rec := &recorder{}
			f.svc.Authz = rec
			if err := tc.call(f); err != nil {
				t.Fatal(err)
			}
			if len(rec.asked) != 1 || rec.asked[0].Action != tc.action || rec.asked[0].Resource != "*" || rec.asked[0].ResourceAccount != testAccount {
				t.Fatalf("asked %+v", rec.asked)
			}
		})
	}
}

func TestAccountSummary(t *testing.T) {
	f := detailsFixture(t)
	if err := f.svc.SetSecurityTokenServicePreferences(ctx, f.root, "v2Token"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		caller *principal.Principal
		want   map[string]int
	}{
		{f.admin, map[string]int{"Users": 2, "Groups": 1, "Roles": 1, "Policies": 2, "PolicyVersionsInUse": 3, "GlobalEndpointTokenVersion": 2}},
		{f.otherAdmin, map[string]int{"Users": 1, "Groups": 0, "Roles": 0, "Policies": 0, "PolicyVersionsInUse": 2, "GlobalEndpointTokenVersion": 1}},
	} {
		m, err := f.svc.GetAccountSummary(ctx, tc.caller)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range tc.want {
			if m[k] != v {
				t.Fatalf("%s: %s = %d, want %d (%v)", tc.caller.ARN, k, m[k], v, m)
			}
		}
		// The quotas are the ones the service enforces.
		if m["GroupsQuota"] != MaxGroupsPerAccount || m["GroupsPerUserQuota"] != MaxGroupsPerUser || m["AttachedPoliciesPerUserQuota"] != MaxAttachedPerEntity ||
			m["AccessKeysPerUserQuota"] != MaxAccessKeysPerOwner || m["AssumeRolePolicySizeQuota"] != MaxTrustPolicySize || m["VersionsPerPolicyQuota"] != MaxPolicyVersions {
			t.Fatalf("quotas %v", m)
		}
	}
}

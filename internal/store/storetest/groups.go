package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

// groupTests covers the GroupStore contract and groups as owners of policies.
var groupTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"GroupRoundTrip", testGroupRoundTrip},
	{"GroupMembers", testGroupMembers},
	{"GroupPolicies", testGroupPolicies},
	{"GroupDelete", testGroupDelete},
	{"ListGroups", testListGroups},
	{"GroupQuotas", testGroupQuotas},
	{"AddUserToGroupRacesDeleteGroup", testAddUserToGroupRacesDeleteGroup},
	{"AddUserToGroupRacesDeleteUser", testAddUserToGroupRacesDeleteUser},
	{"AddUserToGroupRacesQuota", testAddUserToGroupRacesQuota},
	{"CreateGroupRacesQuota", testCreateGroupRacesQuota},
}

func group(acct, id, name, path string) store.Group {
	return store.Group{AccountID: acct, GroupID: id, GroupName: name, Path: path, CreatedAt: at(3)}
}

func createGroup(t *testing.T, s store.Store, g store.Group) {
	t.Helper()
	noErr(t, "CreateGroup "+g.GroupName, s.CreateGroup(t.Context(), g, 300))
}

func testGroupRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	want := group(acct1, "AGPA1", "Admins", "/ops/")
	createGroup(t, s, want)
	got, err := s.GetGroup(ctx, acct1, "aDMINS")
	noErr(t, "GetGroup (case-insensitive)", err)
	if got.GroupID != "AGPA1" || got.GroupName != "Admins" || got.Path != "/ops/" || got.AccountID != acct1 {
		t.Errorf("GetGroup = %+v, want %+v", got, want)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	wantErr(t, "CreateGroup same name other case", s.CreateGroup(ctx, group(acct1, "AGPA2", "ADMINS", "/"), 300), store.ErrAlreadyExists)
	noErr(t, "CreateGroup same name in another account", s.CreateGroup(ctx, group(acct2, "AGPA3", "Admins", "/"), 300))
	wantErr(t, "CreateGroup unknown account", s.CreateGroup(ctx, group("333333333333", "AGPA4", "X", "/"), 300), store.ErrNotFound)
	_, err = s.GetGroup(ctx, acct2, "nope")
	wantErr(t, "GetGroup missing", err, store.ErrNotFound)
	byID, err := s.GetGroupByID(ctx, "AGPA1")
	noErr(t, "GetGroupByID", err)
	if byID.GroupName != "Admins" || byID.AccountID != acct1 {
		t.Errorf("GetGroupByID = %+v", byID)
	}
	_, err = s.GetGroupByID(ctx, "AGPAnone")
	wantErr(t, "GetGroupByID missing", err, store.ErrNotFound)

	createGroup(t, s, group(acct1, "AGPA5", "Other", "/"))
	renamed, err := s.UpdateGroup(ctx, "AGPA1", func(g *store.Group) error { g.GroupName, g.Path = "Operators", "/team/"; return nil })
	noErr(t, "UpdateGroup rename", err)
	if renamed.GroupName != "Operators" || renamed.Path != "/team/" || renamed.GroupID != "AGPA1" {
		t.Errorf("UpdateGroup = %+v", renamed)
	}
	_, err = s.UpdateGroup(ctx, "AGPA1", func(g *store.Group) error { g.GroupName = "OTHER"; return nil })
	wantErr(t, "UpdateGroup onto a taken name", err, store.ErrAlreadyExists)
	_, err = s.UpdateGroup(ctx, "AGPA1", func(g *store.Group) error { g.AccountID = acct2; return nil })
	if err == nil {
		t.Error("UpdateGroup changed the account")
	}
	_, err = s.UpdateGroup(ctx, "AGPAnone", func(*store.Group) error { return nil })
	wantErr(t, "UpdateGroup missing", err, store.ErrNotFound)
}

func testGroupMembers(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createUser(t, s, user(acct1, "AIDA1", "bob", "/"))
	createUser(t, s, user(acct1, "AIDA2", "Alice", "/"))
	createUser(t, s, user(acct2, "AIDA3", "eve", "/"))
	createGroup(t, s, group(acct1, "AGPA1", "b", "/"))
	createGroup(t, s, group(acct1, "AGPA2", "A", "/"))
	noErr(t, "AddUserToGroup", s.AddUserToGroup(ctx, "AGPA1", "AIDA1", 10))
	noErr(t, "AddUserToGroup again (idempotent)", s.AddUserToGroup(ctx, "AGPA1", "AIDA1", 10))
	noErr(t, "AddUserToGroup", s.AddUserToGroup(ctx, "AGPA1", "AIDA2", 10))
	noErr(t, "AddUserToGroup", s.AddUserToGroup(ctx, "AGPA2", "AIDA1", 10))
	wantErr(t, "AddUserToGroup a user of another account", s.AddUserToGroup(ctx, "AGPA1", "AIDA3", 10), store.ErrNotFound)
	wantErr(t, "AddUserToGroup unknown user", s.AddUserToGroup(ctx, "AGPA1", "AIDAnone", 10), store.ErrNotFound)
	wantErr(t, "AddUserToGroup unknown group", s.AddUserToGroup(ctx, "AGPAnone", "AIDA1", 10), store.ErrNotFound)

	members, err := s.ListGroupMembers(ctx, "AGPA1")
	noErr(t, "ListGroupMembers", err)
	if len(members) != 2 || members[0].UserName != "Alice" || members[1].UserName != "bob" {
		t.Errorf("ListGroupMembers = %+v, want Alice, bob", members)
	}
	groups, err := s.ListGroupsForUser(ctx, "AIDA1")
	noErr(t, "ListGroupsForUser", err)
	if len(groups) != 2 || groups[0].GroupName != "A" || groups[1].GroupName != "b" {
		t.Errorf("ListGroupsForUser = %+v, want A, b", groups)
	}
	// A renamed group keeps its members.
	_, err = s.UpdateGroup(ctx, "AGPA1", func(g *store.Group) error { g.GroupName = "c"; return nil })
	noErr(t, "UpdateGroup", err)
	if members, _ := s.ListGroupMembers(ctx, "AGPA1"); len(members) != 2 {
		t.Errorf("members after rename = %+v", members)
	}
	wantErr(t, "DeleteUser while in a group", s.DeleteUser(ctx, acct1, "AIDA2"), store.ErrConflict)
	noErr(t, "RemoveUserFromGroup", s.RemoveUserFromGroup(ctx, "AGPA1", "AIDA2"))
	wantErr(t, "RemoveUserFromGroup a non-member", s.RemoveUserFromGroup(ctx, "AGPA1", "AIDA2"), store.ErrNotFound)
	noErr(t, "DeleteUser after leaving its group", s.DeleteUser(ctx, acct1, "AIDA2"))
}

func testGroupPolicies(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createGroup(t, s, group(acct1, "AGPA1", "g", "/"))
	createUser(t, s, user(acct1, "AIDA1", "g", "/"))
	mine := managed(acct1, "ANPA1", "mine", "/")
	theirs := managed(acct2, "ANPA2", "theirs", "/")
	createPolicy(t, s, mine)
	createPolicy(t, s, theirs)
	gp := store.InlinePolicy{OwnerKind: store.KindGroup, OwnerID: "AGPA1", PolicyName: "p", Document: policyDoc(1)}
	noErr(t, "PutInlinePolicy group", s.PutInlinePolicy(ctx, gp, nil, 5120))
	noErr(t, "PutInlinePolicy user of the same name", s.PutInlinePolicy(ctx,
		store.InlinePolicy{OwnerKind: store.KindUser, OwnerID: "AIDA1", PolicyName: "p", Document: policyDoc(2)}, nil, 5120))
	big := store.InlinePolicy{OwnerKind: store.KindGroup, OwnerID: "AGPA1", PolicyName: "big", Document: fmt.Sprintf("%5100s", "")}
	wantErr(t, "PutInlinePolicy past the group's aggregate", s.PutInlinePolicy(ctx, big, nil, 5120), store.ErrLimitExceeded)
	wantErr(t, "PutInlinePolicy unknown group", s.PutInlinePolicy(ctx,
		store.InlinePolicy{OwnerKind: store.KindGroup, OwnerID: "AGPAnone", PolicyName: "p", Document: "{}"}, nil, 5120), store.ErrNotFound)
	got, err := s.GetInlinePolicy(ctx, store.KindGroup, "AGPA1", "p")
	noErr(t, "GetInlinePolicy group", err)
	if got.Document != policyDoc(1) {
		t.Errorf("group inline policy = %q (the user's policy of the same name leaked?)", got.Document)
	}
	if list, _ := s.ListInlinePolicies(ctx, store.KindGroup, "AGPA1"); len(list) != 1 {
		t.Errorf("ListInlinePolicies group = %+v", list)
	}
	noErr(t, "Attach to group", s.Attach(ctx, store.Attachment{PolicyARN: mine.ARN, OwnerKind: store.KindGroup, OwnerID: "AGPA1"}, 10))
	wantErr(t, "Attach another account's policy", s.Attach(ctx,
		store.Attachment{PolicyARN: theirs.ARN, OwnerKind: store.KindGroup, OwnerID: "AGPA1"}, 10), store.ErrNotFound)
	atts, err := s.ListAttachments(ctx, store.KindGroup, "AGPA1")
	noErr(t, "ListAttachments group", err)
	if len(atts) != 1 || atts[0].PolicyARN != mine.ARN || atts[0].OwnerName != "g" || atts[0].OwnerKind != store.KindGroup {
		t.Errorf("ListAttachments group = %+v", atts)
	}
	byPolicy, err := s.ListPolicyAttachments(ctx, mine.ARN)
	noErr(t, "ListPolicyAttachments", err)
	if len(byPolicy) != 1 || byPolicy[0].OwnerKind != store.KindGroup || byPolicy[0].OwnerName != "g" {
		t.Errorf("ListPolicyAttachments = %+v", byPolicy)
	}
	p, err := s.GetManagedPolicy(ctx, mine.ARN)
	noErr(t, "GetManagedPolicy", err)
	if p.AttachmentCount != 1 {
		t.Errorf("AttachmentCount = %d, want 1 (the group's attachment)", p.AttachmentCount)
	}
	wantErr(t, "DeleteManagedPolicy attached to a group", s.DeleteManagedPolicy(ctx, mine.ARN), store.ErrConflict)
	noErr(t, "Detach from group", s.Detach(ctx, store.Attachment{PolicyARN: mine.ARN, OwnerKind: store.KindGroup, OwnerID: "AGPA1"}))
}

func testGroupDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createUser(t, s, user(acct1, "AIDA1", "u", "/"))
	createGroup(t, s, group(acct1, "AGPA1", "g", "/"))
	pol := managed(acct1, "ANPA1", "p", "/")
	createPolicy(t, s, pol)
	att := store.Attachment{PolicyARN: pol.ARN, OwnerKind: store.KindGroup, OwnerID: "AGPA1"}
	inline := store.InlinePolicy{OwnerKind: store.KindGroup, OwnerID: "AGPA1", PolicyName: "p", Document: policyDoc(1)}
	for _, tc := range []struct {
		what       string
		add, clear func() error
	}{
		{"a member", func() error { return s.AddUserToGroup(ctx, "AGPA1", "AIDA1", 10) }, func() error { return s.RemoveUserFromGroup(ctx, "AGPA1", "AIDA1") }},
		{"an inline policy", func() error { return s.PutInlinePolicy(ctx, inline, nil, 5120) }, func() error { return s.DeleteInlinePolicy(ctx, store.KindGroup, "AGPA1", "p") }},
		{"an attachment", func() error { return s.Attach(ctx, att, 10) }, func() error { return s.Detach(ctx, att) }},
	} {
		noErr(t, "add "+tc.what, tc.add())
		wantErr(t, "DeleteGroup with "+tc.what, s.DeleteGroup(ctx, acct1, "AGPA1"), store.ErrConflict)
		noErr(t, "clear "+tc.what, tc.clear())
	}
	wantErr(t, "DeleteGroup from another account", s.DeleteGroup(ctx, acct2, "AGPA1"), store.ErrNotFound)
	noErr(t, "DeleteGroup", s.DeleteGroup(ctx, acct1, "AGPA1"))
	wantErr(t, "DeleteGroup again", s.DeleteGroup(ctx, acct1, "AGPA1"), store.ErrNotFound)
	_, err := s.GetGroup(ctx, acct1, "g")
	wantErr(t, "GetGroup after delete", err, store.ErrNotFound)
}

func testListGroups(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	for i, n := range []string{"d", "B", "a", "C"} {
		path := "/x/"
		if i%2 == 1 {
			path = "/y/"
		}
		createGroup(t, s, group(acct1, "AGPA"+n, n, path))
	}
	createGroup(t, s, group(acct2, "AGPAz", "z", "/"))
	var names []string
	after := ""
	for {
		page, err := s.ListGroups(ctx, acct1, "/", after, 3)
		noErr(t, "ListGroups", err)
		for _, g := range page.Groups {
			names = append(names, g.GroupName)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	if fmt.Sprint(names) != "[a B C d]" {
		t.Errorf("ListGroups pages = %v, want [a B C d]", names)
	}
	page, err := s.ListGroups(ctx, acct1, "/y/", "", 0)
	noErr(t, "ListGroups path prefix", err)
	if len(page.Groups) != 2 || page.Groups[0].GroupName != "B" || page.Groups[1].GroupName != "C" {
		t.Errorf("ListGroups /y/ = %+v", page.Groups)
	}
}

func testGroupQuotas(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createUser(t, s, user(acct1, "AIDA1", "u", "/"))
	for i := range 3 {
		noErr(t, "CreateGroup under the quota", s.CreateGroup(ctx, group(acct1, fmt.Sprint("AGPA", i), fmt.Sprint("g", i), "/"), 3))
	}
	wantErr(t, "CreateGroup past the account quota", s.CreateGroup(ctx, group(acct1, "AGPA9", "g9", "/"), 3), store.ErrLimitExceeded)
	noErr(t, "AddUserToGroup", s.AddUserToGroup(ctx, "AGPA0", "AIDA1", 2))
	noErr(t, "AddUserToGroup", s.AddUserToGroup(ctx, "AGPA1", "AIDA1", 2))
	noErr(t, "AddUserToGroup at the quota, already a member", s.AddUserToGroup(ctx, "AGPA1", "AIDA1", 2))
	wantErr(t, "AddUserToGroup past the user quota", s.AddUserToGroup(ctx, "AGPA2", "AIDA1", 2), store.ErrLimitExceeded)
}

// testAddUserToGroupRacesDeleteGroup races adds against the group's delete: whichever wins, no
// group is deleted with a member left and no membership names a deleted group.
func testAddUserToGroupRacesDeleteGroup(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	const users = 6
	for i := range users {
		createUser(t, s, user(acct1, fmt.Sprint("AIDA", i), fmt.Sprint("u", i), "/"))
	}
	for round := range 4 {
		id := fmt.Sprint("AGPAR", round)
		createGroup(t, s, group(acct1, id, id, "/"))
		errs := Concurrently(users+1, func(i int) error {
			if i == users {
				return s.DeleteGroup(ctx, acct1, id)
			}
			return s.AddUserToGroup(ctx, id, fmt.Sprint("AIDA", i), 10)
		})
		deleted := errs[users] == nil
		if !deleted && !errors.Is(errs[users], store.ErrConflict) {
			t.Fatalf("round %d: DeleteGroup = %v, want success or ErrConflict", round, errs[users])
		}
		_, getErr := s.GetGroup(ctx, acct1, id)
		members, err := s.ListGroupMembers(ctx, id)
		noErr(t, "ListGroupMembers", err)
		added := 0
		for i := range users {
			switch {
			case errs[i] == nil:
				added++
			case !errors.Is(errs[i], store.ErrNotFound):
				t.Errorf("round %d: AddUserToGroup = %v, want success or ErrNotFound", round, errs[i])
			}
		}
		if deleted {
			if getErr == nil || len(members) != 0 {
				t.Errorf("round %d: the group was deleted but exists=%v with members %d", round, getErr == nil, len(members))
			}
			if added != 0 {
				t.Errorf("round %d: %d adds succeeded into a deleted group", round, added)
			}
		} else if len(members) != added {
			t.Errorf("round %d: %d adds succeeded, the group has %d members", round, added, len(members))
		}
		for i := range users {
			groups, err := s.ListGroupsForUser(ctx, fmt.Sprint("AIDA", i))
			noErr(t, "ListGroupsForUser", err)
			for _, g := range groups {
				if g.GroupID == id && deleted {
					t.Errorf("round %d: user %d is a member of the deleted group", round, i)
				}
			}
			noErr(t, "RemoveUserFromGroup cleanup", ignoreNotFound(s.RemoveUserFromGroup(ctx, id, fmt.Sprint("AIDA", i))))
		}
	}
}

func ignoreNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// testAddUserToGroupRacesQuota adds one user to more groups at once than the quota allows.
func testAddUserToGroupRacesQuota(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createUser(t, s, user(acct1, "AIDA1", "u", "/"))
	const groups, quota = 8, 3
	for i := range groups {
		createGroup(t, s, group(acct1, fmt.Sprint("AGPA", i), fmt.Sprint("g", i), "/"))
	}
	errs := Concurrently(groups, func(i int) error { return s.AddUserToGroup(ctx, fmt.Sprint("AGPA", i), "AIDA1", quota) })
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrLimitExceeded):
			t.Errorf("AddUserToGroup = %v, want success or ErrLimitExceeded", err)
		}
	}
	list, err := s.ListGroupsForUser(ctx, "AIDA1")
	noErr(t, "ListGroupsForUser", err)
	if ok != quota || len(list) != quota {
		t.Errorf("%d adds succeeded, user in %d groups; want both %d", ok, len(list), quota)
	}
}

// testCreateGroupRacesQuota creates more groups at once than the account quota allows.
func testCreateGroupRacesQuota(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	const n, quota = 8, 3
	errs := Concurrently(n, func(i int) error {
		return s.CreateGroup(ctx, group(acct1, fmt.Sprint("AGPA", i), fmt.Sprint("g", i), "/"), quota)
	})
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, store.ErrLimitExceeded) {
			t.Errorf("CreateGroup = %v, want success or ErrLimitExceeded", err)
		}
	}
	page, err := s.ListGroups(ctx, acct1, "/", "", 0)
	noErr(t, "ListGroups", err)
	if ok != quota || len(page.Groups) != quota {
		t.Errorf("%d creates succeeded, %d groups exist; want both %d", ok, len(page.Groups), quota)
	}
}

package storetest

import (
	"errors"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

// instanceProfileTests covers the InstanceProfileStore contract.
var instanceProfileTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"InstanceProfileRoundTrip", testInstanceProfileRoundTrip},
	{"InstanceProfileRole", testInstanceProfileRole},
	{"InstanceProfileDelete", testInstanceProfileDelete},
	{"ListInstanceProfiles", testListInstanceProfiles},
	{"InstanceProfileRoleConcurrent", testInstanceProfileRoleConcurrent},
}

func instanceProfile(acct, id, name, path string) store.InstanceProfile {
	return store.InstanceProfile{AccountID: acct, InstanceProfileID: id, InstanceProfileName: name, Path: path, CreatedAt: at(2)}
}

func testInstanceProfileRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	want := instanceProfile(acct1, "AIPA1", "Web", "/app/")
	want.Tags = []store.Tag{{Key: "team", Value: "a"}}
	noErr(t, "CreateInstanceProfile", s.CreateInstanceProfile(ctx, want))
	got, err := s.GetInstanceProfile(ctx, acct1, "wEB")
	noErr(t, "GetInstanceProfile (case-insensitive)", err)
	if got.InstanceProfileID != want.InstanceProfileID || got.InstanceProfileName != "Web" || got.Path != "/app/" ||
		got.RoleID != "" || len(got.Tags) != 1 || got.Tags[0] != want.Tags[0] {
		t.Errorf("GetInstanceProfile = %+v, want %+v", got, want)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	wantErr(t, "CreateInstanceProfile same name other case", s.CreateInstanceProfile(ctx, instanceProfile(acct1, "AIPA2", "WEB", "/")), store.ErrAlreadyExists)
	noErr(t, "CreateInstanceProfile same name in another account", s.CreateInstanceProfile(ctx, instanceProfile(acct2, "AIPA3", "Web", "/")))
	_, err = s.GetInstanceProfile(ctx, acct2, "nope")
	wantErr(t, "GetInstanceProfile missing", err, store.ErrNotFound)
	wantErr(t, "CreateInstanceProfile unknown account", s.CreateInstanceProfile(ctx, instanceProfile("333333333333", "AIPA4", "X", "/")), store.ErrNotFound)
	updated, err := s.UpdateInstanceProfile(ctx, "AIPA1", func(p *store.InstanceProfile) error {
		p.Tags = append(p.Tags, store.Tag{Key: "env", Value: "prod"})
		return nil
	})
	noErr(t, "UpdateInstanceProfile tags", err)
	if len(updated.Tags) != 2 {
		t.Errorf("tags after update = %v", updated.Tags)
	}
	_, err = s.UpdateInstanceProfile(ctx, "AIPA1", func(p *store.InstanceProfile) error { p.Path = "/other/"; return nil })
	if err == nil {
		t.Error("UpdateInstanceProfile changed the path")
	}
}

func testInstanceProfileRole(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createRole(t, s, role(acct1, "AROA1", "r1", "/"))
	createRole(t, s, role(acct2, "AROA2", "r2", "/"))
	noErr(t, "CreateInstanceProfile", s.CreateInstanceProfile(ctx, instanceProfile(acct1, "AIPA1", "p", "/")))
	_, err := s.UpdateInstanceProfile(ctx, "AIPA1", func(p *store.InstanceProfile) error { p.RoleID = "AROA2"; return nil })
	wantErr(t, "a role of another account", err, store.ErrMissingReference)
	_, err = s.UpdateInstanceProfile(ctx, "AIPA1", func(p *store.InstanceProfile) error { p.RoleID = "AROAnone"; return nil })
	wantErr(t, "a role that does not exist", err, store.ErrMissingReference)
	p, err := s.UpdateInstanceProfile(ctx, "AIPA1", func(p *store.InstanceProfile) error { p.RoleID = "AROA1"; return nil })
	noErr(t, "add role", err)
	if p.RoleID != "AROA1" {
		t.Errorf("RoleID = %q, want AROA1", p.RoleID)
	}
	list, err := s.ListInstanceProfilesForRole(ctx, "AROA1")
	noErr(t, "ListInstanceProfilesForRole", err)
	if len(list) != 1 || list[0].InstanceProfileID != "AIPA1" {
		t.Errorf("ListInstanceProfilesForRole = %+v", list)
	}
	wantErr(t, "DeleteRole while in an instance profile", s.DeleteRole(ctx, acct1, "AROA1"), store.ErrConflict)
	_, err = s.UpdateInstanceProfile(ctx, "AIPA1", func(p *store.InstanceProfile) error { p.RoleID = ""; return nil })
	noErr(t, "remove role", err)
	noErr(t, "DeleteRole after removal", s.DeleteRole(ctx, acct1, "AROA1"))
	list, err = s.ListInstanceProfilesForRole(ctx, "AROA1")
	noErr(t, "ListInstanceProfilesForRole after removal", err)
	if len(list) != 0 {
		t.Errorf("ListInstanceProfilesForRole after removal = %+v", list)
	}
}

func testInstanceProfileDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createRole(t, s, role(acct1, "AROA1", "r1", "/"))
	noErr(t, "CreateInstanceProfile", s.CreateInstanceProfile(ctx, instanceProfile(acct1, "AIPA1", "p", "/")))
	_, err := s.UpdateInstanceProfile(ctx, "AIPA1", func(p *store.InstanceProfile) error { p.RoleID = "AROA1"; return nil })
	noErr(t, "add role", err)
	wantErr(t, "DeleteInstanceProfile with a role", s.DeleteInstanceProfile(ctx, acct1, "AIPA1"), store.ErrConflict)
	wantErr(t, "DeleteInstanceProfile through another account", s.DeleteInstanceProfile(ctx, acct2, "AIPA1"), store.ErrNotFound)
	_, err = s.UpdateInstanceProfile(ctx, "AIPA1", func(p *store.InstanceProfile) error { p.RoleID = ""; return nil })
	noErr(t, "remove role", err)
	noErr(t, "DeleteInstanceProfile", s.DeleteInstanceProfile(ctx, acct1, "AIPA1"))
	wantErr(t, "DeleteInstanceProfile again", s.DeleteInstanceProfile(ctx, acct1, "AIPA1"), store.ErrNotFound)
	_, err = s.UpdateInstanceProfile(ctx, "AIPA1", func(*store.InstanceProfile) error { return nil })
	wantErr(t, "UpdateInstanceProfile deleted", err, store.ErrNotFound)
}

func testListInstanceProfiles(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	for i, n := range []struct{ name, path string }{{"b", "/x/"}, {"A", "/"}, {"c", "/x/y/"}, {"d", "/"}} {
		noErr(t, "CreateInstanceProfile "+n.name, s.CreateInstanceProfile(ctx, instanceProfile(acct1, "AIPA"+n.name+string(rune('0'+i)), n.name, n.path)))
	}
	noErr(t, "CreateInstanceProfile other account", s.CreateInstanceProfile(ctx, instanceProfile(acct2, "AIPAo", "a0", "/")))
	tests := []struct {
		prefix string
		limit  int
		pages  [][]string
	}{
		{"/", 0, [][]string{{"A", "b", "c", "d"}}},
		{"/", 3, [][]string{{"A", "b", "c"}, {"d"}}},
		{"/x/", 1, [][]string{{"b"}, {"c"}}},
		{"/x/y/", 5, [][]string{{"c"}}},
		{"/z/", 5, [][]string{nil}},
	}
	for _, tc := range tests {
		after := ""
		for i, want := range tc.pages {
			page, err := s.ListInstanceProfiles(ctx, acct1, tc.prefix, after, tc.limit)
			noErr(t, "ListInstanceProfiles", err)
			var names []string
			for _, p := range page.InstanceProfiles {
				names = append(names, p.InstanceProfileName)
			}
			if len(names) != len(want) || (len(want) > 0 && names[len(names)-1] != want[len(want)-1]) || (len(want) > 0 && names[0] != want[0]) {
				t.Errorf("prefix %s limit %d page %d = %v, want %v", tc.prefix, tc.limit, i, names, want)
			}
			if last := i == len(tc.pages)-1; last != (page.Next == "") {
				t.Errorf("prefix %s limit %d page %d: Next = %q", tc.prefix, tc.limit, i, page.Next)
			}
			after = page.Next
		}
	}
}

// testInstanceProfileRoleConcurrent: of concurrent adds of different roles to one empty profile,
// each updater sees the committed state, so exactly one role ends up in it and the others see
// it taken (the updater refuses as AddRoleToInstanceProfile does).
func testInstanceProfileRoleConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	const n = 6
	for i := range n {
		createRole(t, s, role(acct1, "AROA"+string(rune('a'+i)), "r"+string(rune('a'+i)), "/"))
	}
	noErr(t, "CreateInstanceProfile", s.CreateInstanceProfile(ctx, instanceProfile(acct1, "AIPA1", "p", "/")))
	taken := errors.New("taken")
	errs := Concurrently(n, func(i int) error {
		_, err := s.UpdateInstanceProfile(ctx, "AIPA1", func(p *store.InstanceProfile) error {
			if p.RoleID != "" {
				return taken
			}
			p.RoleID = "AROA" + string(rune('a'+i))
			return nil
		})
		return err
	})
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, taken), errors.Is(err, store.ErrConcurrentModification):
		default:
			t.Errorf("concurrent add: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent adds succeeded, want 1", ok)
	}
}

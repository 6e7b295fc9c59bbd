package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// quicksightTests covers the QuickSightStore contract: custom namespaces and registered users.
var quicksightTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"QuickSightNamespaces", testQuickSightNamespaces},
	{"QuickSightUserRoundTrip", testQuickSightUserRoundTrip},
	{"QuickSightUserUniqueness", testQuickSightUserUniqueness},
	{"QuickSightUpdateDeleteUser", testQuickSightUpdateDeleteUser},
	{"QuickSightListUsersPagination", testQuickSightListUsersPagination},
}

func quicksightStore(t *testing.T, s store.Store) store.QuickSightStore {
	t.Helper()
	qs, ok := s.(store.QuickSightStore)
	if !ok {
		t.Skipf("%T does not implement store.QuickSightStore", s)
	}
	return qs
}

func qsUser(acct, ns, name, pid string) store.QuickSightUser {
	return store.QuickSightUser{AccountID: acct, Namespace: ns, UserName: name, PrincipalID: pid, IdentityType: "QUICKSIGHT",
		Email: name + "@example.com", Role: "READER", CreatedAt: at(1), UpdatedAt: at(2)}
}

func testQuickSightNamespaces(t *testing.T, s store.Store) {
	qs := quicksightStore(t, s)
	ctx := t.Context()
	ns := store.QuickSightNamespace{AccountID: acct1, Name: "sales", IdentityStore: "QUICKSIGHT", Tags: []store.Tag{{Key: "k", Value: "v"}}, CreatedAt: at(3)}
	wantErr(t, "CreateQuickSightNamespace in a missing account", qs.CreateQuickSightNamespace(ctx, ns), store.ErrNotFound)
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	noErr(t, "CreateQuickSightNamespace", qs.CreateQuickSightNamespace(ctx, ns))
	wantErr(t, "CreateQuickSightNamespace twice", qs.CreateQuickSightNamespace(ctx, ns), store.ErrAlreadyExists)
	other := ns
	other.AccountID = acct2
	noErr(t, "same name in another account", qs.CreateQuickSightNamespace(ctx, other))
	got, err := qs.GetQuickSightNamespace(ctx, acct1, "sales")
	noErr(t, "GetQuickSightNamespace", err)
	if got.Name != "sales" || got.IdentityStore != "QUICKSIGHT" || len(got.Tags) != 1 || got.Tags[0] != ns.Tags[0] {
		t.Errorf("namespace = %+v", got)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, ns.CreatedAt)
	_, err = qs.GetQuickSightNamespace(ctx, acct1, "nope")
	wantErr(t, "GetQuickSightNamespace missing", err, store.ErrNotFound)

	for _, n := range []string{"b", "a", "c"} {
		noErr(t, "create "+n, qs.CreateQuickSightNamespace(ctx, store.QuickSightNamespace{AccountID: acct1, Name: n, IdentityStore: "QUICKSIGHT", CreatedAt: at(4)}))
	}
	var names []string
	after := ""
	for {
		page, next, err := qs.ListQuickSightNamespaces(ctx, acct1, after, 2)
		noErr(t, "ListQuickSightNamespaces", err)
		for _, p := range page {
			names = append(names, p.Name)
		}
		if next == "" {
			break
		}
		after = next
	}
	if fmt.Sprint(names) != "[a b c sales]" {
		t.Errorf("namespaces = %v", names)
	}

	noErr(t, "create user in sales", qs.CreateQuickSightUser(ctx, qsUser(acct1, "sales", "u1", "p1")))
	noErr(t, "DeleteQuickSightNamespace", qs.DeleteQuickSightNamespace(ctx, acct1, "sales"))
	wantErr(t, "DeleteQuickSightNamespace again", qs.DeleteQuickSightNamespace(ctx, acct1, "sales"), store.ErrNotFound)
	_, err = qs.GetQuickSightUser(ctx, acct1, "sales", "u1")
	wantErr(t, "user of a deleted namespace", err, store.ErrNotFound)
	if _, err := qs.GetQuickSightNamespace(ctx, acct2, "sales"); err != nil {
		t.Errorf("other account's namespace: %v", err)
	}
}

func testQuickSightUserRoundTrip(t *testing.T, s store.Store) {
	qs := quicksightStore(t, s)
	ctx := t.Context()
	u := store.QuickSightUser{AccountID: acct1, Namespace: "default", UserName: "role/sess", PrincipalID: "federated/iam/AROAEXAMPLE:sess",
		IdentityType: "IAM", Email: "a@example.com", Role: "AUTHOR", IAMARN: "arn:aws:iam::111111111111:role/role", SessionName: "sess",
		Active: true, CustomPermissionsName: "perm", ExternalLoginProvider: "COGNITO", ExternalLoginURL: "cognito-identity.amazonaws.com",
		ExternalLoginID: "ext", Tags: []store.Tag{{Key: "a", Value: "b"}}, CreatedAt: at(5), UpdatedAt: at(6)}
	wantErr(t, "CreateQuickSightUser in a missing account", qs.CreateQuickSightUser(ctx, u), store.ErrNotFound)
	createAccount(t, s, acct1)
	noErr(t, "CreateQuickSightUser", qs.CreateQuickSightUser(ctx, u))
	check := func(what string, got store.QuickSightUser) {
		t.Helper()
		want := u
		checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
		checkTime(t, what+" UpdatedAt", got.UpdatedAt, want.UpdatedAt)
		got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("%s = %+v, want %+v", what, got, want)
		}
	}
	got, err := qs.GetQuickSightUser(ctx, acct1, "default", "role/sess")
	noErr(t, "GetQuickSightUser", err)
	check("GetQuickSightUser", got)
	got, err = qs.GetQuickSightUserByPrincipalID(ctx, acct1, "default", u.PrincipalID)
	noErr(t, "GetQuickSightUserByPrincipalID", err)
	check("GetQuickSightUserByPrincipalID", got)
	_, err = qs.GetQuickSightUserByPrincipalID(ctx, acct1, "other", u.PrincipalID)
	wantErr(t, "by principal id in another namespace", err, store.ErrNotFound)
	found, err := qs.FindQuickSightUsersByEmail(ctx, acct1, "default", "a@example.com", 2)
	noErr(t, "FindQuickSightUsersByEmail", err)
	if len(found) != 1 {
		t.Fatalf("found %d users by email", len(found))
	}
	check("FindQuickSightUsersByEmail", found[0])
	found, err = qs.FindQuickSightUsersByEmail(ctx, acct1, "default", "A@example.com", 2)
	noErr(t, "FindQuickSightUsersByEmail other case", err)
	if len(found) != 0 {
		t.Errorf("email match is not exact: %+v", found)
	}
}

func testQuickSightUserUniqueness(t *testing.T, s store.Store) {
	qs := quicksightStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	noErr(t, "create", qs.CreateQuickSightUser(ctx, qsUser(acct1, "default", "alice", "p1")))
	wantErr(t, "same name", qs.CreateQuickSightUser(ctx, qsUser(acct1, "default", "alice", "p2")), store.ErrAlreadyExists)
	wantErr(t, "same principal id", qs.CreateQuickSightUser(ctx, qsUser(acct1, "default", "bob", "p1")), store.ErrAlreadyExists)
	noErr(t, "same name in another namespace", qs.CreateQuickSightUser(ctx, qsUser(acct1, "sales", "alice", "p1")))
	noErr(t, "same name in another account", qs.CreateQuickSightUser(ctx, qsUser(acct2, "default", "alice", "p1")))
	noErr(t, "DeleteQuickSightUsersInNamespace", qs.DeleteQuickSightUsersInNamespace(ctx, acct1, "default"))
	_, err := qs.GetQuickSightUser(ctx, acct1, "default", "alice")
	wantErr(t, "user after namespace purge", err, store.ErrNotFound)
	if _, err := qs.GetQuickSightUser(ctx, acct1, "sales", "alice"); err != nil {
		t.Errorf("other namespace's user: %v", err)
	}
	noErr(t, "purge an empty namespace", qs.DeleteQuickSightUsersInNamespace(ctx, acct1, "default"))
}

func testQuickSightUpdateDeleteUser(t *testing.T, s store.Store) {
	qs := quicksightStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	u := qsUser(acct1, "default", "alice", "p1")
	noErr(t, "create", qs.CreateQuickSightUser(ctx, u))
	u.Email, u.Role, u.Active, u.CustomPermissionsName, u.UpdatedAt = "new@example.com", "ADMIN", true, "cp", at(9)
	u.ExternalLoginProvider, u.ExternalLoginURL, u.ExternalLoginID = "CUSTOM_OIDC", "https://idp.example.com", "x"
	returned, err := qs.UpdateQuickSightUser(ctx, acct1, "default", "alice", func(cur *store.QuickSightUser) error {
		id, typ := cur.PrincipalID, cur.IdentityType
		*cur = u
		cur.PrincipalID, cur.IdentityType = id, typ
		return nil
	})
	noErr(t, "UpdateQuickSightUser", err)
	got, err := qs.GetQuickSightUser(ctx, acct1, "default", "alice")
	noErr(t, "get", err)
	if fmt.Sprint(returned) != fmt.Sprint(got) {
		t.Errorf("UpdateQuickSightUser returned %+v, the store holds %+v", returned, got)
	}
	if got.Email != "new@example.com" || got.Role != "ADMIN" || !got.Active || got.CustomPermissionsName != "cp" ||
		got.ExternalLoginProvider != "CUSTOM_OIDC" || got.ExternalLoginURL != "https://idp.example.com" || got.ExternalLoginID != "x" ||
		got.PrincipalID != "p1" || got.IdentityType != "QUICKSIGHT" {
		t.Errorf("after update = %+v", got)
	}
	checkTime(t, "UpdatedAt", got.UpdatedAt, at(9))
	checkTime(t, "CreatedAt", got.CreatedAt, at(1))
	_, err = qs.UpdateQuickSightUser(ctx, acct1, "default", "nobody", func(*store.QuickSightUser) error { return nil })
	wantErr(t, "update missing", err, store.ErrNotFound)
	noErr(t, "DeleteQuickSightUser", qs.DeleteQuickSightUser(ctx, acct1, "default", "alice"))
	wantErr(t, "delete again", qs.DeleteQuickSightUser(ctx, acct1, "default", "alice"), store.ErrNotFound)
	noErr(t, "principal id free again", qs.CreateQuickSightUser(ctx, qsUser(acct1, "default", "bob", "p1")))
}

func testQuickSightListUsersPagination(t *testing.T, s store.Store) {
	qs := quicksightStore(t, s)
	ctx := t.Context()
	createAccount(t, s, acct1)
	// "B" < "a" < "a/x" < "ab" by code point; a locale collation would order them otherwise.
	names := []string{"ab", "a/x", "B", "a", "z z"}
	for i, n := range names {
		noErr(t, "create "+n, qs.CreateQuickSightUser(ctx, qsUser(acct1, "default", n, fmt.Sprint("p", i))))
	}
	noErr(t, "create in another namespace", qs.CreateQuickSightUser(ctx, qsUser(acct1, "other", "zzz", "q")))
	var got []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		page, next, err := qs.ListQuickSightUsers(ctx, acct1, "default", after, 2)
		noErr(t, "ListQuickSightUsers", err)
		if len(page) > 2 {
			t.Fatalf("page of %d", len(page))
		}
		for _, u := range page {
			got = append(got, u.UserName)
		}
		if next == "" {
			break
		}
		after = next
	}
	if fmt.Sprint(got) != "[B a a/x ab z z]" {
		t.Errorf("users = %q", got)
	}
	all, next, err := qs.ListQuickSightUsers(ctx, acct1, "default", "", 0)
	noErr(t, "ListQuickSightUsers unlimited", err)
	if len(all) != 5 || next != "" {
		t.Errorf("unlimited page: %d users, next %q", len(all), next)
	}
	empty, next, err := qs.ListQuickSightUsers(ctx, acct1, "missing", "", 10)
	noErr(t, "ListQuickSightUsers empty namespace", err)
	if len(empty) != 0 || next != "" {
		t.Errorf("empty namespace: %v %q", empty, next)
	}
}

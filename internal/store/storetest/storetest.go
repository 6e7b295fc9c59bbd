package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// Run runs the suite. open must return a fresh, empty, migrated store for each call and arrange
// for it to be closed when t ends (t.Cleanup); closing it again after the suite's own Close must be
// harmless.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"Ping", testPing},
		{"Close", testClose},
		{"Meta", testMeta},
		{"MetaConcurrent", testMetaConcurrent},
		{"Accounts", testAccounts},
		{"UserRoundTrip", testUserRoundTrip},
		{"UserNameUniqueness", testUserNameUniqueness},
		{"UserUnknownAccount", testUserUnknownAccount},
		{"ConcurrentCreateUser", testConcurrentCreateUser},
		{"UpdateUser", testUpdateUser},
		{"DeleteUser", testDeleteUser},
		{"ListUsersPagination", testListUsersPagination},
		{"ListUsersPathPrefix", testListUsersPathPrefix},
		{"AccessKeyRoundTrip", testAccessKeyRoundTrip},
		{"AccessKeyOwnership", testAccessKeyOwnership},
		{"ListAccessKeys", testListAccessKeys},
		{"AccessKeyLimit", testAccessKeyLimit},
		{"AccessKeyLimitConcurrent", testAccessKeyLimitConcurrent},
		{"UpdateAccessKeyStatus", testUpdateAccessKeyStatus},
		{"DeleteAccessKey", testDeleteAccessKey},
		{"PutRootAccessKey", testPutRootAccessKey},
		{"RecordAccessKeyUse", testRecordAccessKeyUse},
	}
	tests = append(tests, iamTests...)
	tests = append(tests, accountTests...)
	tests = append(tests, federationTests...)
	tests = append(tests, cognitoTests...)
	tests = append(tests, quicksightTests...)
	tests = append(tests, decisionTests...)
	tests = append(tests, issuanceTests...)
	tests = append(tests, workloadTests...)
	tests = append(tests, instanceProfileTests...)
	tests = append(tests, groupTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
	runUpdaterTests(t, open)
}

const (
	acct1 = "111111111111"
	acct2 = "222222222222"
)

// at returns distinct instants with millisecond precision (the contract's minimum) in a non-UTC
// zone, so that a backend that keeps the zone or drops milliseconds fails.
func at(i int) time.Time {
	zone := time.FixedZone("UTC+2", 2*60*60)
	return time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, zone).Add(time.Duration(i) * 1001 * time.Millisecond)
}

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s is in %v, want UTC", what, got.Location())
	}
}

func createAccount(t *testing.T, s store.Store, id string) {
	t.Helper()
	noErr(t, "CreateAccount "+id, s.CreateAccount(t.Context(), store.Account{ID: id, CreatedAt: at(0)}))
}

func user(accountID, userID, name, path string) store.User {
	return store.User{AccountID: accountID, UserID: userID, UserName: name, Path: path, CreatedAt: at(1)}
}

func createUser(t *testing.T, s store.Store, u store.User) {
	t.Helper()
	noErr(t, "CreateUser "+u.UserName, s.CreateUser(t.Context(), u))
}

func checkUser(t *testing.T, got, want store.User) {
	t.Helper()
	if got.AccountID != want.AccountID || got.UserID != want.UserID || got.UserName != want.UserName ||
		got.Path != want.Path || got.PermissionsBoundary != want.PermissionsBoundary {
		t.Errorf("user = %+v, want %+v", got, want)
	}
	if !slices.Equal(got.Tags, want.Tags) {
		t.Errorf("user %s tags = %v, want %v (in insertion order)", want.UserName, got.Tags, want.Tags)
	}
	checkTime(t, "user "+want.UserName+" CreatedAt", got.CreatedAt, want.CreatedAt)
}

func key(id, accountID, userID string, created time.Time) store.AccessKey {
	return store.AccessKey{
		AccessKeyID:      id,
		AccountID:        accountID,
		UserID:           userID,
		Status:           "Active",
		SecretCiphertext: []byte("sealed:" + id),
		CreatedAt:        created,
	}
}

func checkKey(t *testing.T, got, want store.AccessKey) {
	t.Helper()
	if got.AccessKeyID != want.AccessKeyID || got.AccountID != want.AccountID || got.UserID != want.UserID ||
		got.Status != want.Status || got.LastUsedService != want.LastUsedService ||
		got.LastUsedRegion != want.LastUsedRegion {
		t.Errorf("key = %+v, want %+v", got, want)
	}
	if !bytes.Equal(got.SecretCiphertext, want.SecretCiphertext) {
		t.Errorf("key %s secret = %x, want %x", want.AccessKeyID, got.SecretCiphertext, want.SecretCiphertext)
	}
	checkTime(t, "key "+want.AccessKeyID+" CreatedAt", got.CreatedAt, want.CreatedAt)
	switch {
	case (got.LastUsedAt == nil) != (want.LastUsedAt == nil):
		t.Errorf("key %s LastUsedAt = %v, want %v", want.AccessKeyID, got.LastUsedAt, want.LastUsedAt)
	case want.LastUsedAt != nil:
		checkTime(t, "key "+want.AccessKeyID+" LastUsedAt", *got.LastUsedAt, *want.LastUsedAt)
	}
}

func keyIDs(keys []store.AccessKey) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.AccessKeyID
	}
	return ids
}

// Concurrently runs fn(i) for i in [0, n) on n goroutines released together, and returns the
// errors. The integration and multi-node tests race their requests with it too.
func Concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func testPing(t *testing.T, s store.Store) {
	noErr(t, "Ping", s.Ping(t.Context()))
}

func testClose(t *testing.T, s store.Store) {
	noErr(t, "Close", s.Close())
	if err := s.Ping(t.Context()); err == nil {
		t.Fatal("Ping after Close succeeded")
	}
}

func testMeta(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetMeta(ctx, "master-key-check")
	wantErr(t, "GetMeta of a missing key", err, store.ErrNotFound)

	first := allBytes()
	got, err := s.PutMetaIfAbsent(ctx, "master-key-check", first)
	noErr(t, "first PutMetaIfAbsent", err)
	if !bytes.Equal(got, first) {
		t.Fatalf("first PutMetaIfAbsent returned %x, want %x", got, first)
	}
	got, err = s.PutMetaIfAbsent(ctx, "master-key-check", []byte("second"))
	noErr(t, "second PutMetaIfAbsent", err)
	if !bytes.Equal(got, first) {
		t.Fatalf("second PutMetaIfAbsent returned %q, want the first value", got)
	}
	got, err = s.GetMeta(ctx, "master-key-check")
	noErr(t, "GetMeta", err)
	if !bytes.Equal(got, first) {
		t.Fatalf("GetMeta returned %q, want the first value", got)
	}

	got, err = s.PutMetaIfAbsent(ctx, "empty", []byte{})
	noErr(t, "PutMetaIfAbsent of an empty value", err)
	if len(got) != 0 {
		t.Fatalf("PutMetaIfAbsent of an empty value returned %q", got)
	}
	got, err = s.GetMeta(ctx, "empty")
	noErr(t, "GetMeta of an empty value", err)
	if len(got) != 0 {
		t.Fatalf("GetMeta of an empty value returned %q", got)
	}
}

func testMetaConcurrent(t *testing.T, s store.Store) {
	const n = 8
	results := make([][]byte, n)
	errs := Concurrently(n, func(i int) error {
		var err error
		results[i], err = s.PutMetaIfAbsent(t.Context(), "race", []byte(fmt.Sprintf("value-%d", i)))
		return err
	})
	for i, err := range errs {
		noErr(t, fmt.Sprintf("PutMetaIfAbsent #%d", i), err)
	}
	for i, r := range results {
		if !bytes.Equal(r, results[0]) {
			t.Fatalf("PutMetaIfAbsent #%d returned %q, #0 returned %q: callers disagree on the stored value", i, r, results[0])
		}
	}
	stored, err := s.GetMeta(t.Context(), "race")
	noErr(t, "GetMeta", err)
	if !bytes.Equal(stored, results[0]) {
		t.Fatalf("GetMeta = %q, PutMetaIfAbsent returned %q", stored, results[0])
	}
}

func testAccounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	list, err := s.ListAccounts(ctx)
	noErr(t, "ListAccounts on an empty store", err)
	if len(list) != 0 {
		t.Fatalf("ListAccounts on an empty store = %v", list)
	}
	_, err = s.GetAccount(ctx, acct1)
	wantErr(t, "GetAccount of a missing account", err, store.ErrNotFound)

	noErr(t, "CreateAccount 2", s.CreateAccount(ctx, store.Account{ID: acct2, CreatedAt: at(2)}))
	noErr(t, "CreateAccount 1", s.CreateAccount(ctx, store.Account{ID: acct1, CreatedAt: at(1)}))
	wantErr(t, "CreateAccount duplicate", s.CreateAccount(ctx, store.Account{ID: acct1, CreatedAt: at(9)}), store.ErrAlreadyExists)

	a, err := s.GetAccount(ctx, acct1)
	noErr(t, "GetAccount", err)
	if a.ID != acct1 {
		t.Errorf("GetAccount ID = %q", a.ID)
	}
	checkTime(t, "account CreatedAt (unchanged by the duplicate)", a.CreatedAt, at(1))

	list, err = s.ListAccounts(ctx)
	noErr(t, "ListAccounts", err)
	slices.SortFunc(list, func(x, y store.Account) int { return strings.Compare(x.ID, y.ID) })
	if len(list) != 2 || list[0].ID != acct1 || list[1].ID != acct2 {
		t.Fatalf("ListAccounts = %v, want accounts %s and %s", list, acct1, acct2)
	}
	checkTime(t, "listed account 1 CreatedAt", list[0].CreatedAt, at(1))
	checkTime(t, "listed account 2 CreatedAt", list[1].CreatedAt, at(2))
}

func testUserRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createBoundaryPolicies(t, s)
	want := store.User{
		AccountID:           acct1,
		UserID:              "AIDAEXAMPLE000000001",
		UserName:            "Alice.Smith+ops@example",
		Path:                "/division_abc/subdivision_xyz/",
		PermissionsBoundary: "arn:aws:iam::111111111111:policy/boundary",
		// Deliberately not sorted: order of insertion must survive.
		Tags:      []store.Tag{{Key: "zeta", Value: "1"}, {Key: "Alpha", Value: "ünïcødé ✓"}, {Key: "mid", Value: ""}},
		CreatedAt: at(3),
	}
	createUser(t, s, want)

	got, err := s.GetUser(ctx, acct1, "Alice.Smith+ops@example")
	noErr(t, "GetUser", err)
	checkUser(t, got, want)
	got, err = s.GetUser(ctx, acct1, "ALICE.SMITH+OPS@EXAMPLE")
	noErr(t, "GetUser with other case", err)
	checkUser(t, got, want)
	got, err = s.GetUserByID(ctx, want.UserID)
	noErr(t, "GetUserByID", err)
	checkUser(t, got, want)

	plain := user(acct1, "AIDAEXAMPLE000000002", "plain", "/")
	createUser(t, s, plain)
	got, err = s.GetUser(ctx, acct1, "plain")
	noErr(t, "GetUser of a user without tags", err)
	checkUser(t, got, plain)

	_, err = s.GetUser(ctx, acct1, "nobody")
	wantErr(t, "GetUser of a missing name", err, store.ErrNotFound)
	_, err = s.GetUser(ctx, acct2, "plain")
	wantErr(t, "GetUser in another account", err, store.ErrNotFound)
	_, err = s.GetUserByID(ctx, "AIDANOSUCHUSER000000")
	wantErr(t, "GetUserByID of a missing id", err, store.ErrNotFound)
}

func testUserNameUniqueness(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createUser(t, s, user(acct1, "AIDA1", "Bob", "/"))
	wantErr(t, "CreateUser with the same name in other case",
		s.CreateUser(ctx, user(acct1, "AIDA2", "bOB", "/other/")), store.ErrAlreadyExists)
	wantErr(t, "CreateUser with an existing UserID",
		s.CreateUser(ctx, user(acct1, "AIDA1", "carol", "/")), store.ErrAlreadyExists)
	wantErr(t, "CreateUser with an existing UserID in another account",
		s.CreateUser(ctx, user(acct2, "AIDA1", "dave", "/")), store.ErrAlreadyExists)
	createUser(t, s, user(acct2, "AIDA3", "BOB", "/"))

	got, err := s.GetUser(ctx, acct1, "bob")
	noErr(t, "GetUser", err)
	if got.UserID != "AIDA1" || got.UserName != "Bob" {
		t.Fatalf("GetUser = %+v, want the first Bob unchanged", got)
	}
}

func testUserUnknownAccount(t *testing.T, s store.Store) {
	if err := s.CreateUser(t.Context(), user("999999999999", "AIDA1", "ghost", "/")); err == nil {
		t.Fatal("CreateUser in a missing account succeeded")
	}
	_, err := s.GetUserByID(t.Context(), "AIDA1")
	wantErr(t, "GetUserByID after the failed create", err, store.ErrNotFound)
}

func testConcurrentCreateUser(t *testing.T, s store.Store) {
	createAccount(t, s, acct1)
	const n = 10
	errs := Concurrently(n, func(i int) error {
		name := "Racer"
		if i%2 == 1 {
			name = "RACER"
		}
		return s.CreateUser(t.Context(), user(acct1, fmt.Sprintf("AIDARACER%02d", i), name, "/"))
	})
	created := 0
	for i, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, store.ErrAlreadyExists):
			t.Errorf("CreateUser #%d: got %v, want nil or ErrAlreadyExists", i, err)
		}
	}
	if created != 1 {
		t.Fatalf("%d concurrent CreateUser calls of one name succeeded, want exactly 1", created)
	}
	page, err := s.ListUsers(t.Context(), acct1, "/", "", 100)
	noErr(t, "ListUsers", err)
	if len(page.Users) != 1 {
		t.Fatalf("ListUsers found %d users, want 1", len(page.Users))
	}
}

func testUpdateUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createBoundaryPolicies(t, s)
	alice := user(acct1, "AIDAALICE", "alice", "/")
	alice.Tags = []store.Tag{{Key: "team", Value: "a"}}
	createUser(t, s, alice)
	bob := user(acct1, "AIDABOB", "bob", "/")
	createUser(t, s, bob)

	updated := alice
	updated.UserName = "Alicia"
	updated.Path = "/renamed/"
	updated.PermissionsBoundary = "arn:aws:iam::aws:policy/PowerUserAccess"
	updated.Tags = []store.Tag{{Key: "z", Value: "last"}, {Key: "a", Value: "first"}}
	noErr(t, "UpdateUser", setUser(ctx, s, updated))

	got, err := s.GetUser(ctx, acct1, "alicia")
	noErr(t, "GetUser by the new name", err)
	checkUser(t, got, updated)
	got, err = s.GetUserByID(ctx, alice.UserID)
	noErr(t, "GetUserByID after update", err)
	checkUser(t, got, updated)
	_, err = s.GetUser(ctx, acct1, "alice")
	wantErr(t, "GetUser by the old name", err, store.ErrNotFound)

	clash := updated
	clash.UserName = "BOB"
	wantErr(t, "UpdateUser onto an existing name", setUser(ctx, s, clash), store.ErrAlreadyExists)
	got, err = s.GetUserByID(ctx, alice.UserID)
	noErr(t, "GetUserByID after the failed rename", err)
	checkUser(t, got, updated)
	got, err = s.GetUser(ctx, acct1, "bob")
	noErr(t, "GetUser bob after the failed rename", err)
	checkUser(t, got, bob)

	recased := updated
	recased.UserName = "ALICIA"
	recased.Tags = nil
	noErr(t, "UpdateUser changing only the case of the name and clearing tags", setUser(ctx, s, recased))
	got, err = s.GetUser(ctx, acct1, "Alicia")
	noErr(t, "GetUser after the case change", err)
	checkUser(t, got, recased)

	ghost := user(acct1, "AIDANOSUCHUSER", "ghost", "/")
	wantErr(t, "UpdateUser of a missing user", setUser(ctx, s, ghost), store.ErrNotFound)
}

func testDeleteUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	u := user(acct1, "AIDADEL", "leaver", "/")
	createUser(t, s, u)
	noErr(t, "CreateAccessKey 1", s.CreateAccessKey(ctx, key("AKIADEL1", acct1, u.UserID, at(1)), 2))
	noErr(t, "CreateAccessKey 2", s.CreateAccessKey(ctx, key("AKIADEL2", acct1, u.UserID, at(2)), 2))

	wantErr(t, "DeleteUser while keys exist", s.DeleteUser(ctx, acct1, u.UserID), store.ErrConflict)
	_, err := s.GetUserByID(ctx, u.UserID)
	noErr(t, "GetUserByID after the refused delete", err)
	wantErr(t, "DeleteUser through another account", s.DeleteUser(ctx, acct2, u.UserID), store.ErrNotFound)

	noErr(t, "DeleteAccessKey 1", s.DeleteAccessKey(ctx, "AKIADEL1"))
	wantErr(t, "DeleteUser while one key remains", s.DeleteUser(ctx, acct1, u.UserID), store.ErrConflict)
	noErr(t, "DeleteAccessKey 2", s.DeleteAccessKey(ctx, "AKIADEL2"))
	noErr(t, "DeleteUser without keys", s.DeleteUser(ctx, acct1, u.UserID))

	_, err = s.GetUserByID(ctx, u.UserID)
	wantErr(t, "GetUserByID after delete", err, store.ErrNotFound)
	_, err = s.GetUser(ctx, acct1, "leaver")
	wantErr(t, "GetUser after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteUser again", s.DeleteUser(ctx, acct1, u.UserID), store.ErrNotFound)

	createUser(t, s, user(acct1, "AIDADEL2", "Leaver", "/"))
}

func testListUsersPagination(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	names := []string{"alice", "Bob", "carol", "Dave", "eve", "Frank", "grace", "Heidi", "ivan", "Judy", "kate", "Leo", "mallory"}
	paths := []string{"/", "/eng/", "/eng/backend/", "/ops/"}
	type entry struct{ lower, path string }
	var all []entry
	for i, name := range names {
		path := paths[i%len(paths)]
		createUser(t, s, user(acct1, fmt.Sprintf("AIDAPAGE%02d", i), name, path))
		// The same names in another account must never show up.
		createUser(t, s, user(acct2, fmt.Sprintf("AIDAOTHER%02d", i), name, path))
		all = append(all, entry{strings.ToLower(name), path})
	}
	slices.SortFunc(all, func(x, y entry) int { return strings.Compare(x.lower, y.lower) })

	for _, tc := range []struct {
		prefix string
		limit  int
	}{
		{"/", 3}, {"/", 4}, {"/", 13}, {"/", 100}, {"/eng/", 2}, {"/eng/", 3}, {"/eng/backend/", 1}, {"/ops/", 5}, {"/none/", 3},
	} {
		t.Run(fmt.Sprintf("prefix=%s,limit=%d", tc.prefix, tc.limit), func(t *testing.T) {
			var want []string
			for _, e := range all {
				if strings.HasPrefix(e.path, tc.prefix) {
					want = append(want, e.lower)
				}
			}
			var got []string
			after := ""
			for pages := 1; ; pages++ {
				if pages > len(names)+1 {
					t.Fatalf("pagination does not terminate; got %v so far", got)
				}
				page, err := s.ListUsers(ctx, acct1, tc.prefix, after, tc.limit)
				noErr(t, "ListUsers", err)
				if len(page.Users) > tc.limit {
					t.Fatalf("page %d has %d users, limit %d", pages, len(page.Users), tc.limit)
				}
				for _, u := range page.Users {
					if u.AccountID != acct1 || !strings.HasPrefix(u.Path, tc.prefix) {
						t.Fatalf("page %d holds %+v", pages, u)
					}
					got = append(got, strings.ToLower(u.UserName))
				}
				if page.Next == "" {
					break
				}
				if len(page.Users) != tc.limit {
					t.Fatalf("page %d has %d users and a Next marker; only full pages may", pages, len(page.Users))
				}
				if last := strings.ToLower(page.Users[len(page.Users)-1].UserName); page.Next != last {
					t.Fatalf("page %d Next = %q, want the last user's lower-cased name %q", pages, page.Next, last)
				}
				after = page.Next
			}
			if !slices.Equal(got, want) {
				t.Fatalf("paged through %v, want %v", got, want)
			}
		})
	}

	// A marker need not be an existing name: the page starts after it in lower-cased order.
	page, err := s.ListUsers(ctx, acct1, "/", "c", 2)
	noErr(t, "ListUsers after an arbitrary marker", err)
	if len(page.Users) != 2 || page.Users[0].UserName != "carol" || page.Users[1].UserName != "Dave" || page.Next != "dave" {
		t.Fatalf("ListUsers after \"c\" = %+v", page)
	}
}

func testListUsersPathPrefix(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	// LIKE metacharacters and case must be taken literally.
	for i, path := range []string{"/a_b/", "/axb/", "/a%b/", "/A_B/", "/a_b/deeper/", "/"} {
		createUser(t, s, user(acct1, fmt.Sprintf("AIDAPATH%d", i), fmt.Sprintf("user%d", i), path))
	}
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"/a_b/", []string{"user0", "user4"}},
		{"/a%", []string{"user2"}},
		{"/a", []string{"user0", "user1", "user2", "user4"}},
		{"/A", []string{"user3"}},
		{"/", []string{"user0", "user1", "user2", "user3", "user4", "user5"}},
		{"", []string{"user0", "user1", "user2", "user3", "user4", "user5"}},
		{"/a_b/deeper/x", nil},
	} {
		page, err := s.ListUsers(ctx, acct1, tc.prefix, "", 100)
		noErr(t, "ListUsers "+tc.prefix, err)
		var got []string
		for _, u := range page.Users {
			got = append(got, u.UserName)
		}
		if !slices.Equal(got, tc.want) || page.Next != "" {
			t.Errorf("ListUsers(prefix %q) = %v next %q, want %v", tc.prefix, got, page.Next, tc.want)
		}
	}
}

func testAccessKeyRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createUser(t, s, user(acct1, "AIDAKEYS", "keyholder", "/"))

	plain := key("AKIAROUNDTRIP0000001", acct1, "AIDAKEYS", at(4))
	plain.SecretCiphertext = allBytes()
	noErr(t, "CreateAccessKey", s.CreateAccessKey(ctx, plain, 2))
	got, err := s.GetAccessKey(ctx, plain.AccessKeyID)
	noErr(t, "GetAccessKey", err)
	checkKey(t, got, plain)

	used := at(6)
	full := key("AKIAROUNDTRIP0000002", acct1, "AIDAKEYS", at(5))
	full.Status = "Inactive"
	full.LastUsedAt = &used
	full.LastUsedService = "sts"
	full.LastUsedRegion = "eu-central-1"
	noErr(t, "CreateAccessKey with every field", s.CreateAccessKey(ctx, full, 2))
	got, err = s.GetAccessKey(ctx, full.AccessKeyID)
	noErr(t, "GetAccessKey with every field", err)
	checkKey(t, got, full)

	root := key("AKIAROUNDTRIPROOT001", acct1, "", at(7))
	noErr(t, "CreateAccessKey for root", s.CreateAccessKey(ctx, root, 2))
	got, err = s.GetAccessKey(ctx, root.AccessKeyID)
	noErr(t, "GetAccessKey root", err)
	checkKey(t, got, root)

	_, err = s.GetAccessKey(ctx, "AKIANOSUCHKEY0000000")
	wantErr(t, "GetAccessKey of a missing key", err, store.ErrNotFound)
	wantErr(t, "CreateAccessKey with an existing id",
		s.CreateAccessKey(ctx, key(plain.AccessKeyID, acct1, "", at(8)), 10), store.ErrAlreadyExists)
}

func testAccessKeyOwnership(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createUser(t, s, user(acct1, "AIDAOWNER", "owner", "/"))
	for _, tc := range []struct {
		what string
		k    store.AccessKey
	}{
		{"a missing user", key("AKIAOWN1", acct1, "AIDANOSUCHUSER", at(1))},
		{"a user of another account", key("AKIAOWN2", acct2, "AIDAOWNER", at(1))},
		{"root of a missing account", key("AKIAOWN3", "999999999999", "", at(1))},
	} {
		err := s.CreateAccessKey(ctx, tc.k, 2)
		if err == nil || errors.Is(err, store.ErrLimitExceeded) {
			t.Errorf("CreateAccessKey for %s: got %v, want a failure other than ErrLimitExceeded", tc.what, err)
		}
		_, err = s.GetAccessKey(ctx, tc.k.AccessKeyID)
		wantErr(t, "GetAccessKey after the refused create for "+tc.what, err, store.ErrNotFound)
	}
}

func testListAccessKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createUser(t, s, user(acct1, "AIDAU1", "u1", "/"))
	createUser(t, s, user(acct1, "AIDAU2", "u2", "/"))

	// Inserted out of creation order: the list must come back oldest first.
	for _, k := range []store.AccessKey{
		key("AKIAU1C", acct1, "AIDAU1", at(30)),
		key("AKIAU1A", acct1, "AIDAU1", at(10)),
		key("AKIAU1B", acct1, "AIDAU1", at(20)),
		key("AKIAROOTB", acct1, "", at(20)),
		key("AKIAROOTA", acct1, "", at(10)),
		key("AKIAOTHERROOT", acct2, "", at(5)),
	} {
		noErr(t, "CreateAccessKey "+k.AccessKeyID, s.CreateAccessKey(ctx, k, 10))
	}

	for _, tc := range []struct {
		account, user string
		want          []string
	}{
		{acct1, "AIDAU1", []string{"AKIAU1A", "AKIAU1B", "AKIAU1C"}},
		{acct1, "", []string{"AKIAROOTA", "AKIAROOTB"}},
		{acct2, "", []string{"AKIAOTHERROOT"}},
		{acct1, "AIDAU2", nil},
		{"999999999999", "", nil},
	} {
		keys, err := s.ListAccessKeys(ctx, tc.account, tc.user)
		noErr(t, "ListAccessKeys", err)
		if got := keyIDs(keys); !slices.Equal(got, tc.want) {
			t.Errorf("ListAccessKeys(%s, %q) = %v, want %v", tc.account, tc.user, got, tc.want)
		}
	}
	keys, err := s.ListAccessKeys(ctx, acct1, "AIDAU1")
	noErr(t, "ListAccessKeys", err)
	checkKey(t, keys[0], key("AKIAU1A", acct1, "AIDAU1", at(10)))
}

func testAccessKeyLimit(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createUser(t, s, user(acct1, "AIDALIM1", "lim1", "/"))
	createUser(t, s, user(acct1, "AIDALIM2", "lim2", "/"))

	noErr(t, "first key", s.CreateAccessKey(ctx, key("AKIALIM1A", acct1, "AIDALIM1", at(1)), 2))
	noErr(t, "second key", s.CreateAccessKey(ctx, key("AKIALIM1B", acct1, "AIDALIM1", at(2)), 2))
	wantErr(t, "third key", s.CreateAccessKey(ctx, key("AKIALIM1C", acct1, "AIDALIM1", at(3)), 2), store.ErrLimitExceeded)
	_, err := s.GetAccessKey(ctx, "AKIALIM1C")
	wantErr(t, "GetAccessKey of the refused key", err, store.ErrNotFound)

	// Other owners have their own count.
	noErr(t, "other user's key", s.CreateAccessKey(ctx, key("AKIALIM2A", acct1, "AIDALIM2", at(4)), 2))
	noErr(t, "root key 1", s.CreateAccessKey(ctx, key("AKIALIMR1", acct1, "", at(5)), 2))
	noErr(t, "root key 2", s.CreateAccessKey(ctx, key("AKIALIMR2", acct1, "", at(6)), 2))
	wantErr(t, "root key 3", s.CreateAccessKey(ctx, key("AKIALIMR3", acct1, "", at(7)), 2), store.ErrLimitExceeded)

	// Inactive keys still count; deleting one frees a slot.
	noErr(t, "deactivate", s.UpdateAccessKeyStatus(ctx, "AKIALIM1A", "Inactive"))
	wantErr(t, "key while one is inactive", s.CreateAccessKey(ctx, key("AKIALIM1C", acct1, "AIDALIM1", at(8)), 2), store.ErrLimitExceeded)
	noErr(t, "delete", s.DeleteAccessKey(ctx, "AKIALIM1A"))
	noErr(t, "key after a delete", s.CreateAccessKey(ctx, key("AKIALIM1C", acct1, "AIDALIM1", at(9)), 2))
}

func testAccessKeyLimitConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createUser(t, s, user(acct1, "AIDARACE", "race", "/"))
	for _, owner := range []string{"AIDARACE", ""} {
		const n, limit = 10, 2
		errs := Concurrently(n, func(i int) error {
			return s.CreateAccessKey(ctx, key(fmt.Sprintf("AKIARACE%s%02d", owner, i), acct1, owner, at(i)), limit)
		})
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrLimitExceeded):
				t.Errorf("owner %q CreateAccessKey #%d: got %v, want nil or ErrLimitExceeded", owner, i, err)
			}
		}
		if ok != limit {
			t.Fatalf("owner %q: %d of %d concurrent CreateAccessKey calls succeeded, want exactly %d", owner, ok, n, limit)
		}
		keys, err := s.ListAccessKeys(ctx, acct1, owner)
		noErr(t, "ListAccessKeys", err)
		if len(keys) != limit {
			t.Fatalf("owner %q has %d keys, want %d", owner, len(keys), limit)
		}
	}
}

func testUpdateAccessKeyStatus(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	k := key("AKIASTATUS", acct1, "", at(1))
	noErr(t, "CreateAccessKey", s.CreateAccessKey(ctx, k, 2))
	for _, status := range []string{"Inactive", "Active", "Inactive"} {
		noErr(t, "UpdateAccessKeyStatus "+status, s.UpdateAccessKeyStatus(ctx, k.AccessKeyID, status))
		got, err := s.GetAccessKey(ctx, k.AccessKeyID)
		noErr(t, "GetAccessKey", err)
		k.Status = status
		checkKey(t, got, k)
	}
	wantErr(t, "UpdateAccessKeyStatus of a missing key",
		s.UpdateAccessKeyStatus(ctx, "AKIANOSUCHKEY", "Active"), store.ErrNotFound)
}

func testDeleteAccessKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	noErr(t, "CreateAccessKey 1", s.CreateAccessKey(ctx, key("AKIAGONE", acct1, "", at(1)), 2))
	noErr(t, "CreateAccessKey 2", s.CreateAccessKey(ctx, key("AKIASTAYS", acct1, "", at(2)), 2))
	noErr(t, "DeleteAccessKey", s.DeleteAccessKey(ctx, "AKIAGONE"))
	_, err := s.GetAccessKey(ctx, "AKIAGONE")
	wantErr(t, "GetAccessKey after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteAccessKey again", s.DeleteAccessKey(ctx, "AKIAGONE"), store.ErrNotFound)
	keys, err := s.ListAccessKeys(ctx, acct1, "")
	noErr(t, "ListAccessKeys", err)
	if got := keyIDs(keys); !slices.Equal(got, []string{"AKIASTAYS"}) {
		t.Fatalf("ListAccessKeys after delete = %v", got)
	}
}

func testPutRootAccessKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)

	k := key("AKIAROOTPUT", acct1, "", at(1))
	noErr(t, "PutRootAccessKey create", s.PutRootAccessKey(ctx, k))
	got, err := s.GetAccessKey(ctx, k.AccessKeyID)
	noErr(t, "GetAccessKey after create", err)
	checkKey(t, got, k)

	replaced := k
	replaced.Status = "Inactive"
	replaced.SecretCiphertext = []byte("rotated secret")
	noErr(t, "PutRootAccessKey update", s.PutRootAccessKey(ctx, replaced))
	got, err = s.GetAccessKey(ctx, k.AccessKeyID)
	noErr(t, "GetAccessKey after update", err)
	checkKey(t, got, replaced)
	keys, err := s.ListAccessKeys(ctx, acct1, "")
	noErr(t, "ListAccessKeys", err)
	if len(keys) != 1 {
		t.Fatalf("root has %d keys after create and update, want 1", len(keys))
	}

	// Operator-configured keys ignore the limit but still count towards it.
	wantErr(t, "CreateAccessKey at the limit", s.CreateAccessKey(ctx, key("AKIAROOTLIM", acct1, "", at(2)), 1), store.ErrLimitExceeded)
	noErr(t, "PutRootAccessKey beyond the limit", s.PutRootAccessKey(ctx, key("AKIAROOTPUT2", acct1, "", at(3))))

	// An id owned by someone else is never taken over.
	createUser(t, s, user(acct1, "AIDAVICTIM", "victim", "/"))
	userKey := key("AKIAUSERKEY", acct1, "AIDAVICTIM", at(4))
	noErr(t, "CreateAccessKey for a user", s.CreateAccessKey(ctx, userKey, 2))
	hijack := key(userKey.AccessKeyID, acct1, "", at(5))
	hijack.SecretCiphertext = []byte("attacker")
	if err := s.PutRootAccessKey(ctx, hijack); err == nil {
		t.Error("PutRootAccessKey over a user's key id succeeded")
	}
	got, err = s.GetAccessKey(ctx, userKey.AccessKeyID)
	noErr(t, "GetAccessKey of the user's key", err)
	checkKey(t, got, userKey)

	foreign := replaced
	foreign.AccountID = acct2
	foreign.SecretCiphertext = []byte("attacker")
	if err := s.PutRootAccessKey(ctx, foreign); err == nil {
		t.Error("PutRootAccessKey over another account's root key id succeeded")
	}
	got, err = s.GetAccessKey(ctx, k.AccessKeyID)
	noErr(t, "GetAccessKey of the first account's root key", err)
	checkKey(t, got, replaced)

	if err := s.PutRootAccessKey(ctx, key("AKIANOACCOUNT", "999999999999", "", at(6))); err == nil {
		t.Error("PutRootAccessKey for a missing account succeeded")
	}
}

func testRecordAccessKeyUse(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	k := key("AKIAUSED", acct1, "", at(1))
	noErr(t, "CreateAccessKey", s.CreateAccessKey(ctx, k, 2))

	for i, use := range []struct{ service, region string }{{"sts", "us-east-1"}, {"iam", "eu-west-3"}} {
		when := at(10 + i)
		noErr(t, "RecordAccessKeyUse", s.RecordAccessKeyUse(ctx, k.AccessKeyID, when, use.service, use.region))
		got, err := s.GetAccessKey(ctx, k.AccessKeyID)
		noErr(t, "GetAccessKey", err)
		k.LastUsedAt = &when
		k.LastUsedService = use.service
		k.LastUsedRegion = use.region
		checkKey(t, got, k)
	}

	if err := s.RecordAccessKeyUse(ctx, "AKIANOSUCHKEY", at(12), "sts", "us-east-1"); err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordAccessKeyUse of a missing key: got %v, want nil or ErrNotFound", err)
	}
	_, err := s.GetAccessKey(ctx, "AKIANOSUCHKEY")
	wantErr(t, "GetAccessKey after recording use of a missing key", err, store.ErrNotFound)
}

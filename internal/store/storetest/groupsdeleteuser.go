package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

// testAddUserToGroupRacesDeleteUser races adds of one user to several groups against the user's
// delete: whichever wins, no user is deleted while a member of a group, and no membership names
// a deleted user.
func testAddUserToGroupRacesDeleteUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	const groups = 5
	for i := range groups {
		createGroup(t, s, group(acct1, fmt.Sprint("AGPAD", i), fmt.Sprint("g", i), "/"))
	}
	for round := range 6 {
		uid := fmt.Sprint("AIDAD", round)
		createUser(t, s, user(acct1, uid, uid, "/"))
		errs := Concurrently(groups+1, func(i int) error {
			if i == groups {
				return s.DeleteUser(ctx, acct1, uid)
			}
			return s.AddUserToGroup(ctx, fmt.Sprint("AGPAD", i), uid, 10)
		})
		deleted := errs[groups] == nil
		if !deleted && !errors.Is(errs[groups], store.ErrConflict) {
			t.Fatalf("round %d: DeleteUser = %v, want success or ErrConflict", round, errs[groups])
		}
		added := 0
		for i := range groups {
			switch {
			case errs[i] == nil:
				added++
			case !errors.Is(errs[i], store.ErrNotFound):
				t.Errorf("round %d: AddUserToGroup = %v, want success or ErrNotFound", round, errs[i])
			}
		}
		memberOf := 0
		for i := range groups {
			members, err := s.ListGroupMembers(ctx, fmt.Sprint("AGPAD", i))
			noErr(t, "ListGroupMembers", err)
			for _, m := range members {
				if m.UserID == uid {
					memberOf++
				}
			}
		}
		_, getErr := s.GetUserByID(ctx, uid)
		switch {
		case deleted && (getErr == nil || memberOf != 0 || added != 0):
			t.Errorf("round %d: the user was deleted but exists=%v, is in %d groups after %d adds", round, getErr == nil, memberOf, added)
		case !deleted && memberOf != added:
			t.Errorf("round %d: %d adds succeeded, the user is in %d groups", round, added, memberOf)
		}
	}
}

package storetest

import (
	"bytes"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

// workloadTests covers the WorkloadStore contract: the container credentials endpoint's bindings.
var workloadTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"ContainerBindingRoundTrip", testContainerBindingRoundTrip},
	{"ContainerBindingUniqueness", testContainerBindingUniqueness},
	{"ContainerBindingDelete", testContainerBindingDelete},
}

func containerBinding(acct, name string) store.ContainerBinding {
	return store.ContainerBinding{Name: name, AccountID: acct, RoleARN: "arn:aws:iam::" + acct + ":role/app/" + name,
		SessionName: name + "-session", DurationSeconds: 1800, TokenHash: allBytes()[:32], CreatedAt: at(4)}
}

func testContainerBindingRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	want := containerBinding(acct1, "web")
	want.TokenHash = allBytes()
	noErr(t, "CreateContainerBinding web", s.CreateContainerBinding(ctx, want))
	noErr(t, "CreateContainerBinding api", s.CreateContainerBinding(ctx, containerBinding(acct2, "api")))
	noErr(t, "CreateContainerBinding Zed", s.CreateContainerBinding(ctx, containerBinding(acct1, "Zed")))
	got, err := s.GetContainerBinding(ctx, "web")
	noErr(t, "GetContainerBinding", err)
	if got.Name != want.Name || got.AccountID != want.AccountID || got.RoleARN != want.RoleARN ||
		got.SessionName != want.SessionName || got.DurationSeconds != want.DurationSeconds || !bytes.Equal(got.TokenHash, want.TokenHash) {
		t.Errorf("GetContainerBinding = %+v, want %+v", got, want)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	_, err = s.GetContainerBinding(ctx, "WEB")
	wantErr(t, "GetContainerBinding is case-sensitive", err, store.ErrNotFound)
	list, err := s.ListContainerBindings(ctx)
	noErr(t, "ListContainerBindings", err)
	var names []string
	for _, b := range list {
		names = append(names, b.Name)
	}
	if len(names) != 3 || names[0] != "Zed" || names[1] != "api" || names[2] != "web" {
		t.Errorf("ListContainerBindings names = %v, want [Zed api web] (code point order)", names)
	}
}

func testContainerBindingUniqueness(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	noErr(t, "CreateContainerBinding", s.CreateContainerBinding(ctx, containerBinding(acct1, "web")))
	// Names are global: the endpoint's path carries no account.
	wantErr(t, "CreateContainerBinding duplicate in another account", s.CreateContainerBinding(ctx, containerBinding(acct2, "web")), store.ErrAlreadyExists)
	wantErr(t, "CreateContainerBinding unknown account", s.CreateContainerBinding(ctx, containerBinding("333333333333", "other")), store.ErrNotFound)
	got, err := s.GetContainerBinding(ctx, "web")
	noErr(t, "GetContainerBinding", err)
	if got.AccountID != acct1 {
		t.Errorf("the duplicate replaced the binding: account %s", got.AccountID)
	}
}

func testContainerBindingDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	noErr(t, "CreateContainerBinding", s.CreateContainerBinding(ctx, containerBinding(acct1, "web")))
	noErr(t, "DeleteContainerBinding", s.DeleteContainerBinding(ctx, "web"))
	_, err := s.GetContainerBinding(ctx, "web")
	wantErr(t, "GetContainerBinding after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteContainerBinding again", s.DeleteContainerBinding(ctx, "web"), store.ErrNotFound)
	noErr(t, "CreateContainerBinding after delete", s.CreateContainerBinding(ctx, containerBinding(acct1, "web")))
}

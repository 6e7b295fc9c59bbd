package storetest

import (
	"slices"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

// testListPolicyEntities: the entities of one account that use a managed policy, by attachment,
// as permissions boundary or both (each listed once), of one kind, under a path prefix compared
// byte for byte (an IAM path may hold _ and %).
func testListPolicyEntities(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	p := managed("aws", "ANPAENTITIES", "Shared", "/")
	other := managed(acct1, "ANPAOTHER", "other", "/")
	createPolicy(t, s, p)
	createPolicy(t, s, other)
	bounded := func(u store.User) store.User { u.PermissionsBoundary = p.ARN; return u }
	boundedRole := func(r store.Role) store.Role { r.PermissionsBoundary = p.ARN; return r }
	for _, u := range []store.User{
		user(acct1, "AIDAZED", "zed", "/team/"), bounded(user(acct1, "AIDAAMY", "Amy", "/")),
		bounded(user(acct1, "AIDABOTH", "both", "/team/a/")), user(acct1, "AIDAOTHER", "other", "/"),
		bounded(user(acct2, "AIDAELSE", "else", "/")),
	} {
		createUser(t, s, u)
	}
	for _, r := range []store.Role{boundedRole(role(acct1, "AROABUILDER", "builder", "/team/")), role(acct1, "AROAADMIN", "Admin", "/")} {
		createRole(t, s, r)
	}
	createGroup(t, s, group(acct1, "AGPADEVS", "devs", "/team/"))
	for _, a := range []store.Attachment{
		attachment(p.ARN, store.KindUser, "AIDAZED"), attachment(p.ARN, store.KindUser, "AIDABOTH"),
		attachment(other.ARN, store.KindUser, "AIDAOTHER"), attachment(p.ARN, store.KindUser, "AIDAELSE"),
		attachment(p.ARN, store.KindRole, "AROAADMIN"), attachment(p.ARN, store.KindGroup, "AGPADEVS"),
	} {
		noErr(t, "Attach", s.Attach(ctx, a, 10))
	}
	var (
		amy     = store.PolicyEntity{Kind: store.KindUser, ID: "AIDAAMY", Name: "Amy", Path: "/"}
		both    = store.PolicyEntity{Kind: store.KindUser, ID: "AIDABOTH", Name: "both", Path: "/team/a/"}
		zed     = store.PolicyEntity{Kind: store.KindUser, ID: "AIDAZED", Name: "zed", Path: "/team/"}
		admin   = store.PolicyEntity{Kind: store.KindRole, ID: "AROAADMIN", Name: "Admin", Path: "/"}
		builder = store.PolicyEntity{Kind: store.KindRole, ID: "AROABUILDER", Name: "builder", Path: "/team/"}
		devs    = store.PolicyEntity{Kind: store.KindGroup, ID: "AGPADEVS", Name: "devs", Path: "/team/"}
	)
	for _, tc := range []struct {
		name string
		arn  string
		q    store.PolicyEntityQuery
		want []store.PolicyEntity
	}{
		{"every use", p.ARN, store.PolicyEntityQuery{Attached: true, Boundary: true}, []store.PolicyEntity{amy, both, zed, admin, builder, devs}},
		{"attached", p.ARN, store.PolicyEntityQuery{Attached: true}, []store.PolicyEntity{both, zed, admin, devs}},
		{"boundary", p.ARN, store.PolicyEntityQuery{Boundary: true}, []store.PolicyEntity{amy, both, builder}},
		{"path prefix", p.ARN, store.PolicyEntityQuery{Attached: true, Boundary: true, PathPrefix: "/team/"}, []store.PolicyEntity{both, zed, builder, devs}},
		{"root prefix", p.ARN, store.PolicyEntityQuery{Attached: true, PathPrefix: "/"}, []store.PolicyEntity{both, zed, admin, devs}},
		{"prefix is not a pattern", p.ARN, store.PolicyEntityQuery{Attached: true, Boundary: true, PathPrefix: "/te_m/"}, nil},
		{"prefix is case-sensitive", p.ARN, store.PolicyEntityQuery{Attached: true, Boundary: true, PathPrefix: "/TEAM/"}, nil},
		{"roles", p.ARN, store.PolicyEntityQuery{Attached: true, Boundary: true, Kind: store.KindRole}, []store.PolicyEntity{admin, builder}},
		{"groups as boundary", p.ARN, store.PolicyEntityQuery{Boundary: true, Kind: store.KindGroup}, nil},
		{"no usage", p.ARN, store.PolicyEntityQuery{}, nil},
		{"another policy", other.ARN, store.PolicyEntityQuery{Attached: true, Boundary: true}, []store.PolicyEntity{{Kind: store.KindUser, ID: "AIDAOTHER", Name: "other", Path: "/"}}},
		{"missing policy", policyARN(acct1, "/", "nosuch"), store.PolicyEntityQuery{Attached: true, Boundary: true}, nil},
	} {
		got, err := s.ListPolicyEntities(ctx, acct1, tc.arn, tc.q)
		noErr(t, "ListPolicyEntities "+tc.name, err)
		if !slices.Equal(got, tc.want) {
			t.Errorf("ListPolicyEntities %s = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	got, err := s.ListPolicyEntities(ctx, acct2, p.ARN, store.PolicyEntityQuery{Attached: true, Boundary: true})
	noErr(t, "ListPolicyEntities of another account", err)
	if want := []store.PolicyEntity{{Kind: store.KindUser, ID: "AIDAELSE", Name: "else", Path: "/"}}; !slices.Equal(got, want) {
		t.Errorf("ListPolicyEntities of %s = %+v, want %+v", acct2, got, want)
	}
}

package cachedstore_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/cachedstore"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
)

// TestServiceLinkedRoleDeletionAppliesAtOnce: DeleteServiceLinkedRole (the store write of IAM's
// DeleteServiceLinkedRole) deletes a role like DeleteRole does: on the same node the deleted role
// is no longer answered, and a role created again under the same name is answered as the new one
// (its RoleID, its trust policy), not the deleted one.
func TestServiceLinkedRoleDeletionAppliesAtOnce(t *testing.T) {
	for _, view := range []string{"cached", "direct"} {
		t.Run(view, func(t *testing.T) {
			_, cs, writer := seeded(t, view)
			if got := readRole(t, cs); !strings.Contains(got, roleID) {
				t.Fatalf("seeded role: %s", got)
			}
			if err := writer.DeleteServiceLinkedRole(t.Context(), account, roleID, "task-1", time.Unix(1700000000, 0)); err != nil {
				t.Fatal(err)
			}
			if got := readRole(t, cs); got != "not found" {
				t.Fatalf("after DeleteServiceLinkedRole on this node the cached view still answers the role: %s", got)
			}
			const newID = "AROAEXAMPLEROLE00002"
			if err := writer.CreateRole(t.Context(), store.Role{AccountID: account, RoleID: newID, RoleName: "app", Path: "/",
				AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny"}]}`, MaxSessionDuration: 3600,
				CreatedAt: time.Unix(1700000000, 0), PrincipalsBound: true}); err != nil {
				t.Fatal(err)
			}
			if got := readRole(t, cs); !strings.Contains(got, newID) {
				t.Fatalf("the role created again is answered as the deleted one: %s", got)
			}
		})
	}
}

// TestCreateAfterOtherNodeDeleteAppliesAtOnce: an entity deleted through another node and created
// again under the same key through this one is answered as the new entity at once, not as the
// deleted one this node still caches.
func TestCreateAfterOtherNodeDeleteAppliesAtOnce(t *testing.T) {
	const newIdentity = "us-east-1:00000000-0000-0000-0000-0000000000cc"
	now := time.Unix(1700000000, 0).UTC()
	cases := []struct {
		name   string
		read   func(t *testing.T, s store.Store) string
		delete func(t *testing.T, raw store.Store) error // on the other node
		create func(t *testing.T, s store.Store) error   // on this node
		want   string                                    // in the answer after the create
	}{
		{"role", readRole, func(t *testing.T, raw store.Store) error { return raw.DeleteRole(t.Context(), account, roleID) },
			func(t *testing.T, s store.Store) error {
				return s.CreateRole(t.Context(), store.Role{AccountID: account, RoleID: "AROAEXAMPLEROLE00003", RoleName: "App", Path: "/",
					AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[]}`, MaxSessionDuration: 3600, CreatedAt: now, PrincipalsBound: true})
			}, "AROAEXAMPLEROLE00003"},
		{"OIDC provider", readProvider, func(t *testing.T, raw store.Store) error { return raw.DeleteOIDCProvider(t.Context(), providerARN) },
			func(t *testing.T, s store.Store) error {
				return s.CreateOIDCProvider(t.Context(), store.OIDCProvider{AccountID: account, ARN: providerARN, URL: "https://idp.example.com",
					ClientIDs: []string{"recreated"}, CreatedAt: now}, 100)
			}, "recreated"},
		{"identity pool", readPool, func(t *testing.T, raw store.Store) error { return raw.DeleteIdentityPool(t.Context(), poolID) },
			func(t *testing.T, s store.Store) error {
				return s.CreateIdentityPool(t.Context(), store.IdentityPool{ID: poolID, AccountID: account, Name: "recreated", CreatedAt: now, UpdatedAt: now}, 100)
			}, "recreated"},
		{"login moved to a new identity", readLogin, func(t *testing.T, raw store.Store) error { return raw.DeleteIdentity(t.Context(), identityID) },
			func(t *testing.T, s store.Store) error {
				return s.CreateIdentity(t.Context(), store.Identity{ID: newIdentity, PoolID: poolID, CreatedAt: now, UpdatedAt: now},
					[]store.IdentityLogin{{PoolID: poolID, IdentityID: newIdentity, Provider: loginName, Subject: "alice", CreatedAt: now}})
			}, newIdentity},
		{"logins of an identity listed before it existed", func(t *testing.T, s store.Store) string { return shown(s.ListLogins(t.Context(), newIdentity)) },
			func(t *testing.T, raw store.Store) error { return raw.DeleteIdentity(t.Context(), identityID) },
			func(t *testing.T, s store.Store) error {
				return s.CreateIdentity(t.Context(), store.Identity{ID: newIdentity, PoolID: poolID, CreatedAt: now, UpdatedAt: now},
					[]store.IdentityLogin{{PoolID: poolID, IdentityID: newIdentity, Provider: loginName, Subject: "alice", CreatedAt: now}})
			}, "alice"},
	}
	for _, view := range []string{"cached", "direct"} {
		for _, c := range cases {
			t.Run(view+"/"+c.name, func(t *testing.T) {
				raw, cs, writer := seeded(t, view)
				before := c.read(t, cs) // warms the cache
				if err := c.delete(t, raw); err != nil {
					t.Fatal(err)
				}
				if err := c.create(t, writer); err != nil {
					t.Fatal(err)
				}
				if got := c.read(t, cs); !strings.Contains(got, c.want) {
					t.Fatalf("after the create on this node the cached view answers %s (before: %s)", got, before)
				}
			})
		}
	}
}

// TestRoleCacheKeyIgnoresCase: every spelling of a role name answers the role (IAM names are
// case-insensitive) from one cache entry, so case variants of one name cannot fill the cache and
// make it forget the other entries.
func TestRoleCacheKeyIgnoresCase(t *testing.T) {
	raw := sqltest.Open(t)
	seed(t, raw)
	clk := &clock{t: time.Unix(1700000000, 0)}
	cs := cachedstore.New(raw, cachedstore.Options{Now: clk.now, Max: 2})
	warm := readRole(t, cs)
	if !strings.Contains(warm, roleID) {
		t.Fatalf("seeded role: %s", warm)
	}
	for _, name := range []string{"APP", "App", "aPp", "apP"} {
		if got := shown(cs.GetRole(t.Context(), account, name)); got != warm {
			t.Fatalf("GetRole(%q) = %s, want %s", name, got, warm)
		}
	}
	// Another node changes the role: the warm entry, still held, is answered within the TTL.
	if _, err := raw.UpdateRole(t.Context(), roleID, func(r *store.Role) error { r.Description = "v2"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := readRole(t, cs); got != warm {
		t.Fatalf("case variants of one name evicted the cache (Max 2): %s, want the warm %s", got, warm)
	}
}

// Every method of store.Store, classified by what it does to the cached entities (roles, OIDC
// providers, identity pools, identities and their logins). A method added to store.Store fails
// TestEveryCachedEntityWriterInvalidates until it is classified here.
var (
	// invalidating writes change what a cached read answers; Writes must override each.
	invalidating = []string{
		"CreateRole", "UpdateRole", "DeleteRole", "DeleteServiceLinkedRole",
		"CreateOIDCProvider", "UpdateOIDCProvider", "DeleteOIDCProvider",
		"CreateIdentityPool", "UpdateIdentityPool", "DeleteIdentityPool",
		"CreateIdentity", "DeleteIdentity", "LinkLogins", "UpdateIdentity", "MergeIdentities",
	}
	// notCaching are the writes that change no cached answer, each with the reason.
	notCaching = map[string]string{
		"RecordRoleUse": "writes only a role's last-used time and region, which no caller of the cached view reads (IAM reads roles through Direct)",
	}
	// unrelated writes touch no role, OIDC provider, identity pool, identity or login.
	unrelated = []string{
		"Close", "PutMetaIfAbsent", "CreateAccount", "CreateUser", "UpdateUser", "DeleteUser",
		"CreateAccessKey", "UpdateAccessKeyStatus", "DeleteAccessKey", "PutRootAccessKey", "RecordAccessKeyUse",
		"PutInlinePolicy", "DeleteInlinePolicy", "CreateManagedPolicy", "DeleteManagedPolicy", "CreatePolicyVersion",
		"DeletePolicyVersion", "SetDefaultPolicyVersion", "UpdateManagedPolicy", "Attach", "Detach",
		"CreateMFADevice", "EnableMFADevice", "DeactivateMFADevice", "DeleteMFADevice", "UpdateMFADevice", "UseMFAStep",
		"AddSigningKey", "RetireSigningKeys", "DeleteExpiredSigningKeys", "SetManagementAccount",
		"PutAccountAlias", "DeleteAccountAlias", "UpdateAccountSettings",
		"CreateSAMLProvider", "UpdateSAMLProvider", "DeleteSAMLProvider", "UpdateOutboundFederation",
		"CreateQuickSightNamespace", "DeleteQuickSightNamespace", "CreateQuickSightUser", "UpdateQuickSightUser",
		"DeleteQuickSightUser", "DeleteQuickSightUsersInNamespace", "PutDecisions", "PruneDecisions", "PutIssuances", "PruneIssuances",
		"CreateContainerBinding", "DeleteContainerBinding", "CreateInstanceProfile", "UpdateInstanceProfile",
		"DeleteInstanceProfile", "CreateGroup", "UpdateGroup", "DeleteGroup", "AddUserToGroup", "RemoveUserFromGroup",
	}
	// reads write nothing.
	reads = []string{
		"Ping", "GetMeta", "GetAccount", "ListAccounts", "GetUser", "GetUserByID", "ListUsers",
		"GetAccessKey", "ListAccessKeys", "GetRole", "GetRoleByID", "ListRoles", "ListUnboundRoles", "GetPrincipalsByID",
		"GetInlinePolicy", "ListInlinePolicies", "GetManagedPolicy", "ListManagedPolicies", "GetPolicyVersion",
		"ListPolicyVersions", "ListAttachments", "ListPolicyAttachments", "ListPolicyEntities",
		"GetMFADevice", "ListMFADevices", "ListSigningKeys", "ManagementAccount", "AccountAlias",
		"GetAccountSettings", "ManagesOrganization", "RoleDeletionTask",
		"GetOIDCProvider", "ListOIDCProviders", "GetSAMLProvider", "ListSAMLProviders", "GetOutboundFederation",
		"GetIdentityPool", "ListIdentityPools", "GetIdentity", "ListIdentities", "FindLogin", "ListLogins", "ListLoginSubjects",
		"GetQuickSightNamespace", "ListQuickSightNamespaces", "GetQuickSightUser", "GetQuickSightUserByPrincipalID",
		"ListQuickSightUsers", "FindQuickSightUsersByEmail", "GetDecision", "ListDecisions", "ListIssuances",
		"GetContainerBinding", "ListContainerBindings", "GetInstanceProfile", "ListInstanceProfiles", "ListInstanceProfilesForRole",
		"GetGroup", "GetGroupByID", "ListGroups", "ListGroupsForUser", "ListGroupMembers",
	}
)

// TestEveryCachedEntityWriterInvalidates: every method of store.Store is classified above, and
// every write that changes a cached entity is declared on Writes itself (not promoted from the
// wrapped store, which would skip the invalidation).
func TestEveryCachedEntityWriterInvalidates(t *testing.T) {
	class := map[string]string{}
	add := func(kind string, names ...string) {
		for _, n := range names {
			if prev, dup := class[n]; dup {
				t.Errorf("%s is classified twice (%s, %s)", n, prev, kind)
			}
			class[n] = kind
		}
	}
	add("invalidating", invalidating...)
	add("unrelated", unrelated...)
	add("read", reads...)
	for n := range notCaching {
		add("not caching", n)
	}
	iface := reflect.TypeFor[store.Store]()
	inStore := map[string]bool{}
	for i := range iface.NumMethod() {
		n := iface.Method(i).Name
		inStore[n] = true
		if class[n] == "" {
			t.Errorf("store.Store.%s is not classified: say whether it changes a role, OIDC provider, identity pool, identity or login", n)
		}
	}
	for n := range class {
		if !inStore[n] {
			t.Errorf("%s is classified but is no method of store.Store", n)
		}
	}
	declared := writesMethods(t)
	for _, n := range invalidating {
		if !declared[n] {
			t.Errorf("Writes does not override %s, which changes cached entities", n)
		}
	}
	for n := range declared {
		if inStore[n] && class[n] != "invalidating" {
			t.Errorf("Writes overrides %s, classified %q", n, class[n])
		}
	}
}

// writesMethods are the methods declared on Writes in the package's source.
func writesMethods(t *testing.T) map[string]bool {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
				continue
			}
			typ := fn.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			if id, ok := typ.(*ast.Ident); ok && id.Name == "Writes" {
				out[fn.Name.Name] = true
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no method of Writes found in the package's source")
	}
	return out
}

package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// iamTests covers the RoleStore, PolicyStore, MFAStore, KeyRingStore and OrgStore parts of the
// contract, and the references that keep users from being deleted.
var iamTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"RoleRoundTrip", testRoleRoundTrip},
	{"BoundaryMustExist", testBoundaryMustExist},
	{"BoundaryRacesDeletePolicy", testBoundaryRacesDeletePolicy},
	{"RoleNameUniqueness", testRoleNameUniqueness},
	{"ConcurrentCreateRole", testConcurrentCreateRole},
	{"UpdateRole", testUpdateRole},
	{"DeleteRole", testDeleteRole},
	{"ListRolesPagination", testListRolesPagination},
	{"RecordRoleUse", testRecordRoleUse},
	{"RolePrincipalBindings", testRolePrincipalBindings},
	{"RolePrincipalBindingsAtomic", testRolePrincipalBindingsAtomic},
	{"ListUnboundRoles", testListUnboundRoles},
	{"GetPrincipalsByID", testGetPrincipalsByID},
	{"InlinePolicyRoundTrip", testInlinePolicyRoundTrip},
	{"InlinePolicyOwners", testInlinePolicyOwners},
	{"InlinePolicyAggregateLimit", testInlinePolicyAggregateLimit},
	{"InlinePolicyAggregateConcurrent", testInlinePolicyAggregateConcurrent},
	{"ManagedPolicyRoundTrip", testManagedPolicyRoundTrip},
	{"ManagedPolicyUniqueness", testManagedPolicyUniqueness},
	{"ListManagedPolicies", testListManagedPolicies},
	{"ManagedPolicyCounts", testManagedPolicyCounts},
	{"DeleteManagedPolicy", testDeleteManagedPolicy},
	{"PolicyVersions", testPolicyVersions},
	{"PolicyVersionLimit", testPolicyVersionLimit},
	{"PolicyVersionLimitConcurrent", testPolicyVersionLimitConcurrent},
	{"UpdateManagedPolicyTags", testUpdateManagedPolicyTags},
	{"Attach", testAttach},
	{"AttachLimitConcurrent", testAttachLimitConcurrent},
	{"ListAttachments", testListAttachments},
	{"ListPolicyEntities", testListPolicyEntities},
	{"DeleteUserReferences", testDeleteUserReferences},
	{"MFADeviceRoundTrip", testMFADeviceRoundTrip},
	{"EnableMFADevice", testEnableMFADevice},
	{"EnableMFADeviceConcurrent", testEnableMFADeviceConcurrent},
	{"DeleteMFADevice", testDeleteMFADevice},
	{"ListMFADevices", testListMFADevices},
	{"UseMFAStep", testUseMFAStep},
	{"UseMFAStepConcurrent", testUseMFAStepConcurrent},
	{"UpdateMFADeviceTags", testUpdateMFADeviceTags},
	{"SigningKeyRoundTrip", testSigningKeyRoundTrip},
	{"RetireSigningKeys", testRetireSigningKeys},
	{"DeleteExpiredSigningKeys", testDeleteExpiredSigningKeys},
	{"Organization", testOrganization},
}

const trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func role(accountID, roleID, name, path string) store.Role {
	return store.Role{
		AccountID: accountID, RoleID: roleID, RoleName: name, Path: path,
		AssumeRolePolicyDocument: trustPolicy, MaxSessionDuration: 3600, CreatedAt: at(1),
	}
}

func createRole(t *testing.T, s store.Store, r store.Role) {
	t.Helper()
	noErr(t, "CreateRole "+r.RoleName, s.CreateRole(t.Context(), r))
}

func checkOptionalTime(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case (got == nil) != (want == nil):
		t.Errorf("%s = %v, want %v", what, got, want)
	case want != nil:
		checkTime(t, what, *got, *want)
	}
}

func checkRole(t *testing.T, got, want store.Role) {
	t.Helper()
	if got.AccountID != want.AccountID || got.RoleID != want.RoleID || got.RoleName != want.RoleName ||
		got.Path != want.Path || got.AssumeRolePolicyDocument != want.AssumeRolePolicyDocument ||
		got.Description != want.Description || got.MaxSessionDuration != want.MaxSessionDuration ||
		got.PermissionsBoundary != want.PermissionsBoundary || got.LastUsedRegion != want.LastUsedRegion {
		t.Errorf("role = %+v, want %+v", got, want)
	}
	if !slices.Equal(got.Tags, want.Tags) {
		t.Errorf("role %s tags = %v, want %v (in insertion order)", want.RoleName, got.Tags, want.Tags)
	}
	checkTime(t, "role "+want.RoleName+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkOptionalTime(t, "role "+want.RoleName+" LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	if got.PrincipalsBound != want.PrincipalsBound || !slices.Equal(got.PrincipalBindings, want.PrincipalBindings) {
		t.Errorf("role %s bindings = %v (bound %v), want %v (bound %v)", want.RoleName,
			got.PrincipalBindings, got.PrincipalsBound, want.PrincipalBindings, want.PrincipalsBound)
	}
}

func policyARN(accountID, path, name string) string {
	return "arn:aws:iam::" + accountID + ":policy" + path + name
}

func managed(accountID, policyID, name, path string) store.ManagedPolicy {
	return store.ManagedPolicy{
		AccountID: accountID, PolicyID: policyID, PolicyName: name, Path: path,
		ARN: policyARN(accountID, path, name), DefaultVersionID: "v1", NextVersion: 2,
		IsAttachable: true, CreatedAt: at(2), UpdatedAt: at(2),
	}
}

func policyDoc(n int) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-%d/*"}]}`, n)
}

// createBoundaryPolicies creates the managed policies the round-trip tests use as permissions
// boundaries: a boundary must name a policy that exists when it is written.
func createBoundaryPolicies(t *testing.T, s store.Store) {
	t.Helper()
	createPolicy(t, s, managed("aws", "ANPAPOWERUSER", "PowerUserAccess", "/"))
	createPolicy(t, s, managed(acct1, "ANPABOUNDARY", "boundary", "/"))
}

func createPolicy(t *testing.T, s store.Store, p store.ManagedPolicy) {
	t.Helper()
	noErr(t, "CreateManagedPolicy "+p.ARN, s.CreateManagedPolicy(t.Context(), p,
		store.PolicyVersion{PolicyARN: p.ARN, VersionID: "v1", Document: policyDoc(1), CreatedAt: p.CreatedAt}))
}

func checkPolicy(t *testing.T, got, want store.ManagedPolicy) {
	t.Helper()
	if got.AccountID != want.AccountID || got.PolicyID != want.PolicyID || got.PolicyName != want.PolicyName ||
		got.Path != want.Path || got.ARN != want.ARN || got.Description != want.Description ||
		got.DefaultVersionID != want.DefaultVersionID || got.NextVersion != want.NextVersion ||
		got.IsAttachable != want.IsAttachable || got.AttachmentCount != want.AttachmentCount ||
		got.BoundaryUsageCount != want.BoundaryUsageCount {
		t.Errorf("policy = %+v, want %+v", got, want)
	}
	if !slices.Equal(got.Tags, want.Tags) {
		t.Errorf("policy %s tags = %v, want %v (in insertion order)", want.PolicyName, got.Tags, want.Tags)
	}
	checkTime(t, "policy "+want.PolicyName+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "policy "+want.PolicyName+" UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func getPolicy(t *testing.T, s store.Store, arn string) store.ManagedPolicy {
	t.Helper()
	p, err := s.GetManagedPolicy(t.Context(), arn)
	noErr(t, "GetManagedPolicy "+arn, err)
	return p
}

func checkVersion(t *testing.T, got, want store.PolicyVersion) {
	t.Helper()
	if got.PolicyARN != want.PolicyARN || got.VersionID != want.VersionID || got.Document != want.Document {
		t.Errorf("version = %+v, want %+v", got, want)
	}
	checkTime(t, "version "+want.VersionID+" CreatedAt", got.CreatedAt, want.CreatedAt)
}

func versionIDs(t *testing.T, s store.Store, arn string) []string {
	t.Helper()
	vs, err := s.ListPolicyVersions(t.Context(), arn)
	noErr(t, "ListPolicyVersions", err)
	ids := make([]string, len(vs))
	for i, v := range vs {
		ids[i] = v.VersionID
	}
	return ids
}

func attachment(arn string, kind store.PrincipalKind, ownerID string) store.Attachment {
	return store.Attachment{PolicyARN: arn, OwnerKind: kind, OwnerID: ownerID}
}

func attachedARNs(t *testing.T, s store.Store, kind store.PrincipalKind, ownerID string) []string {
	t.Helper()
	atts, err := s.ListAttachments(t.Context(), kind, ownerID)
	noErr(t, "ListAttachments", err)
	arns := make([]string, len(atts))
	for i, a := range atts {
		arns[i] = a.PolicyARN
	}
	return arns
}

func inline(kind store.PrincipalKind, ownerID, name, doc string) store.InlinePolicy {
	return store.InlinePolicy{OwnerKind: kind, OwnerID: ownerID, PolicyName: name, Document: doc}
}

func byteLen(doc string) int { return len(doc) }

func mfaDevice(accountID, path, name string) store.MFADevice {
	return store.MFADevice{
		SerialNumber: "arn:aws:iam::" + accountID + ":mfa" + path + name, AccountID: accountID,
		Path: path, Name: name, SeedCiphertext: []byte("sealed seed " + name), CreatedAt: at(3),
	}
}

func createMFADevice(t *testing.T, s store.Store, d store.MFADevice) {
	t.Helper()
	noErr(t, "CreateMFADevice "+d.SerialNumber, s.CreateMFADevice(t.Context(), d))
}

func checkMFADevice(t *testing.T, got, want store.MFADevice) {
	t.Helper()
	if got.SerialNumber != want.SerialNumber || got.AccountID != want.AccountID || got.Path != want.Path ||
		got.Name != want.Name || got.UserID != want.UserID || got.LastUsedStep != want.LastUsedStep {
		t.Errorf("MFA device = %+v, want %+v", got, want)
	}
	if !bytes.Equal(got.SeedCiphertext, want.SeedCiphertext) {
		t.Errorf("MFA device %s seed = %x, want %x", want.SerialNumber, got.SeedCiphertext, want.SeedCiphertext)
	}
	if !slices.Equal(got.Tags, want.Tags) {
		t.Errorf("MFA device %s tags = %v, want %v (in insertion order)", want.SerialNumber, got.Tags, want.Tags)
	}
	checkTime(t, "MFA device CreatedAt", got.CreatedAt, want.CreatedAt)
	checkOptionalTime(t, "MFA device EnabledAt", got.EnabledAt, want.EnabledAt)
}

func getMFADevice(t *testing.T, s store.Store, serial string) store.MFADevice {
	t.Helper()
	d, err := s.GetMFADevice(t.Context(), serial)
	noErr(t, "GetMFADevice", err)
	return d
}

func ptr[T any](v T) *T { return &v }

// countOutcomes tallies concurrent results, failing on any error other than nil or allowed.
func countOutcomes(t *testing.T, what string, errs []error, allowed error) (ok int) {
	t.Helper()
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, allowed):
			t.Errorf("%s #%d: got %v, want nil or %v", what, i, err, allowed)
		}
	}
	return ok
}

// Roles.

func testRoleRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createBoundaryPolicies(t, s)
	used := at(9)
	want := store.Role{
		AccountID:                acct1,
		RoleID:                   "AROAEXAMPLE000000001",
		RoleName:                 "Deploy.Role+ci@example",
		Path:                     "/service-role/ci/",
		AssumeRolePolicyDocument: "{\n  \"Version\": \"2012-10-17\",  \"Statement\": [] }\n", // kept byte for byte
		Description:              "déploiement ✓",
		MaxSessionDuration:       43200,
		PermissionsBoundary:      "arn:aws:iam::aws:policy/PowerUserAccess",
		Tags:                     []store.Tag{{Key: "zeta", Value: "1"}, {Key: "Alpha", Value: "ünïcødé"}, {Key: "empty", Value: ""}},
		CreatedAt:                at(3),
		LastUsedAt:               &used,
		LastUsedRegion:           "eu-west-1",
	}
	createRole(t, s, want)

	for _, name := range []string{"Deploy.Role+ci@example", "DEPLOY.ROLE+CI@EXAMPLE", "deploy.role+ci@example"} {
		got, err := s.GetRole(ctx, acct1, name)
		noErr(t, "GetRole "+name, err)
		checkRole(t, got, want)
	}
	got, err := s.GetRoleByID(ctx, want.RoleID)
	noErr(t, "GetRoleByID", err)
	checkRole(t, got, want)

	plain := role(acct1, "AROAEXAMPLE000000002", "plain", "/")
	createRole(t, s, plain)
	got, err = s.GetRole(ctx, acct1, "plain")
	noErr(t, "GetRole of a role without optional fields", err)
	checkRole(t, got, plain)

	_, err = s.GetRole(ctx, acct1, "nobody")
	wantErr(t, "GetRole of a missing name", err, store.ErrNotFound)
	_, err = s.GetRole(ctx, acct2, "plain")
	wantErr(t, "GetRole in another account", err, store.ErrNotFound)
	_, err = s.GetRoleByID(ctx, "AROANOSUCHROLE000000")
	wantErr(t, "GetRoleByID of a missing id", err, store.ErrNotFound)
}

func testRoleNameUniqueness(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createRole(t, s, role(acct1, "AROA1", "Admin", "/"))
	wantErr(t, "CreateRole with the same name in other case",
		s.CreateRole(ctx, role(acct1, "AROA2", "aDMIN", "/other/")), store.ErrAlreadyExists)
	wantErr(t, "CreateRole with an existing RoleID",
		s.CreateRole(ctx, role(acct1, "AROA1", "other", "/")), store.ErrAlreadyExists)
	wantErr(t, "CreateRole with an existing RoleID in another account",
		s.CreateRole(ctx, role(acct2, "AROA1", "other", "/")), store.ErrAlreadyExists)
	createRole(t, s, role(acct2, "AROA3", "ADMIN", "/"))
	// Users and roles have separate namespaces.
	createUser(t, s, user(acct1, "AIDA1", "admin", "/"))

	got, err := s.GetRole(ctx, acct1, "admin")
	noErr(t, "GetRole", err)
	if got.RoleID != "AROA1" || got.RoleName != "Admin" || got.Path != "/" {
		t.Fatalf("GetRole = %+v, want the first Admin unchanged", got)
	}

	if err := s.CreateRole(ctx, role("999999999999", "AROAGHOST", "ghost", "/")); err == nil {
		t.Fatal("CreateRole in a missing account succeeded")
	}
	_, err = s.GetRoleByID(ctx, "AROAGHOST")
	wantErr(t, "GetRoleByID after the failed create", err, store.ErrNotFound)
}

func testConcurrentCreateRole(t *testing.T, s store.Store) {
	createAccount(t, s, acct1)
	errs := Concurrently(10, func(i int) error {
		name := "Racer"
		if i%2 == 1 {
			name = "rACER"
		}
		return s.CreateRole(t.Context(), role(acct1, fmt.Sprintf("AROARACER%02d", i), name, "/"))
	})
	if ok := countOutcomes(t, "CreateRole", errs, store.ErrAlreadyExists); ok != 1 {
		t.Fatalf("%d concurrent CreateRole calls of one name succeeded, want exactly 1", ok)
	}
	page, err := s.ListRoles(t.Context(), acct1, "/", "", 100)
	noErr(t, "ListRoles", err)
	if len(page.Roles) != 1 {
		t.Fatalf("ListRoles found %d roles, want 1", len(page.Roles))
	}
}

func testUpdateRole(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createBoundaryPolicies(t, s)
	orig := role(acct1, "AROAUPD", "updated", "/a/")
	orig.Tags = []store.Tag{{Key: "team", Value: "a"}}
	createRole(t, s, orig)
	noErr(t, "RecordRoleUse", s.RecordRoleUse(ctx, orig.RoleID, at(5), "us-west-2"))

	updated := orig
	updated.AssumeRolePolicyDocument = `{"Version":"2012-10-17","Statement":[]}`
	updated.Description = "now described"
	updated.MaxSessionDuration = 7200
	updated.PermissionsBoundary = "arn:aws:iam::111111111111:policy/boundary"
	updated.Tags = []store.Tag{{Key: "z", Value: "last"}, {Key: "a", Value: "first"}}
	updated.LastUsedAt = ptr(at(5))
	updated.LastUsedRegion = "us-west-2"
	used := orig
	used.LastUsedAt, used.LastUsedRegion = ptr(at(5)), "us-west-2"
	returned, err := s.UpdateRole(ctx, orig.RoleID, func(r *store.Role) error {
		checkRole(t, *r, used)
		r.AssumeRolePolicyDocument, r.Description, r.MaxSessionDuration = updated.AssumeRolePolicyDocument, updated.Description, updated.MaxSessionDuration
		r.PermissionsBoundary, r.Tags = updated.PermissionsBoundary, updated.Tags
		return nil
	})
	noErr(t, "UpdateRole", err)
	checkRole(t, returned, updated)
	got, err := s.GetRoleByID(ctx, orig.RoleID)
	noErr(t, "GetRoleByID after update", err)
	checkRole(t, got, updated)

	// Names and paths of roles cannot change, nor can the creation time or the last use.
	for what, change := range map[string]func(*store.Role){
		"the name":          func(r *store.Role) { r.RoleName = "renamed" },
		"the path":          func(r *store.Role) { r.Path = "/moved/" },
		"the creation time": func(r *store.Role) { r.CreatedAt = at(20) },
		"the last use":      func(r *store.Role) { r.LastUsedAt = nil },
		"the last region":   func(r *store.Role) { r.LastUsedRegion = "eu-west-1" },
	} {
		if _, err := s.UpdateRole(ctx, orig.RoleID, func(r *store.Role) error { r.Description = "lost"; change(r); return nil }); err == nil {
			t.Errorf("UpdateRole changing %s succeeded", what)
		}
	}
	got, err = s.GetRoleByID(ctx, orig.RoleID)
	noErr(t, "GetRoleByID after the refused updates", err)
	checkRole(t, got, updated)
	got, err = s.GetRole(ctx, acct1, "UPDATED")
	noErr(t, "GetRole by the unchanged name", err)
	checkRole(t, got, updated)
	_, err = s.GetRole(ctx, acct1, "renamed")
	wantErr(t, "GetRole by the refused new name", err, store.ErrNotFound)

	cleared := updated
	cleared.Description = ""
	cleared.PermissionsBoundary = ""
	cleared.Tags = nil
	noErr(t, "UpdateRole clearing fields", setRole(ctx, s, cleared))
	got, err = s.GetRoleByID(ctx, orig.RoleID)
	noErr(t, "GetRoleByID after clearing", err)
	checkRole(t, got, cleared)

	wantErr(t, "UpdateRole of a missing role", setRole(ctx, s, role(acct1, "AROANOSUCHROLE", "ghost", "/")), store.ErrNotFound)
}

func testDeleteRole(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	r := role(acct1, "AROADEL", "leaver", "/")
	createRole(t, s, r)
	p := managed(acct1, "ANPADEL", "attached", "/")
	createPolicy(t, s, p)

	noErr(t, "PutInlinePolicy", s.PutInlinePolicy(ctx, inline(store.KindRole, r.RoleID, "inline", policyDoc(1)), byteLen, 10240))
	noErr(t, "Attach", s.Attach(ctx, attachment(p.ARN, store.KindRole, r.RoleID), 10))
	wantErr(t, "DeleteRole with an inline policy and an attachment", s.DeleteRole(ctx, acct1, r.RoleID), store.ErrConflict)
	wantErr(t, "DeleteRole through another account", s.DeleteRole(ctx, acct2, r.RoleID), store.ErrNotFound)

	noErr(t, "DeleteInlinePolicy", s.DeleteInlinePolicy(ctx, store.KindRole, r.RoleID, "inline"))
	wantErr(t, "DeleteRole with an attachment", s.DeleteRole(ctx, acct1, r.RoleID), store.ErrConflict)
	noErr(t, "Detach", s.Detach(ctx, attachment(p.ARN, store.KindRole, r.RoleID)))
	noErr(t, "PutInlinePolicy again", s.PutInlinePolicy(ctx, inline(store.KindRole, r.RoleID, "inline", policyDoc(1)), byteLen, 10240))
	wantErr(t, "DeleteRole with an inline policy", s.DeleteRole(ctx, acct1, r.RoleID), store.ErrConflict)
	got, err := s.GetRoleByID(ctx, r.RoleID)
	noErr(t, "GetRoleByID after the refused deletes", err)
	checkRole(t, got, r)

	noErr(t, "DeleteInlinePolicy again", s.DeleteInlinePolicy(ctx, store.KindRole, r.RoleID, "inline"))
	noErr(t, "DeleteRole without references", s.DeleteRole(ctx, acct1, r.RoleID))
	_, err = s.GetRoleByID(ctx, r.RoleID)
	wantErr(t, "GetRoleByID after delete", err, store.ErrNotFound)
	_, err = s.GetRole(ctx, acct1, "leaver")
	wantErr(t, "GetRole after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteRole again", s.DeleteRole(ctx, acct1, r.RoleID), store.ErrNotFound)
	createRole(t, s, role(acct1, "AROADEL2", "LEAVER", "/"))
}

func testListRolesPagination(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	names := []string{"alpha", "Bravo", "charlie", "Delta", "echo", "Foxtrot", "golf", "Hotel", "india"}
	paths := []string{"/", "/svc/", "/svc/a_b/", "/A_B/"}
	type entry struct{ lower, path string }
	var all []entry
	for i, name := range names {
		path := paths[i%len(paths)]
		createRole(t, s, role(acct1, fmt.Sprintf("AROAPAGE%02d", i), name, path))
		createRole(t, s, role(acct2, fmt.Sprintf("AROAOTHER%02d", i), name, path))
		all = append(all, entry{strings.ToLower(name), path})
	}
	slices.SortFunc(all, func(x, y entry) int { return strings.Compare(x.lower, y.lower) })

	for _, tc := range []struct {
		prefix string
		limit  int
	}{{"/", 2}, {"/", 9}, {"/", 0}, {"", 4}, {"/svc/", 1}, {"/svc/a_b/", 5}, {"/a_b/", 5}, {"/A", 1}, {"/none/", 3}} {
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
				t.Fatalf("prefix %q limit %d: pagination does not terminate", tc.prefix, tc.limit)
			}
			page, err := s.ListRoles(ctx, acct1, tc.prefix, after, tc.limit)
			noErr(t, "ListRoles", err)
			if tc.limit > 0 && len(page.Roles) > tc.limit {
				t.Fatalf("prefix %q: page of %d roles, limit %d", tc.prefix, len(page.Roles), tc.limit)
			}
			for _, r := range page.Roles {
				if r.AccountID != acct1 || !strings.HasPrefix(r.Path, tc.prefix) {
					t.Fatalf("prefix %q: page holds %+v", tc.prefix, r)
				}
				got = append(got, strings.ToLower(r.RoleName))
			}
			if page.Next == "" {
				break
			}
			if len(page.Roles) != tc.limit || page.Next != strings.ToLower(page.Roles[len(page.Roles)-1].RoleName) {
				t.Fatalf("prefix %q limit %d: page of %d roles with Next %q", tc.prefix, tc.limit, len(page.Roles), page.Next)
			}
			after = page.Next
		}
		if !slices.Equal(got, want) {
			t.Errorf("ListRoles(prefix %q, limit %d) paged through %v, want %v", tc.prefix, tc.limit, got, want)
		}
	}

	page, err := s.ListRoles(ctx, acct1, "/", "DELTA", 2)
	noErr(t, "ListRoles after a marker in other case", err)
	if len(page.Roles) != 2 || page.Roles[0].RoleName != "echo" || page.Roles[1].RoleName != "Foxtrot" || page.Next != "foxtrot" {
		t.Fatalf("ListRoles after \"DELTA\" = %+v", page)
	}
}

func testRecordRoleUse(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	r := role(acct1, "AROAUSED", "used", "/")
	createRole(t, s, r)
	for i, region := range []string{"us-east-1", "ap-south-2"} {
		when := at(10 + i)
		noErr(t, "RecordRoleUse", s.RecordRoleUse(ctx, r.RoleID, when, region))
		r.LastUsedAt, r.LastUsedRegion = &when, region
		got, err := s.GetRoleByID(ctx, r.RoleID)
		noErr(t, "GetRoleByID", err)
		checkRole(t, got, r)
	}
	if err := s.RecordRoleUse(ctx, "AROANOSUCHROLE", at(12), "us-east-1"); err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordRoleUse of a missing role: got %v, want nil or ErrNotFound", err)
	}
}

// Inline policies.

func testInlinePolicyRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createUser(t, s, user(acct1, "AIDAINL", "u", "/"))
	createRole(t, s, role(acct1, "AROAINL", "r", "/"))

	raw := "{ \"Version\": \"2012-10-17\",\n\t\"Statement\": [] } " // kept byte for byte
	for _, p := range []store.InlinePolicy{
		inline(store.KindUser, "AIDAINL", "zeta", raw),
		inline(store.KindUser, "AIDAINL", "Alpha", policyDoc(1)),
		inline(store.KindUser, "AIDAINL", "alpha", policyDoc(2)), // names are exact-match, so this is another policy
		inline(store.KindRole, "AROAINL", "zeta", policyDoc(3)),
	} {
		noErr(t, "PutInlinePolicy "+p.PolicyName, s.PutInlinePolicy(ctx, p, byteLen, 10240))
	}

	got, err := s.GetInlinePolicy(ctx, store.KindUser, "AIDAINL", "zeta")
	noErr(t, "GetInlinePolicy", err)
	if got != inline(store.KindUser, "AIDAINL", "zeta", raw) {
		t.Errorf("GetInlinePolicy = %+v", got)
	}
	got, err = s.GetInlinePolicy(ctx, store.KindRole, "AROAINL", "zeta")
	noErr(t, "GetInlinePolicy of the role", err)
	if got.Document != policyDoc(3) {
		t.Errorf("the role's policy zeta = %q, want its own document", got.Document)
	}
	_, err = s.GetInlinePolicy(ctx, store.KindUser, "AIDAINL", "ZETA")
	wantErr(t, "GetInlinePolicy with other case", err, store.ErrNotFound)
	_, err = s.GetInlinePolicy(ctx, store.KindRole, "AIDAINL", "zeta")
	wantErr(t, "GetInlinePolicy with the wrong kind", err, store.ErrNotFound)

	list, err := s.ListInlinePolicies(ctx, store.KindUser, "AIDAINL")
	noErr(t, "ListInlinePolicies", err)
	want := []store.InlinePolicy{
		inline(store.KindUser, "AIDAINL", "Alpha", policyDoc(1)),
		inline(store.KindUser, "AIDAINL", "alpha", policyDoc(2)),
		inline(store.KindUser, "AIDAINL", "zeta", raw),
	}
	if !slices.Equal(list, want) {
		t.Errorf("ListInlinePolicies = %+v, want %+v", list, want)
	}

	noErr(t, "PutInlinePolicy replacing", s.PutInlinePolicy(ctx, inline(store.KindUser, "AIDAINL", "zeta", policyDoc(4)), byteLen, 10240))
	got, err = s.GetInlinePolicy(ctx, store.KindUser, "AIDAINL", "zeta")
	noErr(t, "GetInlinePolicy after replace", err)
	if got.Document != policyDoc(4) {
		t.Errorf("replaced document = %q", got.Document)
	}

	noErr(t, "DeleteInlinePolicy", s.DeleteInlinePolicy(ctx, store.KindUser, "AIDAINL", "alpha"))
	_, err = s.GetInlinePolicy(ctx, store.KindUser, "AIDAINL", "alpha")
	wantErr(t, "GetInlinePolicy after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteInlinePolicy again", s.DeleteInlinePolicy(ctx, store.KindUser, "AIDAINL", "alpha"), store.ErrNotFound)
	wantErr(t, "DeleteInlinePolicy with the wrong kind", s.DeleteInlinePolicy(ctx, store.KindRole, "AIDAINL", "Alpha"), store.ErrNotFound)
	list, err = s.ListInlinePolicies(ctx, store.KindUser, "AIDAINL")
	noErr(t, "ListInlinePolicies after delete", err)
	if len(list) != 2 || list[0].PolicyName != "Alpha" || list[1].PolicyName != "zeta" {
		t.Errorf("ListInlinePolicies after delete = %+v", list)
	}
	list, err = s.ListInlinePolicies(ctx, store.KindRole, "AROANOSUCHROLE")
	noErr(t, "ListInlinePolicies of a missing owner", err)
	if len(list) != 0 {
		t.Errorf("ListInlinePolicies of a missing owner = %+v", list)
	}
}

func testInlinePolicyOwners(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createUser(t, s, user(acct1, "AIDAOWN", "u", "/"))
	createRole(t, s, role(acct1, "AROAOWN", "r", "/"))
	for _, tc := range []struct {
		what string
		p    store.InlinePolicy
	}{
		{"a missing user", inline(store.KindUser, "AIDANOSUCHUSER", "p", policyDoc(1))},
		{"a missing role", inline(store.KindRole, "AROANOSUCHROLE", "p", policyDoc(1))},
		{"a role id given as a user", inline(store.KindUser, "AROAOWN", "p", policyDoc(1))},
		{"a user id given as a role", inline(store.KindRole, "AIDAOWN", "p", policyDoc(1))},
	} {
		wantErr(t, "PutInlinePolicy for "+tc.what, s.PutInlinePolicy(ctx, tc.p, byteLen, 10240), store.ErrNotFound)
		_, err := s.GetInlinePolicy(ctx, tc.p.OwnerKind, tc.p.OwnerID, tc.p.PolicyName)
		wantErr(t, "GetInlinePolicy after the refused put for "+tc.what, err, store.ErrNotFound)
	}
	// A missing owner is reported even when the document alone is over the limit.
	wantErr(t, "PutInlinePolicy too large for a missing user",
		s.PutInlinePolicy(ctx, inline(store.KindUser, "AIDANOSUCHUSER", "p", policyDoc(1)), byteLen, 1), store.ErrNotFound)
	if err := s.PutInlinePolicy(ctx, inline("group", "AIDAOWN", "p", policyDoc(1)), byteLen, 10240); err == nil {
		t.Error("PutInlinePolicy with an unknown owner kind succeeded")
	}
}

func testInlinePolicyAggregateLimit(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createUser(t, s, user(acct1, "AIDAAGG", "u", "/"))
	createUser(t, s, user(acct1, "AIDAAGG2", "u2", "/"))
	put := func(owner, name, doc string, size func(string) int, limit int) error {
		return s.PutInlinePolicy(ctx, inline(store.KindUser, owner, name, doc), size, limit)
	}

	noErr(t, "first policy", put("AIDAAGG", "a", "aaaa", byteLen, 10))
	noErr(t, "second policy up to the limit exactly", put("AIDAAGG", "b", "bbbbbb", byteLen, 10))
	wantErr(t, "third policy over the limit", put("AIDAAGG", "c", "c", byteLen, 10), store.ErrLimitExceeded)
	_, err := s.GetInlinePolicy(ctx, store.KindUser, "AIDAAGG", "c")
	wantErr(t, "GetInlinePolicy of the refused policy", err, store.ErrNotFound)

	// A replacement counts instead of the old document, not on top of it.
	wantErr(t, "growing a policy over the limit", put("AIDAAGG", "b", "bbbbbbb", byteLen, 10), store.ErrLimitExceeded)
	got, err := s.GetInlinePolicy(ctx, store.KindUser, "AIDAAGG", "b")
	noErr(t, "GetInlinePolicy after the refused replace", err)
	if got.Document != "bbbbbb" {
		t.Errorf("document after the refused replace = %q, want the old one", got.Document)
	}
	noErr(t, "replacing at the same size", put("AIDAAGG", "b", "BBBBBB", byteLen, 10))
	noErr(t, "shrinking a policy", put("AIDAAGG", "b", "bb", byteLen, 10))
	noErr(t, "a policy in the freed room", put("AIDAAGG", "c", "cccc", byteLen, 10))

	// The size function is the measure, not the byte length.
	nonSpace := func(doc string) int { return len(strings.Join(strings.Fields(doc), "")) }
	noErr(t, "a padded policy measured without whitespace", put("AIDAAGG2", "padded", "x         y", nonSpace, 2))
	wantErr(t, "one more character", put("AIDAAGG2", "more", " z ", nonSpace, 2), store.ErrLimitExceeded)
	// Other owners have their own budget.
	noErr(t, "another owner", put("AIDAAGG2", "other", "0123456789", byteLen, 21))
}

func testInlinePolicyAggregateConcurrent(t *testing.T, s store.Store) {
	createAccount(t, s, acct1)
	createRole(t, s, role(acct1, "AROAAGG", "r", "/"))
	errs := Concurrently(8, func(i int) error {
		return s.PutInlinePolicy(t.Context(), inline(store.KindRole, "AROAAGG", fmt.Sprintf("p%d", i), "xyz"), byteLen, 10)
	})
	if ok := countOutcomes(t, "PutInlinePolicy", errs, store.ErrLimitExceeded); ok != 3 {
		t.Fatalf("%d of 8 concurrent puts of size 3 fit in 10, want exactly 3", ok)
	}
	list, err := s.ListInlinePolicies(t.Context(), store.KindRole, "AROAAGG")
	noErr(t, "ListInlinePolicies", err)
	if len(list) != 3 {
		t.Fatalf("the role has %d inline policies, want 3", len(list))
	}
}

// Managed policies.

func testManagedPolicyRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	want := store.ManagedPolicy{
		AccountID:        acct1,
		PolicyID:         "ANPAEXAMPLE000000001",
		PolicyName:       "Read.Only+S3@example",
		Path:             "/team/data/",
		ARN:              policyARN(acct1, "/team/data/", "Read.Only+S3@example"),
		Description:      "lecture seule ✓",
		DefaultVersionID: "v1",
		NextVersion:      2,
		IsAttachable:     true,
		Tags:             []store.Tag{{Key: "z", Value: "1"}, {Key: "a", Value: ""}},
		CreatedAt:        at(4),
		UpdatedAt:        at(5),
	}
	doc := "{\n \"Version\": \"2012-10-17\", \"Statement\": [ ] }" // kept byte for byte
	v1 := store.PolicyVersion{PolicyARN: want.ARN, VersionID: "v1", Document: doc, CreatedAt: at(4)}
	noErr(t, "CreateManagedPolicy", s.CreateManagedPolicy(ctx, want, v1))
	checkPolicy(t, getPolicy(t, s, want.ARN), want)
	v, err := s.GetPolicyVersion(ctx, want.ARN, "v1")
	noErr(t, "GetPolicyVersion v1", err)
	checkVersion(t, v, v1)
	vs, err := s.ListPolicyVersions(ctx, want.ARN)
	noErr(t, "ListPolicyVersions", err)
	if len(vs) != 1 {
		t.Fatalf("ListPolicyVersions = %+v, want v1 only", vs)
	}
	checkVersion(t, vs[0], v1)

	notAttachable := managed(acct1, "ANPAEXAMPLE000000002", "internal", "/")
	notAttachable.IsAttachable = false
	createPolicy(t, s, notAttachable)
	checkPolicy(t, getPolicy(t, s, notAttachable.ARN), notAttachable)

	// AWS managed policies live under account "aws", which is no account of the deployment.
	aws := managed("aws", "ANPAAWS0000000000001", "ReadOnlyAccess", "/")
	createPolicy(t, s, aws)
	checkPolicy(t, getPolicy(t, s, aws.ARN), aws)
	accounts, err := s.ListAccounts(ctx)
	noErr(t, "ListAccounts", err)
	if len(accounts) != 1 || accounts[0].ID != acct1 {
		t.Errorf("ListAccounts = %+v: storing an AWS managed policy must not create an account", accounts)
	}

	_, err = s.GetManagedPolicy(ctx, policyARN(acct1, "/", "nosuchpolicy"))
	wantErr(t, "GetManagedPolicy of a missing policy", err, store.ErrNotFound)
	_, err = s.GetManagedPolicy(ctx, policyARN(acct1, "/team/data/", "READ.ONLY+S3@EXAMPLE"))
	wantErr(t, "GetManagedPolicy by an ARN in other case", err, store.ErrNotFound)
	_, err = s.GetPolicyVersion(ctx, want.ARN, "v2")
	wantErr(t, "GetPolicyVersion of a missing version", err, store.ErrNotFound)
	_, err = s.ListPolicyVersions(ctx, policyARN(acct1, "/", "nosuchpolicy"))
	wantErr(t, "ListPolicyVersions of a missing policy", err, store.ErrNotFound)
}

func testManagedPolicyUniqueness(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	first := managed(acct1, "ANPA1", "Shared", "/")
	createPolicy(t, s, first)
	v := func(p store.ManagedPolicy) store.PolicyVersion {
		return store.PolicyVersion{PolicyARN: p.ARN, VersionID: "v1", Document: policyDoc(9), CreatedAt: at(9)}
	}
	for _, tc := range []struct {
		what string
		p    store.ManagedPolicy
	}{
		{"the same name in other case under another path", managed(acct1, "ANPA2", "sHARED", "/other/")},
		{"an existing PolicyID", managed(acct2, "ANPA1", "fresh", "/")},
		{"an existing ARN", managed(acct1, "ANPA3", "Shared", "/")},
	} {
		wantErr(t, "CreateManagedPolicy with "+tc.what, s.CreateManagedPolicy(ctx, tc.p, v(tc.p)), store.ErrAlreadyExists)
	}
	createPolicy(t, s, managed(acct2, "ANPA4", "SHARED", "/"))
	createPolicy(t, s, managed("aws", "ANPA5", "Shared", "/"))
	checkPolicy(t, getPolicy(t, s, first.ARN), first)
	got, err := s.GetPolicyVersion(ctx, first.ARN, "v1")
	noErr(t, "GetPolicyVersion of the first policy", err)
	if got.Document != policyDoc(1) {
		t.Errorf("the refused duplicates changed the first policy's version: %+v", got)
	}

	ghost := managed("999999999999", "ANPAGHOST", "ghost", "/")
	if err := s.CreateManagedPolicy(ctx, ghost, v(ghost)); err == nil {
		t.Fatal("CreateManagedPolicy in a missing account succeeded")
	}
	_, err = s.GetManagedPolicy(ctx, ghost.ARN)
	wantErr(t, "GetManagedPolicy after the failed create", err, store.ErrNotFound)
	_, err = s.GetPolicyVersion(ctx, ghost.ARN, "v1")
	wantErr(t, "GetPolicyVersion after the failed create", err, store.ErrNotFound)
}

func testListManagedPolicies(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createRole(t, s, role(acct1, "AROALIST", "r", "/"))
	names := []string{"alpha", "Bravo", "charlie", "Delta", "echo", "Foxtrot", "golf"}
	paths := []string{"/", "/team/", "/team/x_y/"}
	type entry struct{ lower, path, arn string }
	var all []entry
	for i, name := range names {
		path := paths[i%len(paths)]
		p := managed(acct1, fmt.Sprintf("ANPALIST%02d", i), name, path)
		createPolicy(t, s, p)
		createPolicy(t, s, managed(acct2, fmt.Sprintf("ANPAOTHER%02d", i), name, path))
		createPolicy(t, s, managed("aws", fmt.Sprintf("ANPAAWS%02d", i), name, path))
		all = append(all, entry{strings.ToLower(name), path, p.ARN})
		if i%2 == 0 {
			noErr(t, "Attach", s.Attach(ctx, attachment(p.ARN, store.KindRole, "AROALIST"), 10))
		}
	}
	slices.SortFunc(all, func(x, y entry) int { return strings.Compare(x.lower, y.lower) })
	attached := map[string]bool{}
	for i, name := range names {
		if i%2 == 0 {
			attached[strings.ToLower(name)] = true
		}
	}

	for _, tc := range []struct {
		prefix       string
		onlyAttached bool
		limit        int
	}{{"/", false, 2}, {"/", false, 7}, {"/", false, 0}, {"/team/", false, 1}, {"/team/x", false, 3}, {"/Team/", false, 3},
		{"/", true, 2}, {"/", true, 0}, {"/team/", true, 1}} {
		var want []string
		for _, e := range all {
			if strings.HasPrefix(e.path, tc.prefix) && (!tc.onlyAttached || attached[e.lower]) {
				want = append(want, e.lower)
			}
		}
		var got []string
		after := ""
		for pages := 1; ; pages++ {
			if pages > len(names)+1 {
				t.Fatalf("%+v: pagination does not terminate", tc)
			}
			page, err := s.ListManagedPolicies(ctx, acct1, tc.prefix, tc.onlyAttached, after, tc.limit)
			noErr(t, "ListManagedPolicies", err)
			if tc.limit > 0 && len(page.Policies) > tc.limit {
				t.Fatalf("%+v: page of %d policies", tc, len(page.Policies))
			}
			for _, p := range page.Policies {
				if p.AccountID != acct1 || !strings.HasPrefix(p.Path, tc.prefix) {
					t.Fatalf("%+v: page holds %+v", tc, p)
				}
				if wantCount := map[bool]int{true: 1}[attached[strings.ToLower(p.PolicyName)]]; p.AttachmentCount != wantCount {
					t.Errorf("listed %s AttachmentCount = %d, want %d", p.PolicyName, p.AttachmentCount, wantCount)
				}
				got = append(got, strings.ToLower(p.PolicyName))
			}
			if page.Next == "" {
				break
			}
			if len(page.Policies) != tc.limit || page.Next != strings.ToLower(page.Policies[len(page.Policies)-1].PolicyName) {
				t.Fatalf("%+v: page of %d policies with Next %q", tc, len(page.Policies), page.Next)
			}
			after = page.Next
		}
		if !slices.Equal(got, want) {
			t.Errorf("ListManagedPolicies(%+v) paged through %v, want %v", tc, got, want)
		}
	}

	page, err := s.ListManagedPolicies(ctx, "aws", "/", false, "", 0)
	noErr(t, "ListManagedPolicies of AWS managed policies", err)
	if len(page.Policies) != len(names) || page.Next != "" {
		t.Fatalf("ListManagedPolicies(aws) returned %d policies, want %d", len(page.Policies), len(names))
	}
	for _, p := range page.Policies {
		if p.AccountID != "aws" {
			t.Errorf("ListManagedPolicies(aws) holds %+v", p)
		}
	}
	page, err = s.ListManagedPolicies(ctx, "999999999999", "/", false, "", 10)
	noErr(t, "ListManagedPolicies of an account without policies", err)
	if len(page.Policies) != 0 || page.Next != "" {
		t.Errorf("ListManagedPolicies of an account without policies = %+v", page)
	}
}

func testManagedPolicyCounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	p := managed(acct1, "ANPACOUNT", "counted", "/")
	createPolicy(t, s, p)
	aws := managed("aws", "ANPAAWSCOUNT", "AWSCounted", "/")
	createPolicy(t, s, aws)

	u1 := user(acct1, "AIDACOUNT1", "u1", "/")
	u1.PermissionsBoundary = p.ARN
	createUser(t, s, u1)
	createUser(t, s, user(acct1, "AIDACOUNT2", "u2", "/"))
	r1 := role(acct1, "AROACOUNT1", "r1", "/")
	r1.PermissionsBoundary = p.ARN
	createRole(t, s, r1)
	r2 := role(acct2, "AROACOUNT2", "r2", "/")
	r2.PermissionsBoundary = aws.ARN
	createRole(t, s, r2)

	noErr(t, "Attach to u1", s.Attach(ctx, attachment(p.ARN, store.KindUser, "AIDACOUNT1"), 10))
	noErr(t, "Attach to u2", s.Attach(ctx, attachment(p.ARN, store.KindUser, "AIDACOUNT2"), 10))
	noErr(t, "Attach to r1", s.Attach(ctx, attachment(p.ARN, store.KindRole, "AROACOUNT1"), 10))
	noErr(t, "Attach AWS policy to r2 in another account", s.Attach(ctx, attachment(aws.ARN, store.KindRole, "AROACOUNT2"), 10))
	noErr(t, "Attach AWS policy to u1", s.Attach(ctx, attachment(aws.ARN, store.KindUser, "AIDACOUNT1"), 10))

	check := func(what, arn string, attachments, boundaries int) {
		t.Helper()
		got := getPolicy(t, s, arn)
		if got.AttachmentCount != attachments || got.BoundaryUsageCount != boundaries {
			t.Errorf("%s: AttachmentCount %d BoundaryUsageCount %d, want %d and %d",
				what, got.AttachmentCount, got.BoundaryUsageCount, attachments, boundaries)
		}
	}
	check("customer policy", p.ARN, 3, 2)
	check("AWS policy", aws.ARN, 2, 1)

	noErr(t, "Detach from u2", s.Detach(ctx, attachment(p.ARN, store.KindUser, "AIDACOUNT2")))
	u1.PermissionsBoundary = ""
	noErr(t, "UpdateUser dropping the boundary", setUser(ctx, s, u1))
	r2.PermissionsBoundary = p.ARN
	wantErr(t, "UpdateRole to another account's customer policy", setRole(ctx, s, r2), store.ErrMissingReference)
	r2.PermissionsBoundary = ""
	noErr(t, "UpdateRole dropping the AWS boundary", setRole(ctx, s, r2))
	u2 := user(acct1, "AIDACOUNT2", "u2", "/")
	u2.PermissionsBoundary = p.ARN
	noErr(t, "UpdateUser moving the boundary", setUser(ctx, s, u2))
	check("customer policy after changes", p.ARN, 2, 2)
	check("AWS policy after changes", aws.ARN, 2, 0)

	page, err := s.ListManagedPolicies(ctx, acct1, "/", false, "", 0)
	noErr(t, "ListManagedPolicies", err)
	if len(page.Policies) != 1 || page.Policies[0].AttachmentCount != 2 || page.Policies[0].BoundaryUsageCount != 2 {
		t.Errorf("ListManagedPolicies counts = %+v, want 2 attachments and 2 boundary uses", page.Policies)
	}
}

func testDeleteManagedPolicy(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	p := managed(acct1, "ANPADELETE", "doomed", "/")
	createPolicy(t, s, p)
	u := user(acct1, "AIDADELPOL", "u", "/")
	createUser(t, s, u)
	r := role(acct1, "AROADELPOL", "r", "/")
	createRole(t, s, r)

	conflicts := func(what string) {
		t.Helper()
		wantErr(t, "DeleteManagedPolicy while "+what, s.DeleteManagedPolicy(ctx, p.ARN), store.ErrConflict)
		getPolicy(t, s, p.ARN)
		if _, err := s.GetPolicyVersion(ctx, p.ARN, "v1"); err != nil {
			t.Fatalf("the refused delete while %s removed the default version: %v", what, err)
		}
	}

	noErr(t, "Attach to user", s.Attach(ctx, attachment(p.ARN, store.KindUser, u.UserID), 10))
	conflicts("attached to a user")
	noErr(t, "Detach from user", s.Detach(ctx, attachment(p.ARN, store.KindUser, u.UserID)))
	noErr(t, "Attach to role", s.Attach(ctx, attachment(p.ARN, store.KindRole, r.RoleID), 10))
	conflicts("attached to a role")
	noErr(t, "Detach from role", s.Detach(ctx, attachment(p.ARN, store.KindRole, r.RoleID)))

	u.PermissionsBoundary = p.ARN
	noErr(t, "UpdateUser setting the boundary", setUser(ctx, s, u))
	conflicts("a user's permissions boundary")
	u.PermissionsBoundary = ""
	noErr(t, "UpdateUser clearing the boundary", setUser(ctx, s, u))
	r.PermissionsBoundary = p.ARN
	noErr(t, "UpdateRole setting the boundary", setRole(ctx, s, r))
	conflicts("a role's permissions boundary")
	r.PermissionsBoundary = ""
	noErr(t, "UpdateRole clearing the boundary", setRole(ctx, s, r))

	_, err := s.CreatePolicyVersion(ctx, p.ARN, policyDoc(2), at(6), false, 5)
	noErr(t, "CreatePolicyVersion v2", err)
	conflicts("a non-default version exists")
	// The non-default version may be the old default one.
	noErr(t, "SetDefaultPolicyVersion v2", s.SetDefaultPolicyVersion(ctx, p.ARN, "v2", at(7)))
	conflicts("the former default version exists")
	noErr(t, "DeletePolicyVersion v1", s.DeletePolicyVersion(ctx, p.ARN, "v1"))

	noErr(t, "DeleteManagedPolicy", s.DeleteManagedPolicy(ctx, p.ARN))
	_, err = s.GetManagedPolicy(ctx, p.ARN)
	wantErr(t, "GetManagedPolicy after delete", err, store.ErrNotFound)
	_, err = s.GetPolicyVersion(ctx, p.ARN, "v2")
	wantErr(t, "GetPolicyVersion of the deleted default version", err, store.ErrNotFound)
	_, err = s.ListPolicyVersions(ctx, p.ARN)
	wantErr(t, "ListPolicyVersions after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteManagedPolicy again", s.DeleteManagedPolicy(ctx, p.ARN), store.ErrNotFound)

	// The name and ARN are free again, and the new policy starts from v1.
	again := managed(acct1, "ANPADELETE2", "DOOMED", "/")
	again.ARN = p.ARN
	createPolicy(t, s, again)
	checkPolicy(t, getPolicy(t, s, p.ARN), again)
	if ids := versionIDs(t, s, p.ARN); !slices.Equal(ids, []string{"v1"}) {
		t.Errorf("recreated policy has versions %v, want [v1]", ids)
	}
}

func testPolicyVersions(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	p := managed(acct1, "ANPAVERS", "versioned", "/")
	createPolicy(t, s, p)

	v2, err := s.CreatePolicyVersion(ctx, p.ARN, policyDoc(2), at(10), false, 5)
	noErr(t, "CreatePolicyVersion v2", err)
	checkVersion(t, v2, store.PolicyVersion{PolicyARN: p.ARN, VersionID: "v2", Document: policyDoc(2), CreatedAt: at(10)})
	p.NextVersion = 3
	checkPolicy(t, getPolicy(t, s, p.ARN), p) // still v1 by default, UpdatedAt unchanged

	v3, err := s.CreatePolicyVersion(ctx, p.ARN, policyDoc(3), at(11), true, 5)
	noErr(t, "CreatePolicyVersion v3 as default", err)
	checkVersion(t, v3, store.PolicyVersion{PolicyARN: p.ARN, VersionID: "v3", Document: policyDoc(3), CreatedAt: at(11)})
	p.NextVersion, p.DefaultVersionID, p.UpdatedAt = 4, "v3", at(11)
	checkPolicy(t, getPolicy(t, s, p.ARN), p)

	got, err := s.GetPolicyVersion(ctx, p.ARN, "v2")
	noErr(t, "GetPolicyVersion v2", err)
	checkVersion(t, got, v2)
	vs, err := s.ListPolicyVersions(ctx, p.ARN)
	noErr(t, "ListPolicyVersions", err)
	if len(vs) != 3 || vs[0].VersionID != "v1" {
		t.Fatalf("ListPolicyVersions = %+v, want v1, v2, v3", vs)
	}
	checkVersion(t, vs[1], v2)
	checkVersion(t, vs[2], v3)

	wantErr(t, "DeletePolicyVersion of the default", s.DeletePolicyVersion(ctx, p.ARN, "v3"), store.ErrConflict)
	noErr(t, "DeletePolicyVersion v2", s.DeletePolicyVersion(ctx, p.ARN, "v2"))
	wantErr(t, "DeletePolicyVersion v2 again", s.DeletePolicyVersion(ctx, p.ARN, "v2"), store.ErrNotFound)
	wantErr(t, "DeletePolicyVersion of a missing policy", s.DeletePolicyVersion(ctx, policyARN(acct1, "/", "nosuch"), "v1"), store.ErrNotFound)
	_, err = s.GetPolicyVersion(ctx, p.ARN, "v2")
	wantErr(t, "GetPolicyVersion after delete", err, store.ErrNotFound)

	// Version ids are never reused.
	v4, err := s.CreatePolicyVersion(ctx, p.ARN, policyDoc(4), at(12), false, 5)
	noErr(t, "CreatePolicyVersion after a delete", err)
	if v4.VersionID != "v4" {
		t.Fatalf("version after deleting v2 is %s, want v4", v4.VersionID)
	}

	wantErr(t, "SetDefaultPolicyVersion to a deleted version", s.SetDefaultPolicyVersion(ctx, p.ARN, "v2", at(13)), store.ErrNotFound)
	wantErr(t, "SetDefaultPolicyVersion of a missing policy", s.SetDefaultPolicyVersion(ctx, policyARN(acct1, "/", "nosuch"), "v1", at(13)), store.ErrNotFound)
	p.NextVersion = 5
	checkPolicy(t, getPolicy(t, s, p.ARN), p)
	noErr(t, "SetDefaultPolicyVersion v1", s.SetDefaultPolicyVersion(ctx, p.ARN, "v1", at(14)))
	p.DefaultVersionID, p.UpdatedAt = "v1", at(14)
	checkPolicy(t, getPolicy(t, s, p.ARN), p)
	noErr(t, "DeletePolicyVersion of the former default", s.DeletePolicyVersion(ctx, p.ARN, "v3"))
	_, err = s.CreatePolicyVersion(ctx, policyARN(acct1, "/", "nosuch"), policyDoc(1), at(15), false, 5)
	wantErr(t, "CreatePolicyVersion of a missing policy", err, store.ErrNotFound)

	// Versions list by number, so v10 comes after v9.
	for n := 5; n <= 10; n++ {
		v, err := s.CreatePolicyVersion(ctx, p.ARN, policyDoc(n), at(15+n), false, 5)
		noErr(t, fmt.Sprintf("CreatePolicyVersion v%d", n), err)
		if v.VersionID != fmt.Sprintf("v%d", n) {
			t.Fatalf("created %s, want v%d", v.VersionID, n)
		}
		if n < 9 {
			noErr(t, "DeletePolicyVersion", s.DeletePolicyVersion(ctx, p.ARN, v.VersionID))
		}
	}
	if ids := versionIDs(t, s, p.ARN); !slices.Equal(ids, []string{"v1", "v4", "v9", "v10"}) {
		t.Fatalf("ListPolicyVersions = %v, want [v1 v4 v9 v10]", ids)
	}
}

func testPolicyVersionLimit(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	p := managed(acct1, "ANPALIMIT", "limited", "/")
	createPolicy(t, s, p)
	for n := 2; n <= 5; n++ {
		_, err := s.CreatePolicyVersion(ctx, p.ARN, policyDoc(n), at(n), n == 3, 5)
		noErr(t, fmt.Sprintf("CreatePolicyVersion v%d", n), err)
	}
	_, err := s.CreatePolicyVersion(ctx, p.ARN, policyDoc(6), at(6), true, 5)
	wantErr(t, "CreatePolicyVersion over the limit", err, store.ErrLimitExceeded)
	got := getPolicy(t, s, p.ARN)
	if got.DefaultVersionID != "v3" || got.NextVersion != 6 {
		t.Fatalf("the refused version changed the policy: default %s next %d, want v3 and 6", got.DefaultVersionID, got.NextVersion)
	}
	noErr(t, "DeletePolicyVersion v2", s.DeletePolicyVersion(ctx, p.ARN, "v2"))
	v, err := s.CreatePolicyVersion(ctx, p.ARN, policyDoc(6), at(7), false, 5)
	noErr(t, "CreatePolicyVersion in the freed slot", err)
	if v.VersionID != "v6" {
		t.Fatalf("version in the freed slot is %s, want v6", v.VersionID)
	}
	if ids := versionIDs(t, s, p.ARN); !slices.Equal(ids, []string{"v1", "v3", "v4", "v5", "v6"}) {
		t.Fatalf("versions = %v", ids)
	}
}

func testPolicyVersionLimitConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	p := managed(acct1, "ANPARACE", "raced", "/")
	createPolicy(t, s, p)
	created := make([]store.PolicyVersion, 6)
	errs := Concurrently(6, func(i int) error {
		var err error
		created[i], err = s.CreatePolicyVersion(ctx, p.ARN, policyDoc(100+i), at(i), i%2 == 0, 5)
		return err
	})
	if ok := countOutcomes(t, "CreatePolicyVersion", errs, store.ErrLimitExceeded); ok != 4 {
		t.Fatalf("%d of 6 concurrent CreatePolicyVersion calls succeeded, want exactly 4", ok)
	}
	var ids []string
	for i, v := range created {
		if errs[i] != nil {
			continue
		}
		ids = append(ids, v.VersionID)
		stored, err := s.GetPolicyVersion(ctx, p.ARN, v.VersionID)
		noErr(t, "GetPolicyVersion "+v.VersionID, err)
		if stored.Document != policyDoc(100+i) {
			t.Errorf("%s holds document %q, want caller %d's", v.VersionID, stored.Document, i)
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"v2", "v3", "v4", "v5"}) {
		t.Fatalf("concurrent callers got %v, want v2..v5 once each", ids)
	}
	if all := versionIDs(t, s, p.ARN); !slices.Equal(all, []string{"v1", "v2", "v3", "v4", "v5"}) {
		t.Fatalf("versions = %v", all)
	}
	if got := getPolicy(t, s, p.ARN); got.NextVersion != 6 {
		t.Fatalf("NextVersion = %d, want 6", got.NextVersion)
	}
}

func testUpdateManagedPolicyTags(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	p := managed(acct1, "ANPATAGS", "tagged", "/")
	p.Tags = []store.Tag{{Key: "a", Value: "1"}}
	createPolicy(t, s, p)
	for _, tags := range [][]store.Tag{{{Key: "z", Value: "2"}, {Key: "b", Value: ""}}, nil} {
		got, err := s.UpdateManagedPolicy(ctx, p.ARN, func(cur *store.ManagedPolicy) error { cur.Tags = tags; return nil })
		noErr(t, "UpdateManagedPolicy", err)
		p.Tags = tags
		checkPolicy(t, got, p)
		checkPolicy(t, getPolicy(t, s, p.ARN), p)
	}
}

// Attachments.

func testAttach(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createUser(t, s, user(acct1, "AIDAATT", "u", "/"))
	createRole(t, s, role(acct1, "AROAATT", "r", "/"))
	var arns []string
	for i := range 3 {
		p := managed(acct1, fmt.Sprintf("ANPAATT%d", i), fmt.Sprintf("p%d", i), "/")
		createPolicy(t, s, p)
		arns = append(arns, p.ARN)
	}
	foreign := managed(acct2, "ANPAFOREIGN", "foreign", "/")
	createPolicy(t, s, foreign)
	aws := managed("aws", "ANPAAWSATT", "AWSPolicy", "/")
	createPolicy(t, s, aws)

	noErr(t, "Attach p0", s.Attach(ctx, attachment(arns[0], store.KindUser, "AIDAATT"), 2))
	noErr(t, "Attach p0 again", s.Attach(ctx, attachment(arns[0], store.KindUser, "AIDAATT"), 2))
	noErr(t, "Attach p1", s.Attach(ctx, attachment(arns[1], store.KindUser, "AIDAATT"), 2))
	wantErr(t, "Attach p2 over the limit", s.Attach(ctx, attachment(arns[2], store.KindUser, "AIDAATT"), 2), store.ErrLimitExceeded)
	noErr(t, "Attach p1 again at the limit", s.Attach(ctx, attachment(arns[1], store.KindUser, "AIDAATT"), 2))
	if got := attachedARNs(t, s, store.KindUser, "AIDAATT"); !slices.Equal(got, arns[:2]) {
		t.Fatalf("attached = %v, want %v", got, arns[:2])
	}
	if n := getPolicy(t, s, arns[0]).AttachmentCount; n != 1 {
		t.Fatalf("AttachmentCount after attaching twice = %d, want 1", n)
	}
	// Roles and users count separately.
	noErr(t, "Attach p2 to the role", s.Attach(ctx, attachment(arns[2], store.KindRole, "AROAATT"), 2))
	noErr(t, "Attach an AWS managed policy", s.Attach(ctx, attachment(aws.ARN, store.KindRole, "AROAATT"), 2))

	for _, tc := range []struct {
		what string
		a    store.Attachment
	}{
		{"a missing policy", attachment(policyARN(acct1, "/", "nosuch"), store.KindRole, "AROAATT")},
		{"a missing user", attachment(arns[0], store.KindUser, "AIDANOSUCHUSER")},
		{"a missing role", attachment(arns[0], store.KindRole, "AROANOSUCHROLE")},
		{"a role id given as a user", attachment(arns[0], store.KindUser, "AROAATT")},
		{"another account's policy", attachment(foreign.ARN, store.KindUser, "AIDAATT")},
	} {
		// The existing user and role are at the limit: the missing entity is what is reported.
		wantErr(t, "Attach of "+tc.what, s.Attach(ctx, tc.a, 2), store.ErrNotFound)
	}
	if n := getPolicy(t, s, foreign.ARN).AttachmentCount; n != 0 {
		t.Errorf("another account's policy got attached: AttachmentCount %d", n)
	}

	noErr(t, "Detach p0", s.Detach(ctx, attachment(arns[0], store.KindUser, "AIDAATT")))
	wantErr(t, "Detach p0 again", s.Detach(ctx, attachment(arns[0], store.KindUser, "AIDAATT")), store.ErrNotFound)
	wantErr(t, "Detach with the wrong kind", s.Detach(ctx, attachment(arns[2], store.KindUser, "AROAATT")), store.ErrNotFound)
	wantErr(t, "Detach of a policy attached elsewhere", s.Detach(ctx, attachment(arns[2], store.KindUser, "AIDAATT")), store.ErrNotFound)
	noErr(t, "Attach p2 in the freed slot", s.Attach(ctx, attachment(arns[2], store.KindUser, "AIDAATT"), 2))
	if got := attachedARNs(t, s, store.KindUser, "AIDAATT"); !slices.Equal(got, arns[1:]) {
		t.Fatalf("attached after detach = %v, want %v", got, arns[1:])
	}
}

func testAttachLimitConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createRole(t, s, role(acct1, "AROARACE", "racer", "/"))
	var arns []string
	for i := range 8 {
		p := managed(acct1, fmt.Sprintf("ANPARACE%d", i), fmt.Sprintf("race%d", i), "/")
		createPolicy(t, s, p)
		arns = append(arns, p.ARN)
	}
	errs := Concurrently(8, func(i int) error {
		return s.Attach(ctx, attachment(arns[i], store.KindRole, "AROARACE"), 3)
	})
	if ok := countOutcomes(t, "Attach", errs, store.ErrLimitExceeded); ok != 3 {
		t.Fatalf("%d of 8 concurrent Attach calls succeeded, want exactly 3", ok)
	}
	if got := attachedARNs(t, s, store.KindRole, "AROARACE"); len(got) != 3 {
		t.Fatalf("the role has %d attachments, want 3", len(got))
	}

	// Concurrent attaches of one policy are idempotent, not duplicates or errors.
	errs = Concurrently(8, func(int) error {
		return s.Attach(ctx, attachment(arns[0], store.KindRole, "AROARACE"), 10)
	})
	if ok := countOutcomes(t, "Attach of one policy", errs, nil); ok != 8 {
		t.Fatalf("%d of 8 concurrent idempotent Attach calls succeeded, want 8", ok)
	}
}

func testListAttachments(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createUser(t, s, user(acct1, "AIDALA1", "Zed", "/"))
	createUser(t, s, user(acct1, "AIDALA2", "amy", "/"))
	createUser(t, s, user(acct2, "AIDALA3", "Bob", "/"))
	createRole(t, s, role(acct1, "AROALA1", "Builder", "/"))
	createRole(t, s, role(acct1, "AROALA2", "admin", "/"))
	pb := managed(acct1, "ANPALAB", "beta", "/x/")
	pa := managed(acct1, "ANPALAA", "Alpha", "/")
	aws := managed("aws", "ANPALAAWS", "Alpha", "/")
	for _, p := range []store.ManagedPolicy{pb, pa, aws} {
		createPolicy(t, s, p)
	}
	for _, a := range []store.Attachment{
		attachment(pb.ARN, store.KindUser, "AIDALA1"),
		attachment(aws.ARN, store.KindUser, "AIDALA1"),
		attachment(pa.ARN, store.KindUser, "AIDALA1"),
		attachment(aws.ARN, store.KindRole, "AROALA1"),
		attachment(aws.ARN, store.KindRole, "AROALA2"),
		attachment(aws.ARN, store.KindUser, "AIDALA3"),
		attachment(aws.ARN, store.KindUser, "AIDALA2"),
	} {
		noErr(t, "Attach", s.Attach(ctx, a, 10))
	}

	atts, err := s.ListAttachments(ctx, store.KindUser, "AIDALA1")
	noErr(t, "ListAttachments", err)
	// By lower-cased policy name, then ARN.
	want := []store.Attachment{
		{PolicyARN: pa.ARN, PolicyName: "Alpha", OwnerKind: store.KindUser, OwnerID: "AIDALA1", OwnerName: "Zed"},
		{PolicyARN: aws.ARN, PolicyName: "Alpha", OwnerKind: store.KindUser, OwnerID: "AIDALA1", OwnerName: "Zed"},
		{PolicyARN: pb.ARN, PolicyName: "beta", OwnerKind: store.KindUser, OwnerID: "AIDALA1", OwnerName: "Zed"},
	}
	if !slices.Equal(atts, want) {
		t.Errorf("ListAttachments = %+v, want %+v", atts, want)
	}
	atts, err = s.ListAttachments(ctx, store.KindRole, "AIDALA1")
	noErr(t, "ListAttachments with the wrong kind", err)
	if len(atts) != 0 {
		t.Errorf("ListAttachments with the wrong kind = %+v", atts)
	}

	// A renamed owner shows its current name.
	renamed := user(acct1, "AIDALA2", "Amelia", "/")
	noErr(t, "UpdateUser", setUser(ctx, s, renamed))
	atts, err = s.ListPolicyAttachments(ctx, aws.ARN)
	noErr(t, "ListPolicyAttachments", err)
	// Users, then roles, each by lower-cased name; the owners of every account are listed.
	wantOwners := []store.Attachment{
		{PolicyARN: aws.ARN, PolicyName: "Alpha", OwnerKind: store.KindUser, OwnerID: "AIDALA2", OwnerName: "Amelia"},
		{PolicyARN: aws.ARN, PolicyName: "Alpha", OwnerKind: store.KindUser, OwnerID: "AIDALA3", OwnerName: "Bob"},
		{PolicyARN: aws.ARN, PolicyName: "Alpha", OwnerKind: store.KindUser, OwnerID: "AIDALA1", OwnerName: "Zed"},
		{PolicyARN: aws.ARN, PolicyName: "Alpha", OwnerKind: store.KindRole, OwnerID: "AROALA2", OwnerName: "admin"},
		{PolicyARN: aws.ARN, PolicyName: "Alpha", OwnerKind: store.KindRole, OwnerID: "AROALA1", OwnerName: "Builder"},
	}
	if !slices.Equal(atts, wantOwners) {
		t.Errorf("ListPolicyAttachments = %+v, want %+v", atts, wantOwners)
	}
	atts, err = s.ListPolicyAttachments(ctx, policyARN(acct1, "/", "nosuch"))
	noErr(t, "ListPolicyAttachments of a missing policy", err)
	if len(atts) != 0 {
		t.Errorf("ListPolicyAttachments of a missing policy = %+v", atts)
	}
}

func testDeleteUserReferences(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	p := managed(acct1, "ANPAUSERREF", "p", "/")
	createPolicy(t, s, p)
	for _, tc := range []struct {
		what          string
		add, remove   func(userID string) error
		userID, uname string
	}{
		{
			"an inline policy",
			func(id string) error {
				return s.PutInlinePolicy(ctx, inline(store.KindUser, id, "inline", policyDoc(1)), byteLen, 2048)
			},
			func(id string) error { return s.DeleteInlinePolicy(ctx, store.KindUser, id, "inline") },
			"AIDAREF1", "ref1",
		},
		{
			"an attached policy",
			func(id string) error { return s.Attach(ctx, attachment(p.ARN, store.KindUser, id), 10) },
			func(id string) error { return s.Detach(ctx, attachment(p.ARN, store.KindUser, id)) },
			"AIDAREF2", "ref2",
		},
		{
			"an assigned MFA device",
			func(id string) error {
				d := mfaDevice(acct1, "/", "device-"+id)
				if err := s.CreateMFADevice(ctx, d); err != nil {
					return err
				}
				return s.EnableMFADevice(ctx, d.SerialNumber, id, at(5), 100)
			},
			func(id string) error {
				return s.DeactivateMFADevice(ctx, mfaDevice(acct1, "/", "device-"+id).SerialNumber)
			},
			"AIDAREF3", "ref3",
		},
	} {
		createUser(t, s, user(acct1, tc.userID, tc.uname, "/"))
		noErr(t, "adding "+tc.what, tc.add(tc.userID))
		wantErr(t, "DeleteUser with "+tc.what, s.DeleteUser(ctx, acct1, tc.userID), store.ErrConflict)
		_, err := s.GetUserByID(ctx, tc.userID)
		noErr(t, "GetUserByID after the refused delete", err)
		noErr(t, "removing "+tc.what, tc.remove(tc.userID))
		noErr(t, "DeleteUser without "+tc.what, s.DeleteUser(ctx, acct1, tc.userID))
	}

	// An unassigned device does not belong to anyone and never blocks a delete.
	createUser(t, s, user(acct1, "AIDAREF4", "ref4", "/"))
	createMFADevice(t, s, mfaDevice(acct1, "/", "loose"))
	noErr(t, "DeleteUser beside an unassigned device", s.DeleteUser(ctx, acct1, "AIDAREF4"))
}

// MFA devices.

func testMFADeviceRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	want := mfaDevice(acct1, "/division/", "Phone+1@example")
	want.SeedCiphertext = allBytes()
	want.Tags = []store.Tag{{Key: "z", Value: "1"}, {Key: "a", Value: "ü"}}
	createMFADevice(t, s, want)
	checkMFADevice(t, getMFADevice(t, s, want.SerialNumber), want)

	dup := mfaDevice(acct1, "/division/", "Phone+1@example")
	wantErr(t, "CreateMFADevice with an existing serial", s.CreateMFADevice(ctx, dup), store.ErrAlreadyExists)
	checkMFADevice(t, getMFADevice(t, s, want.SerialNumber), want)

	if err := s.CreateMFADevice(ctx, mfaDevice("999999999999", "/", "ghost")); err == nil {
		t.Error("CreateMFADevice in a missing account succeeded")
	}
	_, err := s.GetMFADevice(ctx, mfaDevice("999999999999", "/", "ghost").SerialNumber)
	wantErr(t, "GetMFADevice of a missing device", err, store.ErrNotFound)
}

func testEnableMFADevice(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createUser(t, s, user(acct1, "AIDAMFA1", "u1", "/"))
	createUser(t, s, user(acct1, "AIDAMFA2", "u2", "/"))
	createUser(t, s, user(acct2, "AIDAMFA3", "u3", "/"))
	d := mfaDevice(acct1, "/", "token")
	createMFADevice(t, s, d)

	wantErr(t, "EnableMFADevice for a missing user", s.EnableMFADevice(ctx, d.SerialNumber, "AIDANOSUCHUSER", at(4), 50), store.ErrNotFound)
	if err := s.EnableMFADevice(ctx, d.SerialNumber, "AIDAMFA3", at(4), 50); err == nil {
		t.Error("EnableMFADevice for a user of another account succeeded")
	}
	checkMFADevice(t, getMFADevice(t, s, d.SerialNumber), d)
	wantErr(t, "EnableMFADevice of a missing device", s.EnableMFADevice(ctx, "arn:aws:iam::111111111111:mfa/nosuch", "AIDAMFA1", at(4), 50), store.ErrNotFound)

	noErr(t, "EnableMFADevice", s.EnableMFADevice(ctx, d.SerialNumber, "AIDAMFA1", at(5), 1000))
	d.UserID, d.EnabledAt, d.LastUsedStep = "AIDAMFA1", ptr(at(5)), 1000
	checkMFADevice(t, getMFADevice(t, s, d.SerialNumber), d)
	wantErr(t, "EnableMFADevice for another user", s.EnableMFADevice(ctx, d.SerialNumber, "AIDAMFA2", at(6), 1001), store.ErrConflict)
	wantErr(t, "EnableMFADevice for the same user", s.EnableMFADevice(ctx, d.SerialNumber, "AIDAMFA1", at(6), 1001), store.ErrConflict)
	checkMFADevice(t, getMFADevice(t, s, d.SerialNumber), d)

	noErr(t, "DeactivateMFADevice", s.DeactivateMFADevice(ctx, d.SerialNumber))
	d.UserID, d.EnabledAt = "", nil
	checkMFADevice(t, getMFADevice(t, s, d.SerialNumber), d) // the used step survives
	wantErr(t, "DeactivateMFADevice of a missing device", s.DeactivateMFADevice(ctx, "arn:aws:iam::111111111111:mfa/nosuch"), store.ErrNotFound)

	// Enabling again never moves the last used step back, so old codes stay spent.
	noErr(t, "EnableMFADevice for another user", s.EnableMFADevice(ctx, d.SerialNumber, "AIDAMFA2", at(7), 900))
	d.UserID, d.EnabledAt = "AIDAMFA2", ptr(at(7))
	checkMFADevice(t, getMFADevice(t, s, d.SerialNumber), d)
	wantErr(t, "UseMFAStep with a step spent before the re-enable", s.UseMFAStep(ctx, d.SerialNumber, 1000), store.ErrConflict)
}

func testEnableMFADeviceConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	for i := range 8 {
		createUser(t, s, user(acct1, fmt.Sprintf("AIDAENABLE%d", i), fmt.Sprintf("u%d", i), "/"))
	}
	d := mfaDevice(acct1, "/", "contested")
	createMFADevice(t, s, d)
	errs := Concurrently(8, func(i int) error {
		return s.EnableMFADevice(ctx, d.SerialNumber, fmt.Sprintf("AIDAENABLE%d", i), at(i), int64(100+i))
	})
	if ok := countOutcomes(t, "EnableMFADevice", errs, store.ErrConflict); ok != 1 {
		t.Fatalf("%d of 8 concurrent EnableMFADevice calls succeeded, want exactly 1", ok)
	}
	got := getMFADevice(t, s, d.SerialNumber)
	for i, err := range errs {
		if err == nil && (got.UserID != fmt.Sprintf("AIDAENABLE%d", i) || got.LastUsedStep != int64(100+i)) {
			t.Fatalf("caller %d won but the device holds %+v", i, got)
		}
	}
}

func testDeleteMFADevice(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createUser(t, s, user(acct1, "AIDADELMFA", "u", "/"))
	d := mfaDevice(acct1, "/", "old")
	createMFADevice(t, s, d)
	noErr(t, "EnableMFADevice", s.EnableMFADevice(ctx, d.SerialNumber, "AIDADELMFA", at(5), 1))
	wantErr(t, "DeleteMFADevice while assigned", s.DeleteMFADevice(ctx, d.SerialNumber), store.ErrConflict)
	getMFADevice(t, s, d.SerialNumber)
	noErr(t, "DeactivateMFADevice", s.DeactivateMFADevice(ctx, d.SerialNumber))
	noErr(t, "DeleteMFADevice", s.DeleteMFADevice(ctx, d.SerialNumber))
	_, err := s.GetMFADevice(ctx, d.SerialNumber)
	wantErr(t, "GetMFADevice after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteMFADevice again", s.DeleteMFADevice(ctx, d.SerialNumber), store.ErrNotFound)
	createMFADevice(t, s, d)
}

func testListMFADevices(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createUser(t, s, user(acct1, "AIDALIST1", "u1", "/"))
	createUser(t, s, user(acct1, "AIDALIST2", "u2", "/"))
	serial := func(acct, name string) string { return mfaDevice(acct, "/", name).SerialNumber }
	for _, name := range []string{"c", "a", "d", "b"} {
		createMFADevice(t, s, mfaDevice(acct1, "/", name))
	}
	createMFADevice(t, s, mfaDevice(acct2, "/", "a"))
	noErr(t, "enable d", s.EnableMFADevice(ctx, serial(acct1, "d"), "AIDALIST1", at(5), 1))
	noErr(t, "enable a", s.EnableMFADevice(ctx, serial(acct1, "a"), "AIDALIST1", at(5), 1))
	noErr(t, "enable b", s.EnableMFADevice(ctx, serial(acct1, "b"), "AIDALIST2", at(5), 1))

	for _, tc := range []struct {
		account, user string
		want          []string
	}{
		{acct1, "", []string{serial(acct1, "a"), serial(acct1, "b"), serial(acct1, "c"), serial(acct1, "d")}},
		{acct1, "AIDALIST1", []string{serial(acct1, "a"), serial(acct1, "d")}},
		{acct1, "AIDALIST2", []string{serial(acct1, "b")}},
		{acct2, "", []string{serial(acct2, "a")}},
		{acct2, "AIDALIST1", nil},
		{"999999999999", "", nil},
	} {
		ds, err := s.ListMFADevices(ctx, tc.account, tc.user)
		noErr(t, "ListMFADevices", err)
		var got []string
		for _, d := range ds {
			got = append(got, d.SerialNumber)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ListMFADevices(%s, %q) = %v, want %v", tc.account, tc.user, got, tc.want)
		}
	}
	ds, err := s.ListMFADevices(ctx, acct1, "AIDALIST2")
	noErr(t, "ListMFADevices", err)
	want := mfaDevice(acct1, "/", "b")
	want.UserID, want.EnabledAt, want.LastUsedStep = "AIDALIST2", ptr(at(5)), 1
	checkMFADevice(t, ds[0], want)
}

func testUseMFAStep(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createUser(t, s, user(acct1, "AIDASTEP", "u", "/"))
	d := mfaDevice(acct1, "/", "stepper")
	createMFADevice(t, s, d)
	noErr(t, "EnableMFADevice", s.EnableMFADevice(ctx, d.SerialNumber, "AIDASTEP", at(5), 58_000_000))

	wantErr(t, "UseMFAStep of the enabling step", s.UseMFAStep(ctx, d.SerialNumber, 58_000_000), store.ErrConflict)
	noErr(t, "UseMFAStep of the next step", s.UseMFAStep(ctx, d.SerialNumber, 58_000_001))
	wantErr(t, "UseMFAStep replayed", s.UseMFAStep(ctx, d.SerialNumber, 58_000_001), store.ErrConflict)
	wantErr(t, "UseMFAStep of an older step", s.UseMFAStep(ctx, d.SerialNumber, 57_999_999), store.ErrConflict)
	noErr(t, "UseMFAStep skipping ahead", s.UseMFAStep(ctx, d.SerialNumber, 58_000_010))
	if got := getMFADevice(t, s, d.SerialNumber).LastUsedStep; got != 58_000_010 {
		t.Errorf("LastUsedStep = %d, want 58000010", got)
	}
	wantErr(t, "UseMFAStep of a missing device", s.UseMFAStep(ctx, "arn:aws:iam::111111111111:mfa/nosuch", 1), store.ErrNotFound)
}

func testUseMFAStepConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	d := mfaDevice(acct1, "/", "raced")
	createMFADevice(t, s, d)
	errs := Concurrently(8, func(int) error { return s.UseMFAStep(ctx, d.SerialNumber, 77) })
	if ok := countOutcomes(t, "UseMFAStep", errs, store.ErrConflict); ok != 1 {
		t.Fatalf("%d of 8 concurrent uses of one step succeeded, want exactly 1", ok)
	}
	// Mixed steps: the newest always ends up stored, and only ever-increasing steps succeed.
	errs = Concurrently(8, func(i int) error { return s.UseMFAStep(ctx, d.SerialNumber, int64(100+i)) })
	countOutcomes(t, "UseMFAStep of distinct steps", errs, store.ErrConflict)
	if errs[7] != nil {
		t.Errorf("the newest step was refused: %v", errs[7])
	}
	if got := getMFADevice(t, s, d.SerialNumber).LastUsedStep; got != 107 {
		t.Fatalf("LastUsedStep = %d, want 107", got)
	}
}

func testUpdateMFADeviceTags(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	d := mfaDevice(acct1, "/", "tagged")
	createMFADevice(t, s, d)
	for _, tags := range [][]store.Tag{{{Key: "k2", Value: "v"}, {Key: "k1", Value: ""}}, nil} {
		got, err := s.UpdateMFADevice(ctx, d.SerialNumber, func(cur *store.MFADevice) error { cur.Tags = tags; return nil })
		noErr(t, "UpdateMFADevice", err)
		d.Tags = tags
		checkMFADevice(t, got, d)
		checkMFADevice(t, getMFADevice(t, s, d.SerialNumber), d)
	}
}

// Key rings.

func signingKey(id, purpose string, created time.Time) store.SigningKey {
	return store.SigningKey{ID: id, Purpose: purpose, Material: []byte("sealed " + id), ActiveFrom: created, CreatedAt: created}
}

func checkSigningKey(t *testing.T, got, want store.SigningKey) {
	t.Helper()
	if got.ID != want.ID || got.Purpose != want.Purpose || !bytes.Equal(got.Material, want.Material) {
		t.Errorf("signing key = %+v, want %+v", got, want)
	}
	checkTime(t, "key "+want.ID+" ActiveFrom", got.ActiveFrom, want.ActiveFrom)
	checkTime(t, "key "+want.ID+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkOptionalTime(t, "key "+want.ID+" RetireAt", got.RetireAt, want.RetireAt)
	checkOptionalTime(t, "key "+want.ID+" VerifyUntil", got.VerifyUntil, want.VerifyUntil)
}

func checkRing(t *testing.T, s store.Store, purpose string, want ...store.SigningKey) {
	t.Helper()
	keys, err := s.ListSigningKeys(t.Context(), purpose)
	noErr(t, "ListSigningKeys "+purpose, err)
	if len(keys) != len(want) {
		t.Fatalf("ring %s has %d keys, want %d: %+v", purpose, len(keys), len(want), keys)
	}
	for i := range want {
		checkSigningKey(t, keys[i], want[i])
	}
}

func testSigningKeyRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	checkRing(t, s, "session-token")
	full := signingKey("k-full", "session-token", at(3))
	full.Material = allBytes()
	full.ActiveFrom = at(4)
	full.RetireAt, full.VerifyUntil = ptr(at(8)), ptr(at(9))
	// Inserted out of creation order: the list comes back oldest first.
	keys := []store.SigningKey{full, signingKey("k-old", "session-token", at(1)), signingKey("k-new", "session-token", at(6))}
	for _, k := range keys {
		noErr(t, "AddSigningKey "+k.ID, s.AddSigningKey(ctx, k))
	}
	noErr(t, "AddSigningKey of another ring", s.AddSigningKey(ctx, signingKey("k-rsa", "oidc-rs256", at(2))))
	wantErr(t, "AddSigningKey with an existing id", s.AddSigningKey(ctx, signingKey("k-old", "session-token", at(7))), store.ErrAlreadyExists)
	wantErr(t, "AddSigningKey with an id of another ring", s.AddSigningKey(ctx, signingKey("k-rsa", "oidc-es384", at(7))), store.ErrAlreadyExists)

	checkRing(t, s, "session-token", keys[1], keys[0], keys[2])
	checkRing(t, s, "oidc-rs256", signingKey("k-rsa", "oidc-rs256", at(2)))
	checkRing(t, s, "oidc-es384")
}

func testRetireSigningKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	const ring = "session-token"
	early := signingKey("k1", ring, at(1))
	early.RetireAt, early.VerifyUntil = ptr(at(2)), ptr(at(30)) // retired by an earlier rotation
	current := signingKey("k2", ring, at(3))
	scheduled := signingKey("k3", ring, at(4))
	scheduled.RetireAt, scheduled.VerifyUntil = ptr(at(50)), ptr(at(60)) // to retire after `at`
	next := signingKey("k4", ring, at(5))
	other := signingKey("k-other", "oidc-es384", at(1))
	for _, k := range []store.SigningKey{early, current, scheduled, next, other} {
		noErr(t, "AddSigningKey "+k.ID, s.AddSigningKey(ctx, k))
	}

	wantErr(t, "RetireSigningKeys keeping a missing key", s.RetireSigningKeys(ctx, ring, "k-missing", at(10), at(40)), store.ErrNotFound)
	wantErr(t, "RetireSigningKeys keeping a key of another ring", s.RetireSigningKeys(ctx, ring, "k-other", at(10), at(40)), store.ErrNotFound)
	checkRing(t, s, ring, early, current, scheduled, next)

	noErr(t, "RetireSigningKeys", s.RetireSigningKeys(ctx, ring, "k4", at(10), at(40)))
	current.RetireAt, current.VerifyUntil = ptr(at(10)), ptr(at(40))
	scheduled.RetireAt, scheduled.VerifyUntil = ptr(at(10)), ptr(at(40))
	checkRing(t, s, ring, early, current, scheduled, next)
	checkRing(t, s, "oidc-es384", other)

	// Idempotent: a second run finds nothing left to retire.
	noErr(t, "RetireSigningKeys again", s.RetireSigningKeys(ctx, ring, "k4", at(11), at(41)))
	checkRing(t, s, ring, early, current, scheduled, next)
}

func testDeleteExpiredSigningKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	const ring = "oidc-rs256"
	expired := signingKey("k-expired", ring, at(1))
	expired.RetireAt, expired.VerifyUntil = ptr(at(2)), ptr(at(9))
	boundary := signingKey("k-boundary", ring, at(2))
	boundary.RetireAt, boundary.VerifyUntil = ptr(at(3)), ptr(at(10))
	verifying := signingKey("k-verifying", ring, at(3))
	verifying.RetireAt, verifying.VerifyUntil = ptr(at(4)), ptr(at(11))
	active := signingKey("k-active", ring, at(4))
	otherRing := signingKey("k-other", "session-token", at(1))
	otherRing.RetireAt, otherRing.VerifyUntil = ptr(at(2)), ptr(at(3))
	for _, k := range []store.SigningKey{expired, boundary, verifying, active, otherRing} {
		noErr(t, "AddSigningKey "+k.ID, s.AddSigningKey(ctx, k))
	}
	noErr(t, "DeleteExpiredSigningKeys", s.DeleteExpiredSigningKeys(ctx, ring, at(10)))
	// VerifyUntil equal to now has not passed yet.
	checkRing(t, s, ring, boundary, verifying, active)
	checkRing(t, s, "session-token", otherRing)
	noErr(t, "DeleteExpiredSigningKeys later", s.DeleteExpiredSigningKeys(ctx, ring, at(100)))
	checkRing(t, s, ring, active)
	noErr(t, "DeleteExpiredSigningKeys of an empty ring", s.DeleteExpiredSigningKeys(ctx, "oidc-es384", at(100)))
}

// Organizations.

func testOrganization(t *testing.T, s store.Store) {
	ctx := t.Context()
	const mgmt, other = "333333333333", "444444444444"
	for _, id := range []string{acct1, acct2, mgmt, other} {
		createAccount(t, s, id)
	}
	check := func(account, want string) {
		t.Helper()
		got, err := s.ManagementAccount(ctx, account)
		noErr(t, "ManagementAccount "+account, err)
		if got != want {
			t.Errorf("ManagementAccount(%s) = %q, want %q", account, got, want)
		}
	}
	check(acct1, "")
	check("999999999999", "")

	noErr(t, "SetManagementAccount acct1", s.SetManagementAccount(ctx, acct1, mgmt))
	noErr(t, "SetManagementAccount acct2", s.SetManagementAccount(ctx, acct2, mgmt))
	check(acct1, mgmt)
	check(acct2, mgmt)
	check(mgmt, "")

	// An account belongs to one organization at a time; setting it again moves it.
	noErr(t, "SetManagementAccount moving acct2", s.SetManagementAccount(ctx, acct2, other))
	check(acct2, other)
	check(acct1, mgmt)
	noErr(t, "SetManagementAccount repeated", s.SetManagementAccount(ctx, acct2, other))
	check(acct2, other)

	if err := s.SetManagementAccount(ctx, "999999999999", mgmt); err == nil {
		t.Error("SetManagementAccount of a missing member account succeeded")
	}
	if err := s.SetManagementAccount(ctx, acct1, "999999999999"); err == nil {
		t.Error("SetManagementAccount to a missing management account succeeded")
	}
	check(acct1, mgmt)
	check("999999999999", "")
}

// trustNaming is a trust policy naming one user, as IAM stores it beside its binding.
func trustNaming(principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"sts:AssumeRole"}]}`
}

// A role's principal bindings are stored with its trust policy and read back with it by every
// read; a role whose bindings were never written says so, which is not the same as a role bound
// to no one.
func testRolePrincipalBindings(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	bob := "arn:aws:iam::111111111111:user/bob"
	bound := role(acct1, "AROABOUND", "bound", "/")
	bound.AssumeRolePolicyDocument = trustNaming(bob)
	bound.PrincipalsBound = true
	bound.PrincipalBindings = []store.PrincipalBinding{{Principal: bob, ID: "AIDABOB1"},
		{Principal: "arn:aws:sts::111111111111:assumed-role/r/ünïcødé\"s", ID: "AROAR1"}}
	createRole(t, s, bound)
	nobody := role(acct1, "AROANOBODY", "nobody", "/")
	nobody.PrincipalsBound = true
	createRole(t, s, nobody)
	legacy := role(acct1, "AROALEGACY", "legacy", "/")
	createRole(t, s, legacy)

	for _, want := range []store.Role{bound, nobody, legacy} {
		got, err := s.GetRole(ctx, acct1, want.RoleName)
		noErr(t, "GetRole "+want.RoleName, err)
		checkRole(t, got, want)
		got, err = s.GetRoleByID(ctx, want.RoleID)
		noErr(t, "GetRoleByID "+want.RoleName, err)
		checkRole(t, got, want)
	}
	page, err := s.ListRoles(ctx, acct1, "/", "", 0)
	noErr(t, "ListRoles", err)
	if len(page.Roles) != 3 {
		t.Fatalf("ListRoles found %d roles, want 3", len(page.Roles))
	}
	checkRole(t, page.Roles[0], bound)
	checkRole(t, page.Roles[1], legacy)
	checkRole(t, page.Roles[2], nobody)

	// The document and its bindings change in one updater; other updates keep them.
	rebound := bound
	rebound.AssumeRolePolicyDocument = trustNaming("arn:aws:iam::111111111111:user/carol")
	rebound.PrincipalBindings = []store.PrincipalBinding{{Principal: "arn:aws:iam::111111111111:user/carol", ID: "AIDACAROL1"}}
	got, err := s.UpdateRole(ctx, bound.RoleID, func(r *store.Role) error {
		r.AssumeRolePolicyDocument, r.PrincipalBindings = rebound.AssumeRolePolicyDocument, rebound.PrincipalBindings
		return nil
	})
	noErr(t, "UpdateRole of the document and its bindings", err)
	checkRole(t, got, rebound)
	rebound.Tags = []store.Tag{{Key: "k", Value: "v"}}
	_, err = s.UpdateRole(ctx, bound.RoleID, func(r *store.Role) error { r.Tags = rebound.Tags; return nil })
	noErr(t, "UpdateRole of the tags", err)
	got, err = s.GetRoleByID(ctx, bound.RoleID)
	noErr(t, "GetRoleByID after tagging", err)
	checkRole(t, got, rebound)

	// An updater that fails writes neither the document nor the bindings.
	_, err = s.UpdateRole(ctx, bound.RoleID, func(r *store.Role) error {
		r.AssumeRolePolicyDocument, r.PrincipalBindings = trustPolicy, nil
		return errUpdater
	})
	wantErr(t, "a failing updater", err, errUpdater)
	got, err = s.GetRoleByID(ctx, bound.RoleID)
	noErr(t, "GetRoleByID after the failed update", err)
	checkRole(t, got, rebound)

	// Binding a legacy role.
	bindLegacy := legacy
	bindLegacy.PrincipalsBound = true
	_, err = s.UpdateRole(ctx, legacy.RoleID, func(r *store.Role) error { r.PrincipalsBound = true; return nil })
	noErr(t, "UpdateRole binding a legacy role", err)
	got, err = s.GetRole(ctx, acct1, "legacy")
	noErr(t, "GetRole after binding", err)
	checkRole(t, got, bindLegacy)
}

var errUpdater = errors.New("storetest: the updater refuses")

// Readers never see a trust policy with another document's bindings, while writers on several
// connections keep replacing both.
func testRolePrincipalBindingsAtomic(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	principal := func(i int) string { return fmt.Sprintf("arn:aws:iam::111111111111:user/u%03d", i) }
	r := role(acct1, "AROAATOMIC", "atomic", "/")
	r.AssumeRolePolicyDocument = trustNaming(principal(0))
	r.PrincipalsBound = true
	r.PrincipalBindings = []store.PrincipalBinding{{Principal: principal(0), ID: "AIDAU000"}}
	createRole(t, s, r)

	const writers, writes, readers = 4, 15, 4
	check := func(got store.Role) error {
		if len(got.PrincipalBindings) != 1 || !got.PrincipalsBound {
			return fmt.Errorf("role read with bindings %v (bound %v)", got.PrincipalBindings, got.PrincipalsBound)
		}
		b := got.PrincipalBindings[0]
		if got.AssumeRolePolicyDocument != trustNaming(b.Principal) || b.ID != "AIDAU"+strings.TrimPrefix(b.Principal, "arn:aws:iam::111111111111:user/u") {
			return fmt.Errorf("document %s read with binding %v", got.AssumeRolePolicyDocument, b)
		}
		return nil
	}
	errs := Concurrently(writers+readers, func(w int) error {
		if w >= writers {
			for range writes * 2 {
				got, err := s.GetRoleByID(ctx, r.RoleID)
				if err != nil {
					return err
				}
				if err := check(got); err != nil {
					return err
				}
			}
			return nil
		}
		for k := range writes {
			n := 1 + w*writes + k
			_, err := s.UpdateRole(ctx, r.RoleID, func(cur *store.Role) error {
				if err := check(*cur); err != nil {
					return err
				}
				cur.AssumeRolePolicyDocument = trustNaming(principal(n))
				cur.PrincipalBindings = []store.PrincipalBinding{{Principal: principal(n), ID: fmt.Sprintf("AIDAU%03d", n)}}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	for _, err := range errs {
		noErr(t, "a concurrent reader or writer", err)
	}
	got, err := s.GetRoleByID(ctx, r.RoleID)
	noErr(t, "GetRoleByID after the race", err)
	if err := check(got); err != nil {
		t.Fatal(err)
	}
}

// ListUnboundRoles finds the roles of every account whose bindings were never written, and only
// those, page after page.
func testListUnboundRoles(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	var want []string
	for i := range 7 {
		for _, acct := range []string{acct1, acct2} {
			r := role(acct, fmt.Sprintf("AROA%s%02d", acct[:1], i), fmt.Sprintf("r%02d", i), "/")
			if i%3 == 0 {
				r.PrincipalsBound = true
			} else {
				want = append(want, r.RoleID)
			}
			createRole(t, s, r)
		}
	}
	slices.Sort(want)
	for _, limit := range []int{1, 3, 100} {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > len(want)+1 {
				t.Fatalf("limit %d: ListUnboundRoles does not terminate", limit)
			}
			list, err := s.ListUnboundRoles(ctx, after, limit)
			noErr(t, "ListUnboundRoles", err)
			if len(list) > limit {
				t.Fatalf("limit %d: %d roles", limit, len(list))
			}
			if len(list) == 0 {
				break
			}
			for _, r := range list {
				if r.PrincipalsBound {
					t.Fatalf("ListUnboundRoles returned the bound role %s", r.RoleID)
				}
				got = append(got, r.RoleID)
			}
			after = list[len(list)-1].RoleID
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: ListUnboundRoles paged through %v, want %v", limit, got, want)
		}
	}
	_, err := s.UpdateRole(ctx, want[0], func(r *store.Role) error { r.PrincipalsBound = true; return nil })
	noErr(t, "binding a role", err)
	list, err := s.ListUnboundRoles(ctx, "", 0)
	noErr(t, "ListUnboundRoles after binding one", err)
	if len(list) != len(want)-1 || list[0].RoleID != want[1] {
		t.Fatalf("ListUnboundRoles after binding %s: %d roles starting with %s", want[0], len(list), list[0].RoleID)
	}
}

// GetPrincipalsByID finds users and roles of any account by id, in batches larger than one query
// holds, and leaves out ids that name nothing (a deleted principal's).
func testGetPrincipalsByID(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	createAccount(t, s, acct2)
	createUser(t, s, user(acct1, "AIDABOB", "bob", "/team/"))
	createUser(t, s, user(acct2, "AIDAEVE", "Eve", "/"))
	createRole(t, s, role(acct1, "AROABUILDER", "builder", "/ci/"))
	createUser(t, s, user(acct1, "AIDAGONE", "gone", "/"))
	noErr(t, "DeleteUser", s.DeleteUser(ctx, acct1, "AIDAGONE"))

	ids := []string{"AIDAGONE", "AROABUILDER"}
	for i := range 1200 {
		ids = append(ids, fmt.Sprintf("AIDANOSUCH%04d", i))
		if i == 700 {
			ids = append(ids, "AIDAEVE")
		}
	}
	ids = append(ids, "AIDABOB")
	got, err := s.GetPrincipalsByID(ctx, ids)
	noErr(t, "GetPrincipalsByID", err)
	slices.SortFunc(got, func(a, b store.PrincipalEntity) int { return strings.Compare(a.ID, b.ID) })
	want := []store.PrincipalEntity{
		{ID: "AIDABOB", Kind: store.KindUser, AccountID: acct1, Path: "/team/", Name: "bob"},
		{ID: "AIDAEVE", Kind: store.KindUser, AccountID: acct2, Path: "/", Name: "Eve"},
		{ID: "AROABUILDER", Kind: store.KindRole, AccountID: acct1, Path: "/ci/", Name: "builder"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("GetPrincipalsByID = %+v, want %+v", got, want)
	}
	got, err = s.GetPrincipalsByID(ctx, nil)
	noErr(t, "GetPrincipalsByID of nothing", err)
	if len(got) != 0 {
		t.Fatalf("GetPrincipalsByID of nothing = %+v", got)
	}
}

// A permissions boundary names a managed policy that exists when the write commits; otherwise the
// write fails with ErrMissingReference and nothing changes.
func testBoundaryMustExist(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	missing := policyARN(acct1, "/", "missing")

	u := user(acct1, "AIDABOUNDARY1", "bounded", "/")
	u.PermissionsBoundary = missing
	wantErr(t, "CreateUser with a missing boundary", s.CreateUser(ctx, u), store.ErrMissingReference)
	_, err := s.GetUserByID(ctx, u.UserID)
	wantErr(t, "GetUserByID after the refused create", err, store.ErrNotFound)
	r := role(acct1, "AROABOUNDARY1", "bounded", "/")
	r.PermissionsBoundary = missing
	wantErr(t, "CreateRole with a missing boundary", s.CreateRole(ctx, r), store.ErrMissingReference)
	_, err = s.GetRoleByID(ctx, r.RoleID)
	wantErr(t, "GetRoleByID after the refused create", err, store.ErrNotFound)

	// Another account's customer managed policy is no boundary here; an AWS managed policy is.
	createAccount(t, s, acct2)
	foreign := managed(acct2, "ANPAFOREIGN", "foreign", "/")
	createPolicy(t, s, foreign)
	u.PermissionsBoundary = foreign.ARN
	wantErr(t, "CreateUser with another account's policy as boundary", s.CreateUser(ctx, u), store.ErrMissingReference)
	r.PermissionsBoundary = foreign.ARN
	wantErr(t, "CreateRole with another account's policy as boundary", s.CreateRole(ctx, r), store.ErrMissingReference)
	awsPolicy := managed("aws", "ANPAAWSBOUNDARY", "AWSBoundary", "/")
	createPolicy(t, s, awsPolicy)
	withAWS := user(acct1, "AIDABOUNDARY2", "aws-bounded", "/")
	withAWS.PermissionsBoundary = awsPolicy.ARN
	createUser(t, s, withAWS)

	u.PermissionsBoundary = ""
	createUser(t, s, u)
	r.PermissionsBoundary = ""
	createRole(t, s, r)
	_, err = s.UpdateUser(ctx, u.UserID, func(cur *store.User) error {
		cur.PermissionsBoundary = missing
		cur.Tags = []store.Tag{{Key: "k", Value: "v"}}
		return nil
	})
	wantErr(t, "UpdateUser to a missing boundary", err, store.ErrMissingReference)
	gotU, err := s.GetUserByID(ctx, u.UserID)
	noErr(t, "GetUserByID", err)
	if gotU.PermissionsBoundary != "" || len(gotU.Tags) != 0 {
		t.Fatalf("refused update was written: %+v", gotU)
	}
	_, err = s.UpdateRole(ctx, r.RoleID, func(cur *store.Role) error {
		cur.PermissionsBoundary = missing
		return nil
	})
	wantErr(t, "UpdateRole to a missing boundary", err, store.ErrMissingReference)
	gotR, err := s.GetRoleByID(ctx, r.RoleID)
	noErr(t, "GetRoleByID", err)
	if gotR.PermissionsBoundary != "" {
		t.Fatalf("refused update was written: %+v", gotR)
	}
}

// Setting a boundary and deleting its policy at the same moment never leaves a user or role whose
// boundary names a deleted policy: either the delete is refused (DeleteConflict) or the boundary
// write is (ErrMissingReference).
func testBoundaryRacesDeletePolicy(t *testing.T, s store.Store) {
	ctx := t.Context()
	createAccount(t, s, acct1)
	const rounds = 8
	for i := range rounds {
		p := managed(acct1, fmt.Sprintf("ANPARACE%d", i), fmt.Sprintf("race-%d", i), "/")
		createPolicy(t, s, p)
		u := user(acct1, fmt.Sprintf("AIDARACE%d", i), fmt.Sprintf("racer-%d", i), "/")
		createUser(t, s, u)
		r := role(acct1, fmt.Sprintf("AROARACE%d", i), fmt.Sprintf("racer-%d", i), "/")
		createRole(t, s, r)
		errs := Concurrently(3, func(j int) error {
			switch j {
			case 0:
				_, err := s.UpdateUser(ctx, u.UserID, func(cur *store.User) error { cur.PermissionsBoundary = p.ARN; return nil })
				return err
			case 1:
				_, err := s.UpdateRole(ctx, r.RoleID, func(cur *store.Role) error { cur.PermissionsBoundary = p.ARN; return nil })
				return err
			}
			return s.DeleteManagedPolicy(ctx, p.ARN)
		})
		for j, err := range errs {
			if err != nil && !errors.Is(err, store.ErrMissingReference) && !errors.Is(err, store.ErrConflict) {
				t.Fatalf("round %d writer %d: %v", i, j, err)
			}
		}
		_, perr := s.GetManagedPolicy(ctx, p.ARN)
		gotU, err := s.GetUserByID(ctx, u.UserID)
		noErr(t, "GetUserByID", err)
		gotR, err := s.GetRoleByID(ctx, r.RoleID)
		noErr(t, "GetRoleByID", err)
		if errors.Is(perr, store.ErrNotFound) && (gotU.PermissionsBoundary == p.ARN || gotR.PermissionsBoundary == p.ARN) {
			t.Fatalf("round %d: policy deleted while user boundary %q and role boundary %q name it", i, gotU.PermissionsBoundary, gotR.PermissionsBoundary)
		}
	}
}

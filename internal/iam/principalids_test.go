package iam

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/storetest"
)

const otherAccount = "210987654321"

// lookupCounter counts the store reads that rendering could make per principal.
type lookupCounter struct {
	*racingStore
	batches, single atomic.Int32
}

func (c *lookupCounter) GetPrincipalsByID(ctx context.Context, ids []string) ([]store.PrincipalEntity, error) {
	c.batches.Add(1)
	return c.racingStore.GetPrincipalsByID(ctx, ids)
}

func (c *lookupCounter) GetUserByID(ctx context.Context, id string) (store.User, error) {
	c.single.Add(1)
	return c.racingStore.GetUserByID(ctx, id)
}

func (c *lookupCounter) GetRoleByID(ctx context.Context, id string) (store.Role, error) {
	c.single.Add(1)
	return c.racingStore.GetRoleByID(ctx, id)
}

type idFixture struct {
	svc       *Service
	rs        *racingStore
	counter   *lookupCounter
	root      *principal.Principal
	otherRoot *principal.Principal
}

func newIDFixture(t testing.TB) *idFixture {
	t.Helper()
	svc, rs, root := newTestService(t)
	if err := rs.CreateAccount(ctx, store.Account{ID: otherAccount, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c := &lookupCounter{racingStore: rs}
	svc.Store = c
	other := &principal.Principal{Kind: principal.Root, AccountID: otherAccount, ARN: principal.RootARN(otherAccount), UserID: otherAccount}
	return &idFixture{svc: svc, rs: rs, counter: c, root: root, otherRoot: other}
}

func (f *idFixture) user(t testing.TB, caller *principal.Principal, name, path string) store.User {
	t.Helper()
	if _, err := f.svc.CreateUser(ctx, caller, CreateUserInput{UserName: name, Path: path}); err != nil {
		t.Fatal(err)
	}
	u, err := f.rs.Store.GetUser(ctx, caller.AccountID, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *idFixture) role(t testing.TB, name, trust string) Role {
	t.Helper()
	r, err := f.svc.CreateRole(ctx, f.root, CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: trust})
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	return r
}

func (f *idFixture) stored(t *testing.T, name string) store.Role {
	t.Helper()
	r, err := f.rs.GetRole(ctx, testAccount, name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *idFixture) shown(t *testing.T, name string) string {
	t.Helper()
	r, err := f.svc.GetRole(ctx, f.root, name)
	if err != nil {
		t.Fatal(err)
	}
	return r.AssumeRolePolicyDocument
}

func arnOf(kind, account, pathName string) string {
	return "arn:aws:iam::" + account + ":" + kind + "/" + pathName
}

// trustList is a trust policy naming the AWS principals given, laid out with the whitespace a
// person would write, so that rendering can be checked byte for byte.
func trustList(principals ...string) string {
	return "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": { \"AWS\": [\"" +
		strings.Join(principals, "\", \"") + "\"] },\n      \"Action\": \"sts:AssumeRole\"\n    }\n  ]\n}\n"
}

func wantBindings(t *testing.T, r store.Role, want ...store.PrincipalBinding) {
	t.Helper()
	if !r.PrincipalsBound || !slices.Equal(r.PrincipalBindings, want) {
		t.Fatalf("bindings %v (bound %v), want %v", r.PrincipalBindings, r.PrincipalsBound, want)
	}
}

// CreateRole and UpdateAssumeRolePolicy bind every user, role and role session the trust policy
// names to its unique id, in the transaction that stores the document; accounts, root, "*",
// federated users, Federated and Service principals are not bound. The document is kept and
// shown byte for byte while every principal exists under its name.
func TestTrustPolicyBindsPrincipalsOnWrite(t *testing.T) {
	f := newIDFixture(t)
	bob := f.user(t, f.root, "bob", "/")
	eve := f.user(t, f.otherRoot, "eve", "/ops/")
	builder := f.role(t, "builder", trust)
	bobARN, eveARN := arnOf("user", testAccount, "bob"), arnOf("user", otherAccount, "ops/eve")
	builderARN := arnOf("role", testAccount, "builder")
	ciARN := "arn:aws:sts::" + testAccount + ":assumed-role/builder/ci"
	doc := trustList(bobARN, bobARN, eveARN, builderARN, ciARN, testAccount, "arn:aws:iam::"+testAccount+":root", "*",
		"arn:aws:sts::"+testAccount+":federated-user/fed")
	created, err := f.svc.CreateRole(ctx, f.root, CreateRoleInput{RoleName: "target", AssumeRolePolicyDocument: doc})
	if err != nil {
		t.Fatal(err)
	}
	if created.AssumeRolePolicyDocument != doc {
		t.Fatalf("CreateRole shows\n%s\nwant the document as written", created.AssumeRolePolicyDocument)
	}
	wantBindings(t, f.stored(t, "target"),
		store.PrincipalBinding{Principal: bobARN, ID: bob.UserID},
		store.PrincipalBinding{Principal: eveARN, ID: eve.UserID},
		store.PrincipalBinding{Principal: builderARN, ID: builder.RoleID},
		store.PrincipalBinding{Principal: ciARN, ID: builder.RoleID})
	if got := f.shown(t, "target"); got != doc {
		t.Fatalf("GetRole shows\n%s\nwant the document as written", got)
	}

	// The bindings are replaced with the document; names compare case-insensitively, as IAM
	// names do.
	upper := arnOf("user", testAccount, "BOB")
	doc2 := trustList(upper, eveARN)
	if err := f.svc.UpdateAssumeRolePolicy(ctx, f.root, "target", doc2); err != nil {
		t.Fatal(err)
	}
	wantBindings(t, f.stored(t, "target"),
		store.PrincipalBinding{Principal: upper, ID: bob.UserID},
		store.PrincipalBinding{Principal: eveARN, ID: eve.UserID})
	// Shown as IAM's reverse transformation gives them: each by its entity's current ARN.
	if got, want := f.shown(t, "target"), trustList(bobARN, eveARN); got != want {
		t.Fatalf("GetRole shows\n%s\nwant\n%s", got, want)
	}

	// A trust policy naming no one to bind is bound to nothing, not left unbound.
	if err := f.svc.UpdateAssumeRolePolicy(ctx, f.root, "target", trustList(testAccount)); err != nil {
		t.Fatal(err)
	}
	wantBindings(t, f.stored(t, "target"))
}

// Every principal the trust policy names must exist when it is saved. The attack: re-saving a
// deleted user's unique id, as GetRole shows it, to keep a broken trust alive; IAM asks for it to
// be removed or replaced by an ARN. Nothing is written on a refusal.
func TestTrustPolicyRefusesMissingPrincipals(t *testing.T) {
	f := newIDFixture(t)
	gone := f.user(t, f.root, "gone", "/")
	bob := f.user(t, f.root, "bob", "/team/")
	eve := f.user(t, f.otherRoot, "eve", "/")
	builder := f.role(t, "builder", trust)
	if err := f.svc.DeleteUser(ctx, f.root, "gone"); err != nil {
		t.Fatal(err)
	}
	good := trustList(arnOf("user", testAccount, "team/bob"))
	f.role(t, "target", good)
	before := f.stored(t, "target")
	for _, c := range []struct{ name, principal string }{
		{"no such user", arnOf("user", testAccount, "nobody")},
		{"user under another path", arnOf("user", testAccount, "bob")},
		{"deleted user", arnOf("user", testAccount, "gone")},
		{"deleted user's unique id", gone.UserID},
		{"unique id never issued", "AROAZZZZZZZZZZZZZZZZ"},
		// An existing entity's id is refused too: accepted, it would show another account's
		// user by ARN to whoever learned the id (found by an adversarial review).
		{"existing user's unique id", bob.UserID},
		{"existing role's unique id", builder.RoleID},
		{"another account's user's unique id", eve.UserID},
		{"no such role", arnOf("role", testAccount, "nothing")},
		{"session of no such role", "arn:aws:sts::" + testAccount + ":assumed-role/nothing/ci"},
		{"user of another account", arnOf("user", otherAccount, "team/bob")},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := trustList(arnOf("user", testAccount, "team/bob"), c.principal)
			_, err := f.svc.CreateRole(ctx, f.root, CreateRoleInput{RoleName: "new-" + strings.ReplaceAll(c.name, " ", "-"), AssumeRolePolicyDocument: doc})
			wantMalformedPrincipal(t, err, c.principal)
			err = f.svc.UpdateAssumeRolePolicy(ctx, f.root, "target", doc)
			wantMalformedPrincipal(t, err, c.principal)
			after := f.stored(t, "target")
			if after.AssumeRolePolicyDocument != before.AssumeRolePolicyDocument || !slices.Equal(after.PrincipalBindings, before.PrincipalBindings) {
				t.Fatalf("a refused update changed the role: %+v", after)
			}
		})
	}
}

func wantMalformedPrincipal(t *testing.T, err error, principal string) {
	t.Helper()
	wantAWSError(t, err, "MalformedPolicyDocument", http.StatusBadRequest)
	ae, _ := awserr.As(err)
	if want := `Invalid principal in policy: "AWS":"` + principal + `"`; ae.Message != want {
		t.Fatalf("message %q, want %q", ae.Message, want)
	}
}

// GetRole and ListRoles show a deleted principal by its unique id and a renamed or moved one by
// its current ARN, replacing only those strings; a principal re-created under the old name is
// not shown in the old one's place.
func TestTrustPolicyRendering(t *testing.T) {
	f := newIDFixture(t)
	bob := f.user(t, f.root, "bob", "/")
	f.user(t, f.root, "carol", "/")
	eve := f.user(t, f.otherRoot, "eve", "/")
	builder := f.role(t, "builder", trust)
	f.user(t, f.root, "stays", "/")
	bobARN, carolARN, eveARN := arnOf("user", testAccount, "bob"), arnOf("user", testAccount, "carol"), arnOf("user", otherAccount, "eve")
	builderARN := arnOf("role", testAccount, "builder")
	ciARN := "arn:aws:sts::" + testAccount + ":assumed-role/builder/ci"
	staysARN := arnOf("user", testAccount, "stays")
	// The Condition names bob's ARN too: it is not a principal and is never rewritten.
	doc := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"people","Effect":"Allow","Principal":{"AWS":["` + bobARN + `", "` + carolARN + `","` + eveARN + `","` + staysARN + `"]},"Action":"sts:AssumeRole",` +
		`"Condition":{"ArnLike":{"aws:PrincipalArn":"` + bobARN + `"}}},` + "\n" +
		`{"Sid":"machines","Effect":"Allow","Principal":{"AWS":"` + builderARN + `"},"Action":["sts:AssumeRole","sts:TagSession"]},` +
		`{"Effect":"Deny","NotPrincipal":{"AWS":["` + ciARN + `","` + builderARN + `","arn:aws:iam::` + testAccount + `:root"]},"Action":"sts:TagSession"}]}`
	f.role(t, "target", doc)

	if err := f.svc.DeleteUser(ctx, f.root, "bob"); err != nil {
		t.Fatal(err)
	}
	f.user(t, f.root, "bob", "/") // a new bob: not the one the policy named
	if err := f.svc.UpdateUser(ctx, f.root, UpdateUserInput{UserName: "carol", NewUserName: "caroline", NewPath: "/team/"}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteUser(ctx, f.otherRoot, "eve"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteRole(ctx, f.root, "builder"); err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer(
		`"`+bobARN+`",`, `"`+bob.UserID+`",`,
		`"`+carolARN+`"`, `"`+arnOf("user", testAccount, "team/caroline")+`"`,
		`"`+eveARN+`"`, `"`+eve.UserID+`"`,
		`"`+builderARN+`"`, `"`+builder.RoleID+`"`,
		`"`+ciARN+`"`, `"`+builder.RoleID+`:ci"`,
	).Replace(doc)
	if !strings.Contains(want, `"aws:PrincipalArn":"`+bobARN+`"`) || strings.Contains(want, carolARN) {
		t.Fatalf("test document built wrongly:\n%s", want)
	}
	if got := f.shown(t, "target"); got != want {
		t.Fatalf("GetRole shows\n%s\nwant\n%s", got, want)
	}
	page, err := f.svc.ListRoles(ctx, f.root, "/", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Items {
		if r.RoleName == "target" && r.AssumeRolePolicyDocument != want {
			t.Fatalf("ListRoles shows\n%s\nwant\n%s", r.AssumeRolePolicyDocument, want)
		}
	}
	// What is stored is unchanged: rendering never writes.
	if got := f.stored(t, "target").AssumeRolePolicyDocument; got != doc {
		t.Fatalf("stored document changed to\n%s", got)
	}
	// Saving what GetRole showed is refused: the deleted principals' ids name no one.
	wantAWSError(t, f.svc.UpdateAssumeRolePolicy(ctx, f.root, "target", want), "MalformedPolicyDocument", http.StatusBadRequest)
}

// ListRoles looks up the bound principals of a whole page together, not role by role.
func TestListRolesRendersInOneBatch(t *testing.T) {
	f := newIDFixture(t)
	const users, roles = 30, 120
	var arns []string
	for i := range users {
		f.user(t, f.root, fmt.Sprintf("u%02d", i), "/")
		arns = append(arns, arnOf("user", testAccount, fmt.Sprintf("u%02d", i)))
	}
	for i := range roles {
		f.role(t, fmt.Sprintf("r%03d", i), trustList(arns[i%users], arns[(i+7)%users], arns[(i+13)%users]))
	}
	f.counter.batches.Store(0)
	f.counter.single.Store(0)
	page, err := f.svc.ListRoles(ctx, f.root, "/", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != roles {
		t.Fatalf("%d roles listed", len(page.Items))
	}
	if b, s := f.counter.batches.Load(), f.counter.single.Load(); b != 1 || s != 0 {
		t.Fatalf("ListRoles of %d roles made %d batch lookups and %d single reads, want 1 and 0", roles, b, s)
	}
}

// putLegacyRole stores a role as a node without bindings did: no bindings at all.
func (f *idFixture) putLegacyRole(t testing.TB, name, doc string) store.Role {
	t.Helper()
	r := store.Role{AccountID: testAccount, RoleID: f.svc.IDs.UniqueID("AROA"), RoleName: name, Path: "/",
		AssumeRolePolicyDocument: doc, MaxSessionDuration: 3600, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	if err := f.rs.CreateRole(ctx, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// Roles stored without bindings are bound once to what exists at that time: a principal deleted
// before is left unbound (it trusts no one and is shown as written). Binding is idempotent and
// safe to run on several nodes at once; each role is bound exactly once.
func TestBindStoredPrincipals(t *testing.T) {
	f := newIDFixture(t)
	bob := f.user(t, f.root, "bob", "/")
	f.user(t, f.root, "gone", "/")
	builder := f.role(t, "builder", trust)
	if err := f.svc.DeleteUser(ctx, f.root, "gone"); err != nil {
		t.Fatal(err)
	}
	bobARN, goneARN, builderARN := arnOf("user", testAccount, "bob"), arnOf("user", testAccount, "gone"), arnOf("role", testAccount, "builder")
	legacy := f.putLegacyRole(t, "legacy", trustList(bobARN, goneARN, builderARN, testAccount))
	f.putLegacyRole(t, "broken", `{"Statement":`)
	var many []store.Role
	for i := range 230 {
		many = append(many, f.putLegacyRole(t, fmt.Sprintf("many%03d", i), trustList(bobARN)))
	}

	var total atomic.Int32
	errs := storetest.Concurrently(4, func(int) error {
		n, err := f.svc.BindStoredPrincipals(ctx)
		total.Add(int32(n))
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Fatalf("BindStoredPrincipals: %v", err)
		}
	}
	if total := int(total.Load()); total != 2+len(many) {
		t.Fatalf("four concurrent runs bound %d roles in all, want each of the %d once", total, 2+len(many))
	}
	wantBindings(t, f.stored(t, "legacy"),
		store.PrincipalBinding{Principal: bobARN, ID: bob.UserID},
		store.PrincipalBinding{Principal: builderARN, ID: builder.RoleID})
	wantBindings(t, f.stored(t, "broken"))
	for _, r := range many {
		wantBindings(t, f.stored(t, r.RoleName), store.PrincipalBinding{Principal: bobARN, ID: bob.UserID})
	}
	if got := f.shown(t, "legacy"); got != legacy.AssumeRolePolicyDocument {
		t.Fatalf("GetRole of the bound legacy role shows\n%s", got)
	}
	if n, err := f.svc.BindStoredPrincipals(ctx); err != nil || n != 0 {
		t.Fatalf("a second run bound %d roles (%v), want 0", n, err)
	}
}

// A node without bindings rewriting a trust policy while it is being bound: the binding is made
// for the document that is stored, never for the one it replaced.
func TestBindStoredPrincipalsFollowsAConcurrentRewrite(t *testing.T) {
	f := newIDFixture(t)
	f.user(t, f.root, "bob", "/")
	carol := f.user(t, f.root, "carol", "/")
	bobARN, carolARN := arnOf("user", testAccount, "bob"), arnOf("user", testAccount, "carol")
	r := f.putLegacyRole(t, "legacy", trustList(bobARN))
	f.rs.before = func() {
		// The old node writes only the document; the bindings stay unwritten.
		if _, err := f.rs.Store.UpdateRole(ctx, r.RoleID, func(cur *store.Role) error {
			cur.AssumeRolePolicyDocument = trustList(carolARN)
			return nil
		}); err != nil {
			t.Error(err)
		}
	}
	n, err := f.svc.BindStoredPrincipals(ctx)
	if err != nil || n != 1 {
		t.Fatalf("BindStoredPrincipals = %d, %v", n, err)
	}
	got := f.stored(t, "legacy")
	if got.AssumeRolePolicyDocument != trustList(carolARN) {
		t.Fatalf("document %s", got.AssumeRolePolicyDocument)
	}
	wantBindings(t, got, store.PrincipalBinding{Principal: carolARN, ID: carol.UserID})
}

// BenchmarkListRolesRendering measures ListRoles of a full page of 1000 roles on SQLite, each
// trust policy naming three users of 100 (half of them renamed since), against the same page
// whose trust policies name only the account and so need no rendering.
func BenchmarkListRolesRendering(b *testing.B) {
	for _, bc := range []struct {
		name  string
		named bool
	}{{"three-users", true}, {"account-only", false}} {
		b.Run(bc.name, func(b *testing.B) {
			f := newIDFixture(b)
			var arns []string
			for i := range 100 {
				f.user(b, f.root, fmt.Sprintf("u%03d", i), "/")
				arns = append(arns, arnOf("user", testAccount, fmt.Sprintf("u%03d", i)))
			}
			for i := range 1000 {
				doc := trustList(testAccount)
				if bc.named {
					doc = trustList(arns[i%100], arns[(i+7)%100], arns[(i+13)%100])
				}
				f.role(b, fmt.Sprintf("r%04d", i), doc)
			}
			for i := range 50 {
				if err := f.svc.UpdateUser(ctx, f.root, UpdateUserInput{UserName: fmt.Sprintf("u%03d", i), NewUserName: fmt.Sprintf("renamed%03d", i)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				page, err := f.svc.ListRoles(ctx, f.root, "/", "", 1000)
				if err != nil || len(page.Items) != 1000 {
					b.Fatalf("%d roles, %v", len(page.Items), err)
				}
			}
		})
	}
}

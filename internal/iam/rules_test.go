package iam

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// These tests pin IAM's semantic rules as the service enforces them against the real store. The
// service is authorized by allowAll, so every caller below holds what the identity policy
// {"Effect":"Allow","Action":"*","Resource":"*"} grants; each refusal is the rule's, not a policy's.
// Lengths and characters of names, path patterns and MaxSessionDuration's range are constraints of
// the IAM API model, which the wire layer checks before the service is called; the service checks
// what the model cannot.

const allowStarDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

const adminPolicyARN = "arn:aws:iam::aws:policy/AdministratorAccess"

// ruleFixture is a service over a fresh store with two accounts, each with its root and a user
// allowed everything.
type ruleFixture struct {
	svc                   *Service
	st                    *racingStore
	root, admin           *principal.Principal
	otherRoot, otherAdmin *principal.Principal
	// policy is a customer managed policy of the first account, when a test made one.
	policy string
}

func newRuleFixture(t *testing.T) *ruleFixture {
	t.Helper()
	svc, st, root := newTestService(t)
	mk, err := keys.NewMasterKey(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc.Master, svc.SecretAAD = mk, func(id string) []byte { return []byte("access-key:" + id) }
	if err := st.CreateAccount(ctx, store.Account{ID: otherAccount, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := SeedAWSManagedPolicies(ctx, st, time.Now()); err != nil {
		t.Fatal(err)
	}
	other := &principal.Principal{Kind: principal.Root, AccountID: otherAccount, ARN: principal.RootARN(otherAccount), UserID: otherAccount}
	return &ruleFixture{svc: svc, st: st, root: root, admin: starUser(testAccount), otherRoot: other, otherAdmin: starUser(otherAccount)}
}

// starUser is a user of account whose identity policy allows every action on every resource.
func starUser(account string) *principal.Principal {
	return &principal.Principal{Kind: principal.User, AccountID: account, UserName: "admin",
		ARN: principal.UserARN(account, "/", "admin"), UserID: "AIDAADMIN" + account}
}

// broadCallers are the callers of the first account every refusal is checked for: its root and a
// user allowed everything.
var broadCallers = []struct {
	name string
	of   func(*ruleFixture) *principal.Principal
}{
	{"root", func(f *ruleFixture) *principal.Principal { return f.root }},
	{"star user", func(f *ruleFixture) *principal.Principal { return f.admin }},
}

func (f *ruleFixture) mustUser(t *testing.T, caller *principal.Principal, name string) {
	t.Helper()
	if _, err := f.svc.CreateUser(ctx, caller, CreateUserInput{UserName: name}); err != nil {
		t.Fatalf("CreateUser %s: %v", name, err)
	}
}

func (f *ruleFixture) mustRole(t *testing.T, caller *principal.Principal, name string) {
	t.Helper()
	if _, err := f.svc.CreateRole(ctx, caller, CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: trust}); err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
}

func (f *ruleFixture) mustPolicy(t *testing.T, caller *principal.Principal, name string) string {
	t.Helper()
	p, err := f.svc.CreatePolicy(ctx, caller, ManagedPolicyInput{PolicyName: name, Document: allowStarDoc})
	if err != nil {
		t.Fatalf("CreatePolicy %s: %v", name, err)
	}
	return p.ARN
}

func wantNoSuchEntity(t *testing.T, err error) {
	t.Helper()
	wantAWSError(t, err, "NoSuchEntity", http.StatusNotFound)
}

// A path must begin and end with "/" (IAM API Reference, CreateUser: "Path"); a path that does
// not is refused with nothing created, whoever asks.
func TestPathMustBeginAndEndWithSlash(t *testing.T) {
	creates := []struct {
		name   string
		create func(f *ruleFixture, caller *principal.Principal, path string) error
		exists func(f *ruleFixture, caller *principal.Principal) error
	}{
		{"user", func(f *ruleFixture, c *principal.Principal, path string) error {
			_, err := f.svc.CreateUser(ctx, c, CreateUserInput{UserName: "u", Path: path})
			return err
		}, func(f *ruleFixture, c *principal.Principal) error { _, err := f.svc.GetUser(ctx, c, "u"); return err }},
		{"role", func(f *ruleFixture, c *principal.Principal, path string) error {
			_, err := f.svc.CreateRole(ctx, c, CreateRoleInput{RoleName: "r", Path: path, AssumeRolePolicyDocument: trust})
			return err
		}, func(f *ruleFixture, c *principal.Principal) error { _, err := f.svc.GetRole(ctx, c, "r"); return err }},
		{"virtual MFA device", func(f *ruleFixture, c *principal.Principal, path string) error {
			_, err := f.svc.CreateVirtualMFADevice(ctx, c, "d", path, nil)
			return err
		}, func(f *ruleFixture, c *principal.Principal) error {
			p, err := f.svc.ListVirtualMFADevices(ctx, c, "Any", "", 0)
			if err == nil && len(p.Items) == 0 {
				return noSuchDevice("d")
			}
			return err
		}},
		{"user moved by UpdateUser", func(f *ruleFixture, c *principal.Principal, path string) error {
			if _, err := f.svc.CreateUser(ctx, c, CreateUserInput{UserName: "mover"}); err != nil {
				return err
			}
			if err := f.svc.UpdateUser(ctx, c, UpdateUserInput{UserName: "mover", NewPath: path}); err != nil {
				return err
			}
			u, err := f.svc.GetUser(ctx, c, "mover")
			if err == nil && u.Path != path {
				return noSuchUser("mover at " + path)
			}
			return err
		}, nil},
	}
	for _, c := range creates {
		for _, tc := range []struct {
			path string
			ok   bool
		}{
			{"/", true}, {"/team/", true}, {"/division/team/", true},
			{"team/", false}, {"/team", false}, {"team", false}, {"division/team", false},
		} {
			for _, caller := range broadCallers {
				t.Run(c.name+" "+tc.path+" "+caller.name, func(t *testing.T) {
					f := newRuleFixture(t)
					err := c.create(f, caller.of(f), tc.path)
					if tc.ok {
						if err != nil {
							t.Fatalf("path %q refused: %v", tc.path, err)
						}
						return
					}
					wantAWSError(t, err, "ValidationError", http.StatusBadRequest)
					if c.exists != nil {
						if err := c.exists(f, caller.of(f)); err == nil {
							t.Fatal("a refused create left the entity behind")
						}
					}
				})
			}
		}
	}
}

// Names of users, roles and policies are unique in an account case-insensitively (IAM User Guide,
// "IAM identifiers": "names must be unique within an account ... not distinguished by case"); the
// same name in another account is another entity.
func TestNamesAreUniqueCaseInsensitively(t *testing.T) {
	kinds := []struct {
		name   string
		create func(f *ruleFixture, caller *principal.Principal, name string) error
	}{
		{"user", func(f *ruleFixture, c *principal.Principal, n string) error {
			_, err := f.svc.CreateUser(ctx, c, CreateUserInput{UserName: n, Path: "/elsewhere/"})
			return err
		}},
		{"role", func(f *ruleFixture, c *principal.Principal, n string) error {
			_, err := f.svc.CreateRole(ctx, c, CreateRoleInput{RoleName: n, AssumeRolePolicyDocument: trust})
			return err
		}},
		{"managed policy", func(f *ruleFixture, c *principal.Principal, n string) error {
			_, err := f.svc.CreatePolicy(ctx, c, ManagedPolicyInput{PolicyName: n, Path: "/elsewhere/", Document: allowStarDoc})
			return err
		}},
		{"user renamed onto another", func(f *ruleFixture, c *principal.Principal, n string) error {
			if _, err := f.svc.CreateUser(ctx, c, CreateUserInput{UserName: "renamed-" + n}); err != nil {
				return err
			}
			return f.svc.UpdateUser(ctx, c, UpdateUserInput{UserName: "renamed-" + n, NewUserName: n})
		}},
	}
	for _, k := range kinds {
		for _, caller := range broadCallers {
			t.Run(k.name+" "+caller.name, func(t *testing.T) {
				f := newRuleFixture(t)
				if err := k.create(f, f.root, "Builder"); err != nil {
					t.Fatalf("first: %v", err)
				}
				// The other account's names are its own.
				if err := k.create(f, f.otherAdmin, "Builder"); err != nil {
					t.Fatalf("same name in another account: %v", err)
				}
				for _, dup := range []string{"Builder", "builder", "BUILDER"} {
					wantAWSError(t, k.create(f, caller.of(f), dup), "EntityAlreadyExists", http.StatusConflict)
				}
			})
		}
	}
}

// What does not exist is answered NoSuchEntity (404) by every operation that addresses it, for a
// caller allowed to see everything.
func TestMissingEntitiesAnswerNoSuchEntity(t *testing.T) {
	missingPolicy := "arn:aws:iam::" + testAccount + ":policy/nothing"
	for _, tc := range []struct {
		name string
		call func(f *ruleFixture, c *principal.Principal) error
	}{
		{"GetUser", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.GetUser(ctx, c, "nobody")
			return err
		}},
		{"UpdateUser", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.UpdateUser(ctx, c, UpdateUserInput{UserName: "nobody", NewUserName: "somebody"})
		}},
		{"DeleteUser", func(f *ruleFixture, c *principal.Principal) error { return f.svc.DeleteUser(ctx, c, "nobody") }},
		{"TagUser", func(f *ruleFixture, c *principal.Principal) error { return f.svc.TagUser(ctx, c, "nobody", tags("k")) }},
		{"CreateAccessKey", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.CreateAccessKey(ctx, c, "nobody")
			return err
		}},
		{"GetRole", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.GetRole(ctx, c, "nothing")
			return err
		}},
		{"UpdateRole", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.UpdateRole(ctx, c, "nothing", nil, 7200)
		}},
		{"UpdateAssumeRolePolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.UpdateAssumeRolePolicy(ctx, c, "nothing", trust)
		}},
		{"DeleteRole", func(f *ruleFixture, c *principal.Principal) error { return f.svc.DeleteRole(ctx, c, "nothing") }},
		{"PutRolePolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.PutInlinePolicy(ctx, c, KindRole, "nothing", "p", allowStarDoc)
		}},
		{"GetUserPolicy of an existing user", func(f *ruleFixture, c *principal.Principal) error {
			_, _, err := f.svc.GetInlinePolicy(ctx, c, KindUser, "alice", "nothing")
			return err
		}},
		{"DeleteRolePolicy of an existing role", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.DeleteInlinePolicy(ctx, c, KindRole, "builder", "nothing")
		}},
		{"GetPolicy", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.GetPolicy(ctx, c, missingPolicy)
			return err
		}},
		{"DeletePolicy", func(f *ruleFixture, c *principal.Principal) error { return f.svc.DeletePolicy(ctx, c, missingPolicy) }},
		{"CreatePolicyVersion", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.CreatePolicyVersion(ctx, c, missingPolicy, allowStarDoc, true)
			return err
		}},
		{"GetPolicyVersion of an existing policy", func(f *ruleFixture, c *principal.Principal) error {
			_, _, err := f.svc.GetPolicyVersion(ctx, c, f.mustPolicy(t, f.root, "p"), "v9")
			return err
		}},
		{"DeletePolicyVersion of an existing policy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.DeletePolicyVersion(ctx, c, f.mustPolicy(t, f.root, "p"), "v9")
		}},
		{"AttachUserPolicy of no such policy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.AttachPolicy(ctx, c, KindUser, "alice", missingPolicy)
		}},
		{"AttachRolePolicy to no such role", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.AttachPolicy(ctx, c, KindRole, "nothing", adminPolicyARN)
		}},
		{"DetachUserPolicy not attached", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.DetachPolicy(ctx, c, KindUser, "alice", adminPolicyARN)
		}},
		{"PutUserPermissionsBoundary of no such user", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.PutPermissionsBoundary(ctx, c, KindUser, "nobody", adminPolicyARN)
		}},
		{"EnableMFADevice of no such device", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.EnableMFADevice(ctx, c, "alice", mfaARN(testAccount, "/", "nothing"), "123456", "654321")
		}},
	} {
		for _, caller := range broadCallers {
			t.Run(tc.name+" "+caller.name, func(t *testing.T) {
				f := newRuleFixture(t)
				f.mustUser(t, f.root, "alice")
				f.mustRole(t, f.root, "builder")
				wantNoSuchEntity(t, tc.call(f, caller.of(f)))
			})
		}
	}
}

// enableDevice creates a virtual MFA device and assigns it to user with two consecutive codes.
func (f *ruleFixture) enableDevice(t *testing.T, user string) string {
	t.Helper()
	d, err := f.svc.CreateVirtualMFADevice(ctx, f.root, "dev-"+user, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	step := f.svc.Now().Unix() / totpPeriod
	if err := f.svc.EnableMFADevice(ctx, f.root, user, d.SerialNumber, codeAt(d.Base32Seed, step), codeAt(d.Base32Seed, step+1)); err != nil {
		t.Fatal(err)
	}
	return d.SerialNumber
}

// An entity that something still refers to cannot be deleted, however broad the caller (IAM User
// Guide, "Delete an IAM user", "Delete roles or instance profiles", "Delete IAM policies"): it is
// refused DeleteConflict (409) and kept, and deleted once the reference is removed.
func TestDeleteConflict(t *testing.T) {
	for _, tc := range []struct {
		name string
		// refer makes the reference and returns what removes it.
		refer  func(t *testing.T, f *ruleFixture) (undo func() error)
		delete func(f *ruleFixture, c *principal.Principal) error
		get    func(f *ruleFixture) error
	}{
		{"user with an access key", func(t *testing.T, f *ruleFixture) func() error {
			k, err := f.svc.CreateAccessKey(ctx, f.root, "alice")
			if err != nil {
				t.Fatal(err)
			}
			return func() error { return f.svc.DeleteAccessKey(ctx, f.root, "alice", k.AccessKeyID) }
		}, deleteUser, getUser},
		{"user with an inline policy", func(t *testing.T, f *ruleFixture) func() error {
			if err := f.svc.PutInlinePolicy(ctx, f.root, KindUser, "alice", "p", allowStarDoc); err != nil {
				t.Fatal(err)
			}
			return func() error { return f.svc.DeleteInlinePolicy(ctx, f.root, KindUser, "alice", "p") }
		}, deleteUser, getUser},
		{"user with an attached policy", func(t *testing.T, f *ruleFixture) func() error {
			if err := f.svc.AttachPolicy(ctx, f.root, KindUser, "alice", adminPolicyARN); err != nil {
				t.Fatal(err)
			}
			return func() error { return f.svc.DetachPolicy(ctx, f.root, KindUser, "alice", adminPolicyARN) }
		}, deleteUser, getUser},
		{"user with an MFA device", func(t *testing.T, f *ruleFixture) func() error {
			serial := f.enableDevice(t, "alice")
			return func() error { return f.svc.DeactivateMFADevice(ctx, f.root, "alice", serial) }
		}, deleteUser, getUser},
		{"role with an inline policy", func(t *testing.T, f *ruleFixture) func() error {
			if err := f.svc.PutInlinePolicy(ctx, f.root, KindRole, "builder", "p", allowStarDoc); err != nil {
				t.Fatal(err)
			}
			return func() error { return f.svc.DeleteInlinePolicy(ctx, f.root, KindRole, "builder", "p") }
		}, deleteRole, getRole},
		{"role with an attached policy", func(t *testing.T, f *ruleFixture) func() error {
			if err := f.svc.AttachPolicy(ctx, f.root, KindRole, "builder", adminPolicyARN); err != nil {
				t.Fatal(err)
			}
			return func() error { return f.svc.DetachPolicy(ctx, f.root, KindRole, "builder", adminPolicyARN) }
		}, deleteRole, getRole},
		{"policy attached to a user", func(t *testing.T, f *ruleFixture) func() error {
			if err := f.svc.AttachPolicy(ctx, f.root, KindUser, "alice", f.policy); err != nil {
				t.Fatal(err)
			}
			return func() error { return f.svc.DetachPolicy(ctx, f.root, KindUser, "alice", f.policy) }
		}, deletePolicy, getPolicy},
		{"policy attached to a role", func(t *testing.T, f *ruleFixture) func() error {
			if err := f.svc.AttachPolicy(ctx, f.root, KindRole, "builder", f.policy); err != nil {
				t.Fatal(err)
			}
			return func() error { return f.svc.DetachPolicy(ctx, f.root, KindRole, "builder", f.policy) }
		}, deletePolicy, getPolicy},
		{"policy used as a user's permissions boundary", func(t *testing.T, f *ruleFixture) func() error {
			if err := f.svc.PutPermissionsBoundary(ctx, f.root, KindUser, "alice", f.policy); err != nil {
				t.Fatal(err)
			}
			return func() error { return f.svc.DeletePermissionsBoundary(ctx, f.root, KindUser, "alice") }
		}, deletePolicy, getPolicy},
		{"policy used as a role's permissions boundary", func(t *testing.T, f *ruleFixture) func() error {
			if err := f.svc.PutPermissionsBoundary(ctx, f.root, KindRole, "builder", f.policy); err != nil {
				t.Fatal(err)
			}
			return func() error { return f.svc.DeletePermissionsBoundary(ctx, f.root, KindRole, "builder") }
		}, deletePolicy, getPolicy},
		{"policy with a non-default version", func(t *testing.T, f *ruleFixture) func() error {
			v, err := f.svc.CreatePolicyVersion(ctx, f.root, f.policy, allowStarDoc, false)
			if err != nil {
				t.Fatal(err)
			}
			return func() error { return f.svc.DeletePolicyVersion(ctx, f.root, f.policy, v.VersionID) }
		}, deletePolicy, getPolicy},
		{"default version of a policy", func(t *testing.T, f *ruleFixture) func() error {
			v, err := f.svc.CreatePolicyVersion(ctx, f.root, f.policy, allowStarDoc, false)
			if err != nil {
				t.Fatal(err)
			}
			return func() error { return f.svc.SetDefaultPolicyVersion(ctx, f.root, f.policy, v.VersionID) }
		}, func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.DeletePolicyVersion(ctx, c, f.policy, "v1")
		}, func(f *ruleFixture) error {
			_, _, err := f.svc.GetPolicyVersion(ctx, f.root, f.policy, "v1")
			return err
		}},
	} {
		for _, caller := range broadCallers {
			t.Run(tc.name+" "+caller.name, func(t *testing.T) {
				f := newRuleFixture(t)
				f.mustUser(t, f.root, "alice")
				f.mustRole(t, f.root, "builder")
				f.policy = f.mustPolicy(t, f.root, "p")
				undo := tc.refer(t, f)
				wantAWSError(t, tc.delete(f, caller.of(f)), "DeleteConflict", http.StatusConflict)
				if err := tc.get(f); err != nil {
					t.Fatalf("a refused delete removed it: %v", err)
				}
				if err := undo(); err != nil {
					t.Fatal(err)
				}
				if err := tc.delete(f, caller.of(f)); err != nil {
					t.Fatalf("delete once unreferenced: %v", err)
				}
				wantNoSuchEntity(t, tc.get(f))
			})
		}
	}
}

func deleteUser(f *ruleFixture, c *principal.Principal) error {
	return f.svc.DeleteUser(ctx, c, "alice")
}
func getUser(f *ruleFixture) error { _, err := f.svc.GetUser(ctx, f.root, "alice"); return err }
func deleteRole(f *ruleFixture, c *principal.Principal) error {
	return f.svc.DeleteRole(ctx, c, "builder")
}
func getRole(f *ruleFixture) error { _, err := f.svc.GetRole(ctx, f.root, "builder"); return err }
func deletePolicy(f *ruleFixture, c *principal.Principal) error {
	return f.svc.DeletePolicy(ctx, c, f.policy)
}
func getPolicy(f *ruleFixture) error { _, err := f.svc.GetPolicy(ctx, f.root, f.policy); return err }

// A permissions boundary names a managed policy of the entity's own account or an AWS managed one
// (IAM User Guide, "Permissions boundaries for IAM entities"); another account's policy is
// answered as a missing one, even to the root user, and nothing is written.
func TestPermissionsBoundaryMustBeUsableInTheAccount(t *testing.T) {
	sets := []struct {
		name string
		set  func(f *ruleFixture, c *principal.Principal, arn string) error
		get  func(f *ruleFixture) (string, error)
	}{
		{"CreateUser", func(f *ruleFixture, c *principal.Principal, arn string) error {
			_, err := f.svc.CreateUser(ctx, c, CreateUserInput{UserName: "bounded", PermissionsBoundary: arn})
			return err
		}, func(f *ruleFixture) (string, error) {
			u, err := f.svc.GetUser(ctx, f.root, "bounded")
			return u.PermissionsBoundary, err
		}},
		{"CreateRole", func(f *ruleFixture, c *principal.Principal, arn string) error {
			_, err := f.svc.CreateRole(ctx, c, CreateRoleInput{RoleName: "bounded", AssumeRolePolicyDocument: trust, PermissionsBoundary: arn})
			return err
		}, func(f *ruleFixture) (string, error) {
			r, err := f.svc.GetRole(ctx, f.root, "bounded")
			return r.PermissionsBoundary, err
		}},
		{"PutUserPermissionsBoundary", func(f *ruleFixture, c *principal.Principal, arn string) error {
			return f.svc.PutPermissionsBoundary(ctx, c, KindUser, "alice", arn)
		}, func(f *ruleFixture) (string, error) {
			u, err := f.svc.GetUser(ctx, f.root, "alice")
			return u.PermissionsBoundary, err
		}},
		{"PutRolePermissionsBoundary", func(f *ruleFixture, c *principal.Principal, arn string) error {
			return f.svc.PutPermissionsBoundary(ctx, c, KindRole, "builder", arn)
		}, func(f *ruleFixture) (string, error) {
			r, err := f.svc.GetRole(ctx, f.root, "builder")
			return r.PermissionsBoundary, err
		}},
	}
	for _, s := range sets {
		for _, caller := range broadCallers {
			for _, tc := range []struct {
				name   string
				policy func(f *ruleFixture) string
				ok     bool
			}{
				{"own account's policy", func(f *ruleFixture) string { return f.policy }, true},
				{"AWS managed policy", func(*ruleFixture) string { return adminPolicyARN }, true},
				{"another account's policy", func(f *ruleFixture) string { return f.mustPolicy(t, f.otherRoot, "theirs") }, false},
				{"no such policy", func(*ruleFixture) string { return "arn:aws:iam::" + testAccount + ":policy/nothing" }, false},
			} {
				t.Run(s.name+" "+tc.name+" "+caller.name, func(t *testing.T) {
					f := newRuleFixture(t)
					f.mustUser(t, f.root, "alice")
					f.mustRole(t, f.root, "builder")
					f.policy = f.mustPolicy(t, f.root, "p")
					arn := tc.policy(f)
					err := s.set(f, caller.of(f), arn)
					got, gerr := s.get(f)
					if tc.ok {
						if err != nil || gerr != nil || got != arn {
							t.Fatalf("set %v, boundary %q (%v), want %s", err, got, gerr, arn)
						}
						return
					}
					wantNoSuchEntity(t, err)
					if ae, _ := awserrAs(err); ae != "Scope ARN: "+arn+" does not exist or is not attachable." {
						t.Fatalf("message %q", ae)
					}
					if gerr == nil && got != "" {
						t.Fatalf("a refused boundary was written: %q", got)
					}
				})
			}
		}
	}
}

func awserrAs(err error) (string, bool) {
	ae, ok := awserr.As(err)
	if !ok {
		return "", false
	}
	return ae.Message, true
}

// The first account's users, roles and policies are out of reach of the second account's root and
// of its users allowed everything: every call answers as if they did not exist, and nothing of
// them changes.
func TestCrossAccountCallersCannotReachAnotherAccount(t *testing.T) {
	calls := []struct {
		name string
		call func(f *ruleFixture, c *principal.Principal) error
	}{
		{"GetUser", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.GetUser(ctx, c, "alice")
			return err
		}},
		{"UpdateUser", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.UpdateUser(ctx, c, UpdateUserInput{UserName: "alice", NewPath: "/moved/"})
		}},
		{"TagUser", func(f *ruleFixture, c *principal.Principal) error { return f.svc.TagUser(ctx, c, "alice", tags("k")) }},
		{"DeleteUser", func(f *ruleFixture, c *principal.Principal) error { return f.svc.DeleteUser(ctx, c, "alice") }},
		{"CreateAccessKey", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.CreateAccessKey(ctx, c, "alice")
			return err
		}},
		{"PutUserPolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.PutInlinePolicy(ctx, c, KindUser, "alice", "grab", allowStarDoc)
		}},
		{"AttachUserPolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.AttachPolicy(ctx, c, KindUser, "alice", adminPolicyARN)
		}},
		{"GetRole", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.GetRole(ctx, c, "builder")
			return err
		}},
		{"UpdateRole", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.UpdateRole(ctx, c, "builder", nil, 43200)
		}},
		{"UpdateAssumeRolePolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.UpdateAssumeRolePolicy(ctx, c, "builder", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+otherAccount+`"},"Action":"sts:AssumeRole"}]}`)
		}},
		{"PutRolePolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.PutInlinePolicy(ctx, c, KindRole, "builder", "grab", allowStarDoc)
		}},
		{"DeleteRole", func(f *ruleFixture, c *principal.Principal) error { return f.svc.DeleteRole(ctx, c, "builder") }},
		{"GetPolicy", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.GetPolicy(ctx, c, f.policy)
			return err
		}},
		{"GetPolicyVersion", func(f *ruleFixture, c *principal.Principal) error {
			_, _, err := f.svc.GetPolicyVersion(ctx, c, f.policy, "v1")
			return err
		}},
		{"ListEntitiesForPolicy", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.ListEntitiesForPolicy(ctx, c, EntitiesForPolicyInput{PolicyARN: f.policy})
			return err
		}},
		{"CreatePolicyVersion", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.CreatePolicyVersion(ctx, c, f.policy, allowStarDoc, true)
			return err
		}},
		{"TagPolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.TagPolicy(ctx, c, f.policy, tags("k"))
		}},
		{"DeletePolicy", func(f *ruleFixture, c *principal.Principal) error { return f.svc.DeletePolicy(ctx, c, f.policy) }},
		{"AttachUserPolicy of its policy to an own user", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.AttachPolicy(ctx, c, KindUser, "mine", f.policy)
		}},
		{"AttachRolePolicy of its policy to an own role", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.AttachPolicy(ctx, c, KindRole, "mine", f.policy)
		}},
	}
	attackers := []struct {
		name string
		of   func(*ruleFixture) *principal.Principal
	}{
		{"other root", func(f *ruleFixture) *principal.Principal { return f.otherRoot }},
		{"other star user", func(f *ruleFixture) *principal.Principal { return f.otherAdmin }},
	}
	for _, tc := range calls {
		for _, a := range attackers {
			t.Run(tc.name+" "+a.name, func(t *testing.T) {
				f := newRuleFixture(t)
				f.mustUser(t, f.root, "alice")
				f.mustRole(t, f.root, "builder")
				f.policy = f.mustPolicy(t, f.root, "p")
				f.mustUser(t, f.otherRoot, "mine")
				f.mustRole(t, f.otherRoot, "mine")
				wantNoSuchEntity(t, tc.call(f, a.of(f)))
				f.wantFirstAccountUntouched(t)
			})
		}
	}

	t.Run("lists", func(t *testing.T) {
		f := newRuleFixture(t)
		f.mustUser(t, f.root, "alice")
		f.mustRole(t, f.root, "builder")
		f.policy = f.mustPolicy(t, f.root, "p")
		for _, a := range attackers {
			users, err := f.svc.ListUsers(ctx, a.of(f), "", "", 0)
			if err != nil || len(users.Items) != 0 {
				t.Fatalf("%s ListUsers: %v %+v", a.name, err, users.Items)
			}
			roles, err := f.svc.ListRoles(ctx, a.of(f), "", "", 0)
			if err != nil || len(roles.Items) != 0 {
				t.Fatalf("%s ListRoles: %v %+v", a.name, err, roles.Items)
			}
			policies, err := f.svc.ListPolicies(ctx, a.of(f), ListPoliciesInput{Scope: "Local"})
			if err != nil || len(policies.Items) != 0 {
				t.Fatalf("%s ListPolicies: %v %+v", a.name, err, policies.Items)
			}
		}
	})
}

// wantFirstAccountUntouched checks that alice, builder and p are as the fixture made them.
func (f *ruleFixture) wantFirstAccountUntouched(t *testing.T) {
	t.Helper()
	u, err := f.svc.GetUser(ctx, f.root, "alice")
	if err != nil || u.Path != "/" || len(u.Tags) != 0 {
		t.Fatalf("alice: %+v %v", u, err)
	}
	if ks, err := f.svc.ListAccessKeys(ctx, f.root, "alice", "", 0); err != nil || len(ks.Items) != 0 {
		t.Fatalf("alice's keys: %+v %v", ks.Items, err)
	}
	r, err := f.svc.GetRole(ctx, f.root, "builder")
	if err != nil || r.MaxSessionDuration != DefaultMaxSessionDuration || r.AssumeRolePolicyDocument != trust {
		t.Fatalf("builder: %+v %v", r, err)
	}
	for _, kind := range []PrincipalKind{KindUser, KindRole} {
		name := map[PrincipalKind]string{KindUser: "alice", KindRole: "builder"}[kind]
		if ps, err := f.svc.ListInlinePolicies(ctx, f.root, kind, name, "", 0); err != nil || len(ps.Items) != 0 {
			t.Fatalf("%s's inline policies: %v %v", name, ps.Items, err)
		}
		if as, err := f.svc.ListAttached(ctx, f.root, kind, name, "", "", 0); err != nil || len(as.Items) != 0 {
			t.Fatalf("%s's attached policies: %v %v", name, as.Items, err)
		}
	}
	p, err := f.svc.GetPolicy(ctx, f.root, f.policy)
	if err != nil || p.DefaultVersionID != "v1" || len(p.Tags) != 0 || p.AttachmentCount != 0 {
		t.Fatalf("p: %+v %v", p, err)
	}
}

// AWS managed policies are read-only to every account (IAM User Guide, "AWS managed policies":
// "You cannot change the permissions defined in AWS managed policies"); they can be read and
// attached.
func TestAWSManagedPoliciesAreReadOnly(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(f *ruleFixture, c *principal.Principal) error
	}{
		{"DeletePolicy", func(f *ruleFixture, c *principal.Principal) error { return f.svc.DeletePolicy(ctx, c, adminPolicyARN) }},
		{"CreatePolicyVersion", func(f *ruleFixture, c *principal.Principal) error {
			_, err := f.svc.CreatePolicyVersion(ctx, c, adminPolicyARN, allowStarDoc, true)
			return err
		}},
		{"SetDefaultPolicyVersion", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.SetDefaultPolicyVersion(ctx, c, adminPolicyARN, "v1")
		}},
		{"DeletePolicyVersion", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.DeletePolicyVersion(ctx, c, adminPolicyARN, "v1")
		}},
		{"TagPolicy", func(f *ruleFixture, c *principal.Principal) error {
			return f.svc.TagPolicy(ctx, c, adminPolicyARN, tags("k"))
		}},
	} {
		for _, caller := range broadCallers {
			t.Run(tc.name+" "+caller.name, func(t *testing.T) {
				f := newRuleFixture(t)
				before, err := f.svc.GetPolicy(ctx, caller.of(f), adminPolicyARN)
				if err != nil {
					t.Fatal(err)
				}
				wantAWSError(t, tc.call(f, caller.of(f)), "InvalidInput", http.StatusBadRequest)
				after, err := f.svc.GetPolicy(ctx, f.root, adminPolicyARN)
				if err != nil || after.DefaultVersionID != before.DefaultVersionID || len(after.Tags) != 0 {
					t.Fatalf("the AWS managed policy changed: %+v %v", after, err)
				}
				f.mustUser(t, f.root, "alice")
				if err := f.svc.AttachPolicy(ctx, caller.of(f), KindUser, "alice", adminPolicyARN); err != nil {
					t.Fatalf("attach: %v", err)
				}
			})
		}
	}
}

// MaxSessionDuration defaults to an hour and is stored as given by CreateRole and UpdateRole; an
// UpdateRole that omits it keeps it. Its range (3600 to 43200, IAM API Reference, CreateRole) is
// a constraint of the API model, checked before the service is called.
func TestMaxSessionDurationIsKept(t *testing.T) {
	f := newRuleFixture(t)
	for _, tc := range []struct {
		name   string
		create int
		update int
		want   int
	}{
		{"default", 0, 0, DefaultMaxSessionDuration},
		{"longest at create", 43200, 0, 43200},
		{"changed by UpdateRole", 0, 7200, 7200},
		{"changed to the shortest", 43200, 3600, 3600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "msd-" + strconv.Itoa(tc.create) + "-" + strconv.Itoa(tc.update)
			if _, err := f.svc.CreateRole(ctx, f.admin, CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: trust, MaxSessionDuration: tc.create}); err != nil {
				t.Fatal(err)
			}
			if err := f.svc.UpdateRole(ctx, f.admin, name, nil, tc.update); err != nil {
				t.Fatal(err)
			}
			if r, err := f.svc.GetRole(ctx, f.admin, name); err != nil || r.MaxSessionDuration != tc.want {
				t.Fatalf("MaxSessionDuration %d (%v), want %d", r.MaxSessionDuration, err, tc.want)
			}
		})
	}
}

package authz

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
)

// world seeds the real store through its own API, as the IAM service would write it.
type world struct {
	t  *testing.T
	st *sqlstore.Store
}

var seededAt = time.Unix(1_700_000_000, 0)

func (w *world) user(account, id, name, boundary string) {
	w.t.Helper()
	if err := w.st.CreateUser(w.t.Context(), store.User{AccountID: account, UserID: id, UserName: name, Path: "/",
		PermissionsBoundary: boundary, CreatedAt: seededAt}); err != nil {
		w.t.Fatal(err)
	}
}

// role creates a role whose trust policy names only its account, saved with its (empty)
// principal bindings.
func (w *world) role(id, name string) {
	w.t.Helper()
	if err := w.st.CreateRole(w.t.Context(), store.Role{AccountID: acct, RoleID: id, RoleName: name, Path: "/",
		AssumeRolePolicyDocument: trustStmt(`{"AWS":"`+acct+`"}`, `"sts:AssumeRole"`, ""), MaxSessionDuration: 3600,
		CreatedAt: seededAt, PrincipalsBound: true}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) putInline(kind store.PrincipalKind, owner, name, doc string) {
	w.t.Helper()
	if err := w.st.PutInlinePolicy(w.t.Context(), store.InlinePolicy{OwnerKind: kind, OwnerID: owner, PolicyName: name, Document: doc},
		nil, 1<<20); err != nil {
		w.t.Fatal(err)
	}
}

// putManaged creates the customer managed policy arn (arn:aws:iam::<account>:policy/<name>) with
// doc as its default version.
func (w *world) putManaged(arn, doc string) {
	w.t.Helper()
	account := strings.Split(arn, ":")[4]
	name := arn[strings.LastIndex(arn, "/")+1:]
	if err := w.st.CreateManagedPolicy(w.t.Context(), store.ManagedPolicy{AccountID: account, PolicyID: "ANPA" + strings.ToUpper(name),
		PolicyName: name, Path: "/", ARN: arn, IsAttachable: true, CreatedAt: seededAt, UpdatedAt: seededAt},
		store.PolicyVersion{Document: doc, CreatedAt: seededAt}); err != nil {
		w.t.Fatal(err)
	}
}

// unavailableUsers is the store during an outage: reading the caller fails.
type unavailableUsers struct{ *sqlstore.Store }

func (unavailableUsers) GetUserByID(context.Context, string) (store.User, error) {
	return store.User{}, store.ErrUnavailable
}

// lostPolicy is the store once the managed policy arn can no longer be read, which its own API
// never allows while a principal uses it as a boundary.
type lostPolicy struct {
	*sqlstore.Store
	arn string
}

func (l lostPolicy) GetManagedPolicy(ctx context.Context, arn string) (store.ManagedPolicy, error) {
	if arn == l.arn {
		return store.ManagedPolicy{}, store.ErrNotFound
	}
	return l.Store.GetManagedPolicy(ctx, arn)
}

const (
	acct      = "111122223333"
	otherAcct = "444455556666"
	roleARN   = "arn:aws:iam::111122223333:role/target"
	starDoc   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	s3Doc     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	boundary  = "arn:aws:iam::111122223333:policy/s3-only"
)

// fixture: bob (a user whose inline policy is *:*), carol (*:* but an s3-only permissions
// boundary), a role "builder" whose policy is *:*, and eve, a *:* user of another account.
func fixture(t *testing.T) (*Engine, *world) {
	t.Helper()
	src := &world{t: t, st: sqltest.Open(t)}
	for _, a := range []string{acct, otherAcct} {
		if err := src.st.CreateAccount(t.Context(), store.Account{ID: a, CreatedAt: seededAt}); err != nil {
			t.Fatal(err)
		}
	}
	src.putManaged(boundary, s3Doc)
	src.user(acct, "AIDABOB", "bob", "")
	src.user(acct, "AIDACAROL", "carol", boundary)
	src.user(otherAcct, "AIDAEVE", "eve", "")
	src.role("AROABUILDER", "builder")
	for _, u := range []string{"AIDABOB", "AIDACAROL", "AIDAEVE"} {
		src.putInline(store.KindUser, u, "star", starDoc)
	}
	src.putInline(store.KindRole, "AROABUILDER", "star", starDoc)
	return &Engine{Source: src.st, Now: func() time.Time { return time.Unix(1_800_000_000, 0) }}, src
}

func userCaller(account, id, name string) *principal.Principal {
	return &principal.Principal{Kind: principal.User, AccountID: account, UserID: id, UserName: name, ARN: principal.UserARN(account, "/", name)}
}

func sessionCaller() *principal.Principal {
	return &principal.Principal{Kind: principal.AssumedRole, AccountID: acct, UserID: "AROABUILDER:ci", RoleID: "AROABUILDER", RoleName: "builder",
		RoleARN: principal.RoleARNOf(acct, "/", "builder"), ARN: principal.AssumedRoleARN(acct, "builder", "ci"), SessionName: "ci", Temporary: true}
}

func trust(t *testing.T, e *Engine, doc string) *policy.Policy {
	t.Helper()
	p, err := e.Parse(roleARN, doc, policy.Trust)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func trustStmt(principal, actions, cond string) string {
	s := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":` + actions
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + `}]}`
}

// The engine hands the trust policy to the evaluator as a gate: callers whose own policies allow
// everything are refused unless the trust policy allows them too.
func TestCheckTrustGate(t *testing.T) {
	e, _ := fixture(t)
	bob := userCaller(acct, "AIDABOB", "bob")
	carol := userCaller(acct, "AIDACAROL", "carol")
	eve := userCaller(otherAcct, "AIDAEVE", "eve")
	sess := sessionCaller()
	const (
		bobP   = `{"AWS":"arn:aws:iam::111122223333:user/bob"}`
		aliceP = `{"AWS":"arn:aws:iam::111122223333:user/alice"}`
		acctP  = `{"AWS":"111122223333"}`
		eveP   = `{"AWS":"arn:aws:iam::444455556666:user/eve"}`
	)
	cases := []struct {
		name    string
		caller  *principal.Principal
		action  string
		trust   string
		kind    policy.Kind
		reqCtx  map[string][]string
		resAcct string
		allowed bool
		reason  string
	}{
		{"star user not named", bob, "sts:AssumeRole", trustStmt(aliceP, `"sts:AssumeRole"`, ""), policy.Trust, nil, acct, false, "because no resource-based policy allows the sts:AssumeRole action"},
		{"star user not named, kind from the parse", bob, "sts:AssumeRole", trustStmt(aliceP, `"sts:AssumeRole"`, ""), 0, nil, acct, false, "because no resource-based policy allows the sts:AssumeRole action"},
		{"star session not named", sess, "sts:AssumeRole", trustStmt(bobP, `"sts:AssumeRole"`, ""), policy.Trust, nil, acct, false, "because no resource-based policy allows"},
		{"star user, external id missing", bob, "sts:AssumeRole", trustStmt(bobP, `"sts:AssumeRole"`, `{"StringEquals":{"sts:ExternalId":"ext-1"}}`), policy.Trust, nil, acct, false, "because no resource-based policy allows"},
		{"star user, external id right", bob, "sts:AssumeRole", trustStmt(bobP, `"sts:AssumeRole"`, `{"StringEquals":{"sts:ExternalId":"ext-1"}}`), policy.Trust, map[string][]string{"sts:ExternalId": {"ext-1"}}, acct, true, ""},
		{"long-term keys carry no MFA key", bob, "sts:AssumeRole", trustStmt(acctP, `"sts:AssumeRole"`, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), policy.Trust, nil, acct, false, "because no resource-based policy allows"},
		{"session without MFA", sess, "sts:AssumeRole", trustStmt(acctP, `"sts:AssumeRole"`, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), policy.Trust, nil, acct, false, "because no resource-based policy allows"},
		{"tag session not trusted", bob, "sts:TagSession", trustStmt(bobP, `"sts:AssumeRole"`, ""), policy.Trust, map[string][]string{"aws:RequestTag/team": {"x"}}, acct, false, "because no resource-based policy allows the sts:TagSession action"},
		{"source identity not trusted", bob, "sts:SetSourceIdentity", trustStmt(bobP, `"sts:AssumeRole"`, ""), policy.Trust, nil, acct, false, "because no resource-based policy allows the sts:SetSourceIdentity action"},
		{"set context not trusted", sess, "sts:SetContext", trustStmt(`{"AWS":"arn:aws:iam::111122223333:role/builder"}`, `"sts:AssumeRole"`, ""), policy.Trust, nil, acct, false, "because no resource-based policy allows the sts:SetContext action"},
		{"exact user trusted", bob, "sts:AssumeRole", trustStmt(bobP, `"sts:AssumeRole"`, ""), policy.Trust, nil, acct, true, ""},
		{"account trust, boundary limits", carol, "sts:AssumeRole", trustStmt(acctP, `"sts:AssumeRole"`, ""), policy.Trust, nil, acct, false, "because no permissions boundary allows"},
		{"account trust, identity allows", bob, "sts:AssumeRole", trustStmt(acctP, `"sts:AssumeRole"`, ""), policy.Trust, nil, acct, true, ""},
		{"cross-account trust names eve, eve's identity allows", eve, "sts:AssumeRole", trustStmt(eveP, `"sts:AssumeRole"`, ""), policy.Trust, nil, acct, true, ""},
		{"cross-account trust names own account", eve, "sts:AssumeRole", trustStmt(acctP, `"sts:AssumeRole"`, ""), policy.Trust, nil, acct, false, "because no resource-based policy allows"},
		{"explicit deny in trust", bob, "sts:AssumeRole", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + bobP + `,"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`, policy.Trust, nil, acct, false, "with an explicit deny in a resource-based policy"},
		// The general rule stays for other kinds: the identity side alone suffices.
		{"resource kind, identity alone", bob, "sts:AssumeRole", trustStmt(aliceP, `"sts:AssumeRole"`, ""), policy.Resource, nil, acct, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.Check(context.Background(), Request{Caller: c.caller, Action: c.action, Resource: roleARN, ResourceAccount: c.resAcct,
				Context: c.reqCtx, ResourcePolicy: trust(t, e, c.trust), ResourcePolicyKind: c.kind})
			if c.allowed {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			ae, ok := awserr.As(err)
			if !ok || ae.Code != "AccessDenied" || ae.HTTPStatus != http.StatusForbidden {
				t.Fatalf("want AccessDenied, got %v", err)
			}
			want := "User: " + c.caller.ARN + " is not authorized to perform: " + c.action + " on resource: " + roleARN + " " + c.reason
			if !strings.HasPrefix(ae.Message, want) {
				t.Fatalf("message %q\nwant prefix %q", ae.Message, want)
			}
		})
	}
}

// RequireConditionKeys reaches the evaluator: a trust whose Allow does not pin the keys counts for
// nothing.
func TestCheckRequireConditionKeys(t *testing.T) {
	e, _ := fixture(t)
	caller := &principal.Principal{Kind: principal.WebIdentity, AccountID: acct, ARN: "cognito-identity.amazonaws.com", UserID: "cognito-identity.amazonaws.com"}
	fed := &policy.Principal{Type: "Federated", Account: acct, ARNs: []string{"cognito-identity.amazonaws.com"}}
	reqCtx := map[string][]string{"cognito-identity.amazonaws.com:aud": {"us-east-1:pool"}, "cognito-identity.amazonaws.com:amr": {"unauthenticated"}}
	loose := trust(t, e, trustStmt(`{"Federated":"cognito-identity.amazonaws.com"}`, `"sts:AssumeRoleWithWebIdentity"`, ""))
	pinned := trust(t, e, trustStmt(`{"Federated":"cognito-identity.amazonaws.com"}`, `"sts:AssumeRoleWithWebIdentity"`,
		`{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:pool"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}`))
	keys := []string{"cognito-identity.amazonaws.com:aud", "cognito-identity.amazonaws.com:amr"}
	check := func(p *policy.Policy, require []string) error {
		_, err := e.Check(context.Background(), Request{Caller: caller, Principal: fed, Action: "sts:AssumeRoleWithWebIdentity", Resource: roleARN, ResourceAccount: acct,
			Context: reqCtx, ResourcePolicy: p, ResourcePolicyKind: policy.Trust, RequireConditionKeys: require})
		return err
	}
	if err := check(loose, nil); err != nil {
		t.Fatalf("loose trust without requirement: %v", err)
	}
	if err := check(loose, keys); err == nil {
		t.Fatal("loose trust passed the requirement")
	}
	if err := check(pinned, keys); err != nil {
		t.Fatalf("pinned trust: %v", err)
	}
}

// Policies written through another path (a concurrent writer) are seen once the cache is
// invalidated or its TTL has passed; a Deny added meanwhile wins over the exact trust Allow.
func TestCheckSeesNewDenyAfterInvalidation(t *testing.T) {
	e, src := fixture(t)
	now := time.Unix(1_800_000_000, 0)
	e.Now = func() time.Time { return now }
	bob := userCaller(acct, "AIDABOB", "bob")
	tr := trust(t, e, trustStmt(`{"AWS":"arn:aws:iam::111122223333:user/bob"}`, `"sts:AssumeRole"`, ""))
	req := Request{Caller: bob, Action: "sts:AssumeRole", Resource: roleARN, ResourceAccount: acct, ResourcePolicy: tr, ResourcePolicyKind: policy.Trust}
	if err := e.Authorize(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	src.putInline(store.KindUser, "AIDABOB", "deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:*","Resource":"*"}]}`)
	now = now.Add(6 * time.Second) // past the default 5 s TTL
	if err := e.Authorize(context.Background(), req); err == nil || !strings.Contains(err.Error(), "explicit deny in an identity-based policy") {
		t.Fatalf("deny after TTL: %v", err)
	}
	e2, src2 := fixture(t)
	if err := e2.Authorize(context.Background(), Request{Caller: bob, Action: "s3:GetObject", Resource: "*"}); err != nil {
		t.Fatal(err)
	}
	src2.putInline(store.KindUser, "AIDABOB", "deny", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`)
	e2.InvalidateAll()
	if err := e2.Authorize(context.Background(), Request{Caller: bob, Action: "s3:GetObject", Resource: "*"}); err == nil {
		t.Fatal("deny after InvalidateAll not seen")
	}
}

// Failures of the store never grant: a missing principal is a denial, an unavailable store a 503,
// and stored documents that no longer parse or a boundary that cannot be read allow nothing.
func TestCheckFailsClosed(t *testing.T) {
	ctx := context.Background()
	e, src := fixture(t)
	ghost := userCaller(acct, "AIDAGHOST", "ghost")
	err := e.Authorize(ctx, Request{Caller: ghost, Action: "s3:GetObject", Resource: "*"})
	if ae, ok := awserr.As(err); !ok || ae.Code != "AccessDenied" {
		t.Fatalf("deleted user: %v", err)
	}

	e, src = fixture(t)
	e.Source = unavailableUsers{src.st}
	err = e.Authorize(ctx, Request{Caller: userCaller(acct, "AIDABOB", "bob"), Action: "s3:GetObject", Resource: "*"})
	// The engine classifies the outage; the server's catalog picks the protocol's code. The cause
	// stays in the chain for the log.
	if ae, ok := awserr.As(err); !ok || ae.Kind != awserr.Unavailable || ae.Code != "" || ae.HTTPStatus != http.StatusServiceUnavailable ||
		!errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("unavailable store: %v", err)
	}

	e, src = fixture(t)
	const gone = "arn:aws:iam::111122223333:policy/gone"
	src.putManaged(gone, s3Doc)
	src.user(acct, "AIDADAN", "dan", gone)
	src.putInline(store.KindUser, "AIDADAN", "star", starDoc)
	e.Source = lostPolicy{Store: src.st, arn: gone}
	err = e.Authorize(ctx, Request{Caller: userCaller(acct, "AIDADAN", "dan"), Action: "s3:GetObject", Resource: "*"})
	if err == nil {
		t.Fatal("an unreadable boundary allowed")
	}
	src.user(acct, "AIDAFAY", "fay", "")
	src.putInline(store.KindUser, "AIDAFAY", "broken", `{"Statement":`)
	err = e.Authorize(ctx, Request{Caller: userCaller(acct, "AIDAFAY", "fay"), Action: "s3:GetObject", Resource: "*"})
	if err == nil {
		t.Fatal("an unparsable stored document allowed")
	}
	if errors.Is(err, store.ErrNotFound) {
		t.Fatalf("store error leaked: %v", err)
	}
}

// The condition context: temporary credentials carry aws:MultiFactorAuthPresent, long-term keys
// do not, and operation keys are added to it.
func TestContextKeys(t *testing.T) {
	e, _ := fixture(t)
	ctx := WithRequestInfo(context.Background(), RequestInfo{SourceIP: "192.0.2.7", Secure: true, Time: time.Unix(1_800_000_000, 0)})
	long := e.Context(ctx, userCaller(acct, "AIDABOB", "bob"))
	if _, ok := long.Get("aws:MultiFactorAuthPresent"); ok {
		t.Fatal("long-term keys carry aws:MultiFactorAuthPresent")
	}
	if v, _ := long.Get("aws:username"); len(v) != 1 || v[0] != "bob" {
		t.Fatalf("aws:username %v", v)
	}
	sess := e.Context(ctx, sessionCaller())
	if v, _ := sess.Get("aws:MultiFactorAuthPresent"); len(v) != 1 || v[0] != "false" {
		t.Fatalf("session MFA key %v", v)
	}
	if v, _ := sess.Get("aws:PrincipalArn"); len(v) != 1 || v[0] != principal.RoleARNOf(acct, "/", "builder") {
		t.Fatalf("session aws:PrincipalArn %v", v)
	}
	if _, ok := sess.Get("aws:username"); ok {
		t.Fatal("role session carries aws:username")
	}
	if v, _ := sess.Get("aws:SourceIp"); len(v) != 1 || v[0] != "192.0.2.7" {
		t.Fatalf("aws:SourceIp %v", v)
	}
}

// A role's trust policy is evaluated with the bindings saved beside it: a user or role
// re-created under a trusted name is refused even with *:*; the aws:PrincipalArn condition stays
// ARN-based (the documented way to trust whoever holds a name); and the parse cache never hands
// out a view bound to other bindings of the same document.
func TestTrustPolicyMatchesByUniqueID(t *testing.T) {
	ctx := context.Background()
	e, src := fixture(t)
	const (
		bobARN     = "arn:aws:iam::111122223333:user/bob"
		builderARN = "arn:aws:iam::111122223333:role/builder"
		sessARN    = "arn:aws:sts::111122223333:assumed-role/builder/ci"
	)
	// bob2 is bob deleted and created again: same name, same ARN, another id, and *:*. The store
	// keeps one user per name and the old bob must stay to be matched too, so bob2 is stored under
	// another name; the engine reads users by id, and the ARN the trust policy sees is the caller's
	// (bob's). builder2 likewise.
	src.user(acct, "AIDABOB2", "bob-recreated", "")
	src.putInline(store.KindUser, "AIDABOB2", "star", starDoc)
	src.role("AROABUILDER2", "builder-recreated")
	src.putInline(store.KindRole, "AROABUILDER2", "star", starDoc)
	bob, bob2 := userCaller(acct, "AIDABOB", "bob"), userCaller(acct, "AIDABOB2", "bob")
	sess := sessionCaller()
	sess2 := sessionCaller()
	sess2.RoleID, sess2.UserID = "AROABUILDER2", "AROABUILDER2:ci"

	role := func(doc string, bound bool, bindings ...store.PrincipalBinding) store.Role {
		return store.Role{AccountID: acct, RoleID: "AROATARGET", RoleName: "target", Path: "/", AssumeRolePolicyDocument: doc,
			PrincipalsBound: bound, PrincipalBindings: bindings}
	}
	names := trustStmt(`{"AWS":["`+bobARN+`","`+builderARN+`"]}`, `"sts:AssumeRole"`, "")
	session := trustStmt(`{"AWS":"`+sessARN+`"}`, `"sts:AssumeRole"`, "")
	byCondition := trustStmt(`{"AWS":"111122223333"}`, `"sts:AssumeRole"`, `{"ArnLike":{"aws:PrincipalArn":"`+bobARN+`"}}`)
	saved := role(names, true, store.PrincipalBinding{Principal: bobARN, ID: "AIDABOB"}, store.PrincipalBinding{Principal: builderARN, ID: "AROABUILDER"})
	rebound := role(names, true, store.PrincipalBinding{Principal: bobARN, ID: "AIDABOB2"}, store.PrincipalBinding{Principal: builderARN, ID: "AROABUILDER"})
	cases := []struct {
		name    string
		role    store.Role
		caller  *principal.Principal
		allowed bool
	}{
		{"the user that was named", saved, bob, true},
		{"the user re-created with *:*", saved, bob2, false},
		{"a session of the role that was named", saved, sess, true},
		{"a session of the role re-created with *:*", saved, sess2, false},
		{"saved again after re-creation: the new user", rebound, bob2, true},
		{"saved again after re-creation: not the old user", rebound, bob, false},
		{"a session named exactly", role(session, true, store.PrincipalBinding{Principal: sessARN, ID: "AROABUILDER"}), sess, true},
		{"a session named exactly, role re-created", role(session, true, store.PrincipalBinding{Principal: sessARN, ID: "AROABUILDER"}), sess2, false},
		{"never bound: the named user is not trusted", role(names, false), bob, false},
		{"aws:PrincipalArn still matches the re-created user", role(byCondition, true), bob2, true},
		{"aws:PrincipalArn of another name does not match", role(strings.Replace(byCondition, "user/bob", "user/alice", 1), true), bob2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tp, err := e.TrustPolicy(c.role)
			if err != nil {
				t.Fatal(err)
			}
			err = e.Authorize(ctx, Request{Caller: c.caller, Action: "sts:AssumeRole", Resource: roleARN, ResourceAccount: acct,
				ResourcePolicy: tp, ResourcePolicyKind: policy.Trust})
			if c.allowed != (err == nil) {
				t.Fatalf("allowed %v, want %v (%v)", err == nil, c.allowed, err)
			}
			if err != nil {
				if ae, ok := awserr.As(err); !ok || ae.Code != "AccessDenied" {
					t.Fatalf("want AccessDenied, got %v", err)
				}
			}
		})
	}
	a, err := e.TrustPolicy(saved)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.TrustPolicy(saved)
	c, _ := e.TrustPolicy(rebound)
	if a != b || a == c {
		t.Fatalf("cache: same bindings gave %p and %p, other bindings %p", a, b, c)
	}
}

// The caller's policy principal carries the ids bound principals are matched by.
func TestPolicyPrincipalIDs(t *testing.T) {
	fed := &principal.Principal{Kind: principal.FederatedUser, AccountID: acct, ARN: principal.FederatedUserARN(acct, "bob"), UserID: acct + ":bob", BaseUserID: "AIDABOB"}
	root := &principal.Principal{Kind: principal.Root, AccountID: acct, ARN: principal.RootARN(acct), UserID: acct}
	rootSession := &principal.Principal{Kind: principal.AssumedRole, AccountID: acct, ARN: principal.AssumedRoleARN(acct, "root", "task"), SessionName: "task"}
	for _, c := range []struct {
		name          string
		p             *principal.Principal
		id, session   string
		wantRoleInARN bool
	}{
		{"user", userCaller(acct, "AIDABOB", "bob"), "AIDABOB", "", false},
		{"role session", sessionCaller(), "AROABUILDER", "ci", true},
		{"federated user carries no id", fed, "", "", false},
		{"root carries no id", root, "", "", false},
		{"a session without a role carries no id", rootSession, "", "", false},
	} {
		pp := PolicyPrincipal(c.p)
		if pp.ID != c.id || pp.SessionName != c.session || (len(pp.ARNs) == 2) != c.wantRoleInARN {
			t.Errorf("%s: %+v", c.name, pp)
		}
	}
}

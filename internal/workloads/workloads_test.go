package workloads_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore/sqltest"
	"github.com/latchkey/latchkey/internal/token"
	"github.com/latchkey/latchkey/internal/workloads"
)

const (
	acctA     = "111122223333"
	acctB     = "444455556666"
	ecsTrust  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	rootTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	svc    *workloads.Service
	st     store.Store
	sealer *token.Sealer
}

// newFixture is the service over the real SQLite store, session service, authz engine and
// sealer, with accounts A and B.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := sqltest.Open(t)
	for _, a := range []string{acctA, acctB} {
		if err := st.CreateAccount(t.Context(), store.Account{ID: a, CreatedAt: testNow}); err != nil {
			t.Fatal(err)
		}
	}
	mk, err := keys.NewMasterKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return testNow }
	sealer := &token.Sealer{Ring: token.SessionRing(st, mk, now)}
	sessions := session.New(session.Deps{Store: st, Engine: &authz.Engine{Source: st, Now: now}, Sealer: sealer, IDs: ids.Default, Now: now})
	return &fixture{svc: workloads.New(workloads.Deps{Store: st, Sessions: sessions, Now: now}), st: st, sealer: sealer}
}

func (f *fixture) role(t *testing.T, account, name, trust string) {
	t.Helper()
	r := store.Role{AccountID: account, RoleID: "AROA" + strings.ToUpper(name) + account, RoleName: name, Path: "/", AssumeRolePolicyDocument: trust,
		MaxSessionDuration: 7200, CreatedAt: testNow}
	if err := f.st.CreateRole(t.Context(), r); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) create(t *testing.T, in workloads.CreateInput) workloads.Created {
	t.Helper()
	c, err := f.svc.CreateContainer(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateContainer %+v: %v", in, err)
	}
	return c
}

func TestCreateContainerRules(t *testing.T) {
	roleA := "arn:aws:iam::111122223333:role/app"
	cases := []struct {
		name string
		in   workloads.CreateInput
		ok   bool
	}{
		{"plain", workloads.CreateInput{Name: "web", RoleARN: roleA}, true},
		{"path role, session name, duration", workloads.CreateInput{Name: "api.v2_x-1", RoleARN: "arn:aws:iam::111122223333:role/svc/app", SessionName: "task@x", DurationSeconds: 900}, true},
		{"64 characters", workloads.CreateInput{Name: strings.Repeat("a", 64), RoleARN: roleA}, true},
		{"65 characters", workloads.CreateInput{Name: strings.Repeat("a", 65), RoleARN: roleA}, false},
		{"one character", workloads.CreateInput{Name: "w", RoleARN: roleA}, false},
		{"slash in name", workloads.CreateInput{Name: "a/b", RoleARN: roleA}, false},
		{"leading dot", workloads.CreateInput{Name: ".web", RoleARN: roleA}, false},
		{"empty name", workloads.CreateInput{RoleARN: roleA}, false},
		{"not a role ARN", workloads.CreateInput{Name: "web", RoleARN: "arn:aws:iam::111122223333:user/app"}, false},
		{"bad session name", workloads.CreateInput{Name: "web", RoleARN: roleA, SessionName: "a b"}, false},
		{"duration too short", workloads.CreateInput{Name: "web", RoleARN: roleA, DurationSeconds: 899}, false},
		{"duration too long", workloads.CreateInput{Name: "web", RoleARN: roleA, DurationSeconds: 43201}, false},
		{"account not hosted", workloads.CreateInput{Name: "web", RoleARN: "arn:aws:iam::999999999999:role/app"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			got, err := f.svc.CreateContainer(t.Context(), c.in)
			if !c.ok {
				if !errors.Is(err, workloads.ErrInvalid) {
					t.Fatalf("want ErrInvalid, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			stored, err := f.st.GetContainerBinding(t.Context(), c.in.Name)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(got.Token))
			if len(got.Token) < 43 || !bytes.Equal(stored.TokenHash, sum[:]) || strings.Contains(string(stored.TokenHash), got.Token) {
				t.Fatalf("token %q stored as %x", got.Token, stored.TokenHash)
			}
			if stored.AccountID != acctA || stored.RoleARN != c.in.RoleARN || stored.SessionName == "" {
				t.Fatalf("stored %+v", stored)
			}
		})
	}
}

func TestCreateContainerUniqueAndTokensDiffer(t *testing.T) {
	f := newFixture(t)
	a := f.create(t, workloads.CreateInput{Name: "web", RoleARN: "arn:aws:iam::111122223333:role/app"})
	if _, err := f.svc.CreateContainer(t.Context(), workloads.CreateInput{Name: "web", RoleARN: "arn:aws:iam::444455556666:role/app"}); !errors.Is(err, workloads.ErrInvalid) {
		t.Fatalf("duplicate name: %v", err)
	}
	b := f.create(t, workloads.CreateInput{Name: "api", RoleARN: "arn:aws:iam::111122223333:role/app"})
	if a.Token == b.Token {
		t.Fatal("two bindings got the same token")
	}
	list, err := f.svc.List(t.Context())
	if err != nil || len(list) != 2 || list[0].Name != "api" || list[1].Name != "web" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if err := f.svc.Delete(t.Context(), "web"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Delete(t.Context(), "web"); !errors.Is(err, workloads.ErrInvalid) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestContainerCredentials(t *testing.T) {
	type setup struct {
		trust, roleARN string
		token          func(c workloads.Created) string
		name           string
		deleted        bool
	}
	good := func(c workloads.Created) string { return c.Token }
	cases := []struct {
		name   string
		s      setup
		code   string
		status int
	}{
		{"trust names ecs-tasks", setup{trust: ecsTrust, token: good}, "", 0},
		{"missing token", setup{trust: ecsTrust, token: func(workloads.Created) string { return "" }}, "Unauthorized", http.StatusUnauthorized},
		{"wrong token", setup{trust: ecsTrust, token: func(c workloads.Created) string { return c.Token[:len(c.Token)-1] + "x" }}, "AccessDenied", http.StatusForbidden},
		{"another binding's token", setup{trust: ecsTrust, name: "other", token: good}, "AccessDenied", http.StatusForbidden},
		{"deleted binding", setup{trust: ecsTrust, token: good, deleted: true}, "AccessDenied", http.StatusForbidden},
		{"trust names only the account root", setup{trust: rootTrust, token: good}, "AccessDenied", http.StatusForbidden},
		{"trust pins another source account", setup{trust: strings.Replace(ecsTrust, `"Action":"sts:AssumeRole"`,
			`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"444455556666"}}`, 1), token: good}, "AccessDenied", http.StatusForbidden},
		{"role missing", setup{trust: ecsTrust, roleARN: "arn:aws:iam::111122223333:role/gone", token: good}, "AccessDenied", http.StatusForbidden},
		{"role path differs", setup{trust: ecsTrust, roleARN: "arn:aws:iam::111122223333:role/x/app", token: good}, "AccessDenied", http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.role(t, acctA, "app", c.s.trust)
			roleARN := c.s.roleARN
			if roleARN == "" {
				roleARN = "arn:aws:iam::111122223333:role/app"
			}
			created := f.create(t, workloads.CreateInput{Name: "web", RoleARN: roleARN, DurationSeconds: 1800})
			f.create(t, workloads.CreateInput{Name: "other", RoleARN: roleARN})
			if c.s.deleted {
				if err := f.svc.Delete(t.Context(), "web"); err != nil {
					t.Fatal(err)
				}
			}
			tok := c.s.token(created)
			if c.s.name == "other" {
				tok = created.Token // web's token presented at other
			}
			name := "web"
			if c.s.name != "" {
				name = c.s.name
			}
			creds, err := f.svc.ContainerCredentials(t.Context(), name, tok)
			if c.code != "" {
				ae, ok := awserr.As(err)
				if !ok || ae.Code != c.code || ae.HTTPStatus != c.status {
					t.Fatalf("want %s %d, got %v", c.code, c.status, err)
				}
				if creds.AccessKeyID != "" {
					t.Fatal("credentials on a refusal")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p, _, err := f.sealer.Open(t.Context(), creds.AccessKeyID, creds.SessionToken)
			if err != nil {
				t.Fatal(err)
			}
			if p.ARN != "arn:aws:sts::111122223333:assumed-role/app/web" || p.FederatedProvider != "" || !p.Expires.Equal(testNow.Add(30*time.Minute)) ||
				creds.RoleARN != roleARN || creds.AccountID != acctA || !strings.HasPrefix(creds.AccessKeyID, "ASIA") {
				t.Fatalf("credentials %+v of %+v", creds, p)
			}
		})
	}
}

package cognito

import (
	"context"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// sessionRequest is what the enhanced flow asked of the session service, read back from the
// session request the way a trust policy sees it.
type sessionRequest struct {
	RoleARN     string
	PoolID      string
	PoolAccount string
	IdentityID  string
	AMR         []string
	Tags        []session.Tag
	Request     session.Request
}

// fakeSTS stands for the session service: every role exists, and the roles in deny refuse.
type fakeSTS struct {
	mu   sync.Mutex
	reqs []sessionRequest
	deny map[string]bool
}

func (f *fakeSTS) FindRole(_ context.Context, ref session.RoleRef) (store.Role, bool, error) {
	return store.Role{AccountID: ref.Account, Path: ref.Path, RoleName: ref.Name, RoleID: "AROA" + ref.Name, MaxSessionDuration: 3600}, true, nil
}

func (f *fakeSTS) AssumeRole(_ context.Context, r session.Request) (session.RoleSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	arn := principal.RoleARNOf(r.Role.AccountID, r.Role.Path, r.Role.RoleName)
	first := func(k string) string {
		if v := r.Condition[CognitoProvider+":"+k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	rec := sessionRequest{RoleARN: arn, PoolID: first("aud"), IdentityID: first("sub"), AMR: r.Condition[CognitoProvider+":amr"], Tags: r.Tags, Request: r}
	if r.Federated != nil {
		rec.PoolAccount = r.Federated.HomeAccount
	}
	f.reqs = append(f.reqs, rec)
	if f.deny[arn] {
		return session.RoleSession{}, session.FederatedDenied(r.Action)
	}
	return session.RoleSession{Credentials: session.Credentials{AccessKeyID: "ASIAFAKE", SecretAccessKey: "secret", SessionToken: "tok", Expiration: time.Unix(1900000000, 0)}}, nil
}

func (f *fakeSTS) last() sessionRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

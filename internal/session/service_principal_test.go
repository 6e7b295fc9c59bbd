package session_test

import (
	"net/http"
	"testing"

	"github.com/latchkey/latchkey/internal/awserr"

	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
)

const ecsTasks = "ecs-tasks.amazonaws.com"

// asECSTasks makes the request ecs-tasks.amazonaws.com's, on behalf of a workload of account.
func asECSTasks(account string) func(*fixture, *session.Request) {
	return func(_ *fixture, r *session.Request) {
		r.Caller, r.Federated = nil, session.ServiceIdentity(ecsTasks)
		r.Condition = map[string][]string{"aws:SourceAccount": {account}}
	}
}

// A service principal is admitted only by a trust statement naming it as a Service; the
// account, another service, or the same name as a federated provider does not admit it.
func TestServicePrincipalTrust(t *testing.T) {
	svcTrust := func(cond string) func(*fixture) string {
		return func(*fixture) string { return trustDoc(`{"Service":"`+ecsTasks+`"}`, assume, cond) }
	}
	noFederation := func(t *testing.T, _ *fixture, rs session.RoleSession, p *principal.Principal) {
		if p.FederatedProvider != "" || p.Kind != principal.AssumedRole || p.ARN != "arn:aws:sts::111122223333:assumed-role/target/s1" {
			t.Fatalf("session principal %+v", p)
		}
	}
	runRoleCases(t, []roleCase{
		{"trust names ecs-tasks", svcTrust(""), nil, asECSTasks(acctA), "", noFederation},
		{"source account pinned to the role's", svcTrust(`{"StringEquals":{"aws:SourceAccount":"111122223333"}}`), nil, asECSTasks(acctA), "", nil},
		{"source account pinned to another", svcTrust(`{"StringEquals":{"aws:SourceAccount":"444455556666"}}`), nil, asECSTasks(acctA), denied, nil},
		{"condition on aws:PrincipalServiceName", func(*fixture) string {
			return trustDoc(`{"Service":"`+ecsTasks+`"}`, assume, `{"Bool":{"aws:PrincipalIsAWSService":"true"},"StringEquals":{"aws:PrincipalServiceName":"ecs-tasks.amazonaws.com"}}`)
		}, nil, asECSTasks(acctA), "", nil},
		{"service has no principal account", svcTrust(`{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`), nil, asECSTasks(acctA), denied, nil},
		{"trust names only the account", accountTrust, nil, asECSTasks(acctA), denied, nil},
		{"trust names another service", func(*fixture) string { return trustDoc(`{"Service":"ec2.amazonaws.com"}`, assume, "") }, nil, asECSTasks(acctA), denied, nil},
		{"trust names ecs-tasks as a federated provider", func(*fixture) string { return trustDoc(`{"Federated":"`+ecsTasks+`"}`, assume, "") }, nil, asECSTasks(acctA), denied, nil},
		{"trust allows ecs-tasks another action only", func(*fixture) string { return trustDoc(`{"Service":"`+ecsTasks+`"}`, webID, "") }, nil, asECSTasks(acctA), denied, nil},
	})
}

// A refused service request names only the operation, like a federated one.
func TestServicePrincipalRefusalMessage(t *testing.T) {
	f := newFixture(t)
	role := f.role(t, "target", accountTrust(f))
	_, err := f.svc.AssumeRole(t.Context(), session.Request{Action: "sts:AssumeRole", Federated: session.ServiceIdentity(ecsTasks), Role: role, SessionName: "s1"})
	wantCode(t, err, denied, http.StatusForbidden)
	if ae, _ := awserr.As(err); ae.Message != "Not authorized to perform sts:AssumeRole" {
		t.Fatalf("message %q", ae.Message)
	}
}

package session_test

import (
	"testing"

	"github.com/latchkey/latchkey/internal/iam"
	"github.com/latchkey/latchkey/internal/session"
)

const elasticBeanstalk = "elasticbeanstalk.amazonaws.com"

// The trust policy IAM gives a service-linked role admits its service and no one else: not
// another service, not a user of the account, not the service's name as a federated provider.
func TestServiceLinkedRoleTrust(t *testing.T) {
	slr := func(*fixture) string { return iam.ServiceLinkedTrust(elasticBeanstalk) }
	as := func(service string) func(*fixture, *session.Request) {
		return func(_ *fixture, r *session.Request) { r.Caller, r.Federated = nil, session.ServiceIdentity(service) }
	}
	runRoleCases(t, []roleCase{
		{"its service", slr, nil, as(elasticBeanstalk), "", nil},
		{"another service", slr, nil, as(ecsTasks), denied, nil},
		{"a user of the account", slr, nil, func(*fixture, *session.Request) {}, denied, nil},
		{"the service name as a federated provider", slr, nil, func(_ *fixture, r *session.Request) {
			r.Caller, r.Federated = nil, &session.Identity{ProviderARN: elasticBeanstalk, HomeAccount: acctA}
		}, denied, nil},
	})
}

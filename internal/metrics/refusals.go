package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/policy"
)

// credentialMetrics count credentials issued and refused.
type credentialMetrics struct {
	issued  *prometheus.CounterVec
	refused *prometheus.CounterVec
}

func newCredentialMetrics() credentialMetrics {
	return credentialMetrics{
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "latchkey",
			Name:      "credentials_issued_total",
			Help:      "Credentials and identity tokens issued, by service (or imds, container-credentials) and operation.",
		}, []string{"service", "operation"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "latchkey",
			Name:      "credential_refusals_total",
			Help:      "Refused credential requests, by service, operation and reason (a Latchkey reason such as trust_policy or token_audience when the refusal was explained, else the AWS error code).",
		}, []string{"service", "operation", "reason"}),
	}
}

// Credential records one credential-issuing call of operation on service (a model's service id, or
// "imds" and "container-credentials" for the workload channels): issued when code is "", else
// refused with code and the refusal's explanation (nil when it has none).
func (m *Metrics) Credential(service, operation, code string, x *explain.Explanation) {
	if code == "" {
		m.credentials.issued.WithLabelValues(service, operation).Inc()
		return
	}
	m.credentials.refused.WithLabelValues(service, operation, RefusalReason(code, x)).Inc()
}

// policyReasons name the kind of policy that refused.
var policyReasons = map[string]string{
	policy.KindIdentity: "identity_policy", policy.KindTrust: "trust_policy", policy.KindResource: "resource_policy",
	policy.KindBoundary: "permissions_boundary", policy.KindSession: "session_policy",
}

// checkReasons name the failed check of a token or assertion.
var checkReasons = map[string]string{
	"aud": "audience", "Audience": "audience", "iss": "issuer", "Issuer": "issuer", "exp": "expired",
	"signature": "signature", "kid": "signature", "alg": "signature", "keyset": "signature", "thumbprint": "thumbprint",
}

// RefusalReason is a refusal's reason label: from its explanation, one of a closed set (the kind
// of policy that decided, or token_/assertion_ and the failed check); without one, the AWS error
// code.
func RefusalReason(code string, x *explain.Explanation) string {
	if x == nil {
		return code
	}
	switch x.Outcome {
	case explain.ExplicitDeny, explain.ImplicitDeny:
		for _, decision := range []string{"ExplicitDeny", "ImplicitDeny"} {
			for _, p := range x.Policies {
				if r, ok := policyReasons[p.Kind]; ok && p.Decision == decision {
					return r
				}
			}
		}
		return "policy"
	case explain.ExpiredToken:
		return "token_expired"
	case explain.InvalidSignature:
		return "signature"
	case explain.MalformedPolicy:
		return "malformed_policy"
	case explain.InvalidToken, explain.InvalidAssertion:
		prefix := "token_"
		if x.Outcome == explain.InvalidAssertion {
			prefix = "assertion_"
		}
		for i := len(x.Checks) - 1; i >= 0; i-- {
			if !x.Checks[i].Passed {
				if r, ok := checkReasons[x.Checks[i].Name]; ok {
					return prefix + r
				}
				break
			}
		}
		return prefix + "invalid"
	}
	return code
}

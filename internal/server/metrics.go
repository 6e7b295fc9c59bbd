package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/policy"
)

// metrics are labelled only with values from closed sets (model service ids, model operation
// names or "unknown", AWS error codes, the reasons of refusalReason), so hostile requests cannot
// grow label cardinality.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	issued   *prometheus.CounterVec
	refused  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "latchkey",
			Name:      "requests_total",
			Help:      "API requests by service, operation and AWS error code (\"OK\" for successes).",
		}, []string{"service", "operation", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "latchkey",
			Name:      "request_duration_seconds",
			Help:      "API request latency by service and operation.",
			Buckets:   []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"service", "operation"}),
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "latchkey",
			Name:      "credentials_issued_total",
			Help:      "Credentials and identity tokens issued, by service and operation.",
		}, []string{"service", "operation"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "latchkey",
			Name:      "credential_refusals_total",
			Help:      "Refused credential-issuing calls, by service, operation and reason (a Latchkey reason such as trust_policy or token_audience when the refusal was explained, else the AWS error code).",
		}, []string{"service", "operation", "reason"}),
	}
	reg.MustRegister(m.requests, m.latency, m.issued, m.refused)
	return m
}

func (m *metrics) observe(rq *request, audited bool, d time.Duration) {
	service, op, code := rq.svc.model.ID, rq.op, rq.errCode
	if code == "" {
		code = "OK"
	}
	if op == "" {
		op = "unknown"
	}
	m.requests.WithLabelValues(service, op, code).Inc()
	m.latency.WithLabelValues(service, op).Observe(d.Seconds())
	if !audited {
		return
	}
	if rq.errCode == "" {
		m.issued.WithLabelValues(service, op).Inc()
	} else {
		m.refused.WithLabelValues(service, op, refusalReason(rq.errCode, rq.explanation)).Inc()
	}
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

// refusalReason is a refusal's reason label: from its explanation, one of a closed set (the kind
// of policy that decided, or token_/assertion_ and the failed check); without one, the AWS error
// code.
func refusalReason(code string, x *explain.Explanation) string {
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

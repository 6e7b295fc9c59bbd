package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/latchkey/latchkey/internal/explain"
)

// metrics are labelled only with values from closed sets (model service ids, model operation
// names or "unknown", AWS error codes), so hostile requests cannot grow label cardinality.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
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
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// CredentialRecorder counts credentials issued and refused (metrics.Metrics): code is "" for an
// issue, else the AWS error code of the refusal, explained by x when it can be.
type CredentialRecorder interface {
	Credential(service, operation, code string, x *explain.Explanation)
}

func (s *Server) observe(rq *request, d time.Duration) {
	m := s.metrics
	service, op, code := rq.svc.model.ID, rq.op, rq.errCode
	if code == "" {
		code = "OK"
	}
	if op == "" {
		op = "unknown"
	}
	m.requests.WithLabelValues(service, op, code).Inc()
	m.latency.WithLabelValues(service, op).Observe(d.Seconds())
	if s.deps.Credentials != nil && auditedOps[rq.svc.model.SigningName+":"+op] {
		s.deps.Credentials.Credential(service, op, rq.errCode, rq.explanation)
	}
}

// credential reports one answer of a workload channel (container credentials) to the recorder.
func (s *Server) credential(service, code string, x *explain.Explanation) {
	if s.deps.Credentials != nil {
		s.deps.Credentials.Credential(service, "AssumeRole", code, x)
	}
}

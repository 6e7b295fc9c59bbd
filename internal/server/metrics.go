package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
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

func (m *metrics) observe(service, op, code string, d time.Duration) {
	if code == "" {
		code = "OK"
	}
	if op == "" {
		op = "unknown"
	}
	m.requests.WithLabelValues(service, op, code).Inc()
	m.latency.WithLabelValues(service, op).Observe(d.Seconds())
}

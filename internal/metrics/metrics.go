package metrics

import (
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics is the registry-backed recorder the application hands to services.
type Metrics struct {
	reg            prometheus.Registerer
	now            func() time.Time
	idpFetches     *prometheus.CounterVec
	idpLastSuccess *prometheus.GaugeVec
	storeLatency   *prometheus.HistogramVec
	storeErrors    *prometheus.CounterVec
	credentials    credentialMetrics
}

// New registers the metrics in reg, including latchkey_build_info; now is the clock of the
// key-ring gauges (nil means time.Now).
func New(reg prometheus.Registerer, now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	m := &Metrics{
		reg: reg,
		now: now,
		idpFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "latchkey", Name: "idp_fetches_total",
			Help: "Fetches of an upstream OIDC provider's discovery document and JWKS, by issuer and outcome.",
		}, []string{"issuer", "outcome"}),
		idpLastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "latchkey", Name: "idp_last_success_timestamp_seconds",
			Help: "Unix time of the last successful key-set fetch of an upstream OIDC provider, by issuer.",
		}, []string{"issuer"}),
		storeLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "latchkey", Name: "store_operation_duration_seconds",
			Help:    "Store operation latency, retries included, by kind (read or write).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"kind"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "latchkey", Name: "store_errors_total",
			Help: "Store operations that failed, by operation kind and error kind.",
		}, []string{"kind", "error"}),
	}
	m.credentials = newCredentialMetrics()
	reg.MustRegister(m.idpFetches, m.idpLastSuccess, m.storeLatency, m.storeErrors, m.credentials.issued, m.credentials.refused, buildInfo())
	return m
}

// buildInfo is latchkey_build_info{version,revision,goversion} 1, from the binary's build info.
func buildInfo() prometheus.Collector {
	version, revision := "(devel)", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "latchkey", Name: "build_info",
		Help:        "Always 1; the labels say which build of Latchkey is running.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}

// IdPFetch records one fetch of issuer's key set; outcome is "success" or a failure class.
func (m *Metrics) IdPFetch(issuer, outcome string, at time.Time) {
	m.idpFetches.WithLabelValues(issuer, outcome).Inc()
	if outcome == "success" {
		m.idpLastSuccess.WithLabelValues(issuer).Set(float64(at.UnixNano()) / 1e9)
	}
}

// StoreOp records one store operation of kind ("read" or "write") that took d; errKind is "" for
// a success, else the kind of its final error.
func (m *Metrics) StoreOp(kind string, d time.Duration, errKind string) {
	m.storeLatency.WithLabelValues(kind).Observe(d.Seconds())
	if errKind != "" {
		m.storeErrors.WithLabelValues(kind, errKind).Inc()
	}
}

// CacheStats reports a cache's lookups so far.
type CacheStats interface {
	Stats() (hits, misses uint64)
}

// Cache publishes the hit and miss counts of the named cache, read when scraped.
func (m *Metrics) Cache(name string, c CacheStats) {
	labels := prometheus.Labels{"cache": name}
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "latchkey", Name: "cache_hits_total", ConstLabels: labels,
			Help: "Lookups answered from an in-process cache, by cache.",
		}, func() float64 { h, _ := c.Stats(); return float64(h) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "latchkey", Name: "cache_misses_total", ConstLabels: labels,
			Help: "Lookups an in-process cache could not answer, by cache.",
		}, func() float64 { _, mi := c.Stats(); return float64(mi) }),
	)
}

// RingStatus reports a key ring's schedule from what it has loaded.
type RingStatus interface {
	// Schedule answers since when the current signing key signs and when the newest key of the
	// ring (active or only published) became or becomes active; zero times before the first load.
	Schedule(now time.Time) (signerSince, newest time.Time)
}

// KeyRing publishes the age of the named ring's signing key and the time of its next scheduled
// rotation (the newest key's activation plus rotateEvery), read when scraped. A ring this node
// has not loaded yet has no samples rather than misleading zeros.
func (m *Metrics) KeyRing(name string, r RingStatus, rotateEvery time.Duration) {
	labels := prometheus.Labels{"ring": name}
	m.reg.MustRegister(&ringCollector{
		r: r, every: rotateEvery, now: m.now,
		age: prometheus.NewDesc("latchkey_key_ring_age_seconds",
			"How long the ring's current signing key has been signing, by ring.", nil, labels),
		next: prometheus.NewDesc("latchkey_key_ring_next_rotation_timestamp_seconds",
			"Unix time at which the rotation schedule next replaces the ring's newest key (checked hourly), by ring.", nil, labels),
	})
}

type ringCollector struct {
	r         RingStatus
	every     time.Duration
	now       func() time.Time
	age, next *prometheus.Desc
}

func (c *ringCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.age; ch <- c.next }

func (c *ringCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.now()
	since, newest := c.r.Schedule(now)
	if !since.IsZero() {
		ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, now.Sub(since).Seconds())
	}
	if !newest.IsZero() {
		ch <- prometheus.MustNewConstMetric(c.next, prometheus.GaugeValue, float64(newest.Add(c.every).UnixNano())/1e9)
	}
}

// IssuancesDropped publishes how many credential-issuance records the recorder dropped (its queue
// was full or the store refused a batch), read when scraped.
func (m *Metrics) IssuancesDropped(dropped func() uint64) {
	m.dropped("issuances_dropped_total", "Records of credentials issued that were not stored: the recorder's queue was full or the store failed a batch.", dropped)
}

// DecisionsDropped publishes how many refusals the decision recorder did not store (its queue was
// full or the store refused a batch), read when scraped.
func (m *Metrics) DecisionsDropped(dropped func() uint64) {
	m.dropped("decisions_dropped_total", "Refusals that were not stored in the decision store: the recorder's queue was full or the store failed a batch.", dropped)
}

func (m *Metrics) dropped(name, help string, dropped func() uint64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "latchkey", Name: name, Help: help},
		func() float64 { return float64(dropped()) }))
}

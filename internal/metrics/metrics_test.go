package metrics

import (
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type fakeRing struct{ since, newest time.Time }

func (r fakeRing) Schedule(time.Time) (time.Time, time.Time) { return r.since, r.newest }

type fakeCache struct{ hits, misses uint64 }

func (c fakeCache) Stats() (uint64, uint64) { return c.hits, c.misses }

func TestMetrics(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	reg := prometheus.NewPedanticRegistry()
	m := New(reg, func() time.Time { return now })
	m.KeyRing("loaded", fakeRing{since: now.Add(-time.Hour), newest: now.Add(time.Minute)}, 24*time.Hour)
	m.KeyRing("unloaded", fakeRing{}, 24*time.Hour)
	m.Cache("c", fakeCache{hits: 3, misses: 1})
	m.IdPFetch("https://idp.example.com", "success", now.Add(-time.Second))
	m.IdPFetch("https://idp.example.com", "tls", now)
	m.StoreOp("write", time.Millisecond, "")
	m.StoreOp("write", time.Millisecond, "unique")

	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("gathering: HTTP %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`latchkey_key_ring_age_seconds{ring="loaded"} 3600`,
		`latchkey_key_ring_next_rotation_timestamp_seconds{ring="loaded"} 1.80008646e+09`,
		`latchkey_cache_hits_total{cache="c"} 3`,
		`latchkey_cache_misses_total{cache="c"} 1`,
		`latchkey_idp_fetches_total{issuer="https://idp.example.com",outcome="success"} 1`,
		`latchkey_idp_fetches_total{issuer="https://idp.example.com",outcome="tls"} 1`,
		`latchkey_idp_last_success_timestamp_seconds{issuer="https://idp.example.com"} 1.799999999e+09`,
		`latchkey_store_errors_total{error="unique",kind="write"} 1`,
		`latchkey_store_operation_duration_seconds_count{kind="write"} 2`,
		`latchkey_build_info{goversion="` + runtime.Version() + `"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, `ring="unloaded"`) {
		t.Error("a ring not loaded yet has samples")
	}
}

package integration

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkRefusalRecorded measures a refusal that is recorded in the decision store: 16 concurrent
// unsigned GetCallerIdentity requests (MissingAuthenticationToken) through the node's handler, as
// an unauthenticated flood sends them, with allocations reported.
func BenchmarkRefusalRecorded(b *testing.B) {
	ts := startServer(b)
	req := formRequest("GetCallerIdentity")
	if err := refused(ts, req); err != nil { // warm
		b.Fatal(err)
	}
	benchConcurrent(b, func() error { return refused(ts, req) })
	// The records dropped because the store did not keep up (latchkey_decisions_dropped_total, on
	// builds that record refusals off the request path).
	w := httptest.NewRecorder()
	ts.App.Handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for line := range strings.Lines(w.Body.String()) {
		if v, ok := strings.CutPrefix(line, "latchkey_decisions_dropped_total "); ok {
			if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				b.ReportMetric(n/float64(b.N), "dropped/op")
			}
		}
	}
}

// benchConcurrent runs serve b.N times from 16 goroutines, as 16 clients would, with allocations
// and req/s reported; the first failure fails b.
func benchConcurrent(b *testing.B, serve func() error) {
	var failed atomic.Pointer[error]
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := serve(); err != nil {
				failed.CompareAndSwap(nil, &err)
			}
		}
	})
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// refused serves h (unsigned) once and says why it was not refused with MissingAuthenticationToken;
// it may run on any goroutine.
func refused(ts *testServer, h hotRequest) error {
	r := httptest.NewRequest(h.method, h.target, bytes.NewReader(h.body))
	r.Header = h.header.Clone()
	w := httptest.NewRecorder()
	ts.App.Handler.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "MissingAuthenticationToken") {
		return fmt.Errorf("status %d: %s", w.Code, w.Body.String())
	}
	return nil
}

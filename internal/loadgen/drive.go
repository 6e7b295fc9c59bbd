package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// phase is what one operation against one target measured.
type phase struct {
	Requests   int
	Errors     int
	FirstError string
	Wall       time.Duration
	P50, P99   time.Duration
	ServerCPU  time.Duration // the target child's utime+stime over the phase
	ClientCPU  time.Duration // this process's, over the same phase
}

func (p phase) perSecond() float64 {
	if p.Wall <= 0 {
		return 0
	}
	return float64(p.Requests) / p.Wall.Seconds()
}

// cpuPerRequest is in microseconds.
func cpuPerRequest(cpu time.Duration, requests int) float64 {
	if requests == 0 {
		return 0
	}
	return float64(cpu.Microseconds()) / float64(requests)
}

type worker struct {
	next       newRequest
	latencies  []time.Duration
	errors     int
	firstError string
}

// drive runs one request maker per client against the child until d has passed (or ctx is done),
// then waits for the requests in flight; the CPU figures cover exactly that span.
func drive(ctx context.Context, client *http.Client, makers []newRequest, d time.Duration, c *child) (phase, error) {
	workers := make([]*worker, len(makers))
	for i, m := range makers {
		workers[i] = &worker{next: m, latencies: make([]time.Duration, 0, 4096)}
	}
	self, err := processCPU("self")
	if err != nil {
		return phase{}, err
	}
	server, err := processCPU(c.pid)
	if err != nil {
		return phase{}, err
	}
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(ctx, client, deadline)
		}()
	}
	wg.Wait()
	p := phase{Wall: time.Since(start)}
	if err := ctx.Err(); err != nil {
		return p, err
	}
	selfAfter, err := processCPU("self")
	if err != nil {
		return p, err
	}
	serverAfter, err := processCPU(c.pid)
	if err != nil {
		return p, fmt.Errorf("reading the child's CPU: %w (%v)", err, c.alive())
	}
	p.ServerCPU, p.ClientCPU = serverAfter-server, selfAfter-self
	var all []time.Duration
	for _, w := range workers {
		all = append(all, w.latencies...)
		p.Errors += w.errors
		if p.FirstError == "" {
			p.FirstError = w.firstError
		}
	}
	p.Requests = len(all)
	slices.Sort(all)
	p.P50, p.P99 = percentile(all, 0.50), percentile(all, 0.99)
	return p, nil
}

func (w *worker) run(ctx context.Context, client *http.Client, deadline time.Time) {
	buf := make([]byte, 8<<10)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		req, err := w.next()
		if err != nil {
			w.fail(err.Error())
			continue
		}
		t0 := time.Now()
		failure := roundTrip(client, req, buf)
		w.latencies = append(w.latencies, time.Since(t0))
		if failure != "" {
			w.fail(failure)
		}
	}
}

// roundTrip sends req and reads the whole answer into buf (its first len(buf) bytes) and beyond;
// it returns "" for a 2xx answer, else what failed: the transport error, or the status and the
// start of the body.
func roundTrip(client *http.Client, req *http.Request, buf []byte) string {
	resp, err := client.Do(req)
	if err != nil {
		return err.Error()
	}
	n, _ := io.ReadFull(resp.Body, buf)
	_, _ = io.CopyBuffer(io.Discard, resp.Body, buf)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Sprintf("HTTP %d: %.300s", resp.StatusCode, buf[:n])
	}
	return ""
}

func (w *worker) fail(msg string) {
	w.errors++
	if w.firstError == "" {
		w.firstError = msg
	}
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func newHTTPClient(clients int) *http.Client {
	tr := &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients,
		IdleConnTimeout: time.Minute, DisableCompression: true}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

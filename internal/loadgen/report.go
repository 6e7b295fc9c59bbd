package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Row is one operation's figures. CPU figures are microseconds of the child's CPU per request.
type Row struct {
	Op             string  `json:"op"`
	Title          string  `json:"title"`
	Write          bool    `json:"write,omitempty"`
	Requests       int     `json:"requests"`
	Errors         int     `json:"errors"`
	FirstError     string  `json:"first_error,omitempty"`
	ReqPerSec      float64 `json:"req_per_sec"`
	P50Ms          float64 `json:"p50_ms"`
	P99Ms          float64 `json:"p99_ms"`
	ServerCPUus    float64 `json:"server_cpu_us_per_req"`
	ClientCPUus    float64 `json:"client_cpu_us_per_req"`
	FloorRequests  int     `json:"floor_requests,omitempty"`
	FloorErrors    int     `json:"floor_errors,omitempty"`
	FloorReqPerSec float64 `json:"floor_req_per_sec,omitempty"`
	FloorCPUus     float64 `json:"floor_cpu_us_per_req,omitempty"`
	Ratio          float64 `json:"ratio,omitempty"` // ServerCPUus / FloorCPUus
	ClientBound    bool    `json:"client_bound,omitempty"`
	// The baseline's figures (-baseline), measured right after Latchkey's with the same clients.
	BaselineRequests  int     `json:"baseline_requests,omitempty"`
	BaselineErrors    int     `json:"baseline_errors,omitempty"`
	BaselineReqPerSec float64 `json:"baseline_req_per_sec,omitempty"`
	BaselineP50Ms     float64 `json:"baseline_p50_ms,omitempty"`
	BaselineCPUus     float64 `json:"baseline_cpu_us_per_req,omitempty"`
	BaselineRatio     float64 `json:"baseline_ratio,omitempty"` // BaselineCPUus / FloorCPUus
}

// Report is a whole run: the rows of the operations one at a time, or a soak.
type Report struct {
	Clients   int      `json:"clients"`
	Duration  string   `json:"duration,omitempty"`
	Warmup    string   `json:"warmup,omitempty"`
	Baseline  string   `json:"baseline,omitempty"`
	CPUs      int      `json:"cpus"`
	RSSBefore int64    `json:"latchkey_rss_before_bytes"`
	RSSAfter  int64    `json:"latchkey_rss_after_bytes"`
	Rows      []Row    `json:"rows,omitempty"`
	Soak      *Soak    `json:"soak,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
}

func (r *Row) setLatchkey(p phase) {
	r.Requests, r.Errors, r.FirstError = p.Requests, p.Errors, p.FirstError
	r.ReqPerSec = p.perSecond()
	r.P50Ms, r.P99Ms = float64(p.P50.Microseconds())/1000, float64(p.P99.Microseconds())/1000
	r.ServerCPUus = cpuPerRequest(p.ServerCPU, p.Requests)
	r.ClientCPUus = cpuPerRequest(p.ClientCPU, p.Requests)
	// The client and the server share the machine: when the client burns more CPU than the server,
	// requests per second measure the client. CPU per request stays a per-process figure.
	r.ClientBound = p.ClientCPU > p.ServerCPU
}

func (r *Row) setFloor(p phase) {
	r.FloorRequests, r.FloorErrors = p.Requests, p.Errors
	if r.FirstError == "" && p.FirstError != "" {
		r.FirstError = "floor: " + p.FirstError
	}
	r.FloorReqPerSec = p.perSecond()
	r.FloorCPUus = cpuPerRequest(p.ServerCPU, p.Requests)
	if r.FloorCPUus > 0 {
		r.Ratio = r.ServerCPUus / r.FloorCPUus
		r.BaselineRatio = r.BaselineCPUus / r.FloorCPUus
	}
}

// setBaseline records the baseline's phase; it comes before the floor's, which sets its ratio.
func (r *Row) setBaseline(p phase) {
	r.BaselineRequests, r.BaselineErrors = p.Requests, p.Errors
	if r.FirstError == "" && p.FirstError != "" {
		r.FirstError = "baseline: " + p.FirstError
	}
	r.BaselineReqPerSec = p.perSecond()
	r.BaselineP50Ms = float64(p.P50.Microseconds()) / 1000
	r.BaselineCPUus = cpuPerRequest(p.ServerCPU, p.Requests)
}

func (rep *Report) add(r Row) {
	rep.Rows = append(rep.Rows, r)
	if r.ClientBound {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: the load client used more CPU (%.0f µs/req) than Latchkey (%.0f µs/req); its req/s and latencies measure the client, not the server", r.Op, r.ClientCPUus, r.ServerCPUus))
	}
}

// check fails a run with more than 0.1% failed requests against either server.
func (rep *Report) check() error {
	if rep.Soak != nil {
		return rep.Soak.check()
	}
	var bad []string
	for _, r := range rep.Rows {
		baseline := ""
		if rep.Baseline != "" {
			baseline = fmt.Sprintf(", %d of %d baseline requests", r.BaselineErrors, r.BaselineRequests)
		}
		if rate(r.Errors, r.Requests) > maxErrorRate || rate(r.FloorErrors, r.FloorRequests) > maxErrorRate || r.Requests == 0 || (!r.Write && r.FloorRequests == 0) ||
			(rep.Baseline != "" && (rate(r.BaselineErrors, r.BaselineRequests) > maxErrorRate || r.BaselineRequests == 0)) {
			bad = append(bad, fmt.Sprintf("%s: %d of %d Latchkey requests%s and %d of %d floor requests failed (first: %s)", r.Op, r.Errors, r.Requests, baseline, r.FloorErrors, r.FloorRequests, r.FirstError))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("more than 0.1%% of requests failed, or none were made:\n  %s", strings.Join(bad, "\n  "))
	}
	return nil
}

func rate(errs, total int) float64 {
	if total == 0 {
		return 0
	}
	return float64(errs) / float64(total)
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteTable writes the human-readable table, the resident sizes and the warnings; for a soak, its
// series, totals and verdict.
func (rep *Report) WriteTable(w io.Writer) error {
	if rep.Soak != nil {
		return rep.Soak.writeTable(w, rep.Clients, rep.CPUs)
	}
	fmt.Fprintf(w, "%d clients, %s per phase after %s warm-up, %d CPUs\n", rep.Clients, rep.Duration, rep.Warmup, rep.CPUs)
	if rep.Baseline != "" {
		fmt.Fprintf(w, "baseline: %s, measured right after Latchkey in each operation\n", rep.Baseline)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "operation\tLatchkey req/s\tp50 ms\tp99 ms\tserver CPU µs/req\tfloor CPU µs/req\tratio\terrors\tclient CPU µs/req\t"
	if rep.Baseline != "" {
		head += "baseline req/s\tbaseline p50 ms\tbaseline CPU µs/req\tbaseline ratio\t"
	}
	fmt.Fprintln(tw, head)
	for _, r := range rep.Rows {
		floor, ratio, baseRatio := "-", "-", "-"
		if !r.Write {
			floor, ratio, baseRatio = fmt.Sprintf("%.1f", r.FloorCPUus), fmt.Sprintf("%.1f×", r.Ratio), fmt.Sprintf("%.1f×", r.BaselineRatio)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%.2f\t%.1f\t%s\t%s\t%d/%d\t%.1f\t", r.Title, r.ReqPerSec, r.P50Ms, r.P99Ms, r.ServerCPUus, floor, ratio,
			r.Errors+r.FloorErrors+r.BaselineErrors, r.Requests+r.FloorRequests+r.BaselineRequests, r.ClientCPUus)
		if rep.Baseline != "" {
			fmt.Fprintf(tw, "%.0f\t%.2f\t%.1f\t%s\t", r.BaselineReqPerSec, r.BaselineP50Ms, r.BaselineCPUus, baseRatio)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nLatchkey resident set: %.1f MiB before, %.1f MiB after\n", float64(rep.RSSBefore)/(1<<20), float64(rep.RSSAfter)/(1<<20))
	for _, warn := range rep.Warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
	return nil
}

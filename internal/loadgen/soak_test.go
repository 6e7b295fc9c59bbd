package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A short soak: every operation got requests and none failed (through renewals of the signatures,
// the token and the session credentials), sessions were issued and identities created, the series
// has its samples and the verdict is judged, in the table and in the JSON.
func TestSoakEveryOperationAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Latchkey as a child process and loads it")
	}
	var progress bytes.Buffer
	cfg := Config{Soak: 1500 * time.Millisecond, Sample: 250 * time.Millisecond, Clients: len(Operations),
		resign: 200 * time.Millisecond, renew: 600 * time.Millisecond, Progress: &progress}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Soak
	if s == nil || len(rep.Rows) != 0 {
		t.Fatalf("not a soak report: %+v", rep)
	}
	// One sample before the load, one at each of 250ms..1250ms, one at the end.
	if len(s.Samples) != 7 || s.Samples[0].Seconds != 0 || s.Samples[0].Requests["getid"] != 0 {
		t.Fatalf("%d samples: %+v", len(s.Samples), s.Samples)
	}
	last := s.Samples[len(s.Samples)-1]
	for i, o := range s.Ops {
		if o.Op != Operations[i].Name || o.Clients != 1 || o.Requests == 0 || o.Errors != 0 || last.Requests[o.Op] != o.Requests {
			t.Errorf("%+v (last sample %d)", o, last.Requests[o.Op])
		}
	}
	if last.Sessions == 0 || last.Identities == 0 || last.Errors != 0 || last.RSS <= 0 {
		t.Errorf("last sample %+v", last)
	}
	if s.renewals == 0 {
		t.Error("the token and session credentials were never renewed")
	}
	if !s.Verdict.Judged || s.Verdict.BaselineRSS <= 0 || s.Verdict.MaxRSS <= 0 || s.Verdict.Sessions <= 0 {
		t.Errorf("verdict %+v", s.Verdict)
	}
	if got := strings.Count(progress.String(), "\nsoak "); got != len(s.Samples) {
		t.Errorf("%d sample lines in the progress, want %d:\n%s", got, len(s.Samples), progress.String())
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"MEMORY: ", "sessions", "identities", "RSS MiB", "getid-new", "+10%"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Soak struct {
			Samples []map[string]any `json:"samples"`
			Verdict map[string]any   `json:"verdict"`
		} `json:"soak"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Soak.Samples) != len(s.Samples) {
		t.Fatalf("json: %v\n%s", err, js.String())
	}
	for _, key := range []string{"threshold_pct", "judged", "flat", "baseline_rss_bytes", "max_rss_bytes", "growth_mib", "growth_pct", "growth_mib_per_million_sessions"} {
		if _, ok := back.Soak.Verdict[key]; !ok {
			t.Errorf("json verdict lacks %q: %v", key, back.Soak.Verdict)
		}
	}
}

func sample(sec float64, rssMiB float64, sessions int64) Sample {
	return Sample{Elapsed: time.Duration(sec * float64(time.Second)).String(), Seconds: sec, RSS: int64(rssMiB * (1 << 20)), Sessions: sessions}
}

func TestJudge(t *testing.T) {
	cases := []struct {
		name        string
		samples     []Sample
		judged      bool
		flat        bool
		baselineAt  string
		maxAt       string
		growthPct   float64
		perMillion  float64
		sessionsArg int64
	}{
		{"too few samples", []Sample{sample(0, 40, 0), sample(60, 50, 1e6), sample(120, 50, 2e6)}, false, false, "", "", 0, 0, 0},
		{"none", nil, false, false, "", "", 0, 0, 0},
		// Warm-up growth in the first third does not count; the last two thirds stay within 5%.
		{"flat", []Sample{sample(0, 20, 0), sample(60, 30, 1e6), sample(120, 40, 2e6), sample(180, 41, 3e6),
			sample(240, 42, 4e6), sample(300, 40, 5e6), sample(360, 41, 6e6)}, true, true, "2m0s", "4m0s", 5, 0.5, 4e6},
		{"exactly at the threshold is flat", []Sample{sample(60, 40, 1e6), sample(120, 44, 2e6), sample(180, 43, 3e6)}, true, true, "1m0s", "2m0s", 10, 2, 2e6},
		{"growing", []Sample{sample(0, 20, 0), sample(60, 40, 1e6), sample(120, 44, 2e6), sample(180, 48, 3e6)}, true, false, "1m0s", "3m0s", 20, 4, 2e6},
		{"shrinking is flat", []Sample{sample(60, 40, 1e6), sample(120, 30, 2e6), sample(180, 30, 3e6)}, true, true, "1m0s", "2m0s", -25, -5, 2e6},
		{"no sessions", []Sample{sample(60, 40, 0), sample(120, 41, 0), sample(180, 42, 0)}, true, true, "1m0s", "3m0s", 5, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := judge(c.samples)
			if v.ThresholdPct != flatThresholdPct || v.Judged != c.judged || v.Flat != c.flat {
				t.Fatalf("%+v", v)
			}
			if !c.judged {
				if v.Reason == "" || !strings.Contains(v.String(), "NOT JUDGED") {
					t.Fatalf("no reason: %+v", v)
				}
				return
			}
			near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
			if v.BaselineElapsed != c.baselineAt || v.MaxElapsed != c.maxAt || !near(v.GrowthPct, c.growthPct) ||
				!near(v.MiBPerMillionSessions, c.perMillion) || v.Sessions != c.sessionsArg {
				t.Fatalf("%+v", v)
			}
			word := "MEMORY: FLAT"
			if !c.flat {
				word = "MEMORY: GROWING"
			}
			if !strings.HasPrefix(v.String(), word) {
				t.Fatalf("%q", v.String())
			}
		})
	}
}

func TestSpread(t *testing.T) {
	cases := []struct {
		clients, ops int
		want         []int
	}{
		{7, 7, []int{1, 1, 1, 1, 1, 1, 1}},
		{16, 7, []int{3, 3, 2, 2, 2, 2, 2}},
		{3, 2, []int{2, 1}},
	}
	for _, c := range cases {
		got := spread(c.clients, c.ops)
		if len(got) != len(c.want) {
			t.Fatalf("spread(%d, %d) = %v", c.clients, c.ops, got)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("spread(%d, %d) = %v, want %v", c.clients, c.ops, got, c.want)
			}
		}
	}
}

func TestSoakCheck(t *testing.T) {
	cases := []struct {
		name string
		ops  []SoakOp
		ok   bool
	}{
		{"clean", []SoakOp{{Op: "a", Requests: 1000}, {Op: "b", Requests: 10}}, true},
		{"at the limit", []SoakOp{{Op: "a", Requests: 1000, Errors: 1}}, true},
		{"over the limit", []SoakOp{{Op: "a", Requests: 1000}, {Op: "b", Requests: 1000, Errors: 2}}, false},
		{"an operation without requests", []SoakOp{{Op: "a", Requests: 1000}, {Op: "b"}}, false},
	}
	for _, c := range cases {
		rep := &Report{Soak: &Soak{Ops: c.ops}}
		if err := rep.check(); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"measurement", Config{Duration: time.Second, Clients: 1}, true},
		{"soak needs no duration", Config{Soak: time.Minute, Sample: time.Second, Clients: len(Operations)}, true},
		{"soak with every operation named all", Config{Soak: time.Minute, Sample: time.Second, Clients: 16, Ops: "all"}, true},
		{"soak with fewer clients than operations", Config{Soak: time.Minute, Sample: time.Second, Clients: len(Operations) - 1}, false},
		{"soak without a sample interval", Config{Soak: time.Minute, Clients: 16}, false},
		{"soak with a choice of operations", Config{Soak: time.Minute, Sample: time.Second, Clients: 16, Ops: "getid"}, false},
	}
	for _, c := range cases {
		if err := c.cfg.validate(); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// Latchkey exiting in the middle of a long soak stops it at once, with what was sampled so far.
func TestSoakStopsWhenLatchkeyIsGone(t *testing.T) {
	var gone atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	op := operation{Name: "fake", Issues: true, client: func(_ *fixture, tg target, _ int) (newRequest, error) {
		return unsigned(tg, nil, http.Header{}), nil
	}}
	s := &soakRun{ops: []operation{op}, clients: []int{2}, counts: make([]opCounters, 1), target: target{url: srv.URL},
		fresh: &freshFixture{fx: &fixture{}, every: time.Hour, at: time.Now()}, resign: time.Hour, round: time.Millisecond,
		rssOf: func() (int64, error) { return 1 << 20, nil }, out: io.Discard,
		alive: func() error {
			if gone.Load() {
				return errChildGone
			}
			return nil
		}}
	time.AfterFunc(200*time.Millisecond, func() {
		gone.Store(true)
		srv.CloseClientConnections()
		srv.Listener.Close()
	})
	// Without the stop, the soak would run until this context's deadline and report that instead.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := s.run(ctx, time.Hour, time.Minute, newHTTPClient(2))
	if !errors.Is(err, errChildGone) {
		t.Fatalf("err = %v", err)
	}
	if len(s.samples) != 1 || s.counts[0].requests.Load() == 0 || s.counts[0].errors.Load() == 0 {
		t.Fatalf("samples %+v, %d requests, %d errors", s.samples, s.counts[0].requests.Load(), s.counts[0].errors.Load())
	}
}

package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Soak is what a soak (-soak) measured: every operation at once against Latchkey, sampled.
type Soak struct {
	Duration string   `json:"duration"`
	Sample   string   `json:"sample"`
	Ops      []SoakOp `json:"ops"`
	Samples  []Sample `json:"samples"`
	Verdict  Verdict  `json:"verdict"`
	renewals int      // of the token and session credentials
}

// SoakOp is one operation's share of a soak and its totals.
type SoakOp struct {
	Op         string `json:"op"`
	Title      string `json:"title"`
	Clients    int    `json:"clients"`
	Requests   int64  `json:"requests"`
	Errors     int64  `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
}

// Sample is the soak's state at one moment: cumulative counts since the load started and
// Latchkey's resident set then.
type Sample struct {
	Elapsed    string           `json:"elapsed"`
	Seconds    float64          `json:"elapsed_seconds"`
	Requests   map[string]int64 `json:"requests"` // by operation
	Sessions   int64            `json:"sessions_issued"`
	Identities int64            `json:"identities_created"`
	Errors     int64            `json:"errors"`
	RSS        int64            `json:"latchkey_rss_bytes"`
}

// Defaults of a soak's renewals; Config.resign and Config.renew override them in tests.
const (
	// A client signs its request again this often: a SigV4 request is refused 15 minutes after
	// its signing time, and a presigned one when its X-Amz-Expires (900 s by default) has passed.
	defaultResign = time.Minute
	// The load subject's token and the session credentials are renewed this often, well within
	// their lifetime (tokenLifetime, sessionLifetime), so a soak may last any time.
	defaultRenew = 15 * time.Minute
)

// opCounters are one operation's cumulative counts, shared by its clients and read by the sampler.
// A client counts a finished request, then (if it failed) the failure; the sampler reads the
// failures first, so it never sees more failures than requests.
type opCounters struct {
	requests, errors atomic.Int64
	mu               sync.Mutex
	firstError       string
}

func (c *opCounters) fail(msg string) {
	c.requests.Add(1)
	c.errors.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.firstError == "" {
		c.firstError = msg
	}
}

// soakRun is a soak in progress.
type soakRun struct {
	ops     []operation
	clients []int // clients per operation
	counts  []opCounters
	target  target
	fresh   *freshFixture
	resign  time.Duration
	rssOf   func() (int64, error)
	alive   func() error // errChildGone once Latchkey has exited
	cancel  context.CancelFunc
	start   time.Time
	round   time.Duration // of the elapsed times shown
	samples []Sample
	out     io.Writer
}

// runSoak drives every operation at once against lk for cfg.Soak, sampling every cfg.Sample.
// An interrupted soak returns what it sampled so far with the interruption as the error.
func runSoak(ctx context.Context, cfg Config, fx *fixture, lk *child, progress io.Writer) (*Report, error) {
	url := "http://" + lk.addr
	s := &soakRun{ops: Operations, clients: spread(cfg.Clients, len(Operations)), counts: make([]opCounters, len(Operations)),
		target: target{url: url}, resign: orDefault(cfg.resign, defaultResign),
		fresh: &freshFixture{fx: fx, url: url, every: orDefault(cfg.renew, defaultRenew), at: time.Now()},
		rssOf: func() (int64, error) { return processRSS(lk.pid) }, alive: lk.alive, out: progress}
	rep := &Report{Clients: cfg.Clients, CPUs: runtime.NumCPU()}
	var err error
	if rep.RSSBefore, err = s.rssOf(); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "soak: every operation at once against Latchkey for %s, %d clients (%s), a sample every %s\n",
		cfg.Soak, cfg.Clients, s.share(), cfg.Sample)
	s.round = time.Millisecond
	if cfg.Sample >= 10*time.Second {
		s.round = time.Second
	}
	runErr := s.run(ctx, cfg.Soak, cfg.Sample, newHTTPClient(cfg.Clients))
	if runErr != nil && len(s.samples) == 0 {
		return nil, runErr
	}
	rep.Soak = s.report(cfg)
	rep.RSSAfter = s.samples[len(s.samples)-1].RSS
	fmt.Fprintln(progress, rep.Soak.Verdict)
	if runErr != nil {
		return rep, fmt.Errorf("soak stopped after %s: %w", s.samples[len(s.samples)-1].Elapsed, runErr)
	}
	return rep, rep.check()
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// spread shares clients over n operations round-robin; every operation gets one when clients >= n.
func spread(clients, n int) []int {
	out := make([]int, n)
	for i := range clients {
		out[i%n]++
	}
	return out
}

func (s *soakRun) share() string {
	parts := make([]string, len(s.ops))
	for i, op := range s.ops {
		parts[i] = fmt.Sprintf("%s %d", op.Name, s.clients[i])
	}
	return strings.Join(parts, ", ")
}

// run samples once before the load, at every multiple of every before d, and once after the
// clients have stopped. Latchkey gone (a failed sample, or a failed request from a client who
// then finds it has exited) stops the soak.
func (s *soakRun) run(ctx context.Context, d, every time.Duration, hc *http.Client) error {
	defer hc.CloseIdleConnections()
	parent := ctx
	ctx, s.cancel = context.WithCancel(ctx)
	defer s.cancel()
	cancel := s.cancel
	s.start = time.Now()
	if err := s.take(); err != nil {
		return err
	}
	deadline := s.start.Add(d)
	var clients sync.WaitGroup
	i := 0 // client number, distinct across operations
	for op, n := range s.clients {
		for range n {
			clients.Add(1)
			go func(i int) { defer clients.Done(); s.client(ctx, hc, op, i, deadline) }(i)
			i++
		}
	}
	var sampleErr error
	sampler := make(chan struct{})
	go func() {
		defer close(sampler)
		for k := 1; s.start.Add(time.Duration(k) * every).Before(deadline); k++ {
			select {
			case <-time.After(time.Until(s.start.Add(time.Duration(k) * every))):
			case <-ctx.Done():
				return
			}
			if sampleErr = s.take(); sampleErr != nil {
				cancel()
				return
			}
		}
	}()
	clients.Wait()
	<-sampler
	if err := parent.Err(); err != nil {
		return err
	}
	if err := s.alive(); err != nil {
		return err
	}
	if sampleErr != nil {
		return sampleErr
	}
	return s.take()
}

// client sends operation op's requests until the deadline, making them afresh every s.resign.
func (s *soakRun) client(ctx context.Context, hc *http.Client, op, i int, deadline time.Time) {
	c := &s.counts[op]
	buf := make([]byte, 8<<10)
	var next newRequest
	var made time.Time
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if next == nil || time.Since(made) >= s.resign {
			fx, err := s.fresh.current(ctx)
			if err == nil {
				next, err = s.ops[op].client(fx, s.target, i)
			}
			if err != nil {
				next = nil
				if ctx.Err() == nil {
					c.fail(err.Error())
				}
				continue
			}
			made = time.Now()
		}
		req, err := next()
		if err != nil {
			c.fail(err.Error())
			continue
		}
		if failure := roundTrip(hc, req.WithContext(ctx), buf); failure != "" {
			if ctx.Err() == nil { // a request cut short by an interruption did not fail
				c.fail(failure)
			}
			if s.alive() != nil {
				s.cancel()
				return
			}
			continue
		}
		c.requests.Add(1)
	}
}

// take appends a sample of the counts and of Latchkey's resident set and prints it.
func (s *soakRun) take() error {
	rss, err := s.rssOf()
	if err != nil {
		return fmt.Errorf("reading Latchkey's resident set: %w", err)
	}
	el := time.Since(s.start)
	if len(s.samples) == 0 {
		el = 0 // the first sample is taken before the load starts
	}
	sm := Sample{Elapsed: el.Round(s.round).String(), Seconds: el.Seconds(), Requests: map[string]int64{}, RSS: rss}
	line := fmt.Sprintf("soak %9s", sm.Elapsed)
	for i, op := range s.ops {
		errs := s.counts[i].errors.Load()
		req := s.counts[i].requests.Load()
		ok := req - errs
		sm.Requests[op.Name] = req
		sm.Errors += errs
		if op.Issues {
			sm.Sessions += ok
		}
		if op.Write {
			sm.Identities += ok
		}
		line += fmt.Sprintf(" %s=%d", op.Name, req)
	}
	s.samples = append(s.samples, sm)
	fmt.Fprintf(s.out, "%s sessions=%d identities=%d errors=%d rss=%.1fMiB\n", line, sm.Sessions, sm.Identities, sm.Errors, mib(rss))
	return nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func (s *soakRun) report(cfg Config) *Soak {
	out := &Soak{Duration: cfg.Soak.String(), Sample: cfg.Sample.String(), Samples: s.samples, Verdict: judge(s.samples)}
	s.fresh.mu.Lock()
	out.renewals = s.fresh.renewals
	s.fresh.mu.Unlock()
	for i, op := range s.ops {
		c := &s.counts[i]
		c.mu.Lock()
		first := c.firstError
		c.mu.Unlock()
		out.Ops = append(out.Ops, SoakOp{Op: op.Name, Title: op.Title, Clients: s.clients[i], Errors: c.errors.Load(),
			Requests: c.requests.Load(), FirstError: first})
	}
	return out
}

// freshFixture hands clients the fixture, renewing the load subject's token and the session
// credentials every so often so that neither expires during a long soak.
type freshFixture struct {
	mu    sync.Mutex
	fx    *fixture
	url   string
	every time.Duration
	at    time.Time // when fx was made
	// renewals counts the renewals so far.
	renewals int
}

func (f *freshFixture) current(ctx context.Context) (*fixture, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if time.Since(f.at) < f.every {
		return f.fx, nil
	}
	next := *f.fx
	var err error
	if next.webToken, err = next.idp.token(loadSubject, false, time.Now()); err != nil {
		return nil, err
	}
	if next.session, err = next.newSession(ctx, f.url); err != nil {
		return nil, fmt.Errorf("renewing the session credentials: %w", err)
	}
	f.fx, f.at = &next, time.Now()
	f.renewals++
	return f.fx, nil
}

// check fails a soak in which an operation made no request or more than 0.1% of its requests failed.
func (s *Soak) check() error {
	var bad []string
	for _, o := range s.Ops {
		if o.Requests == 0 || float64(o.Errors)/float64(o.Requests) > maxErrorRate {
			bad = append(bad, fmt.Sprintf("%s: %d of %d requests failed (first: %s)", o.Op, o.Errors, o.Requests, o.FirstError))
		}
	}
	if len(bad) > 0 {
		return errors.New("more than 0.1% of requests failed, or none were made:\n  " + strings.Join(bad, "\n  "))
	}
	return nil
}

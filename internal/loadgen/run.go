package loadgen

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Config is one run of the tool.
type Config struct {
	Duration time.Duration // measured time per operation and target
	Warmup   time.Duration // unmeasured load before each measured phase
	Clients  int           // concurrent clients
	Ops      string        // comma-separated operation names; "" for all
	// DataDir is where the Latchkey child's fresh data directory is made ("" for the system's
	// temporary directory): the durable write of "GetId, new identity" goes to its disk.
	DataDir  string
	Progress io.Writer // progress lines; nil for none
	// Baseline, when set, is another Latchkey executable (an earlier build) measured in the same
	// run: each operation runs against Latchkey, then the baseline, then the floor.
	Baseline string
	// Soak, when positive, replaces the one-at-a-time measurement: every operation at once against
	// Latchkey for Soak, the clients spread over them, sampled every Sample (Duration, Warmup and
	// Ops are not used).
	Soak   time.Duration
	Sample time.Duration
	// resign and renew override defaultResign and defaultRenew (tests).
	resign, renew time.Duration
}

// validate refuses a configuration the run cannot honour.
func (cfg Config) validate() error {
	if cfg.Soak <= 0 {
		if cfg.Clients < 1 || cfg.Duration <= 0 || cfg.Warmup < 0 {
			return errors.New("want -clients >= 1, -duration > 0 and -warmup >= 0")
		}
		return nil
	}
	if cfg.Clients < len(Operations) || cfg.Sample <= 0 {
		return fmt.Errorf("-soak wants -clients >= %d (one per operation) and -sample > 0", len(Operations))
	}
	if cfg.Ops != "" && cfg.Ops != "all" {
		return errors.New("-soak drives every operation: -ops does not apply")
	}
	if cfg.Baseline != "" {
		return errors.New("-baseline does not apply to -soak")
	}
	return nil
}

// maxErrorRate is the share of failed requests above which a run fails.
const maxErrorRate = 0.001

// Run starts the children, sets up, drives every selected operation against Latchkey and the floor
// (or, with cfg.Soak, every operation at once against Latchkey only) and returns the report. A
// report whose error rate exceeds 0.1% comes back with an error too.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	ops, err := selectOps(cfg.Ops)
	if err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	dataDir, err := os.MkdirTemp(cfg.DataDir, "latchkey-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dataDir)
	p, err := startIdP()
	if err != nil {
		return nil, err
	}
	defer p.close()
	lk, err := startLatchkey(dataDir, "")
	if err != nil {
		return nil, err
	}
	defer lk.stop()
	fmt.Fprintf(progress, "latchkey pid %s on %s; setting up through the AWS SDK\n", lk.pid, lk.addr)
	fx, err := setup(ctx, "http://"+lk.addr, p)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	if cfg.Soak > 0 {
		return runSoak(ctx, cfg, fx, lk, progress)
	}
	var base *server
	if cfg.Baseline != "" {
		bl, err := startLatchkey(dataDir+"-baseline", cfg.Baseline)
		if err != nil {
			return nil, fmt.Errorf("baseline %s: %w", cfg.Baseline, err)
		}
		defer os.RemoveAll(dataDir + "-baseline")
		defer bl.stop()
		fmt.Fprintf(progress, "baseline %s pid %s on %s; setting up through the AWS SDK\n", cfg.Baseline, bl.pid, bl.addr)
		bfx, err := setup(ctx, "http://"+bl.addr, p)
		if err != nil {
			return nil, fmt.Errorf("baseline setup: %w", err)
		}
		base = &server{bfx, bl}
	}
	fc, err := floorConfigFor(fx, "http://"+lk.addr)
	if err != nil {
		return nil, err
	}
	fl, err := startFloor(fc)
	if err != nil {
		return nil, err
	}
	defer fl.stop()
	rep := &Report{Clients: cfg.Clients, Duration: cfg.Duration.String(), Warmup: cfg.Warmup.String(), CPUs: runtime.NumCPU(), Baseline: cfg.Baseline}
	if rep.RSSBefore, err = processRSS(lk.pid); err != nil {
		return nil, err
	}
	for _, op := range ops {
		row, err := measure(ctx, cfg, op, server{fx, lk}, base, fl, progress)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op.Name, err)
		}
		rep.add(row)
	}
	if rep.RSSAfter, err = processRSS(lk.pid); err != nil {
		return nil, err
	}
	return rep, rep.check()
}

// floorConfigFor samples one answer of each operation from Latchkey, so the floor answers with as
// many bytes and seals a token as large, and gives the floor its own session credentials.
func floorConfigFor(fx *fixture, latchkeyURL string) (floorConfig, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return floorConfig{}, err
	}
	pemKeys, err := fx.idp.publicPEM()
	if err != nil {
		return floorConfig{}, err
	}
	fc := floorConfig{PublicPEM: pemKeys, Issuer: fx.idp.issuer, SealKey: key, Sizes: map[string]int{},
		Secrets: map[string]string{fx.userKey.AccessKeyID: fx.userKey.SecretAccessKey},
		// Base64 of nonce, ciphertext and tag: the plaintext is about 3/4 of the token less 28 bytes.
		TokenSize: len(fx.session.SessionToken)*3/4 - 28}
	sample := map[string]func(*fixture, target, int) (newRequest, error){
		"AssumeRoleWithWebIdentity": webIdentity, "GetId": getIDExisting, "GetCredentialsForIdentity": credentialsForIdentity,
		"AssumeRole": assumeRole, "GetCallerIdentity": callerHeader,
	}
	client := newHTTPClient(1)
	for name, mk := range sample {
		next, err := mk(fx, target{url: latchkeyURL}, 0)
		if err != nil {
			return fc, err
		}
		req, err := next()
		if err != nil {
			return fc, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fc, fmt.Errorf("sampling %s: %w", name, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fc, fmt.Errorf("sampling %s: HTTP %d: %.300s", name, resp.StatusCode, body)
		}
		fc.Sizes[name] = len(body)
	}
	secret := make([]byte, 30)
	_, _ = rand.Read(secret)
	fx.floorSession = aws.Credentials{AccessKeyID: "ASIAFLOORSESSION0001", SecretAccessKey: fmt.Sprintf("%x", secret)[:40]}
	fx.floorSession.SessionToken, err = floorSessionToken(key, fx.floorSession.AccessKeyID, fx.floorSession.SecretAccessKey, fc.TokenSize)
	return fc, err
}

// server is a Latchkey child and what was set up on it.
type server struct {
	fx *fixture
	c  *child
}

// measure runs op against Latchkey, then against the baseline when there is one, then (unless it
// is a write) the same requests against the floor.
func measure(ctx context.Context, cfg Config, op operation, lk server, base *server, fl *child, progress io.Writer) (Row, error) {
	row := Row{Op: op.Name, Title: op.Title, Write: op.Write}
	run := func(fx *fixture, c *child, floor bool) (phase, error) {
		makers := make([]newRequest, cfg.Clients)
		t := target{url: "http://" + c.addr, floor: floor}
		for i := range makers {
			m, err := op.client(fx, t, i)
			if err != nil {
				return phase{}, err
			}
			makers[i] = m
		}
		hc := newHTTPClient(cfg.Clients)
		defer hc.CloseIdleConnections()
		if cfg.Warmup > 0 {
			if _, err := drive(ctx, hc, makers, cfg.Warmup, c); err != nil {
				return phase{}, err
			}
		}
		return drive(ctx, hc, makers, cfg.Duration, c)
	}
	lp, err := run(lk.fx, lk.c, false)
	if err != nil {
		return row, err
	}
	row.setLatchkey(lp)
	fmt.Fprintf(progress, "%-40s latchkey %8.0f req/s %7.1f µs CPU/req\n", op.Title, lp.perSecond(), row.ServerCPUus)
	if base != nil {
		bp, err := run(base.fx, base.c, false)
		if err != nil {
			return row, fmt.Errorf("baseline: %w", err)
		}
		row.setBaseline(bp)
		fmt.Fprintf(progress, "%-40s baseline %8.0f req/s %7.1f µs CPU/req\n", op.Title, bp.perSecond(), row.BaselineCPUus)
	}
	if op.Write {
		return row, nil
	}
	fp, err := run(lk.fx, fl, true)
	if err != nil {
		return row, err
	}
	row.setFloor(fp)
	fmt.Fprintf(progress, "%-40s floor    %8.0f req/s %7.1f µs CPU/req\n", op.Title, fp.perSecond(), row.FloorCPUus)
	return row, nil
}

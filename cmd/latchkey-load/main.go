// Command latchkey-load measures Latchkey's credential hot paths against a hello-world floor server
// on the same machine; docs/performance.md says how to run it and what each figure means.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/latchkey/latchkey/internal/loadgen"
)

func main() {
	// A re-executed copy of this program is the Latchkey or the floor child.
	loadgen.RunChildIfAsked()
	var cfg loadgen.Config
	var asJSON bool
	flag.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measured time per operation and server")
	flag.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "unmeasured load before each measured phase")
	flag.IntVar(&cfg.Clients, "clients", 16, "concurrent clients (one keep-alive connection each)")
	flag.StringVar(&cfg.Ops, "ops", "all", "comma-separated operations: "+opNames())
	flag.StringVar(&cfg.DataDir, "data-dir", "", "directory in which Latchkey's fresh, temporary data dir is made (default: the system's temporary directory)")
	flag.BoolVar(&asJSON, "json", false, "write the report as JSON on stdout")
	flag.StringVar(&cfg.Baseline, "baseline", "", "another Latchkey executable (an earlier build, run as `PATH serve`) to measure in the same run, after Latchkey in each operation")
	flag.DurationVar(&cfg.Soak, "soak", 0, "instead: every operation at once against Latchkey only for this long, sampling its resident set (e.g. 30m)")
	flag.DurationVar(&cfg.Sample, "sample", time.Minute, "with -soak: time between samples")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "latchkey-load: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if msg := conflicts(cfg.Soak > 0); msg != "" {
		fmt.Fprintln(os.Stderr, "latchkey-load:", msg)
		os.Exit(2)
	}
	cfg.Progress = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := loadgen.Run(ctx, cfg)
	if rep != nil {
		if asJSON {
			_ = rep.WriteJSON(os.Stdout)
		} else {
			_ = rep.WriteTable(os.Stdout)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "latchkey-load:", err)
		os.Exit(1)
	}
}

// conflicts names a flag given that the chosen mode does not use: -duration, -warmup, -ops and
// -baseline with -soak, -sample without it.
func conflicts(soak bool) string {
	msg := ""
	flag.Visit(func(f *flag.Flag) {
		switch {
		case soak && (f.Name == "duration" || f.Name == "warmup" || f.Name == "ops" || f.Name == "baseline"):
			msg = "-" + f.Name + " does not apply to -soak, which drives every operation at once for its own duration"
		case !soak && f.Name == "sample":
			msg = "-sample applies only to -soak"
		}
	})
	return msg
}

func opNames() string {
	s := ""
	for i, op := range loadgen.Operations {
		if i > 0 {
			s += ", "
		}
		s += op.Name
	}
	return s
}

package loadgen

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// flatThresholdPct is the most Latchkey's resident set may grow over a soak's last two thirds, as a
// percentage of its size at the end of the first third, for the soak to call memory flat.
const flatThresholdPct = 10.0

// minSamplesUnderLoad is the fewest samples taken under load that a verdict needs: one to end the
// first third and at least two in the last two thirds.
const minSamplesUnderLoad = 3

// Verdict is the memory verdict of a soak. The first third of the samples taken under load is
// warm-up; its last sample is the baseline, compared with the largest resident set of the samples
// after it.
type Verdict struct {
	ThresholdPct float64 `json:"threshold_pct"`
	Judged       bool    `json:"judged"`
	Reason       string  `json:"reason,omitempty"` // why the soak was not judged
	Flat         bool    `json:"flat"`
	// BaselineElapsed is when the baseline sample was taken; BaselineRSS is its resident set.
	BaselineElapsed string `json:"baseline_elapsed"`
	BaselineRSS     int64  `json:"baseline_rss_bytes"`
	// MaxRSS is the largest resident set over the last two thirds, sampled at MaxElapsed.
	MaxElapsed string  `json:"max_elapsed"`
	MaxRSS     int64   `json:"max_rss_bytes"`
	GrowthMiB  float64 `json:"growth_mib"` // MaxRSS - BaselineRSS
	GrowthPct  float64 `json:"growth_pct"` // of BaselineRSS
	// Sessions is how many sessions were issued from the baseline to the last sample;
	// MiBPerMillionSessions is GrowthMiB per million of them (0 when none were issued).
	Sessions              int64   `json:"sessions_issued_after_baseline"`
	MiBPerMillionSessions float64 `json:"growth_mib_per_million_sessions"`
}

// judge computes the verdict of a soak's samples. Samples at elapsed time zero (before the load)
// are not under load and take no part.
func judge(samples []Sample) Verdict {
	v := Verdict{ThresholdPct: flatThresholdPct}
	var under []Sample
	for _, s := range samples {
		if s.Seconds > 0 {
			under = append(under, s)
		}
	}
	if len(under) < minSamplesUnderLoad {
		v.Reason = fmt.Sprintf("%d samples under load, want at least %d: make -soak at least %d times -sample",
			len(under), minSamplesUnderLoad, minSamplesUnderLoad)
		return v
	}
	base := under[len(under)/3-1]
	if base.RSS <= 0 {
		v.Reason = "the baseline sample has no resident set"
		return v
	}
	v.BaselineElapsed, v.BaselineRSS = base.Elapsed, base.RSS
	for _, s := range under[len(under)/3:] {
		if v.MaxElapsed == "" || s.RSS > v.MaxRSS {
			v.MaxElapsed, v.MaxRSS = s.Elapsed, s.RSS
		}
	}
	v.Judged = true
	v.GrowthMiB = mib(v.MaxRSS - v.BaselineRSS)
	v.GrowthPct = 100 * float64(v.MaxRSS-v.BaselineRSS) / float64(v.BaselineRSS)
	v.Sessions = under[len(under)-1].Sessions - base.Sessions
	if v.Sessions > 0 {
		v.MiBPerMillionSessions = v.GrowthMiB / (float64(v.Sessions) / 1e6)
	}
	v.Flat = v.GrowthPct <= flatThresholdPct
	return v
}

// String is the verdict as the report prints it.
func (v Verdict) String() string {
	if !v.Judged {
		return "MEMORY: NOT JUDGED: " + v.Reason
	}
	word := "FLAT"
	if !v.Flat {
		word = "GROWING"
	}
	return fmt.Sprintf("MEMORY: %s (flat means Latchkey's resident set grew at most %+.0f%% over the last two thirds)\n"+
		"  resident set at %s, the end of the first third: %.1f MiB\n"+
		"  largest over the last two thirds: %.1f MiB, at %s\n"+
		"  growth: %+.1f MiB (%+.1f%%); %+.2f MiB per million sessions (%d sessions issued after %s)",
		word, v.ThresholdPct, v.BaselineElapsed, mib(v.BaselineRSS), mib(v.MaxRSS), v.MaxElapsed,
		v.GrowthMiB, v.GrowthPct, v.MiBPerMillionSessions, v.Sessions, v.BaselineElapsed)
}

// writeTable writes the soak's series, its totals and its verdict.
func (s *Soak) writeTable(w io.Writer, clients, cpus int) error {
	fmt.Fprintf(w, "soak: every operation at once against Latchkey for %s, %d clients, a sample every %s, %d CPUs\n\n", s.Duration, clients, s.Sample, cpus)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "elapsed\t")
	for _, o := range s.Ops {
		fmt.Fprintf(tw, "%s\t", o.Op)
	}
	fmt.Fprintln(tw, "sessions\tidentities\terrors\tRSS MiB\t")
	for _, sm := range s.Samples {
		fmt.Fprintf(tw, "%s\t", sm.Elapsed)
		for _, o := range s.Ops {
			fmt.Fprintf(tw, "%d\t", sm.Requests[o.Op])
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.1f\t\n", sm.Sessions, sm.Identities, sm.Errors, mib(sm.RSS))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tclients\trequests\terrors\t")
	for _, o := range s.Ops {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", o.Title, o.Clients, o.Requests, o.Errors)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, o := range s.Ops {
		if o.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", o.Op, o.FirstError)
		}
	}
	_, err := fmt.Fprintf(w, "\n%s\n", s.Verdict)
	return err
}

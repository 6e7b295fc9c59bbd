package loadgen

import (
	"os"
	"strconv"
	"testing"
	"time"
)

func TestParseCPU(t *testing.T) {
	tail := " S 1 2 3 0 -1 4194560 1000 0 0 0 250 37 0 0 20 0 9 0 100 1000000 500 18446744073709551615"
	cases := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr bool
	}{
		{"plain name", "1234 (latchkey)" + tail, 287 * clockTick, false},
		{"name with spaces and parentheses", "1234 (a) b (c))" + tail, 287 * clockTick, false},
		{"zero", "7 (x) R 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0", 0, false},
		{"no name", "1234 latchkey S 1", 0, true},
		{"too few fields", "1234 (latchkey) S 1 2 3", 0, true},
		{"not a number", "1234 (latchkey) S 1 2 3 0 -1 4194560 1000 0 0 0 x 37 0", 0, true},
		{"negative", "1234 (latchkey) S 1 2 3 0 -1 4194560 1000 0 0 0 -5 37 0", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseCPU([]byte(c.stat))
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, c.wantErr)
			}
			if got != c.want {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestParseRSS(t *testing.T) {
	cases := []struct {
		name    string
		status  string
		want    int64
		wantErr bool
	}{
		{"present", "Name:\tlatchkey\nVmPeak:\t  9000 kB\nVmRSS:\t   12345 kB\nThreads:\t9\n", 12345 << 10, false},
		{"missing", "Name:\tlatchkey\nThreads:\t9\n", 0, true},
		{"wrong unit", "VmRSS:\t 12 MB\n", 0, true},
		{"garbage", "VmRSS:\t x kB\n", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseRSS([]byte(c.status))
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, c.wantErr)
			}
			if got != c.want {
				t.Fatalf("got %d, want %d", got, c.want)
			}
		})
	}
}

// The live readers agree with the kernel about this very process.
func TestProcessCPUAndRSSOfSelf(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	before, err := processCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the kernel has charged at least two ticks, or give up after 10s of wall time
	// (a shared machine may give this process little CPU, never none).
	var after time.Duration
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && after < before+2*clockTick; {
		if after, err = processCPU(pid); err != nil {
			t.Fatal(err)
		}
	}
	if after < before+2*clockTick {
		t.Fatalf("10s of spinning raised CPU only from %v to %v", before, after)
	}
	rss, err := processRSS(pid)
	if err != nil || rss <= 0 {
		t.Fatalf("rss %d, %v", rss, err)
	}
}

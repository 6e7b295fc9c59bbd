package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of utime and stime in /proc/<pid>/stat. Linux fixes it at 100 for
// every architecture Go supports (proc(5)); reading it through sysconf would need cgo.
const clockTick = 10 * time.Millisecond

// parseCPU returns utime+stime of a /proc/<pid>/stat line: the CPU the process has used, in user and
// kernel mode, over all its threads. The command name (field 2) is in parentheses and may itself
// contain spaces and parentheses, so fields are counted from the last ')'.
func parseCPU(stat []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("proc stat: no command name in %q", truncate(stat))
	}
	// After ')' come fields 3 (state) onwards; utime and stime are fields 14 and 15.
	fields := strings.Fields(string(stat[end+1:]))
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return 0, fmt.Errorf("proc stat: %d fields after the command name, want at least %d", len(fields), stime+1)
	}
	var total time.Duration
	for _, i := range []int{utime, stime} {
		n, err := strconv.ParseUint(fields[i], 10, 63)
		if err != nil {
			return 0, fmt.Errorf("proc stat: field %d: %w", i+3, err)
		}
		total += time.Duration(n) * clockTick
	}
	return total, nil
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// processCPU is the CPU time process pid has used so far ("self" for this process).
func processCPU(pid string) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	return parseCPU(b)
}

// parseRSS returns VmRSS of a /proc/<pid>/status document in bytes.
func parseRSS(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("proc status: unexpected VmRSS line %q", line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc status: VmRSS: %w", err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("proc status: no VmRSS line")
}

// processRSS is the resident set size of process pid, in bytes.
func processRSS(pid string) (int64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	return parseRSS(b)
}

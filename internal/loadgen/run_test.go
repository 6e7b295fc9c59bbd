package loadgen

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// The whole tool, briefly: both children start, setup succeeds through the SDK, every operation
// answers 2xx from Latchkey and from the floor, and the table has a row for each.
func TestRunEveryOperation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Latchkey and the floor as child processes and loads them")
	}
	rep, err := Run(context.Background(), Config{Duration: 300 * time.Millisecond, Clients: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != len(Operations) {
		t.Fatalf("%d rows, want %d", len(rep.Rows), len(Operations))
	}
	for i, r := range rep.Rows {
		op := Operations[i]
		if r.Op != op.Name || r.Requests == 0 || r.Errors != 0 || r.P50Ms <= 0 || r.P99Ms < r.P50Ms {
			t.Errorf("%s: %+v", op.Name, r)
		}
		if !op.Write && (r.FloorRequests == 0 || r.FloorErrors != 0) {
			t.Errorf("%s floor: %+v", op.Name, r)
		}
	}
	if rep.RSSBefore <= 0 || rep.RSSAfter <= 0 {
		t.Errorf("resident sizes %d, %d", rep.RSSBefore, rep.RSSAfter)
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, op := range Operations {
		if !strings.Contains(table.String(), op.Title) {
			t.Errorf("table has no row %q:\n%s", op.Title, table.String())
		}
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil || !strings.Contains(js.String(), `"server_cpu_us_per_req"`) {
		t.Errorf("json: %v\n%s", err, js.String())
	}
}

// A baseline (here this test binary, which serves as Latchkey in the child mode whatever its
// arguments) is set up and measured in the same run, and its columns appear.
func TestRunWithBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two Latchkeys and the floor as child processes and loads them")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Config{Duration: 200 * time.Millisecond, Clients: 2, Ops: "getid,getid-new", Baseline: exe})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if r.BaselineRequests == 0 || r.BaselineErrors != 0 || r.BaselineCPUus <= 0 || r.BaselineP50Ms <= 0 {
			t.Errorf("%s baseline: %+v", r.Op, r)
		}
		if r.Op == "getid" && r.BaselineRatio <= 0 {
			t.Errorf("getid baseline ratio: %+v", r)
		}
	}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "baseline ratio") || !strings.Contains(table.String(), "baseline: "+exe) {
		t.Errorf("table has no baseline columns:\n%s", table.String())
	}
}

// A baseline that is not a Latchkey fails the run before any load, naming it.
func TestRunBaselineNotALatchkey(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Latchkey as a child process")
	}
	_, err := Run(context.Background(), Config{Duration: 100 * time.Millisecond, Clients: 1, Ops: "getid", Baseline: "/bin/false"})
	if err == nil || !strings.Contains(err.Error(), "baseline /bin/false") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	cases := []Config{
		{Duration: time.Second, Clients: 0},
		{Duration: 0, Clients: 1},
		{Duration: time.Second, Clients: 1, Warmup: -1},
		{Duration: time.Second, Clients: 1, Ops: "getid,nope"},
		{Soak: time.Second, Sample: time.Second, Clients: 16, Baseline: "/bin/true"},
	}
	for _, c := range cases {
		if _, err := Run(context.Background(), c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func TestSelectOps(t *testing.T) {
	cases := []struct {
		list    string
		want    []string
		wantErr bool
	}{
		{"", names(Operations), false},
		{"all", names(Operations), false},
		{"assume-role, getid", []string{"assume-role", "getid"}, false},
		{"getid,GETID", nil, true},
		{"caller", nil, true},
	}
	for _, c := range cases {
		got, err := selectOps(c.list)
		if (err != nil) != c.wantErr || strings.Join(names(got), ",") != strings.Join(c.want, ",") {
			t.Errorf("%q: got %v, %v; want %v", c.list, names(got), err, c.want)
		}
	}
}

func names(ops []operation) []string {
	var out []string
	for _, op := range ops {
		out = append(out, op.Name)
	}
	return out
}

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, v := range n {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	cases := []struct {
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{nil, 0.5, 0},
		{ms(7), 0.99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{ms(hundred...), 0.5, 50 * time.Millisecond},
		{ms(hundred...), 0.99, 99 * time.Millisecond},
	}
	for _, c := range cases {
		if got := percentile(c.sorted, c.q); got != c.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", c.sorted, c.q, got, c.want)
		}
	}
}

func TestReportCheck(t *testing.T) {
	cases := []struct {
		name string
		row  Row
		ok   bool
	}{
		{"clean", Row{Requests: 1000, FloorRequests: 1000}, true},
		{"at the limit", Row{Requests: 1000, Errors: 1, FloorRequests: 1000}, true},
		{"over the limit", Row{Requests: 1000, Errors: 2, FloorRequests: 1000}, false},
		{"floor over the limit", Row{Requests: 1000, FloorRequests: 1000, FloorErrors: 2}, false},
		{"no requests", Row{FloorRequests: 1000}, false},
		{"no floor requests", Row{Requests: 1000}, false},
		{"a write needs no floor", Row{Requests: 1000, Write: true}, true},
	}
	for _, c := range cases {
		rep := &Report{Rows: []Row{c.row}}
		if err := rep.check(); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// A row's figures come from its phases; a client that outspent the server is warned about.
func TestRowFiguresAndClientWarning(t *testing.T) {
	cases := []struct {
		name        string
		lk, fl      phase
		wantServer  float64
		wantRatio   float64
		clientBound bool
	}{
		{"server-bound", phase{Requests: 1000, Wall: time.Second, ServerCPU: 300 * time.Millisecond, ClientCPU: 100 * time.Millisecond},
			phase{Requests: 2000, Wall: time.Second, ServerCPU: 200 * time.Millisecond}, 300, 3, false},
		{"client-bound", phase{Requests: 1000, Wall: time.Second, ServerCPU: 100 * time.Millisecond, ClientCPU: 400 * time.Millisecond},
			phase{Requests: 1000, Wall: time.Second, ServerCPU: 50 * time.Millisecond}, 100, 2, true},
		{"no floor CPU", phase{Requests: 10, Wall: time.Second, ServerCPU: 10 * time.Millisecond, ClientCPU: time.Millisecond},
			phase{Requests: 10, Wall: time.Second}, 1000, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r Row
			r.setLatchkey(c.lk)
			r.setFloor(c.fl)
			if r.ServerCPUus != c.wantServer || r.Ratio != c.wantRatio || r.ClientBound != c.clientBound || r.ReqPerSec != float64(c.lk.Requests) {
				t.Fatalf("%+v", r)
			}
			rep := &Report{}
			rep.add(r)
			if (len(rep.Warnings) > 0) != c.clientBound {
				t.Fatalf("warnings %q", rep.Warnings)
			}
		})
	}
}

// A child that fails before listening is reported with what it said, not waited for.
func TestStartChildReportsEarlyExit(t *testing.T) {
	_, err := startChild("no-such-mode", nil, true, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "want server or floor") {
		t.Fatalf("err = %v", err)
	}
}

// An interrupted run stops at once and says so.
func TestDriveStopsWhenCancelled(t *testing.T) {
	fx, tgt, _ := floorFixture(t)
	next, err := callerHeader(fx, tgt, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	self := &child{pid: "self", done: make(chan struct{})}
	if _, err := drive(ctx, newHTTPClient(1), []newRequest{next}, 30*time.Second, self); err != context.Canceled {
		t.Fatalf("err = %v", err)
	}
}

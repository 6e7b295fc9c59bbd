package multinode

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// callBound is how long a node may take to answer while the database is down: connections are
// refused at once, so the store fails within a second; the rest is slack for a loaded CI machine.
const callBound = 8 * time.Second

type outcome struct {
	user   string
	node   string
	code   string
	status int
	err    error
	at     time.Time
	took   time.Duration
}

// TestPostgresOutageUnderLoad stops PostgreSQL (pg_ctl stop -m fast) while two nodes take a light
// load of CreateUser calls, then starts it again. During the outage every call is answered, and
// answered with ServiceUnavailable; /readyz fails; afterwards service resumes without restarting
// the nodes, and every user whose creation was acknowledged exists.
func TestPostgresOutageUnderLoad(t *testing.T) {
	c := newCluster(t)
	d := newDeployment(t, c)
	nodes := startNodes(t, d, "a", "b")

	var (
		mu       sync.Mutex
		outcomes []outcome
		stop     = make(chan struct{})
		done     = make(chan struct{})
	)
	successes := func(since time.Time) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, o := range outcomes {
			if o.err == nil && o.at.After(since) {
				n++
			}
		}
		return n
	}
	// The load: one call at a time, alternating between the nodes, bounded in count and time.
	go func() {
		defer close(done)
		clients := []*iam.Client{nodes[0].rootIAM(), nodes[1].rootIAM()}
		deadline := time.Now().Add(3 * time.Minute)
		for i := 0; i < 5000 && time.Now().Before(deadline); i++ {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("load-%04d", i)
			began := time.Now()
			_, err := clients[i%2].CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
			o := outcome{user: name, node: nodes[i%2].name, err: err, at: began, took: time.Since(began)}
			o.code, o.status = apiCode(err)
			mu.Lock()
			outcomes = append(outcomes, o)
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-done
	}()

	waitFor := func(what string, within time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v", what, within)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	startedAt := time.Now()
	waitFor("10 users created before the outage", 30*time.Second, func() bool { return successes(startedAt) >= 10 })

	outageBegan := time.Now()
	c.stop()
	for _, n := range nodes {
		waitFor("node "+n.name+" /readyz failing during the outage", 5*time.Second, func() bool {
			return n.ready() == http.StatusServiceUnavailable
		})
	}
	// Long enough for the cached root key (5 s) to expire, so that authentication reaches the
	// store too.
	time.Sleep(7 * time.Second)
	c.start()
	outageEnded := time.Now()

	waitFor("10 users created after the restart", 30*time.Second, func() bool { return successes(outageEnded) >= 10 })
	for _, n := range nodes {
		waitFor("node "+n.name+" /readyz after the restart", 10*time.Second, func() bool { return n.ready() == http.StatusOK })
	}
	close(stop)
	<-done

	mu.Lock()
	defer mu.Unlock()
	var acked []string
	var unavailable, slowest time.Duration
	counts := map[string]int{}
	for _, o := range outcomes {
		slowest = max(slowest, o.took)
		switch {
		case o.err == nil:
			acked = append(acked, o.user)
			counts["200"]++
		case o.code == "ServiceUnavailable" && o.status == http.StatusServiceUnavailable:
			counts["503"]++
			if o.at.Before(outageBegan) || o.at.After(outageEnded.Add(time.Minute)) {
				t.Errorf("CreateUser %s on node %s answered ServiceUnavailable outside the outage", o.user, o.node)
			}
			unavailable = max(unavailable, o.took)
		default:
			counts["other"]++
			t.Errorf("CreateUser %s on node %s at %v into the test: %v (code %q, HTTP %d); want success or ServiceUnavailable (503)",
				o.user, o.node, o.at.Sub(startedAt).Round(time.Millisecond), o.err, o.code, o.status)
		}
		if o.took > callBound {
			t.Errorf("CreateUser %s on node %s took %v; the bound is %v", o.user, o.node, o.took, callBound)
		}
	}
	if counts["503"] == 0 {
		t.Error("no call was answered ServiceUnavailable: the outage was not observed")
	}
	t.Logf("%d calls: %d acknowledged, %d ServiceUnavailable, %d other; slowest answer %v, slowest ServiceUnavailable %v; outage %v",
		len(outcomes), counts["200"], counts["503"], counts["other"], slowest.Round(time.Millisecond), unavailable.Round(time.Millisecond),
		outageEnded.Sub(outageBegan).Round(time.Millisecond))

	// Every acknowledged write survived, as both nodes see it.
	for _, n := range nodes {
		if !n.running() {
			t.Fatalf("node %s is no longer running", n.name)
		}
		listed := map[string]bool{}
		var marker *string
		for {
			page, err := n.rootIAM().ListUsers(ctx, &iam.ListUsersInput{Marker: marker, MaxItems: aws.Int32(1000)})
			noErr(t, "ListUsers on node "+n.name, err)
			for _, u := range page.Users {
				listed[*u.UserName] = true
			}
			if !page.IsTruncated {
				break
			}
			marker = page.Marker
		}
		var lost []string
		for _, u := range acked {
			if !listed[u] {
				lost = append(lost, u)
			}
		}
		sort.Strings(lost)
		if len(lost) > 0 {
			t.Errorf("node %s lists none of these acknowledged users: %v", n.name, lost)
		}
	}
}

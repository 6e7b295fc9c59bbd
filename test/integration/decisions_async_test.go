package integration

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/store"
)

// decisionBound is how long a refusal may take to reach the readers of the store other than the
// node that refused it (`latchkey explain`, other nodes): the node's recorder writes its queued
// refusals at least every 200 ms; the rest is room for a slow machine.
const decisionBound = 5 * time.Second

// storedDecision reads the decision id from the store directly, as `latchkey explain` does,
// polling until it is there or decisionBound passes.
func storedDecision(t *testing.T, ts *testServer, id string) store.Decision {
	t.Helper()
	deadline := time.Now().Add(decisionBound)
	for {
		d, err := ts.App.Store.GetDecision(ctx, id)
		if err == nil {
			return d
		}
		if !errors.Is(err, store.ErrNotFound) || time.Now().After(deadline) {
			t.Fatalf("decision %s, %v after polling: %v", id, decisionBound, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// notRecorded says whether id is absent from the store once the node has written every refusal
// it queued (a read after Flush, so an absence is not a refusal still on its way).
func notRecorded(t *testing.T, ts *testServer, id string) bool {
	t.Helper()
	if err := ts.App.Decisions.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := ts.App.Store.GetDecision(ctx, id)
	return errors.Is(err, store.ErrNotFound)
}

// TestRefusalFloodDoesNotStallWriters is the attack on the refusal path: while callers flood the
// node with unsigned GetCallerIdentity requests (each refused and recorded), legitimate writes —
// IAM CreateUser, Cognito GetId creating an identity (a durable write) — still complete, and every
// flooding request is still answered MissingAuthenticationToken. The records of the flood are in
// the store or counted dropped (latchkey_decisions_dropped_total), never waited for.
func TestRefusalFloodDoesNotStallWriters(t *testing.T) {
	ts := startServer(t)
	e := newCognitoEnv(t, ts, "flood", nil)
	flood := formRequest("GetCallerIdentity")
	stop := make(chan struct{})
	var answered atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := refused(ts, flood); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				answered.Add(1)
			}
		})
	}
	// The writes run while the flood does; a hang would fail them by this deadline, far above any
	// write's cost (no timing is asserted).
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for i := range 3 {
		if _, err := ts.rootIAM().CreateUser(wctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprint("during-flood-", i))}); err != nil {
			t.Errorf("CreateUser during the flood: %v", err)
		}
		if got := e.getID(t, nil); got == "" {
			t.Error("GetId during the flood created no identity")
		}
	}
	close(stop)
	wg.Wait()
	if err := failed.Load(); err != nil {
		t.Fatalf("a flooding request was not answered MissingAuthenticationToken: %v", *err)
	}
	if answered.Load() == 0 {
		t.Fatal("the flood sent nothing: the test proves nothing")
	}
	for i := range 3 {
		if _, err := ts.rootIAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String(fmt.Sprint("during-flood-", i))}); err != nil {
			t.Errorf("user created during the flood: %v", err)
		}
	}
	// The last refusal is recorded, or the recorder says it dropped some.
	_, err := ts.anonSTS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "MissingAuthenticationToken", 403)
	if d, gerr := ts.App.Decisions.GetDecision(ctx, requestID(t, err)); gerr != nil && ts.App.Decisions.Dropped() == 0 {
		t.Fatalf("the refusal after the flood: %+v %v, none dropped", d, gerr)
	}
	t.Logf("flood: %d refusals answered, %d records dropped", answered.Load(), ts.App.Decisions.Dropped())
}

// TestDecisionsWrittenOnClose: a refusal answered just before shutdown is in the store after it —
// the node closes its decision recorder, writing what is queued, before the store.
func TestDecisionsWrittenOnClose(t *testing.T) {
	ts := startServer(t)
	var ids []string
	for range 5 {
		_, err := ts.anonSTS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantAPIError(t, err, "MissingAuthenticationToken", 403)
		ids = append(ids, requestID(t, err))
	}
	st := shutDownAndReopen(t, ts)
	for _, id := range ids {
		if _, err := st.GetDecision(ctx, id); err != nil {
			t.Errorf("refusal %s lost at shutdown: %v", id, err)
		}
	}
}

// shutDownAndReopen shuts ts down as `latchkey serve` does (the listener drained, then the node
// closed) and opens its store again, closed when the test ends.
func shutDownAndReopen(t *testing.T, ts *testServer) store.Store {
	t.Helper()
	shutdown, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = ts.srv.Shutdown(shutdown)
	if err := ts.App.Close(); err != nil {
		t.Fatal(err)
	}
	st, _, err := app.OpenStore(ctx, ts.Config, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

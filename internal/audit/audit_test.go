package audit

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/principal"
)

const jwtLike = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvYXBwIn0.c2lnbmF0dXJlLXZhbHVl"

// TestRecordCarriesRedactedExplanation: a refusal's event has the explanation in
// additionalEventData, token- or blob-shaped values redacted; ordinary values stay.
func TestRecordCarriesRedactedExplanation(t *testing.T) {
	blob := strings.Repeat("QUJD", 80)
	x := &explain.Explanation{Outcome: explain.InvalidToken, Summary: "aud mismatch in " + jwtLike,
		Checks: []explain.Check{{Name: "aud", Expected: []string{"sts.amazonaws.com"}, Actual: []string{"other", jwtLike}, Detail: blob}},
		Policies: []explain.Policy{{Kind: "trust", Name: "r", Statements: []explain.Statement{{Conditions: []explain.Condition{
			{Operator: "StringLike", Key: "sub", PolicyValues: []string{"repo:acme/*"}, RequestValues: []string{"repo:other/app", blob}}}}}}}}
	for _, tc := range []struct {
		name  string
		ev    Event
		extra bool
	}{
		{"refusal", Event{Operation: "AssumeRoleWithWebIdentity", ErrorCode: "AccessDenied", Reason: "r", Explanation: x}, true},
		{"allowed", Event{Operation: "AssumeRole", Caller: &principal.Principal{AccountID: "123456789012"}}, false},
	} {
		var b bytes.Buffer
		New(&b).Record(tc.ev)
		out := b.String()
		if strings.Contains(out, jwtLike) || strings.Contains(out, blob) {
			t.Errorf("%s: a secret-shaped value reached the log: %s", tc.name, out)
		}
		var rec map[string]any
		if err := json.Unmarshal(b.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		extra, _ := rec["additionalEventData"].(map[string]any)
		if !tc.extra {
			if extra != nil {
				t.Errorf("%s: additionalEventData %v", tc.name, extra)
			}
			continue
		}
		got, _ := json.Marshal(extra["latchkeyExplanation"])
		for _, want := range []string{`"outcome":"InvalidToken"`, `"sts.amazonaws.com"`, `"repo:other/app"`, `"other","(redacted)"`, `"summary":"aud mismatch in (redacted)"`} {
			if !strings.Contains(string(got), want) {
				t.Errorf("%s: explanation lacks %s: %s", tc.name, want, got)
			}
		}
	}
	if x.Checks[0].Actual[1] != jwtLike {
		t.Error("Redact changed its argument")
	}
}

// A call made as an AWS service is recorded with CloudTrail's AWSService identity; an unsigned
// call with no service stays Unknown, and a signed call keeps its caller.
func TestServiceInvokedIdentity(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   Event
		want map[string]any
	}{
		{"container endpoint", Event{InvokedBy: "ecs-tasks.amazonaws.com"}, map[string]any{"type": "AWSService", "invokedBy": "ecs-tasks.amazonaws.com"}},
		{"unsigned", Event{}, map[string]any{"type": "Unknown"}},
		{"signed caller wins", Event{InvokedBy: "ec2.amazonaws.com", Caller: &principal.Principal{Kind: principal.Root, AccountID: "111122223333", ARN: "arn:aws:iam::111122223333:root", UserID: "111122223333"}},
			map[string]any{"type": "Root", "arn": "arn:aws:iam::111122223333:root"}},
	} {
		var buf bytes.Buffer
		tc.ev.Time, tc.ev.Service, tc.ev.Operation = time.Unix(1800000000, 0), "sts", "AssumeRole"
		New(&buf).Record(tc.ev)
		var rec map[string]any
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		id, _ := rec["userIdentity"].(map[string]any)
		for k, v := range tc.want {
			if id[k] != v {
				t.Errorf("%s: userIdentity %v, want %s=%v", tc.name, id, k, v)
			}
		}
	}
}

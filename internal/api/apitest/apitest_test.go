package apitest

import (
	"fmt"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awsmodel"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, a...))
}

// TestWantOutput: the model check accepts a conforming answer and refuses an extra member, a
// missing one, a wrong Go type, a nested stranger and an int where the codecs expect int64.
func TestWantOutput(t *testing.T) {
	sts := awsmodel.MustLoad("sts")
	good := func() map[string]any {
		return map[string]any{"Credentials": map[string]any{"AccessKeyId": "ASIA", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": time.Unix(1, 0)},
			"AssumedRoleUser": map[string]any{"AssumedRoleId": "AROA:s", "Arn": "arn"}, "PackedPolicySize": int64(3)}
	}
	members := []string{"Credentials", "AssumedRoleUser", "PackedPolicySize"}
	for _, tc := range []struct {
		name   string
		mutate func(map[string]any) []string
		fails  bool
	}{
		{"conforming", func(map[string]any) []string { return members }, false},
		{"extra member", func(m map[string]any) []string { m["Bogus"] = "x"; return append(members, "Bogus") }, true},
		{"missing member", func(m map[string]any) []string { delete(m, "PackedPolicySize"); return members }, true},
		{"int not int64", func(m map[string]any) []string { m["PackedPolicySize"] = 3; return members }, true},
		{"string time", func(m map[string]any) []string {
			m["Credentials"].(map[string]any)["Expiration"] = "2026-01-01T00:00:00Z"
			return members
		}, true},
		{"nested stranger", func(m map[string]any) []string { m["AssumedRoleUser"].(map[string]any)["Extra"] = "x"; return members }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := good()
			want := tc.mutate(out)
			r := &recorder{TB: t}
			WantOutput(r, sts, "AssumeRole", out, want...)
			if (len(r.failed) > 0) != tc.fails {
				t.Fatalf("failures %v, want failing %v", r.failed, tc.fails)
			}
		})
	}
}

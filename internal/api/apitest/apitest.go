// Package apitest holds what the operation tables' unit tests share: calling a handler as the
// server does, and checking its answer against the service model, so that a member the model
// lacks, or a value of the wrong Go type for the codecs, fails the adapter's own test.
package apitest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/principal"
)

// RequestID is the request id of every Call.
const RequestID = "req-1"

// Call runs op of table with caller and input as the server would after decoding.
func Call(ctx context.Context, tb testing.TB, table api.Table, op string, caller *principal.Principal, in map[string]any) (map[string]any, error) {
	tb.Helper()
	h, ok := table[op]
	if !ok {
		tb.Fatalf("no handler for %s", op)
	}
	return h(ctx, &api.Call{Caller: caller, Input: in, Region: "us-east-1", RequestID: RequestID})
}

// WantOutput fails unless out has exactly members, each a member of op's output shape in model
// with the Go type the codecs expect for its model type, recursively.
func WantOutput(tb testing.TB, model *awsmodel.Service, op string, out map[string]any, members ...string) {
	tb.Helper()
	conforms(tb, model.Operations[op].Output, out, op)
	got := make([]string, 0, len(out))
	for k := range out {
		got = append(got, k)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(members))
	if !slices.Equal(got, want) {
		tb.Errorf("%s output members = %v, want %v", op, got, want)
	}
}

// WantError fails unless err is an AWS error of that kind, code and status.
func WantError(tb testing.TB, err error, kind awserr.Kind, code string, status int) {
	tb.Helper()
	ae, ok := awserr.As(err)
	if !ok || ae.Kind != kind || ae.Code != code || ae.HTTPStatus != status {
		tb.Fatalf("want %s %s %d, got %#v", kind, code, status, err)
	}
}

func conforms(tb testing.TB, shape *awsmodel.Shape, tree map[string]any, path string) {
	tb.Helper()
	for name, v := range tree {
		m := shape.MemberByName(name)
		if m == nil {
			tb.Errorf("%s.%s is not a member of %s", path, name, shape.Name)
			continue
		}
		conformsValue(tb, m.Shape, v, path+"."+name)
	}
}

func conformsValue(tb testing.TB, s *awsmodel.Shape, v any, path string) {
	tb.Helper()
	ok := false
	switch s.Type {
	case "structure":
		var m map[string]any
		if m, ok = v.(map[string]any); ok {
			conforms(tb, s, m, path)
		}
	case "list":
		var l []any
		if l, ok = v.([]any); ok {
			for _, e := range l {
				conformsValue(tb, s.Member.Shape, e, path+"[]")
			}
		}
	case "map":
		var m map[string]any
		if m, ok = v.(map[string]any); ok {
			for k, e := range m {
				conformsValue(tb, s.Value.Shape, e, path+"["+k+"]")
			}
		}
	case "string":
		_, ok = v.(string)
	case "integer", "long":
		_, ok = v.(int64)
	case "boolean":
		_, ok = v.(bool)
	case "timestamp":
		_, ok = v.(time.Time)
	default:
		tb.Errorf("%s: model type %s is not checked", path, s.Type)
		return
	}
	if !ok {
		tb.Errorf("%s: %T is not a %s", path, v, s.Type)
	}
}

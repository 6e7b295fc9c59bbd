package jsonvalue

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
)

// decodeOne runs the value decoder on a lone scalar; the models in scope have no double members,
// so the scalar paths are checked directly on synthetic shapes.
func decodeOne(t *testing.T, typ, text string) (any, error) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	d := &decoder{dec: dec}
	return d.value(&awsmodel.Shape{Name: typ, Type: typ}, "X")
}

func TestScalars(t *testing.T) {
	tests := []struct {
		typ, text string
		want      any
	}{
		{"double", "1.5", 1.5},
		{"double", "-2e-3", -0.002},
		{"float", "7", 7.0},
		{"double", `"Infinity"`, math.Inf(1)},
		{"double", `"-Infinity"`, math.Inf(-1)},
		{"blob", `"aGVsbG8="`, []byte("hello")},
		{"blob", `""`, []byte{}},
		{"long", "-9223372036854775808", int64(math.MinInt64)},
		{"integer", "-2147483648", int64(math.MinInt32)},
		{"integer", "-0", int64(0)},
		{"integer", "2.0e3", int64(2000)},
		{"timestamp", "0", time.Unix(0, 0).UTC()},
		{"timestamp", "1e9", time.Unix(1e9, 0).UTC()},
		{"timestamp", "253402300799", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"boolean", "false", false},
		{"string", `""`, ""},
	}
	for _, tt := range tests {
		got, err := decodeOne(t, tt.typ, tt.text)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %s = %#v, %v; want %#v", tt.typ, tt.text, got, err, tt.want)
		}
	}
	if got, err := decodeOne(t, "double", `"NaN"`); err != nil || !math.IsNaN(got.(float64)) {
		t.Errorf("NaN = %v, %v", got, err)
	}
}

func TestScalarRejects(t *testing.T) {
	for _, tt := range []struct{ typ, text string }{
		{"double", "1e999"},
		{"double", `"1.5"`},
		{"double", `"nan"`},
		{"double", "true"},
		{"blob", `"not base64!"`},
		{"blob", "12"},
		{"long", "9223372036854775808"},
		{"long", "-9223372036854775809"},
		{"long", "1.0000001"},
		{"integer", "-2147483649"},
		{"timestamp", "253402300800"},
		{"timestamp", "-62135596801"},
		{"timestamp", "true"},
		{"string", "[]"},
		{"whatever", `"x"`},
	} {
		got, err := decodeOne(t, tt.typ, tt.text)
		if ae, ok := awserr.As(err); !ok || ae.Code != "SerializationException" {
			t.Errorf("%s %s = %#v, %v; want SerializationException", tt.typ, tt.text, got, err)
		}
	}
}

func TestEncodeScalars(t *testing.T) {
	tests := []struct {
		typ  string
		v    any
		want string
	}{
		{"string", "a\"b\\c\n\t\x01</script>&", `"a\"b\\c\n\t\u0001</script>&"`},
		{"string", "\u2028 é \xff", `"\u2028 é \ufffd"`},
		{"double", 1.5, "1.5"},
		{"double", 1e21, "1e+21"},
		{"double", 1e-7, "1e-07"},
		{"double", 0.0, "0"},
		{"double", math.NaN(), `"NaN"`},
		{"double", math.Inf(-1), `"-Infinity"`},
		{"float", float32(0.5), "0.5"},
		{"integer", int64(-3), "-3"},
		{"integer", 3, "3"},
		{"integer", int32(4), "4"},
		{"boolean", true, "true"},
		{"timestamp", time.Unix(1795354200, 0), "1795354200"},
		{"timestamp", time.Unix(1795354200, 250_000_000), "1795354200.250"},
		{"timestamp", time.Unix(-2, 500_000_000), "-1.500"},
		{"blob", []byte("hello"), `"aGVsbG8="`},
		// Values that do not fit the value-tree convention still produce valid JSON.
		{"list", []string{"a", "b"}, `["a","b"]`},
		{"map", map[string]string{"k": "v"}, `{"k":"v"}`},
	}
	for _, tt := range tests {
		e := encoder{}
		e.value(&awsmodel.Shape{Name: tt.typ, Type: tt.typ}, tt.v)
		if string(e.b) != tt.want {
			t.Errorf("%s %#v = %s, want %s", tt.typ, tt.v, e.b, tt.want)
		}
		if !json.Valid(e.b) {
			t.Errorf("%s %#v rendered invalid JSON %s", tt.typ, tt.v, e.b)
		}
	}
}

func TestEncodeContainers(t *testing.T) {
	str := &awsmodel.Shape{Name: "S", Type: "string"}
	list := &awsmodel.Shape{Name: "L", Type: "list", Member: &awsmodel.Member{Name: "member", Shape: str}}
	m := &awsmodel.Shape{Name: "M", Type: "map", Key: &awsmodel.Member{Name: "key", Shape: str}, Value: &awsmodel.Member{Name: "value", Shape: list}}
	e := encoder{}
	e.value(m, map[string]any{"b": []any{"x", nil, "y"}, "a": []any{}, "skip": nil})
	if got, want := string(e.b), `{"a":[],"b":["x","y"]}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestEncodeModelOrderAndBodyOnly(t *testing.T) {
	qs := awsmodel.MustLoad("quicksight")
	out := qs.Shapes["ListUsersResponse"]
	tree := map[string]any{"RequestId": "r", "Status": int64(200), "NextToken": "n", "UserList": []any{map[string]any{"UserName": "u", "Active": false}}}
	if got, want := string(EncodeBody(out, tree)), `{"UserList":[{"UserName":"u","Active":false}],"NextToken":"n","RequestId":"r"}`; got != want {
		t.Errorf("EncodeBody = %s, want %s", got, want)
	}
	if got := string(Encode(out, tree)); !strings.Contains(got, `"Status":200`) {
		t.Errorf("Encode must keep located members: %s", got)
	}
	if got := Encode(nil, tree); !bytes.Equal(got, []byte("{}")) {
		t.Errorf("Encode(nil) = %s", got)
	}
}

func TestAppendFields(t *testing.T) {
	got := string(AppendFields([]byte("{"), map[string]string{"b": "2", "a": "1", "Message": "x"}, "Message"))
	if got != `{,"a":"1","b":"2"` {
		t.Errorf("AppendFields = %s", got)
	}
}

func TestIntegerPrecision(t *testing.T) {
	for _, text := range []string{"-9223372036854775809.0", "9007199254740993.0", "1e19", "9.3e18"} {
		if got, err := decodeOne(t, "long", text); err == nil {
			t.Errorf("long %s = %v; a float-form integer beyond 2^53 must be refused", text, got)
		}
	}
	if got, err := decodeOne(t, "long", "9007199254740991.0"); err != nil || got != int64(1<<53-1) {
		t.Errorf("long 2^53-1 = %v, %v", got, err)
	}
}

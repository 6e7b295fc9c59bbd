package scalar

import (
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"
)

func TestFromText(t *testing.T) {
	for _, c := range []struct {
		typ, in string
		want    any
		err     string
	}{
		{"string", " a+b ", " a+b ", ""},
		{"string", "", "", ""},
		{"integer", "1800", int64(1800), ""},
		{"integer", " -5 ", int64(-5), ""},
		{"integer", "2147483647", int64(math.MaxInt32), ""},
		{"integer", "-2147483648", int64(math.MinInt32), ""},
		{"integer", "2147483648", nil, "must be an integer"},
		{"integer", "-2147483649", nil, "must be an integer"},
		{"integer", "1.5", nil, "must be an integer"},
		{"integer", "1e3", nil, "must be an integer"},
		{"integer", "", nil, "must be an integer"},
		{"integer", "0x10", nil, "must be an integer"},
		{"long", "9223372036854775807", int64(math.MaxInt64), ""},
		{"long", "9223372036854775808", nil, "must be an integer"},
		{"double", "0.25", 0.25, ""},
		{"float", "1e3", 1000.0, ""},
		{"double", "abc", nil, "must be a number"},
		{"boolean", "true", true, ""},
		{"boolean", "FALSE", false, ""},
		{"boolean", "1", nil, "must be true or false"},
		{"boolean", "", nil, "must be true or false"},
		{"timestamp", "2020-01-01T00:00:00Z", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"timestamp", "2020-01-01T00:00:00.123456Z", time.Date(2020, 1, 1, 0, 0, 0, 123456000, time.UTC), ""},
		{"timestamp", "2020-01-01T02:00:00+02:00", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"timestamp", "1577836800", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"timestamp", "1577836800.5", time.Date(2020, 1, 1, 0, 0, 0, 500e6, time.UTC), ""},
		{"timestamp", "2020-01-01", nil, "must be an ISO 8601 timestamp"},
		{"timestamp", "NaN", nil, "must be an ISO 8601 timestamp"},
		{"timestamp", "+Inf", nil, "must be an ISO 8601 timestamp"},
		{"timestamp", "1e19", nil, "must be an ISO 8601 timestamp"},
		{"timestamp", "-1e19", nil, "must be an ISO 8601 timestamp"},
		{"blob", "AAEC/w==", []byte{0, 1, 2, 0xff}, ""},
		{"blob", "not base64!", nil, "must be base64"},
		{"structure", "x", nil, "unsupported type structure"},
	} {
		got, err := FromText(c.typ, c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("FromText(%s, %q) = %v, %v; want error %q", c.typ, c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("FromText(%s, %q) = %#v, %v; want %#v", c.typ, c.in, got, err, c.want)
		}
	}
}

// Every epoch value ParseTimestamp accepts must render in the four-digit-year formats.
func TestParseTimestampRange(t *testing.T) {
	for _, s := range []string{"-62135596800", "253402300799", "0", "-1.5"} {
		tm, err := ParseTimestamp(s)
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if _, err := time.Parse(time.RFC3339, ISO8601(tm)); err != nil {
			t.Errorf("%s renders as %q: %v", s, ISO8601(tm), err)
		}
	}
	for _, s := range []string{"-62135596801", "253402300800"} {
		if _, err := ParseTimestamp(s); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
}

func TestRender(t *testing.T) {
	tm := time.Date(2026, 11, 22, 14, 30, 0, 250e6, time.FixedZone("CET", 3600))
	if got := ISO8601(tm); got != "2026-11-22T13:30:00Z" {
		t.Errorf("ISO8601 = %q", got)
	}
	if got := Epoch(tm); got != "1795354200.250" {
		t.Errorf("Epoch = %q", got)
	}
	if got := Epoch(time.Unix(1795354200, 0)); got != "1795354200" {
		t.Errorf("Epoch whole = %q", got)
	}
	if got := EpochToTime(1795354200.25); !got.Equal(tm) || got.Location() != time.UTC {
		t.Errorf("EpochToTime = %v", got)
	}
	if got := EpochToTime(-1.5); !got.Equal(time.Unix(-2, 500e6)) {
		t.Errorf("EpochToTime(-1.5) = %v", got)
	}
	f, _ := strconv.ParseFloat(Epoch(tm), 64)
	if !EpochToTime(f).Round(time.Millisecond).Equal(tm) {
		t.Errorf("Epoch round trip %v", EpochToTime(f))
	}
}

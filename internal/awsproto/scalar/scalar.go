package scalar

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FromText decodes the text form of a scalar of the given model type (awsQuery parameters,
// restJson1 labels and query strings).
func FromText(typ, s string) (any, error) {
	switch typ {
	case "string":
		return s, nil
	case "integer", "long":
		// A model integer is 32 bits (Java int); accepting more would let a value wrap when bound.
		bits := 64
		if typ == "integer" {
			bits = 32
		}
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
		if err != nil {
			return nil, fmt.Errorf("must be an integer")
		}
		return n, nil
	case "double", "float":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("must be a number")
		}
		return f, nil
	case "boolean":
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("must be true or false")
	case "timestamp":
		return ParseTimestamp(s)
	case "blob":
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("must be base64")
		}
		return b, nil
	}
	return nil, fmt.Errorf("unsupported type %s", typ)
}

// ParseTimestamp accepts ISO 8601 (with or without fraction) and epoch seconds, the forms SDKs send.
func ParseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	// The bounds keep int64 conversion defined and the result inside years 1..9999, which every
	// timestamp format can render; NaN fails both comparisons.
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= minEpoch && f <= maxEpoch {
		return EpochToTime(f), nil
	}
	return time.Time{}, fmt.Errorf("must be an ISO 8601 timestamp")
}

const (
	minEpoch = -62135596800 // 0001-01-01T00:00:00Z
	maxEpoch = 253402300799 // 9999-12-31T23:59:59Z
)

// EpochToTime converts fractional epoch seconds (the JSON protocols' timestamp form).
func EpochToTime(f float64) time.Time {
	sec := int64(f)
	nsec := int64((f - float64(sec)) * 1e9)
	return time.Unix(sec, nsec).UTC()
}

// ISO8601 is the XML timestamp form both SDKs parse.
func ISO8601(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// Epoch renders epoch seconds with up to millisecond precision, as AWS JSON services do.
func Epoch(t time.Time) string {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return strconv.FormatInt(ms/1000, 10)
	}
	return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64)
}

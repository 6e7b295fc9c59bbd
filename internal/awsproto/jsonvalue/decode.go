package jsonvalue

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/awsproto/scalar"
)

// MaxDepth bounds object/array nesting. The deepest Cognito or QuickSight input is five levels
// (SetIdentityPoolRoles rules), so 64 leaves room for any sane client while keeping the recursive
// walk shallow whatever a hostile body looks like.
const MaxDepth = 64

// Epoch seconds outside years 1–9999 cannot be rendered back by any SDK, and float64 → int64
// conversion is undefined beyond ±2^63, so such numbers are refused before conversion.
const (
	minEpoch = -62135596800 // 0001-01-01T00:00:00Z
	maxEpoch = 253402300799 // 9999-12-31T23:59:59Z
)

// Decode reads a JSON request body into the value tree of shape. Every member of shape is read from
// the body; this is the awsJson1.1 rule.
func Decode(shape *awsmodel.Shape, body []byte) (map[string]any, error) {
	return decode(shape, body, false)
}

// DecodeBody is Decode for restJson1: only the top-level members without an HTTP binding
// (uri, querystring, header, headers, statusCode) are taken from the body, so a client cannot
// override a path label by also sending it in the document.
func DecodeBody(shape *awsmodel.Shape, body []byte) (map[string]any, error) {
	return decode(shape, body, true)
}

func decode(shape *awsmodel.Shape, body []byte, bodyOnly bool) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	d := &decoder{dec: dec, bodyOnly: bodyOnly}
	tok, err := d.token()
	if err != nil {
		return nil, err
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '{' {
		return nil, serialization("The request body must be a JSON object, found %s.", describe(tok))
	}
	var out map[string]any
	if shape == nil || shape.Type != "structure" {
		// An operation without input still gets a syntax check, so garbage is refused consistently.
		if err := d.skipOpened(); err != nil {
			return nil, err
		}
	} else if out, err = d.structureOpened(shape, "", true); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, serialization("Unexpected data after the JSON object at offset %d.", dec.InputOffset())
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

type decoder struct {
	dec      *json.Decoder
	depth    int
	bodyOnly bool
}

func serialization(format string, args ...any) *awserr.Error {
	return awserr.New("SerializationException", http.StatusBadRequest, format, args...)
}

// token reads the next token and turns decoder failures into the client-facing error.
func (d *decoder) token() (json.Token, error) {
	tok, err := d.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, serialization("The request body is not valid JSON: unexpected end of input.")
		}
		return nil, serialization("The request body is not valid JSON: %s (offset %d).", err.Error(), d.dec.InputOffset())
	}
	return tok, nil
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > MaxDepth {
		return serialization("The request body is nested deeper than %d levels.", MaxDepth)
	}
	return nil
}

func describe(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case json.Delim:
		switch t {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return "'" + t.String() + "'"
	}
	return fmt.Sprintf("%T", tok)
}

func mismatch(path, want string, tok json.Token) *awserr.Error {
	return serialization("Expected %s at '%s' but found %s.", want, path, describe(tok))
}

func childPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// value reads one value of shape. A JSON null yields nil: AWS treats an explicit null exactly like
// an absent member, and SDKs send null for unset members in some languages.
func (d *decoder) value(shape *awsmodel.Shape, path string) (any, error) {
	tok, err := d.token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	switch shape.Type {
	case "structure":
		if delim, ok := tok.(json.Delim); !ok || delim != '{' {
			return nil, mismatch(path, "an object", tok)
		}
		m, err := d.structureOpened(shape, path, false)
		if m == nil && err == nil {
			m = map[string]any{}
		}
		return m, err
	case "map":
		if delim, ok := tok.(json.Delim); !ok || delim != '{' {
			return nil, mismatch(path, "an object", tok)
		}
		return d.mapOpened(shape, path)
	case "list":
		if delim, ok := tok.(json.Delim); !ok || delim != '[' {
			return nil, mismatch(path, "an array", tok)
		}
		return d.listOpened(shape, path)
	case "string":
		s, ok := tok.(string)
		if !ok {
			return nil, mismatch(path, "a string", tok)
		}
		return s, nil
	case "boolean":
		b, ok := tok.(bool)
		if !ok {
			return nil, mismatch(path, "a boolean", tok)
		}
		return b, nil
	case "integer", "long":
		n, ok := tok.(json.Number)
		if !ok {
			return nil, mismatch(path, "an integer", tok)
		}
		return integer(shape.Type, n, path)
	case "double", "float":
		return float(tok, path)
	case "timestamp":
		n, ok := tok.(json.Number)
		if !ok {
			return nil, mismatch(path, "a timestamp in epoch seconds", tok)
		}
		return timestamp(n, path)
	case "blob":
		s, ok := tok.(string)
		if !ok {
			return nil, mismatch(path, "a base64 string", tok)
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, serialization("Expected base64 data at '%s'.", path)
		}
		return b, nil
	}
	return nil, serialization("Member '%s' has an unsupported model type %q.", path, shape.Type)
}

// structureOpened reads the members of an object whose '{' was already consumed. Unknown members
// are skipped, as AWS services do, so newer clients sending newer members keep working.
func (d *decoder) structureOpened(shape *awsmodel.Shape, path string, top bool) (map[string]any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	var out map[string]any
	for d.dec.More() {
		tok, err := d.token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		m := shape.MemberByName(key)
		if m == nil || (top && d.bodyOnly && !IsBodyMember(m)) {
			if err := d.skip(); err != nil {
				return nil, err
			}
			continue
		}
		v, err := d.value(m.Shape, childPath(path, m.Name))
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = map[string]any{}
		}
		if v == nil {
			// A later null cancels an earlier value for a duplicated key, like last-one-wins.
			delete(out, m.Name)
			continue
		}
		out[m.Name] = v
	}
	return out, d.close()
}

func (d *decoder) mapOpened(shape *awsmodel.Shape, path string) (map[string]any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for d.dec.More() {
		tok, err := d.token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		v, err := d.value(shape.Value.Shape, fmt.Sprintf("%s[%s]", path, strconv.Quote(key)))
		if err != nil {
			return nil, err
		}
		// Null map values are dropped: the value tree has no sparse maps, and the models in scope
		// declare none.
		if v != nil {
			out[key] = v
		} else {
			delete(out, key)
		}
	}
	return out, d.close()
}

func (d *decoder) listOpened(shape *awsmodel.Shape, path string) ([]any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	out := []any{}
	for i := 0; d.dec.More(); i++ {
		v, err := d.value(shape.Member.Shape, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		// Null elements are dropped for the same reason as null map values.
		if v != nil {
			out = append(out, v)
		}
	}
	return out, d.close()
}

// close consumes the closing delimiter of the current container.
func (d *decoder) close() error {
	if _, err := d.token(); err != nil {
		return err
	}
	d.depth--
	return nil
}

// skip discards one value of any shape without recursion, still counting depth so an unknown
// member cannot be used to smuggle in unbounded nesting.
func (d *decoder) skip() error {
	tok, err := d.token()
	if err != nil {
		return err
	}
	if delim, ok := tok.(json.Delim); ok && (delim == '{' || delim == '[') {
		return d.skipOpened()
	}
	return nil
}

func (d *decoder) skipOpened() error {
	if err := d.enter(); err != nil {
		return err
	}
	for level := 1; level > 0; {
		tok, err := d.token()
		if err != nil {
			return err
		}
		if delim, ok := tok.(json.Delim); ok {
			switch delim {
			case '{', '[':
				if err := d.enter(); err != nil {
					return err
				}
				level++
			default:
				d.depth--
				level--
			}
		}
	}
	return nil
}

// integer accepts integral numbers in any JSON spelling (7, 7.0, 7e0) because some clients format
// every number as a double, but refuses fractions and values the model type cannot hold. A fraction
// or exponent form is only trusted below 2^53, where float64 is exact; beyond that the digits a
// client sent and the value decoded could differ, so the number must be written plainly.
func integer(typ string, n json.Number, path string) (any, error) {
	s := n.String()
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if !strings.ContainsAny(s, ".eE") {
			return nil, serialization("The number %s at '%s' is out of range.", abbreviate(s), path)
		}
		f, ferr := strconv.ParseFloat(s, 64)
		switch {
		case ferr == nil && f != math.Trunc(f):
			return nil, serialization("Expected an integer at '%s' but found %s.", path, abbreviate(s))
		case ferr != nil || math.Abs(f) >= 1<<53:
			return nil, serialization("The number %s at '%s' is out of range.", abbreviate(s), path)
		}
		v = int64(f)
	}
	if typ == "integer" && (v < math.MinInt32 || v > math.MaxInt32) {
		return nil, serialization("The number %s at '%s' is out of range for a 32-bit integer.", abbreviate(s), path)
	}
	return v, nil
}

// float accepts numbers and, as Smithy's JSON protocols allow, the strings NaN and ±Infinity.
func float(tok json.Token, path string) (any, error) {
	switch t := tok.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(t.String(), 64)
		if err != nil {
			return nil, serialization("The number %s at '%s' is out of range.", abbreviate(t.String()), path)
		}
		return f, nil
	case string:
		switch t {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
	}
	return nil, mismatch(path, "a number", tok)
}

// timestamp converts epoch seconds, including fractional and exponent forms (AWS itself sends
// 1.699999999E9). Precision is rounded to microseconds: float64 cannot carry more at today's
// epoch, and rounding keeps 1699999999.123 from turning into …122.999906.
func timestamp(n json.Number, path string) (any, error) {
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || math.IsNaN(f) || f < minEpoch || f > maxEpoch {
		return nil, serialization("The timestamp %s at '%s' is not a valid number of epoch seconds.", abbreviate(n.String()), path)
	}
	return scalar.EpochToTime(f).Round(time.Microsecond), nil
}

// abbreviate keeps error messages short when a client sends a thousand-digit number.
func abbreviate(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:20] + "…" + s[len(s)-10:]
}

// IsBodyMember reports whether a top-level member travels in the JSON document under restJson1.
func IsBodyMember(m *awsmodel.Member) bool {
	return m.Location == "" || strings.EqualFold(m.Location, "body")
}

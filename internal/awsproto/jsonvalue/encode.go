package jsonvalue

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/awsproto/scalar"
)

// Encode renders a value tree as the JSON document of shape. Members appear in model order and map
// keys sorted, so responses are byte-for-byte reproducible; nil values are left out as AWS leaves
// out absent members. A nil shape or tree yields "{}", which every SDK accepts for empty output.
func Encode(shape *awsmodel.Shape, out map[string]any) []byte {
	return encode(shape, out, false)
}

// EncodeBody is Encode for restJson1: top-level members bound to the status line or headers are
// omitted, since SDKs read them from there and would not expect them in the document.
func EncodeBody(shape *awsmodel.Shape, out map[string]any) []byte {
	return encode(shape, out, true)
}

func encode(shape *awsmodel.Shape, out map[string]any, bodyOnly bool) []byte {
	if shape == nil || out == nil || shape.Type != "structure" {
		return []byte("{}")
	}
	e := encoder{bodyOnly: bodyOnly}
	e.structure(shape, out, true)
	return e.b
}

type encoder struct {
	b        []byte
	bodyOnly bool
}

func (e *encoder) structure(shape *awsmodel.Shape, v map[string]any, top bool) {
	e.b = append(e.b, '{')
	first := true
	for _, m := range shape.Members {
		if top && e.bodyOnly && !IsBodyMember(m) {
			continue
		}
		val, ok := v[m.Name]
		if !ok || val == nil {
			continue
		}
		if !first {
			e.b = append(e.b, ',')
		}
		first = false
		e.b = appendString(e.b, m.Name)
		e.b = append(e.b, ':')
		e.value(m.Shape, val)
	}
	e.b = append(e.b, '}')
}

func (e *encoder) value(shape *awsmodel.Shape, v any) {
	switch shape.Type {
	case "structure":
		if m, ok := v.(map[string]any); ok {
			e.structure(shape, m, false)
			return
		}
	case "list":
		if items, ok := v.([]any); ok {
			e.b = append(e.b, '[')
			n := 0
			for _, item := range items {
				if item == nil {
					continue
				}
				if n > 0 {
					e.b = append(e.b, ',')
				}
				n++
				e.value(shape.Member.Shape, item)
			}
			e.b = append(e.b, ']')
			return
		}
	case "map":
		if entries, ok := v.(map[string]any); ok {
			keys := make([]string, 0, len(entries))
			for k, ev := range entries {
				if ev != nil {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			e.b = append(e.b, '{')
			for i, k := range keys {
				if i > 0 {
					e.b = append(e.b, ',')
				}
				e.b = appendString(e.b, k)
				e.b = append(e.b, ':')
				e.value(shape.Value.Shape, entries[k])
			}
			e.b = append(e.b, '}')
			return
		}
	}
	e.scalar(v)
}

// scalar renders by the Go type of the value rather than the shape, so a service that hands over an
// int instead of an int64 (or a []string instead of []any) still produces a correct document
// instead of a silently dropped member.
func (e *encoder) scalar(v any) {
	switch x := v.(type) {
	case string:
		e.b = appendString(e.b, x)
	case bool:
		e.b = strconv.AppendBool(e.b, x)
	case int64:
		e.b = strconv.AppendInt(e.b, x, 10)
	case int:
		e.b = strconv.AppendInt(e.b, int64(x), 10)
	case int32:
		e.b = strconv.AppendInt(e.b, int64(x), 10)
	case float64:
		e.b = appendFloat(e.b, x)
	case float32:
		e.b = appendFloat(e.b, float64(x))
	case time.Time:
		e.b = append(e.b, scalar.Epoch(x)...)
	case []byte:
		e.b = append(e.b, '"')
		e.b = base64.StdEncoding.AppendEncode(e.b, x)
		e.b = append(e.b, '"')
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			raw = []byte("null")
		}
		e.b = append(e.b, raw...)
	}
}

// appendFloat follows encoding/json's number formatting, and Smithy's string spellings for the
// values JSON cannot express.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.AppendFloat(b, f, 'e', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

const hex = "0123456789abcdef"

// appendString writes a JSON string without encoding/json's HTML escaping, which would only make
// responses harder to read; invalid UTF-8 becomes U+FFFD so the document stays valid.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but not valid JavaScript; escaping costs nothing.
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// String renders one JSON string; the codecs use it for error envelopes.
func String(s string) []byte { return appendString(nil, s) }

// AppendFields appends `,"key":"value"` for each extra error field in sorted order, skipping the
// names the envelope already uses so a stray field cannot produce a duplicate key.
func AppendFields(b []byte, fields map[string]string, reserved ...string) []byte {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if !slices.Contains(reserved, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b = append(b, ',')
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, fields[k])
	}
	return b
}

package awsmodel

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Validate checks a decoded input value against its shape's constraints (required, length, range,
// pattern, enum, union) and returns AWS's combined message ("1 validation error detected: …"), or ""
// when the value is valid. Decoded values are map[string]any for structures and maps, []any for
// lists, and string, int64, float64, bool, time.Time or []byte for scalars.
//
// Errors come in the order of the input's members (lists in index order), each member's own
// constraints before those of its elements. A list or map whose elements are scalars is judged as a
// whole, as AWS does: one error at the collection's own path, its value rendered whole, naming every
// constraint of the element shape ("Member must satisfy constraint: [...]" for lists, "Map keys must
// satisfy constraint: [...]" and "Map value must satisfy constraint: [...]" for maps).
func Validate(shape *Shape, value map[string]any) string {
	if shape == nil {
		return ""
	}
	var v validator
	v.structure(shape, value, "")
	return v.message()
}

type validator struct{ errs []string }

func (v *validator) message() string { return ValidationMessage(v.errs) }

// ValidationMessage joins constraint failures the way AWS's front end reports them.
func ValidationMessage(errs []string) string {
	switch len(errs) {
	case 0:
		return ""
	case 1:
		return "1 validation error detected: " + errs[0]
	default:
		return fmt.Sprintf("%d validation errors detected: %s", len(errs), strings.Join(errs, "; "))
	}
}

// Redacted stands in for a sensitive value inside a rendered list, map or structure. It is the
// marker AWS itself prints for sensitive parameters in CloudTrail records (AWS Payment Cryptography
// User Guide, "Logging AWS Payment Cryptography API calls using AWS CloudTrail").
const Redacted = "*** Sensitive Data Redacted ***"

// fail records one failure of value (of shape) at path. A member the model marks sensitive is never
// shown, as AWS answers for them ("Value at 'webIdentityToken' failed to satisfy constraint: …").
func (v *validator) fail(path string, shape *Shape, value any, constraint string) {
	if shape != nil && shape.Sensitive {
		v.errs = append(v.errs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", path, constraint))
		return
	}
	v.errs = append(v.errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", render(shape, value), path, constraint))
}

func render(shape *Shape, value any) string {
	if value == nil {
		return "null"
	}
	return "'" + plain(shape, value) + "'"
}

// plain renders a value the way Java's toString does in AWS's messages: lists as "[a, b]", maps
// and structures as "{k=v, …}" (keys sorted: the request's order is not kept by the decoder).
// Sensitive values nested inside are replaced by Redacted; an empty one stays empty, since it hides
// nothing and is what AWS shows ("Value '{graph.facebook.com=}' at 'logins'").
func plain(shape *Shape, value any) string {
	if shape != nil && !shape.holdsSensitive {
		shape = nil // nothing below needs hiding, so the shape need not be followed
	}
	if shape != nil && shape.Sensitive && !empty(value) {
		return Redacted
	}
	switch x := value.(type) {
	case string:
		return x
	case []any:
		var elem *Shape
		if shape != nil && shape.Member != nil {
			elem = shape.Member.Shape
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = plain(elem, e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			keyShape, valShape := entryShapes(shape, k)
			parts[i] = plain(keyShape, k) + "=" + plain(valShape, x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case nil:
		return "null"
	default:
		return fmt.Sprint(x)
	}
}

// entryShapes gives the shapes of one entry of a decoded map value: a model map's key and value
// shapes, or nothing and the named member's shape for a structure.
func entryShapes(shape *Shape, key string) (*Shape, *Shape) {
	switch {
	case shape == nil:
		return nil, nil
	case shape.Type == "map" && shape.Key != nil && shape.Value != nil:
		return shape.Key.Shape, shape.Value.Shape
	case shape.Type == "structure":
		if m := shape.MemberByName(key); m != nil {
			return nil, m.Shape
		}
	}
	return nil, nil
}

func empty(value any) bool {
	switch x := value.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []byte:
		return len(x) == 0
	}
	return false
}

func joinPath(parent, name string) string {
	name = lowerFirst(name)
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func (v *validator) structure(shape *Shape, value map[string]any, path string) {
	set := 0
	for _, m := range shape.Members {
		if m.Location == "statusCode" {
			continue
		}
		child, present := value[m.Name]
		mp := joinPath(path, m.Name)
		if !present || child == nil {
			if shape.Required[m.Name] {
				v.fail(mp, nil, nil, "Member must not be null")
			}
			continue
		}
		set++
		v.value(m.Shape, child, mp)
	}
	if shape.Union && set != 1 {
		where := path
		if where == "" {
			where = lowerFirst(shape.Name)
		}
		v.errs = append(v.errs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Exactly one member must be set, but %d were set", where, set))
	}
}

func (v *validator) value(shape *Shape, value any, path string) {
	switch shape.Type {
	case "structure":
		if m, ok := value.(map[string]any); ok {
			v.structure(shape, m, path)
		}
	case "list":
		items, _ := value.([]any)
		v.length(shape, value, len(items), path)
		elem := shape.Member.Shape
		if scalar(elem) {
			bad := false
			for _, item := range items {
				bad = bad || (item != nil && !valid(elem, item))
			}
			if bad {
				v.fail(path, shape, value, "Member must satisfy constraint: ["+constraints(elem)+"]")
			}
			return
		}
		for i, item := range items {
			if item != nil {
				v.value(elem, item, path+"."+strconv.Itoa(i+1)+".member")
			}
		}
	case "map":
		entries, _ := value.(map[string]any)
		v.length(shape, value, len(entries), path)
		keys := make([]string, 0, len(entries))
		for k := range entries {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		badKey, badValue := false, false
		scalarValues := scalar(shape.Value.Shape)
		for _, k := range keys {
			badKey = badKey || !valid(shape.Key.Shape, k)
			if ev := entries[k]; ev != nil && scalarValues {
				badValue = badValue || !valid(shape.Value.Shape, ev)
			}
		}
		if badKey {
			v.fail(path, shape, value, "Map keys must satisfy constraint: ["+constraints(shape.Key.Shape)+"]")
		}
		if badValue {
			v.fail(path, shape, value, "Map value must satisfy constraint: ["+constraints(shape.Value.Shape)+"]")
		}
		if scalarValues {
			return
		}
		for _, k := range keys {
			if ev := entries[k]; ev != nil {
				v.value(shape.Value.Shape, ev, path+"."+k+".member")
			}
		}
	case "string":
		s, _ := value.(string)
		v.length(shape, value, utf16Len(s), path)
		if match, _ := shape.MatchPattern(s); !match {
			v.fail(path, shape, value, patternMsg(shape))
		}
		if len(shape.Enum) > 0 && !contains(shape.Enum, s) {
			v.fail(path, shape, value, enumMsg(shape))
		}
	case "blob":
		b, _ := value.([]byte)
		v.length(shape, value, len(b), path)
	case "integer", "long":
		n, _ := value.(int64)
		v.rangeCheck(shape, value, float64(n), path)
	case "double", "float":
		f, _ := value.(float64)
		v.rangeCheck(shape, value, f, path)
	}
}

// scalar reports whether AWS judges a collection of this element shape as a whole rather than
// element by element at "….N.member" paths, which it does for elements that are structures.
func scalar(s *Shape) bool {
	switch s.Type {
	case "structure", "list", "map":
		return false
	}
	return true
}

func valid(shape *Shape, value any) bool {
	var v validator
	v.value(shape, value, "")
	return len(v.errs) == 0
}

// constraints lists every constraint of an element shape, whichever of them failed, in the order
// AWS lists them: "[Member must have length less than or equal to 128, Member must have length
// greater than or equal to 1, Member must satisfy regular expression pattern: …]".
func constraints(s *Shape) string {
	var out []string
	noun := "length"
	switch s.Type {
	case "integer", "long", "double", "float":
		noun = "value"
	}
	if s.Max != nil {
		out = append(out, maxMsg(noun, *s.Max))
	}
	if s.Min != nil {
		out = append(out, minMsg(noun, *s.Min))
	}
	if s.Pattern != "" {
		out = append(out, patternMsg(s))
	}
	if len(s.Enum) > 0 {
		out = append(out, enumMsg(s))
	}
	return strings.Join(out, ", ")
}

// The constraint texts, shared by the single-value form and the bracketed list of constraints.
func maxMsg(noun string, f float64) string {
	return "Member must have " + noun + " less than or equal to " + num(f)
}

func minMsg(noun string, f float64) string {
	return "Member must have " + noun + " greater than or equal to " + num(f)
}

func patternMsg(s *Shape) string {
	return "Member must satisfy regular expression pattern: " + s.Pattern
}

func enumMsg(s *Shape) string {
	return "Member must satisfy enum value set: [" + strings.Join(s.Enum, ", ") + "]"
}

func (v *validator) length(shape *Shape, value any, n int, path string) {
	v.bounds(shape, value, float64(n), "length", path)
}

func (v *validator) rangeCheck(shape *Shape, value any, n float64, path string) {
	v.bounds(shape, value, n, "value", path)
}

func (v *validator) bounds(shape *Shape, value any, n float64, noun, path string) {
	if shape.Min != nil && n < *shape.Min {
		v.fail(path, shape, value, minMsg(noun, *shape.Min))
	}
	if shape.Max != nil && n > *shape.Max {
		v.fail(path, shape, value, maxMsg(noun, *shape.Max))
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// utf16Len counts like Java's String.length, which is what AWS's length constraints measure.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if utf16.IsSurrogate(r) || r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

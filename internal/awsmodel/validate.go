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

func (v *validator) fail(path string, shape *Shape, value any, constraint string) {
	if shape != nil && (shape.Sensitive || shape.holdsSensitive) {
		v.errs = append(v.errs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", path, constraint))
		return
	}
	v.errs = append(v.errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", render(value), path, constraint))
}

func render(value any) string {
	if value == nil {
		return "null"
	}
	return "'" + plain(value) + "'"
}

func plain(value any) string {
	switch x := value.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = plain(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		// Java's Map.toString form, which is what AWS's messages show, with keys sorted for stability.
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + plain(x[k])
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
		for i, item := range items {
			ip := path + "." + strconv.Itoa(i+1) + ".member"
			if item == nil {
				continue
			}
			v.value(shape.Member.Shape, item, ip)
		}
	case "map":
		entries, _ := value.(map[string]any)
		v.length(shape, value, len(entries), path)
		keys := make([]string, 0, len(entries))
		for k := range entries {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			var kv validator
			kv.value(shape.Key.Shape, k, path)
			if len(kv.errs) > 0 {
				if shape.Key.Shape.Sensitive || shape.Key.Shape.holdsSensitive {
					v.errs = append(v.errs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Map keys must satisfy constraint: [%s]", path, constraintsOnly(kv.errs)))
				} else {
					v.errs = append(v.errs, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Map keys must satisfy constraint: [%s]", k, path, constraintsOnly(kv.errs)))
				}
			}
			if ev := entries[k]; ev != nil {
				v.value(shape.Value.Shape, ev, path+"."+k+".member")
			}
		}
	case "string":
		s, _ := value.(string)
		v.length(shape, value, utf16Len(s), path)
		if re := shape.PatternRegexp(); re != nil && !re.MatchString(s) {
			v.fail(path, shape, value, "Member must satisfy regular expression pattern: "+shape.Pattern)
		}
		if len(shape.Enum) > 0 && !contains(shape.Enum, s) {
			v.fail(path, shape, value, "Member must satisfy enum value set: ["+strings.Join(shape.Enum, ", ")+"]")
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

func (v *validator) length(shape *Shape, value any, n int, path string) {
	if shape.Min != nil && float64(n) < *shape.Min {
		v.fail(path, shape, value, fmt.Sprintf("Member must have length greater than or equal to %s", num(*shape.Min)))
	}
	if shape.Max != nil && float64(n) > *shape.Max {
		v.fail(path, shape, value, fmt.Sprintf("Member must have length less than or equal to %s", num(*shape.Max)))
	}
}

func (v *validator) rangeCheck(shape *Shape, value any, n float64, path string) {
	if shape.Min != nil && n < *shape.Min {
		v.fail(path, shape, value, fmt.Sprintf("Member must have value greater than or equal to %s", num(*shape.Min)))
	}
	if shape.Max != nil && n > *shape.Max {
		v.fail(path, shape, value, fmt.Sprintf("Member must have value less than or equal to %s", num(*shape.Max)))
	}
}

func constraintsOnly(errs []string) string {
	out := make([]string, len(errs))
	for i, e := range errs {
		if j := strings.Index(e, "constraint: "); j >= 0 {
			e = e[j+len("constraint: "):]
		}
		out[i] = e
	}
	return strings.Join(out, ", ")
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

package query

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/awsproto/scalar"
)

// maxListMembers bounds how far a list is read, so `X.member.999999999=` costs nothing.
const maxListMembers = 1000

// Params is a parsed parameter set. Every parameter appears once.
type Params map[string]string

// ParseParams merges the query string and, for form bodies, the body.
//
// Both are read with url.ParseQuery, the decoding the SigV4 verifier canonicalises with ('+' is a
// space), so the parameters are exactly what the signature covers. A parameter named twice is
// refused rather than resolved: the canonical query is sorted, so in a signed query string
// "A=1&A=2" and "A=2&A=1" carry one signature, and whichever value won would be the attacker's
// choice. A body that is not a form is refused rather than ignored, so an unsigned Content-Type
// cannot drop signed body parameters (a session policy, say) and leave the rest of the call intact.
func ParseParams(rawQuery string, contentType string, body []byte) (Params, error) {
	p := Params{}
	if rawQuery != "" {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return nil, fmt.Errorf("the query string is malformed")
		}
		for k, v := range q {
			if len(v) > 1 {
				return nil, repeated(k)
			}
			p[k] = v[0]
		}
	}
	if len(body) > 0 {
		if !isForm(contentType) {
			return nil, fmt.Errorf("the request body must be application/x-www-form-urlencoded")
		}
		f, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("the form body is malformed")
		}
		for k, v := range f {
			if _, dup := p[k]; dup || len(v) > 1 {
				return nil, repeated(k)
			}
			p[k] = v[0]
		}
	}
	return p, nil
}

func repeated(name string) error {
	const max = 128
	if len(name) > max {
		name = name[:max] + "…"
	}
	return fmt.Errorf("the parameter %q appears more than once; each parameter may be given once", name)
}

func isForm(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded") || contentType == ""
}

// Decode builds the input value tree of a shape from flattened parameters. A value that does not
// parse as its model type is reported as a validation message in AWS's wording.
func Decode(shape *awsmodel.Shape, p Params) (map[string]any, error) {
	if shape == nil {
		return map[string]any{}, nil
	}
	// Sorted keys answer "is anything nested under X" by binary search. Indexing every dotted prefix
	// instead costs the square of a key's length, which one long `a.a.a…` key turns into a DoS.
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d := decoder{p: p, keys: keys}
	out := d.structure(shape, "")
	if len(d.errs) > 0 {
		return nil, awserr.New("ValidationError", http.StatusBadRequest, "%s", awsmodel.ValidationMessage(d.errs))
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

type decoder struct {
	p    Params
	keys []string // the keys of p, sorted
	errs []string
}

// has reports whether key is a parameter or the dotted parent of one.
func (d *decoder) has(key string) bool {
	if _, ok := d.p[key]; ok {
		return true
	}
	prefix := key + "."
	i := sort.SearchStrings(d.keys, prefix)
	return i < len(d.keys) && strings.HasPrefix(d.keys[i], prefix)
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func (d *decoder) structure(shape *awsmodel.Shape, prefix string) map[string]any {
	var out map[string]any
	for _, m := range shape.Members {
		name := m.Name
		if m.LocationName != "" {
			name = m.LocationName
		}
		key := join(prefix, name)
		if !d.has(key) {
			continue
		}
		if v := d.value(m.Shape, key); v != nil {
			if out == nil {
				out = map[string]any{}
			}
			out[m.Name] = v
		}
	}
	return out
}

func (d *decoder) value(shape *awsmodel.Shape, key string) any {
	switch shape.Type {
	case "structure":
		s := d.structure(shape, key)
		if s == nil {
			s = map[string]any{}
		}
		return s
	case "list":
		items := []any{}
		for i := 1; i <= maxListMembers; i++ {
			ik := key + ".member." + strconv.Itoa(i)
			if !d.has(ik) {
				break
			}
			items = append(items, d.value(shape.Member.Shape, ik))
		}
		return items
	case "map":
		entries := map[string]any{}
		for i := 1; i <= maxListMembers; i++ {
			ek := key + ".entry." + strconv.Itoa(i)
			if !d.has(ek) {
				break
			}
			k, ok := d.p[ek+".key"]
			if !ok {
				continue
			}
			entries[k] = d.value(shape.Value.Shape, ek+".value")
		}
		return entries
	default:
		raw, ok := d.p[key]
		if !ok {
			return nil
		}
		v, err := scalar.FromText(shape.Type, raw)
		if err != nil {
			if shape.Sensitive {
				d.errs = append(d.errs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member %s", lowerPath(key), err.Error()))
			} else {
				d.errs = append(d.errs, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member %s", raw, lowerPath(key), err.Error()))
			}
			return nil
		}
		return v
	}
}

// lowerPath turns `Tags.member.1.Key` into AWS's `tags.1.member.key` path form.
func lowerPath(key string) string {
	parts := strings.Split(key, ".")
	var out []string
	for i := 0; i < len(parts); i++ {
		if parts[i] == "member" && i+1 < len(parts) {
			out = append(out, parts[i+1], "member")
			i++
			continue
		}
		p := parts[i]
		if p != "" {
			p = strings.ToLower(p[:1]) + p[1:]
		}
		out = append(out, p)
	}
	return strings.Join(out, ".")
}

// WriteResponse renders a successful awsQuery response.
func WriteResponse(w http.ResponseWriter, svc *awsmodel.Service, op *awsmodel.Operation, out map[string]any, requestID string) {
	var b bytes.Buffer
	b.WriteString(`<` + op.Name + `Response xmlns="` + svc.XMLNamespace + `">`)
	if op.Output != nil {
		wrapper := op.ResultWrapper
		if wrapper == "" {
			wrapper = op.Name + "Result"
		}
		b.WriteString("<" + wrapper + ">")
		writeMembers(&b, op.Output, out)
		b.WriteString("</" + wrapper + ">")
	}
	b.WriteString(`<ResponseMetadata><RequestId>`)
	writeText(&b, requestID)
	b.WriteString(`</RequestId></ResponseMetadata>`)
	b.WriteString(`</` + op.Name + `Response>`)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	// SDK Go v2 takes the request id from this header only, never from the XML body.
	h.Set("x-amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

func writeMembers(b *bytes.Buffer, shape *awsmodel.Shape, v map[string]any) {
	for _, m := range shape.Members {
		val, ok := v[m.Name]
		if !ok || val == nil {
			continue
		}
		name := m.Name
		if m.LocationName != "" {
			name = m.LocationName
		}
		writeValue(b, name, m.Shape, val)
	}
}

func writeValue(b *bytes.Buffer, name string, shape *awsmodel.Shape, v any) {
	switch shape.Type {
	case "structure":
		m, _ := v.(map[string]any)
		b.WriteString("<" + name + ">")
		writeMembers(b, shape, m)
		b.WriteString("</" + name + ">")
	case "list":
		items, _ := v.([]any)
		if len(items) == 0 {
			b.WriteString("<" + name + "/>")
			return
		}
		b.WriteString("<" + name + ">")
		elem := "member"
		if shape.Member.LocationName != "" {
			elem = shape.Member.LocationName
		}
		for _, item := range items {
			// XML has no null; an empty <member/> would read back as "" or fail to parse as a number.
			if item != nil {
				writeValue(b, elem, shape.Member.Shape, item)
			}
		}
		b.WriteString("</" + name + ">")
	case "map":
		entries, _ := v.(map[string]any)
		keys := make([]string, 0, len(entries))
		for k := range entries {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("<" + name + ">")
		for _, k := range keys {
			if entries[k] == nil {
				continue
			}
			b.WriteString("<entry>")
			writeValue(b, "key", shape.Key.Shape, k)
			writeValue(b, "value", shape.Value.Shape, entries[k])
			b.WriteString("</entry>")
		}
		b.WriteString("</" + name + ">")
	default:
		b.WriteString("<" + name + ">")
		writeText(b, scalarText(v))
		b.WriteString("</" + name + ">")
	}
}

func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return scalar.ISO8601(x)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	}
	return fmt.Sprint(v)
}

func writeText(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s))
}

// WriteError renders the awsQuery ErrorResponse envelope.
func WriteError(w http.ResponseWriter, namespace string, e *awserr.Error, requestID string) {
	var b bytes.Buffer
	b.WriteString(`<ErrorResponse xmlns="` + namespace + `"><Error><Type>`)
	if e.Sender() {
		b.WriteString("Sender")
	} else {
		b.WriteString("Receiver")
	}
	b.WriteString(`</Type><Code>`)
	writeText(&b, e.Code)
	b.WriteString(`</Code><Message>`)
	writeText(&b, e.Message)
	b.WriteString(`</Message></Error><RequestId>`)
	writeText(&b, requestID)
	b.WriteString(`</RequestId></ErrorResponse>`)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	// SDK Go v2 takes the request id from this header only, never from the XML body.
	h.Set("x-amzn-RequestId", requestID)
	w.WriteHeader(e.HTTPStatus)
	_, _ = w.Write(b.Bytes())
}

package restjson

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/awsproto/httpwire"
	"github.com/latchkey/latchkey/internal/awsproto/jsonvalue"
	"github.com/latchkey/latchkey/internal/awsproto/scalar"
)

// ContentType is the media type of restJson1 documents.
const ContentType = "application/json"

// Decode builds the input value tree of op from its HTTP bindings and JSON body. Body problems are
// SerializationException (the document is unreadable); a label, query or header value that does not
// parse as its type is InvalidParameterValueException, QuickSight's code for bad input.
func Decode(op *awsmodel.Operation, labels map[string]string, rawQuery string, header http.Header, body []byte) (map[string]any, error) {
	out, err := jsonvalue.DecodeBody(op.Input, body)
	if err != nil {
		return nil, err
	}
	shape := op.Input
	if shape == nil {
		return out, nil
	}
	var query url.Values
	for _, m := range shape.Members {
		if m.Location == "querystring" {
			// Parsed only when the operation reads the query: stray junk on a DescribeUser URL
			// should not fail a request that ignores the query anyway.
			if query, err = url.ParseQuery(rawQuery); err != nil {
				return nil, awserr.New("InvalidParameterValueException", http.StatusBadRequest, "The query string is malformed.")
			}
			break
		}
	}
	var errs []string
	set := func(m *awsmodel.Member, v any, raw string, err error) {
		if err != nil {
			errs = append(errs, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member %s", raw, lowerFirst(m.Name), err.Error()))
			return
		}
		if v != nil {
			out[m.Name] = v
		}
	}
	for _, m := range shape.Members {
		name := wireName(m)
		switch m.Location {
		case "uri":
			if raw, ok := labels[name]; ok {
				v, err := scalar.FromText(m.Shape.Type, raw)
				set(m, v, raw, err)
			}
		case "querystring":
			if m.Shape.Type == "map" {
				set(m, queryMap(shape, m, query), "", nil)
				continue
			}
			vals, ok := query[name]
			if !ok {
				continue
			}
			// A signed query is canonicalised sorted, so "a=1&a=2" and "a=2&a=1" carry one
			// signature: picking either value would let whoever holds the URL choose it.
			if m.Shape.Type != "list" && len(vals) > 1 {
				return nil, awserr.New("InvalidParameterValueException", http.StatusBadRequest,
					"The query parameter '%s' appears more than once; it may be given once.", name)
			}
			v, raw, err := textValue(m.Shape, vals, scalar.FromText)
			set(m, v, raw, err)
		case "header":
			vals := header.Values(name)
			if len(vals) == 0 {
				continue
			}
			if m.Shape.Type == "list" {
				vals = splitHeaderList(vals)
			}
			v, raw, err := textValue(m.Shape, vals, headerScalar)
			set(m, v, raw, err)
		case "headers":
			set(m, headerMap(m, header), "", nil)
		}
	}
	if len(errs) > 0 {
		return nil, awserr.New("InvalidParameterValueException", http.StatusBadRequest, "%s", awsmodel.ValidationMessage(errs))
	}
	return out, nil
}

// textValue converts the text values of one query parameter or header into a list or a scalar. For
// a scalar only the first value is read: Decode refuses a repeated scalar query parameter, and a
// scalar header takes its first line, as http.Header.Get does.
// The returned text is the value that failed, for the error message.
func textValue(shape *awsmodel.Shape, vals []string, parse func(string, string) (any, error)) (any, string, error) {
	if shape.Type == "list" {
		items := make([]any, 0, len(vals))
		for _, raw := range vals {
			v, err := parse(shape.Member.Shape.Type, raw)
			if err != nil {
				return nil, raw, err
			}
			items = append(items, v)
		}
		return items, "", nil
	}
	v, err := parse(shape.Type, vals[0])
	return v, vals[0], err
}

// queryMap gathers the parameters no other member claims, which is how Smithy's @httpQueryParams
// (a querystring-located map) is defined.
func queryMap(shape *awsmodel.Shape, m *awsmodel.Member, query url.Values) any {
	claimed := map[string]bool{}
	for _, o := range shape.Members {
		if o.Location == "querystring" && o != m {
			claimed[wireName(o)] = true
		}
	}
	entries := map[string]any{}
	for k, vals := range query {
		if claimed[k] || len(vals) == 0 {
			continue
		}
		if m.Shape.Value.Shape.Type == "list" {
			items := make([]any, len(vals))
			for i, v := range vals {
				items[i] = v
			}
			entries[k] = items
		} else {
			entries[k] = vals[0]
		}
	}
	if len(entries) == 0 {
		return nil
	}
	return entries
}

// headerMap gathers the headers with the member's prefix (Smithy @httpPrefixHeaders).
func headerMap(m *awsmodel.Member, header http.Header) any {
	prefix := strings.ToLower(m.LocationName)
	entries := map[string]any{}
	for k, vals := range header {
		if len(vals) > 0 && strings.HasPrefix(strings.ToLower(k), prefix) {
			entries[k[len(prefix):]] = vals[0]
		}
	}
	if len(entries) == 0 {
		return nil
	}
	return entries
}

func splitHeaderList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(p))
		}
	}
	return out
}

// headerScalar differs from scalar.FromText only for timestamps, whose header form is an HTTP date.
func headerScalar(typ, s string) (any, error) {
	if typ == "timestamp" {
		if t, err := http.ParseTime(strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	return scalar.FromText(typ, s)
}

func wireName(m *awsmodel.Member) string {
	if m.LocationName != "" {
		return m.LocationName
	}
	return m.Name
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// WriteResponse writes a success response: the status-code member (QuickSight's Status) becomes
// the HTTP status, header members become headers, and everything else forms the JSON body. When
// the output models a RequestId the caller did not fill in, the response's own request ID is used,
// so body and header never disagree.
func WriteResponse(w http.ResponseWriter, op *awsmodel.Operation, out map[string]any, requestID string) {
	status := http.StatusOK
	shape := op.Output
	h := w.Header()
	if shape != nil {
		for _, m := range shape.Members {
			v, ok := out[m.Name]
			switch m.Location {
			case "statusCode":
				if n, isInt := toInt(v); ok && isInt && n >= 100 && n <= 999 {
					status = int(n)
				}
			case "header":
				if ok && v != nil {
					h.Set(m.LocationName, headerText(v))
				}
			case "headers":
				if entries, isMap := v.(map[string]any); ok && isMap {
					for k, ev := range entries {
						if ev != nil {
							h.Set(m.LocationName+k, headerText(ev))
						}
					}
				}
			}
		}
		if rid := shape.MemberByName("RequestId"); rid != nil && rid.Location == "" && rid.Shape.Type == "string" {
			if v, ok := out["RequestId"]; !ok || v == nil {
				withID := make(map[string]any, len(out)+1)
				for k, v := range out {
					withID[k] = v
				}
				withID["RequestId"] = requestID
				out = withID
			}
		}
	}
	httpwire.Write(w, ContentType, status, "", jsonvalue.EncodeBody(shape, out), requestID)
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	}
	return 0, false
}

func headerText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.UTC().Format(http.TimeFormat)
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = headerText(p)
		}
		return strings.Join(parts, ", ")
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// WriteError writes the restJson1 error envelope: the code in x-amzn-ErrorType (both SDKs read it
// first), and Message, RequestId and any modeled extras such as ResourceType in the body, which
// SDK Go v2 copies into the typed exception's fields.
func WriteError(w http.ResponseWriter, e *awserr.Error, requestID string) {
	if e == nil {
		e = &awserr.Error{Code: "InternalFailureException", Message: awserr.InternalMessage, HTTPStatus: http.StatusInternalServerError}
	}
	b := []byte(`{"Message":`)
	b = append(b, jsonvalue.String(e.Message)...)
	b = append(b, `,"RequestId":`...)
	b = append(b, jsonvalue.String(requestID)...)
	b = jsonvalue.AppendFields(b, e.Fields, "Message", "RequestId")
	b = append(b, '}')
	httpwire.Write(w, ContentType, e.HTTPStatus, e.Code, b, requestID)
}

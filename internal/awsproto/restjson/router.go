package restjson

import (
	"net/url"
	"sort"
	"strings"

	"github.com/latchkey/latchkey/internal/awsmodel"
)

// Router matches requests to the operations of one restJson1 service.
type Router struct {
	routes []route
}

type route struct {
	op     *awsmodel.Operation
	method string
	// segs holds one entry per path segment: the literal text, or the label name when label is set.
	segs []segment
}

type segment struct {
	text  string
	label bool
}

// NewRouter compiles the requestUri templates of svc. RPC-style models (query, json) give every
// operation "POST /", which would route arbitrarily, so for them the router matches nothing.
func NewRouter(svc *awsmodel.Service) *Router {
	r := &Router{}
	if svc.Protocol != "" && !strings.HasPrefix(svc.Protocol, "rest-") {
		return r
	}
	for _, op := range svc.Operations {
		if op.HTTPMethod == "" || op.RequestURI == "" {
			continue
		}
		// A template may pin query parameters ("/x?type=y"); none of the models in scope do, and
		// the path part alone still routes correctly.
		path, _, _ := strings.Cut(op.RequestURI, "?")
		rt := route{op: op, method: op.HTTPMethod}
		for _, s := range splitPath(path) {
			if len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' {
				rt.segs = append(rt.segs, segment{text: s[1 : len(s)-1], label: true})
			} else {
				rt.segs = append(rt.segs, segment{text: s})
			}
		}
		r.routes = append(r.routes, rt)
	}
	// Literal segments win over labels: at the first position where two templates differ in kind,
	// the literal one is tried first. Length and then the operation name break ties, which keeps
	// the order total (and so the sort well defined) and the routing deterministic.
	sort.Slice(r.routes, func(i, j int) bool {
		a, b := r.routes[i].segs, r.routes[j].segs
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k].label != b[k].label {
				return !a[k].label
			}
		}
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return r.routes[i].op.Name < r.routes[j].op.Name
	})
	return r
}

func splitPath(p string) []string {
	return strings.Split(strings.TrimPrefix(p, "/"), "/")
}

// Match finds the operation for a method and escaped path and returns its unescaped label values.
// pathMatched is true when some template matches the path, whatever the method, so the caller can
// tell a wrong method from an unknown resource.
func (r *Router) Match(method, escapedPath string) (op *awsmodel.Operation, labels map[string]string, pathMatched bool) {
	escapedPath, _, _ = strings.Cut(escapedPath, "?")
	if !strings.HasPrefix(escapedPath, "/") {
		return nil, nil, false
	}
	raw := splitPath(escapedPath)
	parts := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, nil, false
		}
		parts[i] = u
	}
	for i := range r.routes {
		rt := &r.routes[i]
		if !rt.matches(parts) {
			continue
		}
		pathMatched = true
		if rt.method != method {
			continue
		}
		labels = map[string]string{}
		for k, s := range rt.segs {
			if s.label {
				labels[s.text] = parts[k]
			}
		}
		return rt.op, labels, true
	}
	return nil, nil, pathMatched
}

func (rt *route) matches(parts []string) bool {
	if len(parts) != len(rt.segs) {
		return false
	}
	for k, s := range rt.segs {
		if s.label {
			// An empty label would be a required member sent as "", which SDKs refuse to send.
			if parts[k] == "" {
				return false
			}
		} else if parts[k] != s.text {
			return false
		}
	}
	return true
}

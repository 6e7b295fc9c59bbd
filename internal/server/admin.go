package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/sigv4"
)

// adminPrefix is where Latchkey's own admin API lives, beside the AWS protocols on the same port.
const adminPrefix = "/latchkey/v1/"

// AdminSigningName is the SigV4 service name of the admin API.
const AdminSigningName = "latchkey"

// AdminCall is one authenticated admin request as a route's handler sees it.
type AdminCall struct {
	Caller    *principal.Principal
	RequestID string
	r         *http.Request
	body      []byte
}

// DecodeJSON reads the request body, a JSON object, into v: an empty or malformed body, a field v
// does not have, or trailing data is a 400 InvalidRequest naming the problem.
func (c *AdminCall) DecodeJSON(v any) error {
	if len(bytes.TrimSpace(c.body)) == 0 {
		return AdminError(http.StatusBadRequest, "InvalidRequest", "The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return AdminError(http.StatusBadRequest, "InvalidRequest", "The request body is not valid: "+err.Error()+".")
	}
	if dec.More() {
		return AdminError(http.StatusBadRequest, "InvalidRequest", "The request body must be one JSON object.")
	}
	return nil
}

// PathValue returns a wildcard of the route's pattern ({requestId}).
func (c *AdminCall) PathValue(name string) string { return c.r.PathValue(name) }

// Query returns a query parameter ("" when absent).
func (c *AdminCall) Query(name string) string { return c.r.URL.Query().Get(name) }

// AdminRoute is one endpoint of the admin API: a GET or POST pattern of net/http's ServeMux below
// /latchkey/v1/, the IAM action that authorizes it and the resource it acts on, and the handler,
// whose result is written as JSON (an *awserr.Error result becomes {"code","message"}).
type AdminRoute struct {
	Pattern  string // e.g. "GET /latchkey/v1/decisions/{requestId}"
	Action   string // e.g. latchkey:GetDecision
	Resource func(c *AdminCall) string
	Handle   func(ctx context.Context, c *AdminCall) (any, error)
}

// Admin is the admin API: every request is SigV4-signed with signing name "latchkey", and every
// route is authorized by the IAM engine with its action on its resource, in the caller's account
// (the account root may; other principals need an identity policy).
type Admin struct {
	mux *http.ServeMux
}

// NewAdmin builds the admin API from its routes.
func NewAdmin(az authz.Authorizer, routes ...AdminRoute) *Admin {
	return &Admin{mux: adminMux(az, routes)}
}

func adminMux(az authz.Authorizer, routes []AdminRoute) *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.Pattern, adminHandler{az, rt})
	}
	return mux
}

// adminHandler runs one route once serveAdmin has authenticated the caller (adminState in the
// request's context); the mux sets the pattern's path values.
type adminHandler struct {
	authz authz.Authorizer
	route AdminRoute
}

type adminStateKey struct{}

type adminState struct {
	s      *Server
	caller *principal.Principal
	id     string
	body   []byte
}

func (h adminHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := r.Context().Value(adminStateKey{}).(adminState)
	call := &AdminCall{Caller: st.caller, RequestID: st.id, r: r, body: st.body}
	ctx := authz.WithRequestInfo(r.Context(), authz.RequestInfo{SourceIP: sourceIP(r), UserAgent: r.UserAgent(), Region: st.s.deps.Region, Secure: r.TLS != nil})
	err := h.authz.Authorize(ctx, authz.Request{Caller: st.caller, Action: h.route.Action, Resource: h.route.Resource(call), ResourceAccount: st.caller.AccountID})
	if err != nil {
		st.s.adminFail(w, st.id, err)
		return
	}
	out, err := h.route.Handle(ctx, call)
	if err != nil {
		st.s.adminFail(w, st.id, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// AdminError is an admin API refusal: {"code": …, "message": …} with a 4xx status.
func AdminError(status int, code, msg string) *awserr.Error {
	return &awserr.Error{Code: code, Message: msg, HTTPStatus: status}
}

// serveAdmin authenticates, finds the route, authorizes, and runs it.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request, id string) {
	fail := func(err error) { s.adminFail(w, id, err) }
	a := s.deps.Admin
	if a == nil {
		fail(AdminError(http.StatusNotFound, "NotFound", "No admin API resource at "+r.URL.EscapedPath()+"."))
		return
	}
	if _, pattern := a.mux.Handler(r); pattern == "" {
		fail(AdminError(http.StatusNotFound, "NotFound", "No admin API resource at "+r.Method+" "+r.URL.EscapedPath()+"."))
		return
	}
	body, tooLarge, err := readBody(r, s.deps.MaxJSONBodyBytes)
	if tooLarge || err != nil {
		fail(AdminError(http.StatusRequestEntityTooLarge, "RequestTooLarge", "The request body could not be read or is too large."))
		return
	}
	sreq := &sigv4.Request{Method: r.Method, RawPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Host: r.Host, Header: r.Header, Body: body}
	caller, _, err := s.deps.Authn.Authenticate(r.Context(), sreq, AdminSigningName)
	if err != nil {
		var ae *authn.Error
		if errors.As(err, &ae) {
			err = quicksightFamily.authError(ae)
		}
		fail(err)
		return
	}
	w.Header().Set("x-amzn-RequestId", id)
	ctx := context.WithValue(r.Context(), adminStateKey{}, adminState{s: s, caller: caller, id: id, body: body})
	a.mux.ServeHTTP(w, r.WithContext(ctx))
}

// adminFail writes err as {"code","message"}: an *awserr.Error as it is (its status), a
// refusal with its explanation logged, anything else as a 500 that says nothing more.
func (s *Server) adminFail(w http.ResponseWriter, id string, err error) {
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		ae = awserr.InternalError(err)
	}
	status, code := ae.HTTPStatus, ae.Code
	if status == 0 {
		status = http.StatusInternalServerError
	}
	msg := ae.Message
	switch {
	case status >= 500:
		s.deps.Logger.Error("admin request failed", "request_id", id, "code", code, "err", err)
		if code == "" || ae.Kind == awserr.Internal {
			code, msg = "InternalFailure", "The request could not be completed."
		}
	default:
		s.deps.Logger.Info("admin request refused", "request_id", id, "code", code, "err", err)
	}
	w.Header().Set("x-amzn-RequestId", id)
	w.Header().Set("x-amzn-ErrorType", code)
	writeJSON(w, status, map[string]string{"code": code, "message": msg})
}

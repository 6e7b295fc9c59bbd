package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/awsmodel"
	"github.com/latchkey/latchkey/internal/awsproto/jsonrpc"
	"github.com/latchkey/latchkey/internal/awsproto/query"
	"github.com/latchkey/latchkey/internal/awsproto/restjson"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/sigv4"
	"github.com/latchkey/latchkey/internal/token"
)

// Pinger reports whether the store is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Authenticator verifies a signed request.
type Authenticator interface {
	Authenticate(ctx context.Context, req *sigv4.Request, service string) (*principal.Principal, string, error)
}

// Deps is everything the server needs.
type Deps struct {
	Store             Pinger
	Authn             Authenticator
	STS, IAM          api.Table
	Cognito           api.Table
	QuickSight        api.Table
	Region            string
	MaxQueryBodyBytes int64
	MaxJSONBodyBytes  int64
	Logger            *slog.Logger
	Registry          *prometheus.Registry
	// Credentials counts the credentials issued and refused; nil counts none.
	Credentials CredentialRecorder
	// Restrict refuses calls a kind of session may never make, before any policy is read.
	Restrict func(p *principal.Principal, service, operation string) error
	// Audit records credential-issuing calls; nil records nothing.
	Audit *audit.Logger
	// Issuer is Latchkey's OIDC issuer; its discovery document and keys are served unauthenticated.
	Issuer *token.Issuer
	// ExplainDenials appends a refusal's explanation summary to the message the caller gets
	// (development mode; AWS's message stays first).
	ExplainDenials bool
	// TestIDP is the built-in test identity provider; nil when LATCHKEY_TEST_IDP is off, and
	// then its routes do not exist.
	TestIDP TestIDP
	// Decisions records each explained refusal in the store all nodes share; nil records none.
	Decisions *audit.DecisionRecorder
	// Admin serves Latchkey's own admin API under /latchkey/v1/ (see admin.go); nil has none.
	Admin *Admin
	// Workloads answers the container credentials endpoint below the issuer URL; nil: no route.
	Workloads Workloads
	// Console serves the browser console at /console (internal/console); nil: no route.
	Console http.Handler
}

// auditedOps issue or refuse credentials; each call writes one audit event.
var auditedOps = map[string]bool{
	"sts:AssumeRole": true, "sts:AssumeRoleWithWebIdentity": true, "sts:AssumeRoleWithSAML": true,
	"sts:GetSessionToken": true, "sts:GetFederationToken": true, "sts:AssumeRoot": true,
	"sts:GetWebIdentityToken": true, "sts:GetDelegatedAccessToken": true,
	"cognito-identity:GetCredentialsForIdentity": true, "cognito-identity:GetOpenIdToken": true,
	"cognito-identity:GetOpenIdTokenForDeveloperIdentity": true, "quicksight:GetIdentityContext": true,
}

type service struct {
	model  *awsmodel.Service
	table  api.Table
	family *family
}

// Server is the HTTP handler.
type Server struct {
	deps       Deps
	sts, iam   service
	cognito    service
	quicksight service
	qsRouter   *restjson.Router
	metrics    *metrics
	metricsH   http.Handler
}

// New builds the handler.
func New(d Deps) (*Server, error) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
		d.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s := &Server{deps: d}
	load := func(id string, t api.Table, f *family) (service, error) {
		m, err := awsmodel.Load(id)
		if err != nil {
			return service{}, err
		}
		for name := range t {
			if m.Operations[name] == nil {
				return service{}, fmt.Errorf("%s table has operation %s that the model lacks", id, name)
			}
		}
		return service{model: m, table: t, family: f}, nil
	}
	var err error
	if s.sts, err = load("sts", d.STS, stsFamily); err != nil {
		return nil, err
	}
	if s.iam, err = load("iam", d.IAM, iamFamily); err != nil {
		return nil, err
	}
	if s.cognito, err = load("cognito-identity", d.Cognito, cognitoFamily); err != nil {
		return nil, err
	}
	if s.quicksight, err = load("quicksight", d.QuickSight, quicksightFamily); err != nil {
		return nil, err
	}
	s.qsRouter = restjson.NewRouter(s.quicksight.model)
	s.metrics = newMetrics(d.Registry)
	s.metricsH = promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{})
	return s, nil
}

// request is the per-request state the pipeline threads through.
type request struct {
	id       string
	r        *http.Request
	w        http.ResponseWriter
	start    time.Time
	svc      *service
	op       string
	errCode  string
	errMsg   string
	errCause string
	// caller and input are known once authenticated and decoded; explanation is the refusal's.
	caller      *principal.Principal
	input       map[string]any
	explanation *explain.Explanation
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	rq := &request{id: uuid.NewString(), r: r, w: sw, start: time.Now()}
	w.Header().Set("x-amzn-RequestId", rq.id)
	defer func() {
		if p := recover(); p != nil {
			s.deps.Logger.Error("panic serving request", "request_id", rq.id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			s.fail(rq, awserr.InternalError(fmt.Errorf("panic: %v", p)))
		}
		if rq.svc != nil {
			s.observe(rq, time.Since(rq.start))
			s.logRequest(rq, sw.status)
		}
	}()

	path := r.URL.EscapedPath()
	switch {
	case path == "/healthz" && r.Method == http.MethodGet:
		writePlain(w, http.StatusOK, "ok\n")
	case path == "/readyz" && r.Method == http.MethodGet:
		s.ready(w, r)
	case path == "/metrics" && r.Method == http.MethodGet:
		s.metricsH.ServeHTTP(w, r)
	case strings.HasPrefix(path, adminPrefix):
		s.serveAdmin(w, r, rq.id)
	case s.deps.Console != nil && (path == "/console" || strings.HasPrefix(path, "/console/")):
		s.deps.Console.ServeHTTP(w, r)
	case s.isContainerCredentials(path):
		name, _ := s.containerPath(path)
		s.serveContainerCredentials(w, r, name)
	case s.isTestIDP(path):
		rest, _ := s.testIDPPath(path)
		s.serveTestIDP(w, r, rest)
	case r.Method == http.MethodGet && strings.Contains(path, "/.well-known/"):
		s.serveWellKnown(w, r, path)
	case strings.HasPrefix(path, "/accounts/"):
		s.serveQuickSight(rq)
	case r.Header.Get("X-Amz-Target") != "":
		s.serveCognito(rq)
	case path == "/" && (r.Method == http.MethodPost || r.Method == http.MethodGet):
		s.serveQuery(rq)
	default:
		rq.svc = &s.quicksight
		rq.op = "unknown"
		s.fail(rq, s.quicksight.family.err(s.quicksight.family.unknownOp, "No operation matches "+r.Method+" "+path))
	}
}

var outboundIssuer = regexp.MustCompile(`^/outbound/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// serveWellKnown publishes the issuer's discovery document and JWKS, for Latchkey's issuer URL and
// for each account's outbound issuer under it.
func (s *Server) serveWellKnown(w http.ResponseWriter, r *http.Request, path string) {
	iss := s.deps.Issuer
	if iss == nil {
		http.NotFound(w, r)
		return
	}
	if _, err := url.Parse(iss.URL); err != nil {
		http.NotFound(w, r)
		return
	}
	basePath := s.issuerBasePath()
	var prefix, doc string
	switch {
	case strings.HasSuffix(path, "/.well-known/openid-configuration"):
		prefix, doc = strings.TrimSuffix(path, "/.well-known/openid-configuration"), "config"
	case strings.HasSuffix(path, "/.well-known/jwks.json"):
		prefix, doc = strings.TrimSuffix(path, "/.well-known/jwks.json"), "jwks"
	default:
		http.NotFound(w, r)
		return
	}
	rest, ok := strings.CutPrefix(prefix, basePath)
	if !ok || (rest != "" && !outboundIssuer.MatchString(rest)) {
		http.NotFound(w, r)
		return
	}
	var body any
	if doc == "config" {
		body = token.Discovery(strings.TrimRight(iss.URL, "/") + rest)
	} else {
		set, err := iss.JWKS(r.Context())
		if err != nil {
			s.deps.Logger.Error("publishing JWKS failed", "err", err)
			writePlain(w, http.StatusServiceUnavailable, "keys unavailable\n")
			return
		}
		body = set
	}
	b, err := json.Marshal(body)
	if err != nil {
		writePlain(w, http.StatusInternalServerError, "internal error\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(b)
}

// issuerBasePath is the path of Latchkey's issuer URL, without a trailing slash.
func (s *Server) issuerBasePath() string {
	base, err := url.Parse(s.deps.Issuer.URL)
	if err != nil {
		return ""
	}
	return strings.TrimRight(base.EscapedPath(), "/")
}

func writePlain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.deps.Store.Ping(ctx); err != nil {
		s.deps.Logger.Warn("readiness check failed", "err", err)
		writePlain(w, http.StatusServiceUnavailable, "store unreachable\n")
		return
	}
	writePlain(w, http.StatusOK, "ready\n")
}

// readBody reads at most limit bytes; a declared or actual larger body is refused before it is
// buffered in full.
func readBody(r *http.Request, limit int64) ([]byte, bool, error) {
	if r.ContentLength > limit {
		return nil, true, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(body)) > limit {
		return nil, true, nil
	}
	return body, false, nil
}

func (s *Server) bodyOrFail(rq *request, f *family, limit int64) ([]byte, bool) {
	body, tooLarge, err := readBody(rq.r, limit)
	if tooLarge {
		s.fail(rq, f.err(f.tooLarge, "Request body is larger than the limit of "+strconv.FormatInt(limit, 10)+" bytes."))
		return nil, false
	}
	if err != nil {
		s.fail(rq, f.err(codeStatus{f.validation.code, http.StatusBadRequest}, "The request body could not be read."))
		return nil, false
	}
	return body, true
}

func (s *Server) serveQuery(rq *request) {
	r := rq.r
	rq.svc = &s.sts
	body, ok := s.bodyOrFail(rq, stsFamily, s.deps.MaxQueryBodyBytes)
	if !ok {
		return
	}
	params, err := query.ParseParams(r.URL.RawQuery, r.Header.Get("Content-Type"), body)
	if err != nil {
		s.fail(rq, awserr.New("MalformedQueryString", http.StatusNotFound, "%s", err.Error()))
		return
	}
	switch params["Version"] {
	case s.iam.model.APIVersion:
		rq.svc = &s.iam
	case s.sts.model.APIVersion:
	default:
		action := params["Action"]
		if action == "" {
			rq.op = "unknown"
			s.fail(rq, awserr.New("MissingAction", http.StatusBadRequest, "Missing Action"))
			return
		}
		rq.op = "unknown"
		s.fail(rq, stsFamily.err(stsFamily.unknownOp, fmt.Sprintf("Could not find operation %s for version %s", action, params["Version"])))
		return
	}
	action := params["Action"]
	if action == "" {
		rq.op = "unknown"
		s.fail(rq, awserr.New("MissingAction", http.StatusBadRequest, "Missing Action"))
		return
	}
	op := rq.svc.model.Operations[action]
	if op == nil {
		rq.op = "unknown"
		s.fail(rq, rq.svc.family.err(rq.svc.family.unknownOp, fmt.Sprintf("Could not find operation %s for version %s", action, rq.svc.model.APIVersion)))
		return
	}
	rq.op = op.Name
	s.dispatch(rq, op, body, func() (map[string]any, error) { return query.Decode(op.Input, params) },
		func(out map[string]any) { query.WriteResponse(rq.w, rq.svc.model, op, out, rq.id) })
}

func (s *Server) serveCognito(rq *request) {
	r := rq.r
	rq.svc = &s.cognito
	rq.op = "unknown"
	f := cognitoFamily
	target := r.Header.Get("X-Amz-Target")
	prefix, name, _ := strings.Cut(target, ".")
	op := s.cognito.model.Operations[name]
	if r.Method != http.MethodPost || prefix != s.cognito.model.TargetPrefix || op == nil {
		s.fail(rq, f.err(f.unknownOp, "Unrecognized operation "+target))
		return
	}
	rq.op = op.Name
	body, ok := s.bodyOrFail(rq, f, s.deps.MaxJSONBodyBytes)
	if !ok {
		return
	}
	s.dispatch(rq, op, body, func() (map[string]any, error) { return jsonrpc.Decode(op.Input, body) },
		func(out map[string]any) { jsonrpc.WriteResponse(rq.w, op.Output, out, rq.id) })
}

func (s *Server) serveQuickSight(rq *request) {
	r := rq.r
	rq.svc = &s.quicksight
	rq.op = "unknown"
	f := quicksightFamily
	op, labels, pathMatched := s.qsRouter.Match(r.Method, r.URL.EscapedPath())
	if op == nil {
		msg := "No operation matches " + r.Method + " " + r.URL.EscapedPath()
		cs := f.unknownOp
		if pathMatched {
			cs = codeStatus{"MethodNotAllowedException", http.StatusMethodNotAllowed}
		}
		s.fail(rq, f.err(cs, msg))
		return
	}
	rq.op = op.Name
	body, ok := s.bodyOrFail(rq, f, s.deps.MaxJSONBodyBytes)
	if !ok {
		return
	}
	s.dispatch(rq, op, body, func() (map[string]any, error) {
		return restjson.Decode(op, labels, r.URL.RawQuery, r.Header, body)
	}, func(out map[string]any) { restjson.WriteResponse(rq.w, op, out, rq.id) })
}

// dispatch runs the protocol-neutral part: authenticate, decode, validate, call, render.
func (s *Server) dispatch(rq *request, op *awsmodel.Operation, body []byte, decode func() (map[string]any, error), write func(map[string]any)) {
	svc := rq.svc
	f := svc.family
	ctx := rq.r.Context()
	call := &api.Call{RequestID: rq.id, Region: s.deps.Region, UserAgent: rq.r.UserAgent(), SourceIP: sourceIP(rq.r)}
	audited := auditedOps[svc.model.SigningName+":"+op.Name]
	if audited {
		defer s.audit(rq, call)
	}
	if !op.Unsigned {
		sreq := &sigv4.Request{Method: rq.r.Method, RawPath: rq.r.URL.EscapedPath(), RawQuery: rq.r.URL.RawQuery, Host: rq.r.Host, Header: rq.r.Header, Body: body}
		caller, region, err := s.deps.Authn.Authenticate(ctx, sreq, svc.model.SigningName)
		if err != nil {
			var ae *authn.Error
			if errors.As(err, &ae) {
				s.fail(rq, f.authError(ae))
			} else {
				s.fail(rq, err)
			}
			return
		}
		call.Caller, call.Region = caller, region
		rq.caller = caller
		if s.deps.Restrict != nil {
			if err := s.deps.Restrict(caller, svc.model.SigningName, op.Name); err != nil {
				s.fail(rq, err)
				return
			}
		}
	}
	ctx = authz.WithRequestInfo(ctx, authz.RequestInfo{SourceIP: call.SourceIP, UserAgent: call.UserAgent, Region: call.Region, Secure: rq.r.TLS != nil, Time: rq.start})
	input, err := decode()
	if err != nil {
		s.fail(rq, f.decodeFailed(err))
		return
	}
	if msg := awsmodel.Validate(op.Input, input); msg != "" {
		s.fail(rq, f.err(f.validation, msg))
		return
	}
	call.Input = input
	rq.input = input
	handler := svc.table[op.Name]
	if handler == nil {
		s.fail(rq, f.err(f.notImplemented, fmt.Sprintf("%s %s is not implemented by Latchkey (docs/operations.md lists what is).", svc.model.ServiceID, op.Name)))
		return
	}
	out, err := handler(ctx, call)
	if err != nil {
		s.fail(rq, err)
		return
	}
	call.Output = out
	write(out)
}

func (s *Server) audit(rq *request, call *api.Call) {
	if s.deps.Audit == nil {
		return
	}
	ev := audit.Event{
		Time: rq.start, Service: rq.svc.model.SigningName, Operation: rq.op, Region: call.Region,
		SourceIP: call.SourceIP, UserAgent: call.UserAgent, RequestID: rq.id, Caller: call.Caller,
		Request: call.Input, Response: call.Output, ErrorCode: rq.errCode, ErrorMsg: rq.errMsg, Reason: rq.errCause,
		Explanation: rq.explanation, RoleARN: call.RoleARN,
	}
	s.deps.Audit.Record(ev)
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// withSummary is the development mode's message: AWS's, then " (Latchkey: <summary>)" when err
// carries an explanation. Internal failures say nothing more.
func withSummary(ae *awserr.Error, err error, callerAccount string) *awserr.Error {
	x := explain.Of(err)
	if x != nil {
		x = x.ForCaller(callerAccount)
	}
	if x == nil || x.Summary == "" || ae.HTTPStatus >= 500 {
		return ae
	}
	c := *ae
	c.Message += " (Latchkey: " + x.Summary + ")"
	return &c
}

// fail renders err in the envelope of the request's protocol, coded by the family's catalog
// (family.answer); a failure with a cause or of the service is logged with the request id.
func (s *Server) fail(rq *request, err error) {
	svc := rq.svc
	if svc == nil {
		svc = &s.sts
		rq.svc = svc
	}
	ae := svc.family.answer(err, svc.model.Operations[rq.op])
	// Latchkey's own faults are logged here at error with their cause; every request, refusals
	// included, gets its line in the request log (logRequest) at info. An operation Latchkey does
	// not serve (501) is a documented absence, not a fault.
	if ae.HTTPStatus >= 500 && ae.HTTPStatus != http.StatusNotImplemented {
		s.deps.Logger.Error("request failed", "request_id", rq.id, "service", svc.model.ID, "operation", rq.op, "code", ae.Code, "err", ae.Cause)
	} else if x := explain.Of(err); x != nil {
		rq.explanation = x
	}
	if rq.explanation != nil || isRefusal(ae.Code) {
		s.recordDecision(rq, ae.Code)
	}
	rq.errCode, rq.errMsg = ae.Code, ae.Message
	if ae.Cause != nil {
		rq.errCause = ae.Cause.Error()
	}
	if s.deps.ExplainDenials {
		callerAccount := ""
		if rq.caller != nil {
			callerAccount = rq.caller.AccountID
		}
		ae = withSummary(ae, err, callerAccount)
	}
	switch svc.model.Protocol {
	case "query":
		query.WriteError(rq.w, svc.model.XMLNamespace, ae, rq.id)
	case "json":
		jsonrpc.WriteError(rq.w, ae, rq.id)
	default:
		restjson.WriteError(rq.w, ae, rq.id)
	}
}

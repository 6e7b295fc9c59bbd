// Package imdshttp serves package imds on the metadata listener with the EC2 instance metadata
// service's HTTP conventions, which the AWS SDKs' EC2 role credential providers speak: PUT
// /latest/api/token for an IMDSv2 session token, X-aws-ec2-metadata-token on every GET, plain
// text and JSON documents, and bare statuses (400, 401, 403, 404, 405) for what it refuses.
package imdshttp

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/imds"
	"github.com/latchkey/latchkey/internal/store"
)

// The headers of IMDSv2 (EC2 User Guide, "Use the Instance Metadata Service to access instance
// metadata").
const (
	headerTTL   = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"
	headerToken = "X-Aws-Ec2-Metadata-Token"
)

const credentialsPath = "/latest/meta-data/iam/security-credentials/"

// Auditor records credential events.
type Auditor interface{ Record(audit.Event) }

// DecisionRecorder stores an explained refusal (audit.DecisionRecorder).
type DecisionRecorder interface {
	Record(ctx context.Context, d store.Decision, x *explain.Explanation)
}

// Options configure the handler.
type Options struct {
	// AllowV1 answers GETs without a token (IMDSv1), as an instance whose HttpTokens is
	// "optional" does; otherwise they are refused with 401, as with HttpTokens "required".
	AllowV1 bool
	Audit   Auditor // nil: no audit events
	// Decisions keeps explained refusals for `latchkey explain` (nil: none); each answer carries
	// its id in x-amzn-RequestId, as the other endpoints do.
	Decisions DecisionRecorder
	Logger    *slog.Logger
	// Metrics counts the sessions minted and refused (service "imds"); nil counts none.
	Metrics CredentialRecorder
}

// CredentialRecorder counts credentials issued (code "") and refused (metrics.Metrics).
type CredentialRecorder interface {
	Credential(service, operation, code string, x *explain.Explanation)
}

type handler struct {
	svc *imds.Service
	o   Options
}

// New returns the metadata listener's handler.
func New(svc *imds.Service, o Options) http.Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &handler{svc: svc, o: o}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "EC2ws")
	if r.URL.Path == "/latest/api/token" {
		h.token(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		status(w, http.StatusMethodNotAllowed)
		return
	}
	if tok := r.Header.Get(headerToken); tok != "" {
		switch err := h.svc.CheckToken(r.Context(), tok); {
		case errors.Is(err, imds.ErrBadToken):
			status(w, http.StatusUnauthorized)
			return
		case err != nil:
			h.o.Logger.Error("imds token check failed", "err", err)
			status(w, http.StatusInternalServerError)
			return
		}
	} else if !h.o.AllowV1 {
		status(w, http.StatusUnauthorized)
		return
	}
	h.document(w, r)
}

// token answers PUT /latest/api/token. A request that went through a proxy (X-Forwarded-For) is
// refused as IMDS refuses it, so a server-side request forgery through a proxy gets no token.
func (h *handler) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		status(w, http.StatusMethodNotAllowed)
		return
	}
	// Present at all, even empty: a proxy may append its own line after an empty one.
	if _, proxied := r.Header["X-Forwarded-For"]; proxied {
		status(w, http.StatusForbidden)
		return
	}
	tok, ttl, err := h.svc.IssueToken(r.Context(), r.Header.Get(headerTTL))
	if errors.Is(err, imds.ErrBadTTL) {
		status(w, http.StatusBadRequest)
		return
	}
	if err != nil {
		h.o.Logger.Error("imds token failed", "err", err)
		status(w, http.StatusInternalServerError)
		return
	}
	w.Header().Set(headerTTL, strconv.Itoa(ttl))
	text(w, tok)
}

func (h *handler) document(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	switch p := r.URL.Path; {
	case p == "/latest/meta-data/instance-id":
		text(w, h.svc.InstanceID())
	case p == "/latest/meta-data/placement/region":
		text(w, h.svc.Region())
	case p == "/latest/meta-data/placement/availability-zone":
		text(w, h.svc.Region()+"a")
	case p == "/latest/dynamic/instance-identity/document":
		writeJSON(w, h.svc.Document())
	case p == "/latest/meta-data/iam/info":
		info, err := h.svc.Info(ctx)
		if err != nil {
			h.fail(w, err)
			return
		}
		writeJSON(w, map[string]string{"Code": "Success", "LastUpdated": stamp(info.LastUpdated),
			"InstanceProfileArn": info.InstanceProfileArn, "InstanceProfileId": info.InstanceProfileID})
	case p == credentialsPath:
		name, err := h.svc.RoleName(ctx)
		if err != nil {
			h.fail(w, err)
			return
		}
		text(w, name)
	case strings.HasPrefix(p, credentialsPath) && !strings.Contains(p[len(credentialsPath):], "/"):
		h.credentials(w, r, p[len(credentialsPath):])
	default:
		status(w, http.StatusNotFound)
	}
}

// credentials answers iam/security-credentials/ROLE and audits each session minted or refused as
// the AssumeRole that ec2.amazonaws.com makes for the instance. A refused session is answered as
// EC2 answers a role it cannot assume: 200 with Code AssumeRoleUnauthorizedAccess, which the
// SDKs report as a failure to retrieve credentials.
func (h *handler) credentials(w http.ResponseWriter, r *http.Request, role string) {
	start := time.Now()
	ctx := authz.WithRequestInfo(r.Context(), authz.RequestInfo{SourceIP: sourceIP(r), UserAgent: r.UserAgent(), Region: h.svc.Region(), Time: start})
	creds, err := h.svc.Credentials(ctx, role)
	requestID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", requestID)
	ev := audit.Event{Time: start, Service: "sts", Operation: "AssumeRole", Region: h.svc.Region(), SourceIP: sourceIP(r), UserAgent: r.UserAgent(),
		RequestID: requestID, Request: map[string]any{"InstanceId": h.svc.InstanceID(), "RoleName": role}, InvokedBy: imds.EC2}
	ae, refused := awserr.As(err)
	switch {
	case err == nil:
		w.Header().Set("Cache-Control", "no-store")
		writeJSON(w, map[string]string{"Code": "Success", "LastUpdated": stamp(creds.LastUpdated), "Type": "AWS-HMAC",
			"AccessKeyId": creds.AccessKeyID, "SecretAccessKey": creds.SecretAccessKey, "Token": creds.SessionToken,
			"Expiration": stamp(creds.Expiration)})
		if !creds.Minted {
			return
		}
		ev.Request["RoleArn"] = creds.RoleARN
		ev.Response = map[string]any{"AssumedRoleUser": map[string]any{"Arn": creds.SessionARN},
			"Credentials": map[string]any{"AccessKeyId": creds.AccessKeyID, "Expiration": stamp(creds.Expiration)}}
	case refused && ae.HTTPStatus < 500:
		if e := explain.Of(err); e != nil {
			h.o.Logger.Info("instance credentials refused", "request_id", requestID, "role", role, "reason", e.Summary)
			ev.Reason, ev.Explanation = e.Summary, e
			if h.o.Decisions != nil {
				h.o.Decisions.Record(ctx, audit.ServiceRefusal(requestID, start, imds.EC2, ae.Code, e), e)
			}
		}
		ev.ErrorCode, ev.ErrorMsg = ae.Code, ae.Message
		writeJSON(w, map[string]string{"Code": "AssumeRoleUnauthorizedAccess", "LastUpdated": stamp(start),
			"Message": "EC2 cannot assume the role " + role + ". " + ae.Message})
	default:
		h.fail(w, err)
		return
	}
	if h.o.Audit != nil {
		h.o.Audit.Record(ev)
	}
	if h.o.Metrics != nil {
		h.o.Metrics.Credential("imds", "AssumeRole", ev.ErrorCode, ev.Explanation)
	}
}

// fail answers a document that is not there with 404 and anything else with 500 or 503, logging
// the cause (never a secret: the service's errors carry none).
func (h *handler) fail(w http.ResponseWriter, err error) {
	if errors.Is(err, imds.ErrNotFound) {
		status(w, http.StatusNotFound)
		return
	}
	h.o.Logger.Error("imds request failed", "err", err)
	if ae, ok := awserr.As(err); ok && ae.HTTPStatus == http.StatusServiceUnavailable {
		status(w, http.StatusServiceUnavailable)
		return
	}
	status(w, http.StatusInternalServerError)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func status(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(http.StatusText(code)))
}

func text(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(s))
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status(w, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write(b)
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

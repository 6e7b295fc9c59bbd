package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/workloads"
)

// Workloads answers the container credentials endpoint.
type Workloads interface {
	ContainerCredentials(ctx context.Context, name, token string) (workloads.Credentials, error)
}

// containerPath returns the binding name when path is the container credentials endpoint.
func (s *Server) containerPath(path string) (string, bool) {
	if s.deps.Workloads == nil || s.deps.Issuer == nil {
		return "", false
	}
	name, ok := strings.CutPrefix(path, s.issuerBasePath()+workloads.PathPrefix)
	return name, ok && name != "" && !strings.Contains(name, "/")
}

// serveContainerCredentials answers GET <issuer URL>/container-credentials/NAME as the ECS
// container credentials endpoint does: the AWS SDKs send AWS_CONTAINER_AUTHORIZATION_TOKEN as
// the Authorization header and read AccessKeyId, SecretAccessKey, Token, Expiration (and
// AccountId), or a refusal as {"code", "message"} JSON. Each answer is audited as the AssumeRole
// that ecs-tasks.amazonaws.com makes for the task.
func (s *Server) serveContainerCredentials(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"code": "MethodNotAllowed", "message": "Only GET is supported."})
		return
	}
	start := time.Now()
	ctx := authz.WithRequestInfo(r.Context(), authz.RequestInfo{SourceIP: sourceIP(r), UserAgent: r.UserAgent(), Region: s.deps.Region, Secure: r.TLS != nil, Time: start})
	creds, err := s.deps.Workloads.ContainerCredentials(ctx, name, r.Header.Get("Authorization"))
	ev := audit.Event{Time: start, Service: "sts", Operation: "AssumeRole", Region: s.deps.Region, SourceIP: sourceIP(r),
		UserAgent: r.UserAgent(), RequestID: w.Header().Get("x-amzn-RequestId"),
		Request: map[string]any{"ContainerBinding": name}, InvokedBy: workloads.ECSTasks}
	if err != nil {
		ae, ok := awserr.As(err)
		if !ok {
			ae = awserr.InternalError(err)
		}
		if ae.HTTPStatus >= 500 {
			s.deps.Logger.Error("container credentials failed", "request_id", ev.RequestID, "binding", name, "err", err)
		} else if e := explain.Of(err); e != nil {
			s.deps.Logger.Info("container credentials refused", "request_id", ev.RequestID, "binding", name, "reason", e.Summary)
			ev.Reason, ev.Explanation = e.Summary, e
			s.deps.Decisions.Record(ctx, audit.ServiceRefusal(ev.RequestID, start, workloads.ECSTasks, ae.Code, e), e)
		}
		ev.ErrorCode, ev.ErrorMsg = ae.Code, ae.Message
		s.deps.Audit.Record(ev)
		s.credential("container-credentials", ae.Code, ev.Explanation)
		writeJSON(w, ae.HTTPStatus, map[string]string{"code": ae.Code, "message": ae.Message})
		return
	}
	ev.Request["RoleArn"] = creds.RoleARN
	ev.Response = map[string]any{"AssumedRoleUser": map[string]any{"Arn": creds.SessionARN},
		"Credentials": map[string]any{"AccessKeyId": creds.AccessKeyID, "Expiration": creds.Expiration.UTC().Format(time.RFC3339)}}
	s.deps.Audit.Record(ev)
	s.credential("container-credentials", "", nil)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{
		"AccessKeyId": creds.AccessKeyID, "SecretAccessKey": creds.SecretAccessKey, "Token": creds.SessionToken,
		"Expiration": creds.Expiration.UTC().Format(time.RFC3339), "RoleArn": creds.RoleARN, "AccountId": creds.AccountID,
	})
}

func (s *Server) isContainerCredentials(path string) bool {
	_, ok := s.containerPath(path)
	return ok
}

package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// statusWriter remembers the status an API answer was written with, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// logRequest writes the request log's one line per API request, at info whatever the outcome:
// a refusal is the caller's to fix, and Latchkey's own faults (5xx) were already logged at error
// with their cause by fail. The cause of a refusal and the explanation's summary are the
// server's words; neither carries a secret.
func (s *Server) logRequest(rq *request, status int) {
	code := rq.errCode
	if code == "" {
		code = "OK"
	}
	attrs := []slog.Attr{
		slog.String("request_id", rq.id),
		slog.String("service", rq.svc.model.ID),
		slog.String("operation", rq.op),
		slog.String("principal", callerARN(rq)),
		slog.String("code", code),
		slog.Int("status", status),
		slog.Duration("latency", time.Since(rq.start)),
	}
	if rq.errCause != "" && status < 500 {
		attrs = append(attrs, slog.String("err", rq.errCause))
	}
	if rq.explanation != nil && rq.explanation.Summary != "" {
		attrs = append(attrs, slog.String("why", rq.explanation.Summary))
	}
	msg := "request"
	if rq.errCode != "" {
		msg = "request refused"
	}
	s.deps.Logger.LogAttrs(context.Background(), slog.LevelInfo, msg, attrs...)
}

func callerARN(rq *request) string {
	if rq.caller == nil {
		return ""
	}
	return rq.caller.ARN
}

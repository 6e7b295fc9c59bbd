package audit

import (
	"encoding/json"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/principal"
)

// Event is one audited API call.
type Event struct {
	Time      time.Time
	Service   string // signing name: sts, cognito-identity, quicksight
	Operation string
	Region    string
	SourceIP  string
	UserAgent string
	RequestID string
	Caller    *principal.Principal // nil for unsigned calls
	// InvokedBy is the AWS service principal a call was made as (ecs-tasks.amazonaws.com for the
	// container credentials endpoint, ec2.amazonaws.com for the metadata service); CloudTrail
	// records such calls with an AWSService identity.
	InvokedBy string
	Request   map[string]any
	Response  map[string]any
	ErrorCode string
	ErrorMsg  string
	// Reason is Latchkey's own account of a refusal (which check failed), beyond AWS's message.
	Reason string
	// Explanation is the refusal's evidence (nil when the refusal has none); it is written
	// redacted (RedactExplanation) in additionalEventData.latchkeyExplanation.
	Explanation *explain.Explanation
	// RoleARN is the role of the credentials issued when neither Request nor Response names it
	// (Cognito's enhanced flow); only the issuance record uses it, as CloudTrail's event has none.
	RoleARN string
}

// Logger writes events to w, one JSON object per line.
type Logger struct {
	mu        sync.Mutex
	w         io.Writer
	issuances *IssuanceRecorder
}

// New returns a logger writing to w; a nil Logger records nothing.
func New(w io.Writer) *Logger { return &Logger{w: w} }

// NewWithIssuances returns a logger writing to w (nil: no JSON lines) that also hands each
// credential issued to issuances (IssuanceOf), for the store all nodes share.
func NewWithIssuances(w io.Writer, issuances *IssuanceRecorder) *Logger {
	return &Logger{w: w, issuances: issuances}
}

// secretMembers are dropped wherever they appear, whatever the model says.
var secretMembers = map[string]bool{
	"SecretAccessKey": true, "SecretKey": true, "SessionToken": true, "Token": true,
	"WebIdentityToken": true, "SAMLAssertion": true, "TokenCode": true, "Logins": true,
	"ContextAssertion": true, "Context": true, "AuthenticationCode1": true, "AuthenticationCode2": true,
}

// Record writes one event. Errors writing are ignored: auditing must not fail the request.
func (l *Logger) Record(ev Event) {
	if l == nil {
		return
	}
	if l.issuances != nil {
		if i, ok := IssuanceOf(ev); ok {
			l.issuances.Add(i)
		}
	}
	if l.w == nil {
		return
	}
	rec := map[string]any{
		"eventVersion":       "1.08",
		"eventTime":          ev.Time.UTC().Format(time.RFC3339),
		"eventSource":        ev.Service + ".amazonaws.com",
		"eventName":          ev.Operation,
		"awsRegion":          ev.Region,
		"sourceIPAddress":    ev.SourceIP,
		"userAgent":          ev.UserAgent,
		"requestID":          ev.RequestID,
		"eventID":            uuid.NewString(),
		"eventType":          "AwsApiCall",
		"readOnly":           false,
		"managementEvent":    true,
		"userIdentity":       identity(ev.Caller, ev.InvokedBy),
		"requestParameters":  camel(redact(ev.Request)),
		"responseElements":   camel(redact(ev.Response)),
		"recipientAccountId": recipient(ev),
	}
	if ev.ErrorCode != "" {
		rec["errorCode"] = ev.ErrorCode
		rec["errorMessage"] = ev.ErrorMsg
		rec["responseElements"] = nil
		extra := map[string]any{}
		if ev.Reason != "" {
			extra["latchkeyRefusalReason"] = ev.Reason
		}
		if ev.Explanation != nil {
			extra["latchkeyExplanation"] = explain.Redact(ev.Explanation)
		}
		if len(extra) > 0 {
			rec["additionalEventData"] = extra
		}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(append(b, '\n'))
}

func recipient(ev Event) string {
	if ev.Caller != nil {
		return ev.Caller.AccountID
	}
	return ""
}

func identity(p *principal.Principal, invokedBy string) map[string]any {
	if p == nil && invokedBy != "" {
		return map[string]any{"type": "AWSService", "invokedBy": invokedBy}
	}
	if p == nil {
		return map[string]any{"type": "Unknown"}
	}
	id := map[string]any{"principalId": p.UserID, "arn": p.ARN, "accountId": p.AccountID, "accessKeyId": p.AccessKeyID}
	switch p.Kind {
	case principal.Root:
		id["type"] = "Root"
	case principal.User:
		id["type"] = "IAMUser"
		id["userName"] = p.UserName
	case principal.AssumedRole:
		id["type"] = "AssumedRole"
	case principal.FederatedUser:
		id["type"] = "FederatedUser"
	}
	if p.Temporary {
		attrs := map[string]any{"creationDate": p.IssuedAt.UTC().Format(time.RFC3339), "mfaAuthenticated": boolString(p.MFAAuthenticated)}
		ctx := map[string]any{"attributes": attrs}
		if p.RoleARN != "" {
			ctx["sessionIssuer"] = map[string]any{"type": "Role", "principalId": p.RoleID, "arn": p.RoleARN, "accountId": p.AccountID, "userName": p.RoleName}
		}
		if p.SourceIdentity != "" {
			ctx["sourceIdentity"] = p.SourceIdentity
		}
		id["sessionContext"] = ctx
	}
	return id
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func redact(v map[string]any) map[string]any {
	if v == nil {
		return nil
	}
	out := make(map[string]any, len(v))
	for k, val := range v {
		if secretMembers[k] {
			continue
		}
		out[k] = redactValue(val)
	}
	return out
}

func redactValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return redact(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactValue(e)
		}
		return out
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	return v
}

// camel lower-cases the first letter of member names, as CloudTrail records do.
func camel(v map[string]any) map[string]any {
	if v == nil {
		return nil
	}
	out := make(map[string]any, len(v))
	for k, val := range v {
		out[lowerFirst(k)] = camelValue(val)
	}
	return out
}

func camelValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return camel(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = camelValue(e)
		}
		return out
	}
	return v
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

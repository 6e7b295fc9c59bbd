package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/store"
)

// recordDecision hands a refusal to the decision recorder, which stores it off the request path
// for `latchkey explain` and the admin API: with the explanation its decider attached, or, for a
// refusal of a decision kind without one, with a summary of what its error code means
// (codeExplanation). The decision belongs to the caller's account, or, when
// no caller was verified, to the account of the resource the request named.
func (s *Server) recordDecision(rq *request, code string) {
	if s.deps.Decisions == nil {
		return
	}
	x := rq.explanation
	if x == nil {
		if x = codeExplanation(code); x == nil {
			return
		}
	}
	d := store.Decision{RequestID: rq.id, Time: rq.start, Service: rq.svc.model.SigningName, Operation: rq.op, ErrorCode: code, Action: x.Action}
	if d.Action == "" {
		d.Action = d.Service + ":" + d.Operation
	}
	d.ResourceAccount = arnAccount(x.Resource)
	if d.ResourceAccount == "" {
		if roleARN, ok := rq.input["RoleArn"].(string); ok {
			d.ResourceAccount = arnAccount(roleARN)
		}
	}
	d.AccountID = d.ResourceAccount
	if rq.caller != nil {
		d.AccountID, d.PrincipalARN = rq.caller.AccountID, rq.caller.ARN
		// The record is shown to the caller's account: never another account's policies.
		x = x.ForCaller(rq.caller.AccountID)
	}
	s.deps.Decisions.Record(rq.r.Context(), d, x)
}

// refusalCodes are the error codes of refusals that are decisions — of a signature, a credential,
// a token or a policy — in every protocol family's spelling, with what each means. Validation
// errors are not decisions and are not listed.
var refusalCodes = map[string]struct {
	outcome explain.Outcome
	summary string
}{
	"MissingAuthenticationToken":                {explain.InvalidSignature, "the request is not signed"},
	"MissingAuthenticationTokenException":       {explain.InvalidSignature, "the request is not signed"},
	"IncompleteSignature":                       {explain.InvalidSignature, "the request's signature is incomplete or malformed"},
	"IncompleteSignatureException":              {explain.InvalidSignature, "the request's signature is incomplete or malformed"},
	"SignatureDoesNotMatch":                     {explain.InvalidSignature, "the signature does not match (a wrong secret access key, or the request was altered or its clock is skewed)"},
	"InvalidSignatureException":                 {explain.InvalidSignature, "the signature does not match (a wrong secret access key, or the request was altered or its clock is skewed)"},
	"InvalidClientTokenId":                      {explain.InvalidToken, "the access key id is not known, or its session token does not open"},
	"UnrecognizedClientException":               {explain.InvalidToken, "the access key id is not known, or its session token does not open"},
	"ExpiredToken":                              {explain.ExpiredToken, "the security token of the request has expired"},
	"ExpiredTokenException":                     {explain.ExpiredToken, "the security token or identity token has expired"},
	"InvalidIdentityToken":                      {explain.InvalidToken, "the web identity token is not valid"},
	"IDPRejectedClaim":                          {explain.InvalidToken, "the identity provider's token or assertion was rejected"},
	"AccessDenied":                              {explain.Refused, "the request was refused by policy"},
	"AccessDeniedException":                     {explain.Refused, "the request was refused by policy"},
	"NotAuthorizedException":                    {explain.Refused, "Cognito Identity refused the identity, its logins or the role"},
	"InvalidIdentityPoolConfigurationException": {explain.Refused, "the identity pool's role refused the identity (its trust policy, or the role does not exist)"},
}

// isRefusal reports whether code is the code of a refusal that is a decision.
func isRefusal(code string) bool {
	_, ok := refusalCodes[code]
	return ok
}

// codeExplanation is the explanation recorded for a refusal with code whose decider attached
// none: what the code means. It is nil for a code that is not a decision.
func codeExplanation(code string) *explain.Explanation {
	c, ok := refusalCodes[code]
	if !ok {
		return nil
	}
	return &explain.Explanation{Outcome: c.outcome, Summary: c.summary + " (" + code + "; no further detail was recorded)"}
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// arnAccount is the account field of an ARN, "" when s is not an ARN with one.
func arnAccount(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || !accountID.MatchString(parts[4]) {
		return ""
	}
	return parts[4]
}

// DecisionReader is the part of the store the decision routes read.
type DecisionReader interface {
	GetDecision(ctx context.Context, requestID string) (store.Decision, error)
	ListDecisions(ctx context.Context, f store.DecisionFilter) ([]store.Decision, error)
}

// DecisionJSON is a recorded refusal as the admin API returns it.
type DecisionJSON struct {
	RequestID       string          `json:"requestId"`
	Time            time.Time       `json:"time"`
	AccountID       string          `json:"accountId"`
	ResourceAccount string          `json:"resourceAccountId,omitempty"`
	Principal       string          `json:"principal,omitempty"`
	Service         string          `json:"service"`
	Operation       string          `json:"operation"`
	Action          string          `json:"action"`
	ErrorCode       string          `json:"errorCode"`
	Explanation     json.RawMessage `json:"explanation"`
}

// DecisionView is d as the admin API returns it.
func DecisionView(d store.Decision) DecisionJSON {
	x := json.RawMessage(d.Explanation)
	if !json.Valid(x) {
		x = json.RawMessage("{}")
	}
	return DecisionJSON{RequestID: d.RequestID, Time: d.Time.UTC(), AccountID: d.AccountID, ResourceAccount: d.ResourceAccount,
		Principal: d.PrincipalARN, Service: d.Service, Operation: d.Operation, Action: d.Action, ErrorCode: d.ErrorCode, Explanation: x}
}

// Admin API limits of ListDecisions.
const (
	defaultDecisionsPage = 100
	maxDecisionsPage     = 1000
)

// DecisionRoutes are GET /latchkey/v1/decisions/{requestId} (latchkey:GetDecision) and
// GET /latchkey/v1/decisions?since=&principal=&action=&limit= (latchkey:ListDecisions). A caller
// sees only its own account's decisions: another account's request id answers 404 like an
// unknown one.
func DecisionRoutes(rd DecisionReader, now func() time.Time) []AdminRoute {
	if now == nil {
		now = time.Now
	}
	return []AdminRoute{
		{
			Pattern:  "GET " + adminPrefix + "decisions/{requestId}",
			Action:   audit.ActionGetDecision,
			Resource: func(c *AdminCall) string { return audit.DecisionARN(c.Caller.AccountID, c.PathValue("requestId")) },
			Handle: func(ctx context.Context, c *AdminCall) (any, error) {
				id := c.PathValue("requestId")
				d, err := rd.GetDecision(ctx, id)
				if errors.Is(err, store.ErrNotFound) || (err == nil && d.AccountID != c.Caller.AccountID) {
					return nil, AdminError(http.StatusNotFound, "DecisionNotFound", "No recent refusal with request id "+strconv.Quote(id)+" in account "+c.Caller.AccountID+".")
				}
				if err != nil {
					return nil, err
				}
				return DecisionView(d), nil
			},
		},
		{
			Pattern:  "GET " + adminPrefix + "decisions",
			Action:   audit.ActionListDecisions,
			Resource: func(*AdminCall) string { return "*" },
			Handle: func(ctx context.Context, c *AdminCall) (any, error) {
				f, err := decisionFilter(c, now())
				if err != nil {
					return nil, err
				}
				ds, err := rd.ListDecisions(ctx, f)
				if err != nil {
					return nil, err
				}
				out := make([]DecisionJSON, 0, len(ds))
				for _, d := range ds {
					out = append(out, DecisionView(d))
				}
				return map[string]any{"decisions": out}, nil
			},
		},
	}
}

// decisionFilter reads since (a duration such as 10m, or an RFC 3339 time), principal, action
// and limit; the account is always the caller's.
func decisionFilter(c *AdminCall, now time.Time) (store.DecisionFilter, error) {
	lf, err := listFilter(c, now)
	return store.DecisionFilter(lf), err
}

// listFilter is the filter of the admin API's lists (decisions, issuances): since, principal,
// action and limit from the query, and always the caller's account.
func listFilter(c *AdminCall, now time.Time) (store.IssuanceFilter, error) {
	f := store.IssuanceFilter{AccountID: c.Caller.AccountID, Principal: c.Query("principal"), Action: c.Query("action"), Limit: defaultDecisionsPage}
	if v := c.Query("since"); v != "" {
		since, err := ParseSince(v, now)
		if err != nil {
			return f, AdminError(http.StatusBadRequest, "InvalidParameterValue", err.Error())
		}
		f.Since = since
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxDecisionsPage {
			return f, AdminError(http.StatusBadRequest, "InvalidParameterValue", "limit must be an integer from 1 to "+strconv.Itoa(maxDecisionsPage)+".")
		}
		f.Limit = n
	}
	return f, nil
}

// ParseSince reads a --since or since= value (audit.ParseSince).
func ParseSince(v string, now time.Time) (time.Time, error) { return audit.ParseSince(v, now) }

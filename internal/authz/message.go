package authz

import (
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/principal"
)

// Encoded authorization messages let a denied caller's administrator see why, through
// sts:DecodeAuthorizationMessage, without the denial itself revealing policy details.
// They are sealed with the master key; the limits keep them under DecodeAuthorizationMessage's
// 10240-character EncodedMessage maximum.
const (
	messageAAD       = "authorization-message-v1"
	maxMessageKeys   = 24
	maxMessageValues = 4
	maxValueLen      = 128
	// maxEncodedLen is DecodeAuthorizationMessage's EncodedMessage maximum; an explanation that
	// would not fit is shortened (see fitExplanation).
	maxEncodedLen = 10240
	maxSummaryLen = 1024
)

type messageItems[T any] struct {
	Items []T `json:"items"`
}

type messageValue struct {
	Value string `json:"value"`
}

type messageCondition struct {
	Key    string                     `json:"key"`
	Values messageItems[messageValue] `json:"values"`
}

type messageStatement struct {
	SourcePolicyID string `json:"sourcePolicyId"`
	Sid            string `json:"statementId,omitempty"`
	Effect         string `json:"effect"`
}

// DecodedMessage is the JSON DecodeAuthorizationMessage returns (STS API Reference,
// DecodeAuthorizationMessage).
type DecodedMessage struct {
	Allowed           bool                           `json:"allowed"`
	ExplicitDeny      bool                           `json:"explicitDeny"`
	MatchedStatements messageItems[messageStatement] `json:"matchedStatements"`
	Failures          messageItems[string]           `json:"failures"`
	Context           struct {
		Principal struct {
			ID  string `json:"id"`
			ARN string `json:"arn"`
		} `json:"principal"`
		Action     string                         `json:"action"`
		Resource   string                         `json:"resource"`
		Conditions messageItems[messageCondition] `json:"conditions"`
	} `json:"context"`
	// Summary and Explanation are Latchkey's account of the refusal (internal/explain), beyond
	// AWS's members; Explanation is shortened, or left out, to keep the message within limits.
	Summary     string               `json:"summary,omitempty"`
	Explanation *explain.Explanation `json:"explanation,omitempty"`
	// Account binds the message to the denied principal's account; only it may decode.
	Account string `json:"-"`
}

type sealedMessage struct {
	Account string          `json:"a"`
	Body    json.RawMessage `json:"b"`
}

func encodeMessage(mk *keys.MasterKey, caller *principal.Principal, action, resource string, c *policy.Context, out policy.Output, x *explain.Explanation) string {
	var m DecodedMessage
	m.ExplicitDeny = out.Decision == policy.ExplicitDeny
	m.MatchedStatements.Items = []messageStatement{}
	for _, s := range out.Matched {
		m.MatchedStatements.Items = append(m.MatchedStatements.Items, messageStatement{SourcePolicyID: s.PolicyID, Sid: s.Sid, Effect: s.Effect})
	}
	m.Failures.Items = []string{}
	m.Context.Principal.ID, m.Context.Principal.ARN = caller.UserID, caller.ARN
	m.Context.Action, m.Context.Resource = action, resource
	m.Context.Conditions.Items = []messageCondition{}
	for i, k := range c.Keys() {
		if i == maxMessageKeys {
			break
		}
		vals, _ := c.Get(k)
		cond := messageCondition{Key: k}
		for j, v := range vals {
			if j == maxMessageValues {
				break
			}
			if len(v) > maxValueLen {
				v = v[:maxValueLen]
			}
			cond.Values.Items = append(cond.Values.Items, messageValue{Value: v})
		}
		m.Context.Conditions.Items = append(m.Context.Conditions.Items, cond)
	}
	// The message is decoded in the caller's account: never another account's resource policy.
	x = explain.Redact(x.ForCaller(caller.AccountID))
	if x != nil {
		m.Summary = x.Summary
		if len(m.Summary) > maxSummaryLen {
			m.Summary = m.Summary[:maxSummaryLen] + "…"
		}
	}
	for _, fit := range fitExplanation(x) {
		m.Explanation = fit
		if enc := sealMessage(mk, caller.AccountID, &m); enc == "" || len(enc) <= maxEncodedLen {
			return enc
		}
	}
	return ""
}

// fitExplanation lists the forms of x to try, longest first: whole; only the policies that did
// not allow, without their statements that did not apply to the request's action; the outcome
// alone; none.
func fitExplanation(x *explain.Explanation) []*explain.Explanation {
	if x == nil {
		return []*explain.Explanation{nil}
	}
	short := *x
	short.Summary = ""
	whole := short
	short.Policies = nil
	for _, p := range x.Policies {
		if p.Decision == "Allow" {
			continue
		}
		kept := p
		kept.Statements = nil
		for _, st := range p.Statements {
			if st.ActionMatched {
				kept.Statements = append(kept.Statements, st)
			}
		}
		short.Policies = append(short.Policies, kept)
	}
	if len(short.Checks) > 4 {
		short.Checks = short.Checks[len(short.Checks)-4:]
	}
	bare := explain.Explanation{Outcome: x.Outcome, Action: x.Action, Resource: x.Resource}
	return []*explain.Explanation{&whole, &short, &bare, nil}
}

// sealMessage seals m for caller's account; "" when it cannot be encoded.
func sealMessage(mk *keys.MasterKey, account string, m *DecodedMessage) string {
	body, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	sealed, err := json.Marshal(sealedMessage{Account: account, Body: body})
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(mk.Seal(sealed, []byte(messageAAD)))
}

// ErrInvalidMessage means an encoded message was not produced by this deployment.
var ErrInvalidMessage = errors.New("invalid authorization message")

// DecodeMessage opens an encoded message and returns its JSON and the account it belongs to.
func DecodeMessage(mk *keys.MasterKey, encoded string) (string, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		return "", "", ErrInvalidMessage
	}
	plain, err := mk.Open(raw, []byte(messageAAD))
	if err != nil {
		return "", "", ErrInvalidMessage
	}
	var sm sealedMessage
	if err := json.Unmarshal(plain, &sm); err != nil {
		return "", "", ErrInvalidMessage
	}
	return string(sm.Body), sm.Account, nil
}

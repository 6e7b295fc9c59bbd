package authz

import (
	"encoding/base64"
	"encoding/json"
	"errors"

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
	// Account binds the message to the denied principal's account; only it may decode.
	Account string `json:"-"`
}

type sealedMessage struct {
	Account string          `json:"a"`
	Body    json.RawMessage `json:"b"`
}

func encodeMessage(mk *keys.MasterKey, caller *principal.Principal, action, resource string, c *policy.Context, out policy.Output) string {
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
	body, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	sealed, err := json.Marshal(sealedMessage{Account: caller.AccountID, Body: body})
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

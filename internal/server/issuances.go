package server

import (
	"context"
	"time"

	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/store"
)

// IssuanceReader is the part of the store the issuance route reads.
type IssuanceReader interface {
	ListIssuances(ctx context.Context, f store.IssuanceFilter) ([]store.Issuance, error)
}

// IssuanceJSON is a credential issued as the admin API returns it: identifiers only, never the
// secret access key or the session token (the store has neither).
type IssuanceJSON struct {
	RequestID      string     `json:"requestId"`
	Time           time.Time  `json:"time"`
	AccountID      string     `json:"accountId"`
	Principal      string     `json:"principal,omitempty"`
	Service        string     `json:"service"`
	Operation      string     `json:"operation"`
	Action         string     `json:"action"`
	RoleARN        string     `json:"roleArn,omitempty"`
	SessionARN     string     `json:"sessionArn,omitempty"`
	SourceIdentity string     `json:"sourceIdentity,omitempty"`
	AccessKeyID    string     `json:"accessKeyId,omitempty"`
	Expiration     *time.Time `json:"expiration,omitempty"`
	SourceIP       string     `json:"sourceIp,omitempty"`
}

// IssuanceView is i as the admin API returns it.
func IssuanceView(i store.Issuance) IssuanceJSON {
	v := IssuanceJSON{RequestID: i.RequestID, Time: i.Time.UTC(), AccountID: i.AccountID, Principal: i.PrincipalARN, Service: i.Service,
		Operation: i.Operation, Action: i.Service + ":" + i.Operation, RoleARN: i.RoleARN, SessionARN: i.SessionARN,
		SourceIdentity: i.SourceIdentity, AccessKeyID: i.AccessKeyID, SourceIP: i.SourceIP}
	if !i.Expiration.IsZero() {
		e := i.Expiration.UTC()
		v.Expiration = &e
	}
	return v
}

// IssuanceRoutes is GET /latchkey/v1/issuances?since=&principal=&action=&limit=
// (latchkey:ListIssuances): the credentials issued in the caller's account, newest first, with
// the filters and limits of the decisions list. Another account's issuances are never listed.
func IssuanceRoutes(rd IssuanceReader, now func() time.Time) []AdminRoute {
	if now == nil {
		now = time.Now
	}
	return []AdminRoute{{
		Pattern:  "GET " + adminPrefix + "issuances",
		Action:   audit.ActionListIssuances,
		Resource: func(*AdminCall) string { return "*" },
		Handle: func(ctx context.Context, c *AdminCall) (any, error) {
			f, err := listFilter(c, now())
			if err != nil {
				return nil, err
			}
			is, err := rd.ListIssuances(ctx, f)
			if err != nil {
				return nil, err
			}
			out := make([]IssuanceJSON, 0, len(is))
			for _, i := range is {
				out = append(out, IssuanceView(i))
			}
			return map[string]any{"issuances": out}, nil
		},
	}}
}

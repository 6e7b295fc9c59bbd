package sts

import (
	"context"
	"net/http"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
)

// DecodeAuthorizationMessage reveals why Latchkey denied a request, to a principal of the denied
// caller's account that holds sts:DecodeAuthorizationMessage.
func (s *Service) DecodeAuthorizationMessage(ctx context.Context, caller *principal.Principal, encoded string) (string, error) {
	if err := s.d.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "sts:DecodeAuthorizationMessage", Resource: "*"}); err != nil {
		return "", err
	}
	decoded, account, err := authz.DecodeMessage(s.d.Messages, encoded)
	if err != nil || account != caller.AccountID {
		return "", awserr.New("InvalidAuthorizationMessageException", http.StatusBadRequest, "The encoded authorization message is invalid or was not issued for this account.")
	}
	return decoded, nil
}

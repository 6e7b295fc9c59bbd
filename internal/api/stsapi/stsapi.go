package stsapi

import (
	"context"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/sts"
)

type (
	callerIdentityOut struct {
		UserId  string
		Account string
		Arn     string
	}
	accessKeyInfoIn  struct{ AccessKeyId string }
	accessKeyInfoOut struct{ Account string }
)

// Table builds the STS operation table.
func Table(svc *sts.Service) api.Table {
	return api.Table{
		"GetCallerIdentity": api.Op(func(ctx context.Context, c *api.Call, _ *api.Empty) (*callerIdentityOut, error) {
			id := svc.GetCallerIdentity(ctx, c.Caller)
			return &callerIdentityOut{UserId: id.UserID, Account: id.Account, Arn: id.ARN}, nil
		}),
		"GetAccessKeyInfo": api.Op(func(ctx context.Context, c *api.Call, in *accessKeyInfoIn) (*accessKeyInfoOut, error) {
			acct, err := svc.GetAccessKeyInfo(ctx, c.Caller, in.AccessKeyId)
			if err != nil {
				return nil, err
			}
			return &accessKeyInfoOut{Account: acct}, nil
		}),
	}
}

package iamapi

import (
	"context"

	"github.com/latchkey/latchkey/internal/api"
	"github.com/latchkey/latchkey/internal/iam"
)

type (
	createServiceLinkedRoleIn struct {
		AWSServiceName string
		Description    string
		CustomSuffix   string
	}
	deleteServiceLinkedRoleOut struct{ DeletionTaskId string }
	deletionTaskIn             struct{ DeletionTaskId string }
	deletionStatusOut          struct{ Status string }
)

func serviceLinkedTable(svc *iam.Service, t api.Table) {
	t["CreateServiceLinkedRole"] = api.Op(func(ctx context.Context, c *api.Call, in *createServiceLinkedRoleIn) (*roleOutput, error) {
		r, err := svc.CreateServiceLinkedRole(ctx, c.Caller, iam.CreateServiceLinkedRoleInput{
			AWSServiceName: in.AWSServiceName, Description: in.Description, CustomSuffix: in.CustomSuffix,
		})
		if err != nil {
			return nil, err
		}
		return &roleOutput{Role: roleOut(r, false)}, nil
	})
	t["DeleteServiceLinkedRole"] = api.Op(func(ctx context.Context, c *api.Call, in *roleNameIn) (*deleteServiceLinkedRoleOut, error) {
		task, err := svc.DeleteServiceLinkedRole(ctx, c.Caller, in.RoleName)
		if err != nil {
			return nil, err
		}
		return &deleteServiceLinkedRoleOut{DeletionTaskId: task}, nil
	})
	t["GetServiceLinkedRoleDeletionStatus"] = api.Op(func(ctx context.Context, c *api.Call, in *deletionTaskIn) (*deletionStatusOut, error) {
		st, err := svc.GetServiceLinkedRoleDeletionStatus(ctx, c.Caller, in.DeletionTaskId)
		if err != nil {
			return nil, err
		}
		return &deletionStatusOut{Status: st.Status}, nil
	})
}

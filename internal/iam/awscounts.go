package iam

import (
	"context"

	"github.com/latchkey/latchkey/internal/store"
)

// An AWS managed policy is one policy shared by every account, and the store counts its
// attachments and permissions boundary uses over all of them. What IAM reports of it to an
// account (AttachmentCount, PermissionsBoundaryUsageCount, ListPolicies' OnlyAttached) is that
// account's own use, so another account's use is neither counted nor revealed.

// accountCounts returns ps with the counts of every AWS managed policy among them replaced by
// account's own. Customer managed policies are used only in their account and are kept as
// they are.
func (s *Service) accountCounts(ctx context.Context, account string, ps []store.ManagedPolicy) ([]store.ManagedPolicy, error) {
	aws := false
	for _, p := range ps {
		aws = aws || p.AccountID == store.AWSManagedPolicyAccount
	}
	if !aws {
		return ps, nil
	}
	used, err := s.awsPoliciesInUse(ctx, account)
	if err != nil {
		return nil, err
	}
	byARN := make(map[string]store.ManagedPolicy, len(used))
	for _, p := range used {
		byARN[p.ARN] = p
	}
	out := make([]store.ManagedPolicy, len(ps))
	for i, p := range ps {
		if p.AccountID == store.AWSManagedPolicyAccount {
			u := byARN[p.ARN]
			p.AttachmentCount, p.BoundaryUsageCount = u.AttachmentCount, u.BoundaryUsageCount
		}
		out[i] = p
	}
	return out, nil
}

// onlyAttached keeps the policies attached to one of the account's users, groups or roles,
// once accountCounts has counted them.
func onlyAttached(ps []store.ManagedPolicy) []store.ManagedPolicy {
	var out []store.ManagedPolicy
	for _, p := range ps {
		if p.AttachmentCount > 0 {
			out = append(out, p)
		}
	}
	return out
}

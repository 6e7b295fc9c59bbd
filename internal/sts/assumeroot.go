package sts

import (
	"context"
	"net/http"
	"regexp"
	"slices"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
)

// RootTaskPolicies are the only task policies AssumeRoot accepts (STS API Reference, AssumeRoot,
// TaskPolicyArn).
var RootTaskPolicies = map[string]bool{
	"arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials":  true,
	"arn:aws:iam::aws:policy/root-task/IAMCreateRootUserPassword":    true,
	"arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials": true,
	"arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy":         true,
	"arn:aws:iam::aws:policy/root-task/SQSUnlockQueuePolicy":         true,
}

// OrgStore tells which organization an account belongs to and which centralized root access
// features that organization enabled (its management account's settings).
type OrgStore interface {
	ManagementAccount(ctx context.Context, accountID string) (string, error)
	GetAccountSettings(ctx context.Context, accountID string) (store.AccountSettings, error)
}

// rootSessionsFeature is the feature EnableOrganizationsRootSessions turns on (IAM API Reference).
const rootSessionsFeature = "RootSessions"

const defaultRootSession = 900

var targetAccount = regexp.MustCompile(`^(?:arn:aws:iam::)?([0-9]{12})(?::root)?$`)

// AssumeRoot issues short root credentials of a member account, scoped by one task policy, to a
// principal of the organization's management account.
func (s *Service) AssumeRoot(ctx context.Context, caller *principal.Principal, target, taskPolicy string, durationSeconds *int) (Credentials, string, error) {
	if caller.Kind == principal.Root {
		return Credentials{}, "", accessDenied("AssumeRoot cannot be called with root user credentials.")
	}
	m := targetAccount.FindStringSubmatch(target)
	if m == nil {
		return Credentials{}, "", validation("TargetPrincipal must be a member account id or its root ARN.")
	}
	member := m[1]
	resource := principal.RootARN(member)
	if !RootTaskPolicies[taskPolicy] {
		return Credentials{}, "", validation("TaskPolicyArn must be one of the root task policies arn:aws:iam::aws:policy/root-task/….")
	}
	if err := s.d.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "sts:AssumeRoot", Resource: resource, ResourceAccount: caller.AccountID,
		Context: map[string][]string{"sts:TaskPolicyArn": {taskPolicy}}}); err != nil {
		return Credentials{}, "", err
	}
	mgmt, err := s.d.Orgs.ManagementAccount(ctx, member)
	if err != nil {
		return Credentials{}, "", awserr.InternalError(err)
	}
	if mgmt == "" || mgmt != caller.AccountID {
		return Credentials{}, "", awserr.New("AccessDenied", http.StatusForbidden, "User: %s is not authorized to perform: sts:AssumeRoot on resource: %s because the account is not a member of the caller's organization", caller.ARN, resource)
	}
	// Privileged root sessions exist only once the organization enabled them (IAM User Guide,
	// "Centrally manage root access for member accounts": EnableOrganizationsRootSessions).
	settings, err := s.d.Orgs.GetAccountSettings(ctx, mgmt)
	if err != nil {
		return Credentials{}, "", awserr.InternalError(err)
	}
	if !slices.Contains(settings.OrganizationFeatures, rootSessionsFeature) {
		return Credentials{}, "", awserr.New("AccessDenied", http.StatusForbidden, "User: %s is not authorized to perform: sts:AssumeRoot on resource: %s because root sessions are not enabled for the organization (EnableOrganizationsRootSessions)", caller.ARN, resource)
	}
	duration := defaultRootSession
	if durationSeconds != nil {
		duration = *durationSeconds
	}
	creds, err := s.d.Sessions.RootSession(ctx, session.RootRequest{Member: member, TaskPolicyARN: taskPolicy, SourceIdentity: caller.SourceIdentity, DurationSeconds: duration})
	if err != nil {
		return Credentials{}, "", err
	}
	return creds, caller.SourceIdentity, nil
}

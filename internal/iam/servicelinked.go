package iam

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/store"
)

// ServiceLinkedPathPrefix is the path of every service-linked role; the rest of the path is the
// service principal (IAM User Guide, "Create a service-linked role").
const ServiceLinkedPathPrefix = "/aws-service-role/"

// linkedService is what Latchkey knows of one AWS service's service-linked role.
type linkedService struct {
	// role is the name after AWSServiceRoleFor, as the service's documentation names it.
	role string
	// customSuffix says whether the service accepts CustomSuffix.
	customSuffix bool
}

// linkedServices are the services whose service-linked roles Latchkey creates, with the names
// their documentation gives them ("AWS services that work with IAM", the Service-linked role
// column, and each service's "Using service-linked roles" page). A service outside the table is
// refused as IAM refuses a service name it does not know: Latchkey cannot tell a real service
// principal it has not been taught from a typo.
var linkedServices = map[string]linkedService{
	"autoscaling.amazonaws.com":                      {"AutoScaling", true},
	"elasticbeanstalk.amazonaws.com":                 {"ElasticBeanstalk", false},
	"ecs.amazonaws.com":                              {"ECS", false},
	"rds.amazonaws.com":                              {"RDS", false},
	"eks.amazonaws.com":                              {"AmazonEKS", false},
	"elasticloadbalancing.amazonaws.com":             {"ElasticLoadBalancing", false},
	"spot.amazonaws.com":                             {"EC2Spot", false},
	"organizations.amazonaws.com":                    {"Organizations", false},
	"support.amazonaws.com":                          {"Support", false},
	"trustedadvisor.amazonaws.com":                   {"TrustedAdvisor", false},
	"config.amazonaws.com":                           {"Config", false},
	"cloudtrail.amazonaws.com":                       {"CloudTrail", false},
	"guardduty.amazonaws.com":                        {"AmazonGuardDuty", false},
	"ssm.amazonaws.com":                              {"AmazonSSM", false},
	"sso.amazonaws.com":                              {"SSO", false},
	"elasticmapreduce.amazonaws.com":                 {"EMRCleanup", false},
	"opensearchservice.amazonaws.com":                {"AmazonOpenSearchService", false},
	"ecs.application-autoscaling.amazonaws.com":      {"ApplicationAutoScaling_ECSService", false},
	"dynamodb.application-autoscaling.amazonaws.com": {"ApplicationAutoScaling_DynamoDBTable", false},
}

// IsServiceLinked reports whether a role is service-linked: only CreateServiceLinkedRole puts a
// role under ServiceLinkedPathPrefix (CreateRole refuses the path).
func IsServiceLinked(path string) bool { return strings.HasPrefix(path, ServiceLinkedPathPrefix) }

// refuseReservedPath keeps CreateRole from the path of service-linked roles.
func refuseReservedPath(path string) error {
	if IsServiceLinked(path) {
		return invalidInput("The path prefix %s is reserved for service-linked roles; use CreateServiceLinkedRole.", ServiceLinkedPathPrefix)
	}
	return nil
}

func invalidInput(format string, args ...any) *awserr.Error {
	return awserr.New("InvalidInput", http.StatusBadRequest, format, args...)
}

// serviceLinkedModifications are the role actions IAM refuses on a service-linked role: only the
// service changes its trust and permissions, and it is deleted through DeleteServiceLinkedRole
// (IAM User Guide, "Service-linked roles": "you can edit only the description").
var serviceLinkedModifications = map[string]bool{
	"iam:UpdateAssumeRolePolicy": true, "iam:DeleteRole": true,
	"iam:PutRolePolicy": true, "iam:DeleteRolePolicy": true,
	"iam:AttachRolePolicy": true, "iam:DetachRolePolicy": true,
	"iam:PutRolePermissionsBoundary": true, "iam:DeleteRolePermissionsBoundary": true,
}

// refuseServiceLinked is IAM's answer to an ordinary action that would modify a service-linked
// role, nil for any other action or role.
func refuseServiceLinked(action string, r store.Role) error {
	if !IsServiceLinked(r.Path) || !serviceLinkedModifications[action] {
		return nil
	}
	return unmodifiableRole(r.RoleName)
}

// unmodifiableRole is IAM's UnmodifiableEntity for a service-linked role.
func unmodifiableRole(name string) *awserr.Error {
	return awserr.New("UnmodifiableEntity", http.StatusBadRequest, "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", name)
}

// ServiceLinkedTrust is the trust policy of a service-linked role: the service alone may assume it.
func ServiceLinkedTrust(service string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":"sts:AssumeRole"}]}`
}

// CreateServiceLinkedRoleInput is the CreateServiceLinkedRole request.
type CreateServiceLinkedRoleInput struct {
	AWSServiceName string
	Description    string
	CustomSuffix   string
}

// serviceLinkedName is the role name IAM gives the service's role: AWSServiceRoleFor<Name>, with
// _<suffix> for a service that accepts one.
func serviceLinkedName(in CreateServiceLinkedRoleInput) (string, error) {
	svc, ok := linkedServices[in.AWSServiceName]
	if !ok {
		return "", invalidInput("Invalid service name: %s. Latchkey creates the service-linked roles of: %s.", in.AWSServiceName, knownLinkedServices())
	}
	name := "AWSServiceRoleFor" + svc.role
	if in.CustomSuffix == "" {
		return name, nil
	}
	if !svc.customSuffix {
		return "", invalidInput("Custom suffix is not allowed for %s", in.AWSServiceName)
	}
	name += "_" + in.CustomSuffix
	if len(name) > 64 {
		return "", invalidInput("The role name %s is longer than 64 characters; use a shorter CustomSuffix.", name)
	}
	return name, nil
}

func knownLinkedServices() string {
	names := make([]string, 0, len(linkedServices))
	for n := range linkedServices {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// CreateServiceLinkedRole creates the service's role in the caller's account, at
// /aws-service-role/<service>/, trusted by the service alone. Latchkey holds none of the AWS
// services' own managed policies, so the role has no permissions policy attached; it exists for
// the tools that create it and for the service principal's sessions.
func (s *Service) CreateServiceLinkedRole(ctx context.Context, caller *principal.Principal, in CreateServiceLinkedRoleInput) (Role, error) {
	name, nameErr := serviceLinkedName(in)
	path := ServiceLinkedPathPrefix + in.AWSServiceName + "/"
	resource := roleResource(caller.AccountID, path, name)
	if nameErr != nil {
		resource = roleResource(caller.AccountID, path, "*")
	}
	if err := s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "iam:CreateServiceLinkedRole", Resource: resource,
		ResourceAccount: caller.AccountID, Context: map[string][]string{"iam:AWSServiceName": {in.AWSServiceName}}}); err != nil {
		return Role{}, err
	}
	if nameErr != nil {
		return Role{}, nameErr
	}
	doc := ServiceLinkedTrust(in.AWSServiceName)
	bindings, err := s.bindTrust(ctx, doc)
	if err != nil {
		return Role{}, err
	}
	r := store.Role{
		AccountID: caller.AccountID, RoleID: s.IDs.UniqueID(ids.PrefixRole), RoleName: name, Path: path,
		AssumeRolePolicyDocument: doc, PrincipalBindings: bindings, PrincipalsBound: true,
		Description: in.Description, MaxSessionDuration: DefaultMaxSessionDuration,
		CreatedAt: s.Now().UTC().Truncate(time.Second),
	}
	if err := s.Store.CreateRole(ctx, r); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return Role{}, invalidInput("Service role name %s has been taken in this account, please try a different suffix.", name)
		}
		return Role{}, awserr.InternalError(err)
	}
	return s.roleView(ctx, r)
}

// DeleteServiceLinkedRole deletes a service-linked role and answers the id of its deletion task.
// Latchkey deletes at once, in the transaction that records the task, so the task has succeeded
// when its id is returned; a role that still has something attached is DeleteConflict.
func (s *Service) DeleteServiceLinkedRole(ctx context.Context, caller *principal.Principal, name string) (string, error) {
	r, err := s.authorizeRole(ctx, caller, "iam:DeleteServiceLinkedRole", name, nil)
	if err != nil {
		return "", err
	}
	if !IsServiceLinked(r.Path) {
		return "", invalidInput("Role %s is not a service-linked role; use DeleteRole.", name)
	}
	uuid, err := s.taskUUID()
	if err != nil {
		return "", awserr.InternalError(err)
	}
	task := "task" + r.Path + r.RoleName + "/" + uuid
	err = s.Store.DeleteServiceLinkedRole(ctx, caller.AccountID, r.RoleID, task, s.Now().UTC())
	switch {
	case errors.Is(err, store.ErrConflict):
		return "", s.roleDeleteConflict(ctx, r.RoleID)
	case errors.Is(err, store.ErrNotFound):
		return "", noSuchRole(name)
	case err != nil:
		return "", awserr.InternalError(err)
	}
	s.policiesChanged()
	return task, nil
}

// taskUUID is a random version 4 UUID, the last part of a deletion task id as IAM's are.
func (s *Service) taskUUID() (string, error) {
	src := s.IDs.R
	if src == nil {
		src = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(src, b[:]); err != nil {
		return "", err
	}
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// deletionTask is task/aws-service-role/<service>/<role name>/<uuid>.
var deletionTask = regexp.MustCompile(`^task(/aws-service-role/[^/]+/)([^/]+)/[0-9a-f-]{36}$`)

// ServiceLinkedRoleDeletionStatus is GetServiceLinkedRoleDeletionStatus's answer.
type ServiceLinkedRoleDeletionStatus struct {
	Status string // "SUCCEEDED": Latchkey's deletions finish before their task id is returned
}

// GetServiceLinkedRoleDeletionStatus reports a deletion task of the caller's account,
// authorized on the role the task deleted; NoSuchEntity for a task the account does not have.
func (s *Service) GetServiceLinkedRoleDeletionStatus(ctx context.Context, caller *principal.Principal, task string) (ServiceLinkedRoleDeletionStatus, error) {
	m := deletionTask.FindStringSubmatch(task)
	if m == nil {
		return ServiceLinkedRoleDeletionStatus{}, invalidInput("Invalid deletion task id %s.", task)
	}
	if err := s.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "iam:GetServiceLinkedRoleDeletionStatus",
		Resource: roleResource(caller.AccountID, m[1], m[2]), ResourceAccount: caller.AccountID}); err != nil {
		return ServiceLinkedRoleDeletionStatus{}, err
	}
	_, err := s.Store.RoleDeletionTask(ctx, caller.AccountID, task)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ServiceLinkedRoleDeletionStatus{}, awserr.New("NoSuchEntity", http.StatusNotFound, "Deletion task %s cannot be found.", task)
	case err != nil:
		return ServiceLinkedRoleDeletionStatus{}, awserr.InternalError(err)
	}
	return ServiceLinkedRoleDeletionStatus{Status: "SUCCEEDED"}, nil
}

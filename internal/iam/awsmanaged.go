package iam

import (
	"context"
	"errors"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
)

// awsManagedPolicy is one AWS managed policy Latchkey ships. Only the few that federation setups
// and AssumeRoot need are included; their documents carry the actions AWS documents for them.
type awsManagedPolicy struct {
	path, name, description string
	attachable              bool
	document                string
}

var awsManaged = []awsManagedPolicy{
	{"/", "AdministratorAccess", "Provides full access to AWS services and resources.", true,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	{"/", "IAMFullAccess", "Provides full access to IAM.", true,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}`},
	{"/", "IAMReadOnlyAccess", "Provides read only access to IAM.", true,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`},
	{"/root-task/", "IAMAuditRootUserCredentials", "Audit the root user's credentials of a member account.", false,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetAccountSummary","iam:GetAccessKeyLastUsed","iam:GetLoginProfile","iam:GetUser","iam:ListAccessKeys","iam:ListMFADevices","iam:ListSigningCertificates","iam:ListVirtualMFADevices"],"Resource":"*"}]}`},
	{"/root-task/", "IAMCreateRootUserPassword", "Create a password for the root user of a member account.", false,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateLoginProfile","iam:GetLoginProfile","iam:GetUser"],"Resource":"*"}]}`},
	{"/root-task/", "IAMDeleteRootUserCredentials", "Delete the root user's credentials of a member account.", false,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:DeactivateMFADevice","iam:DeleteAccessKey","iam:DeleteLoginProfile","iam:DeleteSigningCertificate","iam:DeleteVirtualMFADevice","iam:GetAccessKeyLastUsed","iam:GetLoginProfile","iam:GetUser","iam:ListAccessKeys","iam:ListMFADevices","iam:ListSigningCertificates"],"Resource":"*"}]}`},
	{"/root-task/", "S3UnlockBucketPolicy", "Delete a bucket policy that locks everyone out.", false,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:DeleteBucketPolicy","s3:GetBucketPolicy","s3:PutBucketPolicy"],"Resource":"*"}]}`},
	{"/root-task/", "SQSUnlockQueuePolicy", "Delete a queue policy that locks everyone out.", false,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:GetQueueAttributes","sqs:SetQueueAttributes"],"Resource":"*"}]}`},
}

// SeedAWSManagedPolicies creates the shipped AWS managed policies that are missing. Several nodes
// may run it at once: the unique ARN makes all but one insert fail harmlessly.
func SeedAWSManagedPolicies(ctx context.Context, st store.PolicyStore, now time.Time) error {
	created := time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC) // AWS managed policies predate every account
	for _, p := range awsManaged {
		arn := policyARN(AWSManagedPolicyAccount, p.path, p.name)
		if _, err := st.GetManagedPolicy(ctx, arn); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		mp := store.ManagedPolicy{
			AccountID: AWSManagedPolicyAccount, PolicyID: ids.Default.UniqueID(ids.PrefixPolicy), PolicyName: p.name,
			Path: p.path, ARN: arn, Description: p.description, DefaultVersionID: "v1", NextVersion: 2,
			IsAttachable: p.attachable, CreatedAt: created, UpdatedAt: created,
		}
		err := st.CreateManagedPolicy(ctx, mp, store.PolicyVersion{PolicyARN: arn, VersionID: "v1", Document: p.document, CreatedAt: created})
		if err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return err
		}
	}
	return nil
}

package integration

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/quicksight"
	qstypes "github.com/aws/aws-sdk-go-v2/service/quicksight/types"

	"github.com/latchkey/latchkey/internal/store/storetest"
)

// racers is how many requests race in each test, as many as the issue measured: 16 concurrent
// TagRole calls with distinct keys used to keep about half of the tags.
const racers = 16

func raceKey(i int) string { return fmt.Sprintf("racer-%02d", i) }

func iamTagKeys(tags []iamtypes.Tag) []string {
	var out []string
	for _, t := range tags {
		out = append(out, aws.ToString(t.Key))
	}
	sort.Strings(out)
	return out
}

func oneTag(i int) []iamtypes.Tag {
	return []iamtypes.Tag{{Key: aws.String(raceKey(i)), Value: aws.String("v")}}
}

// concurrentList is one IAM or Cognito list that concurrent requests each add one item to.
type concurrentList struct {
	name string
	// setup creates the resource, holding preload items already, and returns its identifier.
	setup func(t *testing.T, ts *testServer, preload int) string
	add   func(ts *testServer, id string, i int) error
	list  func(t *testing.T, ts *testServer, id string) []string
	// quota is how many items the resource may hold, and quotaCode the error past it.
	quota     int
	quotaCode string
}

func preloadTags(n int) []iamtypes.Tag {
	var tags []iamtypes.Tag
	for i := range n {
		tags = append(tags, iamtypes.Tag{Key: aws.String(fmt.Sprintf("pre-%02d", i)), Value: aws.String("v")})
	}
	return tags
}

var concurrentLists = []concurrentList{
	{
		name: "TagRole",
		setup: func(t *testing.T, ts *testServer, preload int) string {
			_, err := ts.rootIAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("raced"), Tags: preloadTags(preload),
				AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + accountID + `"},"Action":"sts:AssumeRole"}]}`)})
			noErrT(t, "CreateRole", err)
			return "raced"
		},
		add: func(ts *testServer, id string, i int) error {
			_, err := ts.rootIAM().TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(id), Tags: oneTag(i)})
			return err
		},
		list: func(t *testing.T, ts *testServer, id string) []string {
			out, err := ts.rootIAM().ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String(id)})
			noErrT(t, "ListRoleTags", err)
			return iamTagKeys(out.Tags)
		},
		quota: 50, quotaCode: "LimitExceeded",
	},
	{
		name: "TagUser",
		setup: func(t *testing.T, ts *testServer, preload int) string {
			_, err := ts.rootIAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("raced"), Tags: preloadTags(preload)})
			noErrT(t, "CreateUser", err)
			return "raced"
		},
		add: func(ts *testServer, id string, i int) error {
			_, err := ts.rootIAM().TagUser(ctx, &iam.TagUserInput{UserName: aws.String(id), Tags: oneTag(i)})
			return err
		},
		list: func(t *testing.T, ts *testServer, id string) []string {
			out, err := ts.rootIAM().ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(id)})
			noErrT(t, "ListUserTags", err)
			return iamTagKeys(out.Tags)
		},
		quota: 50, quotaCode: "LimitExceeded",
	},
	{
		name: "TagPolicy",
		setup: func(t *testing.T, ts *testServer, preload int) string {
			out, err := ts.rootIAM().CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("raced"), Tags: preloadTags(preload),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
			noErrT(t, "CreatePolicy", err)
			return aws.ToString(out.Policy.Arn)
		},
		add: func(ts *testServer, id string, i int) error {
			_, err := ts.rootIAM().TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(id), Tags: oneTag(i)})
			return err
		},
		list: func(t *testing.T, ts *testServer, id string) []string {
			out, err := ts.rootIAM().ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(id)})
			noErrT(t, "ListPolicyTags", err)
			return iamTagKeys(out.Tags)
		},
		quota: 50, quotaCode: "LimitExceeded",
	},
	{
		name: "TagMFADevice",
		setup: func(t *testing.T, ts *testServer, preload int) string {
			out, err := ts.rootIAM().CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("raced"), Tags: preloadTags(preload)})
			noErrT(t, "CreateVirtualMFADevice", err)
			return aws.ToString(out.VirtualMFADevice.SerialNumber)
		},
		add: func(ts *testServer, id string, i int) error {
			_, err := ts.rootIAM().TagMFADevice(ctx, &iam.TagMFADeviceInput{SerialNumber: aws.String(id), Tags: oneTag(i)})
			return err
		},
		list: func(t *testing.T, ts *testServer, id string) []string {
			out, err := ts.rootIAM().ListMFADeviceTags(ctx, &iam.ListMFADeviceTagsInput{SerialNumber: aws.String(id)})
			noErrT(t, "ListMFADeviceTags", err)
			return iamTagKeys(out.Tags)
		},
		quota: 50, quotaCode: "LimitExceeded",
	},
	{
		name: "TagOpenIDConnectProvider",
		setup: func(t *testing.T, ts *testServer, preload int) string {
			out, err := ts.rootIAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://raced.example.com"), Tags: preloadTags(preload)})
			noErrT(t, "CreateOpenIDConnectProvider", err)
			return aws.ToString(out.OpenIDConnectProviderArn)
		},
		add: func(ts *testServer, id string, i int) error {
			_, err := ts.rootIAM().TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(id), Tags: oneTag(i)})
			return err
		},
		list: func(t *testing.T, ts *testServer, id string) []string {
			out, err := ts.rootIAM().ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(id)})
			noErrT(t, "ListOpenIDConnectProviderTags", err)
			return iamTagKeys(out.Tags)
		},
		quota: 50, quotaCode: "LimitExceeded",
	},
	{
		name: "AddClientIDToOpenIDConnectProvider",
		setup: func(t *testing.T, ts *testServer, preload int) string {
			var ids []string
			for i := range preload {
				ids = append(ids, fmt.Sprintf("pre-%03d", i))
			}
			out, err := ts.rootIAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://raced.example.com"), ClientIDList: ids})
			noErrT(t, "CreateOpenIDConnectProvider", err)
			return aws.ToString(out.OpenIDConnectProviderArn)
		},
		add: func(ts *testServer, id string, i int) error {
			_, err := ts.rootIAM().AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(id), ClientID: aws.String(raceKey(i))})
			return err
		},
		list: func(t *testing.T, ts *testServer, id string) []string {
			out, err := ts.rootIAM().GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(id)})
			noErrT(t, "GetOpenIDConnectProvider", err)
			return slices.Sorted(slices.Values(out.ClientIDList))
		},
		quota: 100, quotaCode: "LimitExceeded",
	},
	{
		name: "TagSAMLProvider",
		setup: func(t *testing.T, ts *testServer, preload int) string {
			arn := newSAMLIdP(t, ts).provider
			if preload > 0 {
				_, err := ts.rootIAM().TagSAMLProvider(ctx, &iam.TagSAMLProviderInput{SAMLProviderArn: aws.String(arn), Tags: preloadTags(preload)})
				noErrT(t, "TagSAMLProvider", err)
			}
			return arn
		},
		add: func(ts *testServer, id string, i int) error {
			_, err := ts.rootIAM().TagSAMLProvider(ctx, &iam.TagSAMLProviderInput{SAMLProviderArn: aws.String(id), Tags: oneTag(i)})
			return err
		},
		list: func(t *testing.T, ts *testServer, id string) []string {
			out, err := ts.rootIAM().ListSAMLProviderTags(ctx, &iam.ListSAMLProviderTagsInput{SAMLProviderArn: aws.String(id)})
			noErrT(t, "ListSAMLProviderTags", err)
			return iamTagKeys(out.Tags)
		},
		quota: 50, quotaCode: "LimitExceeded",
	},
	{
		name: "CognitoTagResource",
		setup: func(t *testing.T, ts *testServer, preload int) string {
			tags := map[string]string{}
			for i := range preload {
				tags[fmt.Sprintf("pre-%02d", i)] = "v"
			}
			out, err := ts.cognito(rootKeyID, rootSecret).CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
				IdentityPoolName: aws.String("raced"), AllowUnauthenticatedIdentities: true, IdentityPoolTags: tags})
			noErrT(t, "CreateIdentityPool", err)
			return "arn:aws:cognito-identity:us-east-1:" + accountID + ":identitypool/" + aws.ToString(out.IdentityPoolId)
		},
		add: func(ts *testServer, id string, i int) error {
			_, err := ts.cognito(rootKeyID, rootSecret).TagResource(ctx, &cognitoidentity.TagResourceInput{ResourceArn: aws.String(id), Tags: map[string]string{raceKey(i): "v"}})
			return err
		},
		list: func(t *testing.T, ts *testServer, id string) []string {
			out, err := ts.cognito(rootKeyID, rootSecret).ListTagsForResource(ctx, &cognitoidentity.ListTagsForResourceInput{ResourceArn: aws.String(id)})
			noErrT(t, "ListTagsForResource", err)
			var keys []string
			for k := range out.Tags {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return keys
		},
		quota: 50, quotaCode: "InvalidParameterException",
	},
}

func noErrT(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestConcurrentAddsKeepEveryItem: racing requests that each add a distinct tag (or client id)
// all succeed, and every one of them is kept.
func TestConcurrentAddsKeepEveryItem(t *testing.T) {
	for _, l := range concurrentLists {
		t.Run(l.name, func(t *testing.T) {
			ts := startServer(t)
			id := l.setup(t, ts, 0)
			for i, err := range storetest.Concurrently(racers, func(i int) error { return l.add(ts, id, i) }) {
				if err != nil {
					t.Errorf("racer %d: %v", i, err)
				}
			}
			var want []string
			for i := range racers {
				want = append(want, raceKey(i))
			}
			if got := l.list(t, ts, id); !slices.Equal(got, want) {
				t.Fatalf("after %d concurrent requests the resource holds %d items %v, want all %d", racers, len(got), got, racers)
			}
		})
	}
}

// TestConcurrentAddsCannotPassTheQuota: the account root (whom no policy stops) races requests
// past a per-resource quota; exactly the room left is granted, every other request is refused
// with the quota's error, and the resource ends at its quota.
func TestConcurrentAddsCannotPassTheQuota(t *testing.T) {
	const room = 5
	for _, l := range concurrentLists {
		t.Run(l.name, func(t *testing.T) {
			ts := startServer(t)
			id := l.setup(t, ts, l.quota-room)
			accepted := 0
			for _, err := range storetest.Concurrently(racers, func(i int) error { return l.add(ts, id, i) }) {
				if err == nil {
					accepted++
					continue
				}
				wantAPIError(t, err, l.quotaCode, 0)
			}
			if got := l.list(t, ts, id); accepted != room || len(got) != l.quota {
				t.Fatalf("%d racers with room for %d: %d accepted, the resource holds %d items (quota %d)", racers, room, accepted, len(got), l.quota)
			}
		})
	}
}

// TestConcurrentPoolConfigurationAndRoles: UpdateIdentityPool (which replaces the configuration)
// racing SetIdentityPoolRoles (which replaces the roles) on one pool: each either succeeds and its
// change is in the pool afterwards, or answers ConcurrentModificationException, as AWS's model
// allows; a success whose change is gone afterwards is a lost update.
func TestConcurrentPoolConfigurationAndRoles(t *testing.T) {
	ts := startServer(t)
	c := ts.cognito(rootKeyID, rootSecret)
	out, err := c.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("raced"), AllowUnauthenticatedIdentities: true})
	noErrT(t, "CreateIdentityPool", err)
	pool := out.IdentityPoolId
	var roles []string
	for i := range 2 {
		r := mustRole(t, ts.rootIAM(), fmt.Sprintf("pool-role-%d", i), cognitoTrust(aws.ToString(pool), "unauthenticated"))
		roles = append(roles, aws.ToString(r.Arn))
	}
	for round := range 8 {
		name, role := fmt.Sprintf("round %d", round), roles[round%2]
		errs := storetest.Concurrently(2, func(i int) error {
			if i == 0 {
				_, err := c.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: pool, IdentityPoolName: aws.String(name), AllowUnauthenticatedIdentities: true})
				return err
			}
			_, err := c.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: pool, Roles: map[string]string{"unauthenticated": role}})
			return err
		})
		for _, err := range errs {
			if err != nil {
				wantAPIError(t, err, "ConcurrentModificationException", 400)
			}
		}
		d, err := c.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: pool})
		noErrT(t, "DescribeIdentityPool", err)
		r, err := c.GetIdentityPoolRoles(ctx, &cognitoidentity.GetIdentityPoolRolesInput{IdentityPoolId: pool})
		noErrT(t, "GetIdentityPoolRoles", err)
		if errs[0] == nil && aws.ToString(d.IdentityPoolName) != name {
			t.Fatalf("round %d: UpdateIdentityPool succeeded but the pool is named %q", round, aws.ToString(d.IdentityPoolName))
		}
		if errs[1] == nil && r.Roles["unauthenticated"] != role {
			t.Fatalf("round %d: SetIdentityPoolRoles succeeded but the role is %q", round, r.Roles["unauthenticated"])
		}
	}
}

// TestConcurrentQuickSightUpdateUser: two UpdateUser calls that change different optional fields
// of one user (custom permissions, external login) race; both changes are kept.
func TestConcurrentQuickSightUpdateUser(t *testing.T) {
	ts := startServer(t)
	q := ts.quicksight(rootKeyID, rootSecret)
	acct, def, name := aws.String(accountID), aws.String("default"), aws.String("raced")
	registerQS(t, q, &quicksight.RegisterUserInput{IdentityType: qstypes.IdentityTypeQuicksight, UserName: name,
		Email: aws.String("raced@example.com"), UserRole: qstypes.UserRoleReader})
	base := func() *quicksight.UpdateUserInput {
		return &quicksight.UpdateUserInput{AwsAccountId: acct, Namespace: def, UserName: name, Email: aws.String("raced@example.com"), Role: qstypes.UserRoleReader}
	}
	for round := range 8 {
		reset := base()
		reset.UnapplyCustomPermissions = true
		reset.ExternalLoginFederationProviderType = aws.String("NONE")
		_, err := q.UpdateUser(ctx, reset)
		noErrT(t, "resetting the user", err)
		errs := storetest.Concurrently(2, func(i int) error {
			in := base()
			if i == 0 {
				in.CustomPermissionsName = aws.String("perm")
			} else {
				in.ExternalLoginFederationProviderType = aws.String("COGNITO")
			}
			_, err := q.UpdateUser(ctx, in)
			return err
		})
		for i, err := range errs {
			noErrT(t, fmt.Sprintf("round %d, UpdateUser %d", round, i), err)
		}
		d, err := q.DescribeUser(ctx, &quicksight.DescribeUserInput{AwsAccountId: acct, Namespace: def, UserName: name})
		noErrT(t, "DescribeUser", err)
		if aws.ToString(d.User.CustomPermissionsName) != "perm" || aws.ToString(d.User.ExternalLoginFederationProviderType) != "COGNITO" {
			t.Fatalf("round %d: user = custom permissions %q, external login %q; want both concurrent changes",
				round, aws.ToString(d.User.CustomPermissionsName), aws.ToString(d.User.ExternalLoginFederationProviderType))
		}
	}
}

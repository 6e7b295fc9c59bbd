package multinode

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/latchkey/latchkey/internal/store/storetest"
)

// racersPerNode is how many requests each node serves at once in the tests below.
const racersPerNode = 8

// raceOnNodes runs call(n, i) for racersPerNode values of i on each node, all at once, and returns
// the errors indexed by i across the nodes.
func raceOnNodes(nodes []*node, call func(n *node, i int) error) []error {
	return storetest.Concurrently(len(nodes)*racersPerNode, func(i int) error { return call(nodes[i/racersPerNode], i) })
}

func roleTagKeys(t *testing.T, n *node, role string) []string {
	t.Helper()
	out, err := n.rootIAM().ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String(role)})
	noErr(t, "ListRoleTags", err)
	var keys []string
	for _, tag := range out.Tags {
		keys = append(keys, aws.ToString(tag.Key))
	}
	slices.Sort(keys)
	return keys
}

// testConcurrentTagRole: TagRole requests with distinct keys, served by both nodes at once, all
// succeed and every tag is kept, as both nodes then report; and with room for only a few more tags
// under the 50-tag quota, exactly that many of the racing requests are accepted.
func testConcurrentTagRole(t *testing.T, a, b *node) {
	nodes := []*node{a, b}
	_, err := a.rootIAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("tagged-by-both"), AssumeRolePolicyDocument: aws.String(trustAccountRoot)})
	noErr(t, "CreateRole", err)
	key := func(i int) string { return fmt.Sprintf("racer-%02d", i) }
	errs := raceOnNodes(nodes, func(n *node, i int) error {
		_, err := n.rootIAM().TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("tagged-by-both"),
			Tags: []iamtypes.Tag{{Key: aws.String(key(i)), Value: aws.String("v")}}})
		return err
	})
	var want []string
	for i, err := range errs {
		noErr(t, fmt.Sprintf("TagRole %d", i), err)
		want = append(want, key(i))
	}
	for name, n := range map[string]*node{"a": a, "b": b} {
		if got := roleTagKeys(t, n, "tagged-by-both"); !slices.Equal(got, want) {
			t.Fatalf("node %s reports %d tags %v after %d concurrent TagRole calls on two nodes, want all of them", name, len(got), got, len(errs))
		}
	}

	// The quota: 45 tags, room for 5.
	var preload []iamtypes.Tag
	for i := range 45 {
		preload = append(preload, iamtypes.Tag{Key: aws.String(fmt.Sprintf("pre-%02d", i)), Value: aws.String("v")})
	}
	_, err = a.rootIAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("nearly-full"), AssumeRolePolicyDocument: aws.String(trustAccountRoot), Tags: preload})
	noErr(t, "CreateRole with 45 tags", err)
	accepted := 0
	for i, err := range raceOnNodes(nodes, func(n *node, i int) error {
		_, err := n.rootIAM().TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("nearly-full"),
			Tags: []iamtypes.Tag{{Key: aws.String(key(i)), Value: aws.String("v")}}})
		return err
	}) {
		if err == nil {
			accepted++
			continue
		}
		wantCode(t, fmt.Sprintf("TagRole %d past the quota", i), err, "LimitExceeded", 409)
	}
	if got := roleTagKeys(t, b, "nearly-full"); accepted != 5 || len(got) != 50 {
		t.Fatalf("%d racers with room for 5: %d accepted, the role has %d tags", len(nodes)*racersPerNode, accepted, len(got))
	}
}

// testConcurrentPoolUpdates: UpdateIdentityPool on one node races SetIdentityPoolRoles on the
// other. Each either succeeds and its change is in the pool afterwards, or answers
// ConcurrentModificationException (AWS's model has it for both): a success whose change is gone is
// a lost update.
func testConcurrentPoolUpdates(t *testing.T, a, b *node) {
	ca, cb := a.cognito(rootKeyID, rootSecret, ""), b.cognito(rootKeyID, rootSecret, "")
	out, err := ca.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("raced"), AllowUnauthenticatedIdentities: true})
	noErr(t, "CreateIdentityPool", err)
	pool := out.IdentityPoolId
	var roles []string
	for i := range 2 {
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + aws.ToString(pool) + `"}}}]}`
		r, err := a.rootIAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("pool-role-%d", i)), AssumeRolePolicyDocument: aws.String(trust)})
		noErr(t, "CreateRole", err)
		roles = append(roles, aws.ToString(r.Role.Arn))
	}
	for round := range 8 {
		name, role := fmt.Sprintf("round %d", round), roles[round%2]
		errs := storetest.Concurrently(2, func(i int) error {
			if i == 0 {
				_, err := ca.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{IdentityPoolId: pool, IdentityPoolName: aws.String(name), AllowUnauthenticatedIdentities: true})
				return err
			}
			_, err := cb.SetIdentityPoolRoles(ctx, &cognitoidentity.SetIdentityPoolRolesInput{IdentityPoolId: pool, Roles: map[string]string{"unauthenticated": role}})
			return err
		})
		for i, err := range errs {
			if err != nil {
				wantCode(t, fmt.Sprintf("round %d, request %d", round, i), err, "ConcurrentModificationException", 400)
			}
		}
		d, err := cb.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: pool})
		noErr(t, "DescribeIdentityPool", err)
		r, err := ca.GetIdentityPoolRoles(ctx, &cognitoidentity.GetIdentityPoolRolesInput{IdentityPoolId: pool})
		noErr(t, "GetIdentityPoolRoles", err)
		if errs[0] == nil && aws.ToString(d.IdentityPoolName) != name {
			t.Fatalf("round %d: UpdateIdentityPool succeeded on node a but the pool is named %q", round, aws.ToString(d.IdentityPoolName))
		}
		if errs[1] == nil && r.Roles["unauthenticated"] != role {
			t.Fatalf("round %d: SetIdentityPoolRoles succeeded on node b but the role is %q", round, r.Roles["unauthenticated"])
		}
	}
}

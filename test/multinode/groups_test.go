package multinode

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// testGroupPropagation: a grant that reaches a user only through a group, given and taken away on
// node a by adding and removing the membership, applies on node b within the policy cache's bound.
func testGroupPropagation(t *testing.T, a, b *node) {
	root := a.rootIAM()
	_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("gina")})
	noErr(t, "CreateUser on node a", err)
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("gina")})
	noErr(t, "CreateAccessKey on node a", err)
	_, err = root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("listers")})
	noErr(t, "CreateGroup on node a", err)
	_, err = root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("listers"), PolicyName: aws.String("list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)})
	noErr(t, "PutGroupPolicy on node a", err)
	listOnB, denied := listUsersProbes(b.iam(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, ""))
	eventually(t, "node b denies gina, who is in no group", cacheBound, denied)

	_, err = root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("listers"), UserName: aws.String("gina")})
	noErr(t, "AddUserToGroup on node a", err)
	took := eventually(t, "node b allows gina after node a added her to the group", cacheBound, listOnB)
	t.Logf("the membership made on node a applied on node b after %v", took)

	_, err = root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("listers"), UserName: aws.String("gina")})
	noErr(t, "RemoveUserFromGroup on node a", err)
	took = eventually(t, "node b denies gina after node a removed her from the group", cacheBound, denied)
	t.Logf("the removal made on node a applied on node b after %v", took)
}

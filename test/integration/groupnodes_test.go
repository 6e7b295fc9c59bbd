package integration

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

// authzCacheBound is the documented staleness bound of a node's cached policies (authz.Engine's
// default CacheTTL): a change made through one node reaches every other node within it.
const authzCacheBound = 5 * time.Second

// TestGroupRemovalReachesEveryNode: two nodes share one store. A user allowed sts:AssumeRole
// only by a group assumes the role through the second node; removed from the group through the
// first node, it is refused by the second once the cache bound has passed.
func TestGroupRemovalReachesEveryNode(t *testing.T) {
	var offset atomic.Int64
	clock := withClock(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) })
	first := startServer(t, clock)
	second := startServer(t, clock, func(c *config.Config, _ *app.Options) { c.DataDir = first.Config.DataDir })

	c := first.rootIAM()
	deploy := "arn:aws:iam::" + accountID + ":role/deploy"
	createRole(t, first, "deploy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+accountID+`:root"},"Action":"sts:AssumeRole"}]}`)
	mustGroup(t, c, "assumers", "/")
	if _, err := c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("assumers"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(allowDoc("sts:AssumeRole", deploy))}); err != nil {
		t.Fatal(err)
	}
	key, secret := createUserWithKey(t, first, "dev")
	mustAddToGroup(t, c, "assumers", "dev")
	assume := func() error {
		_, err := second.sts(key, secret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(deploy), RoleSessionName: aws.String("session")})
		return err
	}
	if err := assume(); err != nil {
		t.Fatalf("AssumeRole through the second node, allowed by the group: %v", err)
	}
	if _, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("assumers"), UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	offset.Store(int64(authzCacheBound + time.Second))
	wantAPIError(t, assume(), "AccessDenied", 403)
}

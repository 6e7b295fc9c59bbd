package integration

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
)

// A tag value may be empty (TagValueType has no minimum length): the pool keeps the tag, and
// every answer carries it with its empty value instead of leaving it out.
func TestCognitoEmptyTagValueIsKept(t *testing.T) {
	ts := startServer(t)
	c := ts.cognito(rootKeyID, rootSecret)
	p, err := c.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{IdentityPoolName: aws.String("app"),
		AllowUnauthenticatedIdentities: true, IdentityPoolTags: map[string]string{"empty": "", "env": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, tags map[string]string) {
		t.Helper()
		if v, ok := tags["empty"]; !ok || v != "" || tags["env"] != "test" || len(tags) != 2 {
			t.Fatalf("%s: tags %#v", what, tags)
		}
	}
	check("CreateIdentityPool", p.IdentityPoolTags)
	d, err := c.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: p.IdentityPoolId})
	if err != nil {
		t.Fatal(err)
	}
	check("DescribeIdentityPool", d.IdentityPoolTags)
	arn := "arn:aws:cognito-identity:us-east-1:" + accountID + ":identitypool/" + aws.ToString(p.IdentityPoolId)
	l, err := c.ListTagsForResource(ctx, &cognitoidentity.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	check("ListTagsForResource", l.Tags)
}

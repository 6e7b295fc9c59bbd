package integration

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Listing a provider's tags is an action of its own (iam:ListOpenIDConnectProviderTags,
// iam:ListSAMLProviderTags): a caller allowed every Get of IAM is refused it, as in AWS.
func TestProviderTagListingNeedsItsOwnAction(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	oidcOut, err := root.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://tags.example.com"), ClientIDList: []string{"c"}})
	if err != nil {
		t.Fatal(err)
	}
	oidcARN := aws.ToString(oidcOut.OpenIDConnectProviderArn)
	samlARN := newSAMLIdP(t, ts).provider

	put := func(user, actions string) {
		t.Helper()
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + actions + `,"Resource":"*"}]}`
		if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	listOIDC := func(c *iam.Client) error {
		_, err := c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(oidcARN)})
		return err
	}
	listSAML := func(c *iam.Client) error {
		_, err := c.ListSAMLProviderTags(ctx, &iam.ListSAMLProviderTagsInput{SAMLProviderArn: aws.String(samlARN)})
		return err
	}

	getter, getterSecret := createUserWithKey(t, ts, "getter")
	put("getter", `["iam:Get*"]`)
	g := ts.iam(getter, getterSecret)
	if _, err := g.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(oidcARN)}); err != nil {
		t.Fatalf("the Get itself is allowed: %v", err)
	}
	wantAPIError(t, listOIDC(g), "AccessDenied", 403)
	wantAPIError(t, listSAML(g), "AccessDenied", 403)

	lister, listerSecret := createUserWithKey(t, ts, "lister")
	put("lister", `["iam:ListOpenIDConnectProviderTags","iam:ListSAMLProviderTags"]`)
	l := ts.iam(lister, listerSecret)
	if err := listOIDC(l); err != nil {
		t.Fatal(err)
	}
	if err := listSAML(l); err != nil {
		t.Fatal(err)
	}
}

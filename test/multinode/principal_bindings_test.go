package multinode

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

var boundLog = regexp.MustCompile(`bound the trust policies of roles stored without principal ids\S*[^\n]*?\broles"?[=:](\d+)`)

// Roles stored before trust policies were bound to principal ids are bound when upgraded nodes
// start, two at once on one PostgreSQL: each role exactly once (the nodes' own counts add up), to
// the principals that exist then; a principal deleted before the upgrade stays unbound and
// trusts no one, and the user who still exists is trusted on either node.
func TestNodesStartingTogetherBindStoredRoles(t *testing.T) {
	c := newCluster(t)
	d := newDeployment(t, c)
	d.run(t, "migrate")

	// What an older version left in the database: users, and roles with no bindings at all.
	st, err := sqlstore.Open(ctx, d.dbURL)
	noErr(t, "opening the store", err)
	now := time.Now().UTC().Truncate(time.Second)
	noErr(t, "CreateAccount", st.CreateAccount(ctx, store.Account{ID: accountID, CreatedAt: now}))
	noErr(t, "CreateUser bob", st.CreateUser(ctx, store.User{AccountID: accountID, UserID: "AIDAMULTINODEBOB0001", UserName: "bob", Path: "/", CreatedAt: now}))
	noErr(t, "CreateUser gone", st.CreateUser(ctx, store.User{AccountID: accountID, UserID: "AIDAMULTINODEGONE001", UserName: "gone", Path: "/", CreatedAt: now}))
	noErr(t, "DeleteUser gone", st.DeleteUser(ctx, accountID, "AIDAMULTINODEGONE001"))
	bobARN, goneARN := "arn:aws:iam::"+accountID+":user/bob", "arn:aws:iam::"+accountID+":user/gone"
	const roles = 150
	for i := range roles {
		doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[%q,%q]},"Action":"sts:AssumeRole"}]}`, bobARN, goneARN)
		noErr(t, "CreateRole", st.CreateRole(ctx, store.Role{AccountID: accountID, RoleID: fmt.Sprintf("AROAMULTINODE%05d", i), RoleName: fmt.Sprintf("old%03d", i),
			Path: "/", AssumeRolePolicyDocument: doc, MaxSessionDuration: 3600, CreatedAt: now}))
	}
	noErr(t, "closing the store", st.Close())

	nodes := startNodes(t, d, "a", "b")
	total := 0
	for _, n := range nodes {
		for _, m := range boundLog.FindAllStringSubmatch(n.stderr.String(), -1) {
			k, _ := strconv.Atoi(m[1])
			total += k
		}
	}
	if total != roles {
		t.Fatalf("the two nodes report binding %d roles in all, want each of the %d once", total, roles)
	}

	st, err = sqlstore.Open(ctx, d.dbURL)
	noErr(t, "opening the store again", err)
	defer st.Close()
	left, err := st.ListUnboundRoles(ctx, "", 0)
	noErr(t, "ListUnboundRoles", err)
	if len(left) != 0 {
		t.Fatalf("%d roles left unbound", len(left))
	}
	want := []store.PrincipalBinding{{Principal: bobARN, ID: "AIDAMULTINODEBOB0001"}}
	for i := range roles {
		r, err := st.GetRoleByID(ctx, fmt.Sprintf("AROAMULTINODE%05d", i))
		noErr(t, "GetRoleByID", err)
		if !r.PrincipalsBound || !slices.Equal(r.PrincipalBindings, want) {
			t.Fatalf("role %s bound to %v (bound %v), want %v", r.RoleName, r.PrincipalBindings, r.PrincipalsBound, want)
		}
	}

	// bob, who existed at the upgrade, is trusted; a new "gone" is not the one the policies named.
	root := nodes[0].rootIAM()
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	noErr(t, "CreateAccessKey bob", err)
	_, err = root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("gone")})
	noErr(t, "CreateUser gone", err)
	_, err = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("gone"), PolicyName: aws.String("everything"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	noErr(t, "PutUserPolicy gone", err)
	goneKey, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("gone")})
	noErr(t, "CreateAccessKey gone", err)
	roleARN := aws.String("arn:aws:iam::" + accountID + ":role/old007")
	for _, n := range nodes {
		eventually(t, "bob assumes a bound role on node "+n.name, cacheBound, func() error {
			_, err := n.sts(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "").
				AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("s1")})
			return err
		})
		eventually(t, "the new gone's key works on node "+n.name, cacheBound, func() error {
			_, err := n.sts(aws.ToString(goneKey.AccessKey.AccessKeyId), aws.ToString(goneKey.AccessKey.SecretAccessKey), "").
				GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		})
		_, err := n.sts(aws.ToString(goneKey.AccessKey.AccessKeyId), aws.ToString(goneKey.AccessKey.SecretAccessKey), "").
			AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: roleARN, RoleSessionName: aws.String("s1")})
		wantCode(t, "a user created under a name deleted before the upgrade, with *:*, on node "+n.name, err, "AccessDenied", 403)
	}
}

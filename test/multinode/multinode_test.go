package multinode

import (
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// The documented bounds (README, docs/deployment.md) the tests hold the nodes to.
const (
	// cacheBound: a node uses a principal's policies and a long-term key for at most 5 s after
	// another node changed them; the tests allow scheduling slack on top.
	cacheBound = 7 * time.Second
	// ringBound: a node re-reads the key rings at least every 30 s.
	ringBound = 40 * time.Second
)

const trustAccountRoot = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + accountID + `:root"},"Action":"sts:AssumeRole"}]}`

// startNodes starts the nodes at once, as a rolling deploy or an autoscaler does: they race to
// migrate and to bootstrap the same database.
func startNodes(t *testing.T, d deployment, names ...string) []*node {
	t.Helper()
	nodes := make([]*node, len(names))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for i, name := range names {
		wg.Go(func() {
			n, err := d.spawnNode(t, name)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, err.Error())
			}
			nodes[i] = n
		})
	}
	wg.Wait()
	if failures != nil {
		t.Fatal(strings.Join(failures, "\n"))
	}
	return nodes
}

func TestTwoNodesShareOneDatabase(t *testing.T) {
	c := newCluster(t)
	d := newDeployment(t, c)
	// An operator's deploy job may apply the schema ahead of the nodes.
	if out := d.run(t, "migrate"); !strings.Contains(out, "migrations applied") {
		t.Fatalf("latchkey migrate printed %q", out)
	}
	// One after the other: two nodes starting at the same instant on an empty database each create
	// a first session key (see TestSimultaneousFirstStart).
	a := d.startNode(t, "a")
	b := d.startNode(t, "b")

	t.Run("CredentialsMintedOnOneNodeVerifyOnTheOther", func(t *testing.T) { testCrossNodeCredentials(t, a, b) })
	t.Run("IAMChangesReachTheOtherNodeWithinTheCacheBound", func(t *testing.T) { testIAMPropagation(t, a, b) })
	t.Run("GroupMembershipReachesTheOtherNodeWithinTheCacheBound", func(t *testing.T) { testGroupPropagation(t, a, b) })
	t.Run("DeletionsReachTheOtherNodesWarmCachesWithinTheBound", func(t *testing.T) { testCredentialCaches(t, a, b) })
	t.Run("ConcurrentCreateRoleOfOneName", func(t *testing.T) { testConcurrentCreateRole(t, a, b) })
	t.Run("ConcurrentGetIdOfOneLogin", func(t *testing.T) { testConcurrentGetID(t, a, b) })
	t.Run("ConcurrentTagRoleOnBothNodesKeepsEveryTag", func(t *testing.T) { testConcurrentTagRole(t, a, b) })
	t.Run("ConcurrentPoolUpdatesOnBothNodesLoseNothing", func(t *testing.T) { testConcurrentPoolUpdates(t, a, b) })
	// Last: it waits for the key rings' refresh.
	t.Run("KeyRotationOnOneNodeIsHonouredByTheOther", func(t *testing.T) { testKeyRotation(t, d, a, b) })
}

func callerARN(t *testing.T, n *node, c *ststypes.Credentials) (string, error) {
	t.Helper()
	out, err := n.sts(*c.AccessKeyId, *c.SecretAccessKey, aws.ToString(c.SessionToken)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}

func testCrossNodeCredentials(t *testing.T, a, b *node) {
	// GetSessionToken, both ways.
	for _, pair := range [][2]*node{{a, b}, {b, a}} {
		minter, verifier := pair[0], pair[1]
		out, err := minter.rootSTS().GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		noErr(t, "GetSessionToken on node "+minter.name, err)
		arn, err := callerARN(t, verifier, out.Credentials)
		noErr(t, "GetCallerIdentity on node "+verifier.name+" with a session minted on node "+minter.name, err)
		if want := "arn:aws:iam::" + accountID + ":root"; arn != want {
			t.Errorf("caller on node %s = %s, want %s", verifier.name, arn, want)
		}
	}

	// AssumeRole: the role and the caller's user, key and policy are created on node a; the caller
	// assumes the role on node b; the role session is used on node a.
	root := a.rootIAM()
	_, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("cross-node"), AssumeRolePolicyDocument: aws.String(trustAccountRoot)})
	noErr(t, "CreateRole", err)
	_, err = root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")})
	noErr(t, "CreateUser", err)
	_, err = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::` + accountID + `:role/cross-node"}]}`)})
	noErr(t, "PutUserPolicy", err)
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})
	noErr(t, "CreateAccessKey", err)
	carolOnB := b.sts(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, "")
	var assumed *sts.AssumeRoleOutput
	// Nothing about carol is cached on node b yet, so the bound is not even needed; it is allowed
	// for a node that looked her key up before it existed.
	eventually(t, "AssumeRole on node b by a user created on node a", cacheBound, func() error {
		assumed, err = carolOnB.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + accountID + ":role/cross-node"), RoleSessionName: aws.String("s1")})
		return err
	})
	arn, err := callerARN(t, a, assumed.Credentials)
	noErr(t, "GetCallerIdentity on node a with a role session minted on node b", err)
	if want := "arn:aws:sts::" + accountID + ":assumed-role/cross-node/s1"; arn != want {
		t.Errorf("caller on node a = %s, want %s", arn, want)
	}
}

func testIAMPropagation(t *testing.T, a, b *node) {
	root := a.rootIAM()
	_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	noErr(t, "CreateUser on node a", err)
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	noErr(t, "CreateAccessKey on node a", err)
	listOnB, denied := listUsersProbes(b.iam(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, ""))
	eventually(t, "node b denies bob, who has no policy", cacheBound, denied)

	// A grant on node a reaches node b within the policy cache's bound.
	_, err = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)})
	noErr(t, "PutUserPolicy on node a", err)
	took := eventually(t, "node b allows bob after node a granted ListUsers", cacheBound, listOnB)
	t.Logf("the grant made on node a applied on node b after %v", took)

	// So does a revocation.
	_, err = root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("list")})
	noErr(t, "DeleteUserPolicy on node a", err)
	took = eventually(t, "node b denies bob after node a revoked ListUsers", cacheBound, denied)
	t.Logf("the revocation made on node a applied on node b after %v", took)

	// A deactivated key stops working on node b within the key cache's bound.
	_, err = root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: key.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeInactive})
	noErr(t, "UpdateAccessKey on node a", err)
	took = eventually(t, "node b refuses bob's deactivated key", cacheBound, func() error {
		err := listOnB()
		if code, _ := apiCode(err); code == "InvalidClientTokenId" {
			return nil
		}
		return fmt.Errorf("want InvalidClientTokenId, got %v", err)
	})
	t.Logf("the key deactivated on node a was refused on node b after %v", took)
}

// listUsersProbes probe whether c may call ListUsers: allowed returns nil when the call succeeds,
// denied when it is refused with AccessDenied.
func listUsersProbes(c *iam.Client) (allowed, denied func() error) {
	allowed = func() error {
		_, err := c.ListUsers(ctx, &iam.ListUsersInput{})
		return err
	}
	denied = func() error {
		err := allowed()
		if code, _ := apiCode(err); code == "AccessDenied" {
			return nil
		}
		return fmt.Errorf("want AccessDenied, got %v", err)
	}
	return allowed, denied
}

func testConcurrentCreateRole(t *testing.T, a, b *node) {
	for round := range 5 {
		name := fmt.Sprintf("Raced-%d", round)
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, n := range []*node{a, b} {
			// Differently cased names: IAM role names are unique case-insensitively.
			roleName := name
			if i == 1 {
				roleName = strings.ToLower(name)
			}
			client := n.rootIAM()
			wg.Go(func() {
				<-start
				_, errs[i] = client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(roleName), AssumeRolePolicyDocument: aws.String(trustAccountRoot)})
			})
		}
		close(start)
		wg.Wait()
		created, exists := 0, 0
		for i, err := range errs {
			code, status := apiCode(err)
			switch {
			case err == nil:
				created++
			case code == "EntityAlreadyExists" && status == 409:
				exists++
			default:
				t.Errorf("round %d: CreateRole on node %d: %v (code %q, HTTP %d)", round, i, err, code, status)
			}
		}
		if created != 1 || exists != 1 {
			t.Fatalf("round %d: %d created and %d EntityAlreadyExists, want exactly one of each", round, created, exists)
		}
		// Both nodes see the one role.
		ra, err := a.rootIAM().GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		noErr(t, "GetRole on node a", err)
		rb, err := b.rootIAM().GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(strings.ToUpper(name))})
		noErr(t, "GetRole on node b", err)
		if *ra.Role.RoleId != *rb.Role.RoleId {
			t.Fatalf("round %d: the nodes report roles %s and %s", round, *ra.Role.RoleId, *rb.Role.RoleId)
		}
	}
}

// raceBothNodes runs call on node a and node b at the same instant and returns the identity ids
// they answered.
func raceBothNodes(t *testing.T, a, b *node, what string, call func(n *node) (string, error)) [2]string {
	t.Helper()
	var ids [2]string
	var errs [2]error
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, n := range []*node{a, b} {
		wg.Go(func() {
			<-start
			ids[i], errs[i] = call(n)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		noErr(t, fmt.Sprintf("%s on node %d", what, i), err)
	}
	return ids
}

// testConcurrentGetID races two nodes to create the identity of one login of one identity pool:
// both must come back with the same identity. Logins come from an OIDC identity provider (GetId)
// and from the pool's developer provider (GetOpenIdTokenForDeveloperIdentity).
func testConcurrentGetID(t *testing.T, a, b *node) {
	const developer = "login.multinode.test"
	idp, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = idp.Shutdown() }()
	prov, err := a.rootIAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(idp.Issuer()), ClientIDList: []string{"multinode"},
	})
	noErr(t, "CreateOpenIDConnectProvider on node a", err)
	pool, err := a.cognito(rootKeyID, rootSecret, "").CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("multinode"), AllowUnauthenticatedIdentities: false,
		OpenIdConnectProviderARNs: []string{aws.ToString(prov.OpenIDConnectProviderArn)},
		DeveloperProviderName:     aws.String(developer),
	})
	noErr(t, "CreateIdentityPool on node a", err)
	providerName := strings.TrimPrefix(idp.Issuer(), "http://")

	for round := range 3 {
		tok, err := idp.Keypair.SignJWT(jwt.MapClaims{"iss": idp.Issuer(), "aud": "multinode", "sub": fmt.Sprintf("oidc-user-%d", round),
			"iat": time.Now().Unix(), "exp": time.Now().Add(10 * time.Minute).Unix()})
		noErr(t, "signing an ID token", err)
		ids := raceBothNodes(t, a, b, "GetId", func(n *node) (string, error) {
			out, err := n.cognito(rootKeyID, rootSecret, "").GetId(ctx, &cognitoidentity.GetIdInput{
				IdentityPoolId: pool.IdentityPoolId, AccountId: aws.String(accountID), Logins: map[string]string{providerName: tok},
			})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.IdentityId), nil
		})
		if ids[0] == "" || ids[0] != ids[1] {
			t.Fatalf("round %d: concurrent GetId of one login answered identities %q and %q, want one", round, ids[0], ids[1])
		}
	}

	for round := range 3 {
		login := fmt.Sprintf("developer-user-%d", round)
		ids := raceBothNodes(t, a, b, "GetOpenIdTokenForDeveloperIdentity", func(n *node) (string, error) {
			out, err := n.cognito(rootKeyID, rootSecret, "").GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
				IdentityPoolId: pool.IdentityPoolId, Logins: map[string]string{developer: login},
			})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.IdentityId), nil
		})
		if ids[0] == "" || ids[0] != ids[1] {
			t.Fatalf("round %d: the nodes created identities %q and %q for one developer login, want one", round, ids[0], ids[1])
		}
		lookup, err := b.cognito(rootKeyID, rootSecret, "").LookupDeveloperIdentity(ctx, &cognitoidentity.LookupDeveloperIdentityInput{
			IdentityPoolId: pool.IdentityPoolId, DeveloperUserIdentifier: aws.String(login),
		})
		noErr(t, "LookupDeveloperIdentity on node b", err)
		if aws.ToString(lookup.IdentityId) != ids[0] {
			t.Fatalf("round %d: LookupDeveloperIdentity = %q, want %q", round, aws.ToString(lookup.IdentityId), ids[0])
		}
	}
}

// sessionKeyID reads the key id that a session token carries in the clear (token.Sealer's
// format: version byte, id length, id, then the sealed payload).
func sessionKeyID(t *testing.T, token string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(raw) < 2 || len(raw) < 2+int(raw[1]) {
		t.Fatalf("session token does not decode: %v", err)
	}
	return string(raw[2 : 2+int(raw[1])])
}

var rotatedKey = regexp.MustCompile(`new signing key (\S+)`)

func testKeyRotation(t *testing.T, d deployment, a, b *node) {
	mint := func(n *node) *ststypes.Credentials {
		t.Helper()
		out, err := n.rootSTS().GetSessionToken(ctx, &sts.GetSessionTokenInput{})
		noErr(t, "GetSessionToken on node "+n.name, err)
		return out.Credentials
	}
	before := mint(a)
	oldKey := sessionKeyID(t, *before.SessionToken)

	// `latchkey keys rotate` is a separate process on the shared database, as an operator runs it.
	m := rotatedKey.FindStringSubmatch(d.run(t, "keys", "rotate"))
	if m == nil {
		t.Fatal("latchkey keys rotate did not name the new signing key")
	}
	newKey := m[1]
	if newKey == oldKey {
		t.Fatalf("the rotation kept signing key %s", oldKey)
	}
	rotated := time.Now()

	// Sessions sealed before the rotation keep verifying on both nodes.
	for _, n := range []*node{a, b} {
		if _, err := callerARN(t, n, before); err != nil {
			t.Fatalf("a session sealed with the retired key, on node %s: %v", n.name, err)
		}
	}

	// Node a moves to the new key once its publication period is over, and node b — which has
	// loaded the published key by then — accepts what node a seals with it at once.
	var fresh *ststypes.Credentials
	eventually(t, "node a seals with the rotated key", ringBound, func() error {
		c := mint(a)
		if k := sessionKeyID(t, *c.SessionToken); k != newKey {
			return fmt.Errorf("node a still seals with %s", k)
		}
		fresh = c
		return nil
	})
	switched := time.Now()
	var firstRefusal error
	eventually(t, "node b accepts a session node a sealed with the rotated key", ringBound, func() error {
		_, err := callerARN(t, b, fresh)
		if err != nil && firstRefusal == nil {
			firstRefusal = err
		}
		return err
	})
	t.Logf("node a sealed with the rotated key %v after the rotation", switched.Sub(rotated).Round(time.Millisecond))
	if firstRefusal != nil {
		t.Errorf("node b refused a session sealed with the published, rotated key for %v (first answer: %v)",
			time.Since(switched).Round(time.Millisecond), firstRefusal)
	}

	// And the other way round: node b seals with the new key too, and node a verifies it.
	eventually(t, "node b seals with the rotated key and node a verifies it", ringBound, func() error {
		c := mint(b)
		if k := sessionKeyID(t, *c.SessionToken); k != newKey {
			return fmt.Errorf("node b still seals with %s", k)
		}
		_, err := callerARN(t, a, c)
		return err
	})
}

// TestSimultaneousFirstStart starts two nodes at the same instant on an empty database, as an
// autoscaler does, and checks at once that each verifies the other's session tokens.
//
// Known bug, outside the store: each node finds the session-token ring empty and creates a first
// key of its own, and a node re-reads the ring on an unknown key id at most once per 30 s
// (keys.RingOptions.Refresh), so for up to 30 s each node refuses the other's sessions with
// InvalidClientTokenId. Rotation has the same window (see KeyRotationOnOneNodeIsHonouredByTheOther).
// Set LATCHKEY_TEST_KNOWN_BUGS=1 to run it; drop the skip once internal/keys is fixed.
func TestSimultaneousFirstStart(t *testing.T) {
	if os.Getenv("LATCHKEY_TEST_KNOWN_BUGS") == "" {
		t.Skip("known bug in internal/keys: nodes starting together each create a first session key and refuse each other's sessions for up to 30 s; set LATCHKEY_TEST_KNOWN_BUGS=1 to run")
	}
	c := newCluster(t)
	for attempt := range 3 {
		d := newDeployment(t, c)
		// Schema first, as a deploy job does: the nodes then pass the migration lock together.
		d.run(t, "migrate")
		nodes := startNodes(t, d, fmt.Sprintf("a%d", attempt), fmt.Sprintf("b%d", attempt))
		for _, pair := range [][2]*node{{nodes[0], nodes[1]}, {nodes[1], nodes[0]}} {
			out, err := pair[0].rootSTS().GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			noErr(t, "GetSessionToken on node "+pair[0].name, err)
			if _, err := callerARN(t, pair[1], out.Credentials); err != nil {
				t.Fatalf("attempt %d: node %s refuses a session that node %s sealed right after both started: %v",
					attempt, pair[1].name, pair[0].name, err)
			}
		}
	}
}

package multinode

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// decisionBound is how long a refusal may take to reach the readers of the shared store other than
// the node that refused it (another node, the CLI): the recorder writes queued refusals at least
// every 200 ms; the rest is room for a slow machine.
const decisionBound = 5 * time.Second

// TestExplainRefusalOfAnotherNode: a request refused by node a is explained at once by node a's
// admin API (which writes its queued refusals before reading), and within decisionBound by node
// b's admin API and by `latchkey explain` (both read the shared PostgreSQL).
func TestExplainRefusalOfAnotherNode(t *testing.T) {
	c := newCluster(t)
	d := newDeployment(t, c)
	a := d.startNode(t, "a")
	b := d.startNode(t, "b")

	root := a.rootIAM()
	role, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(trustAccountRoot)})
	noErr(t, "CreateRole", err)
	_, err = root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})
	noErr(t, "CreateUser", err)
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	noErr(t, "CreateAccessKey", err)
	_, err = a.sts(*k.AccessKey.AccessKeyId, *k.AccessKey.SecretAccessKey, "").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("xy")})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 403 || re.ServiceRequestID() == "" {
		t.Fatalf("AssumeRole without an identity policy: %v", err)
	}
	id := re.ServiceRequestID()

	var first string
	// Node a, at once: no polling.
	if status, summary, body := decisionOn(t, a, id); status != 200 || !strings.Contains(summary, "sts:AssumeRole") {
		t.Fatalf("node a, right after refusing: %d %s", status, body)
	} else {
		first = summary
	}
	took := eventually(t, "node b finds node a's refusal", decisionBound, func() error {
		if status, summary, body := decisionOn(t, b, id); status != 200 || summary != first {
			return fmt.Errorf("%d %s (want summary %q)", status, body, first)
		}
		return nil
	})
	t.Logf("node b found the refusal after %v", took)

	out := d.run(t, "explain", id)
	if got, _, _ := strings.Cut(out, "\n"); got != first || !strings.Contains(out, "request   "+id) || !strings.Contains(out, "principal arn:aws:iam::"+accountID+":user/bob") {
		t.Fatalf("latchkey explain %s printed:\n%s", id, out)
	}
	if list := d.run(t, "decisions", "--refused", "--since", "10m", "--action", "sts:AssumeRole*"); !strings.Contains(list, id) {
		t.Fatalf("latchkey decisions printed:\n%s", list)
	}
}

// TestCLISeesARefusalWithinTheBound: `latchkey explain`, which reads the shared store directly,
// finds a refusal within decisionBound of the answer (polling, the node's recorder writes it
// off the request path).
func TestCLISeesARefusalWithinTheBound(t *testing.T) {
	c := newCluster(t)
	d := newDeployment(t, c)
	a := d.startNode(t, "a")
	_, err := a.sts("AKIAEXAMPLEUNKNOWN00", "secret", "").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 403 || re.ServiceRequestID() == "" {
		t.Fatalf("GetCallerIdentity with an unknown key: %v", err)
	}
	id := re.ServiceRequestID()
	eventually(t, "latchkey explain finds the refusal", decisionBound, func() error {
		out, err := d.tryRun(t, "explain", id)
		if err == nil && !strings.Contains(out, "request   "+id) {
			return fmt.Errorf("printed %s", out)
		}
		return err
	})
}

// decisionOn is GET /latchkey/v1/decisions/{id} on n as the account root: the status, the
// explanation's summary and the body.
func decisionOn(t *testing.T, n *node, id string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, n.url+"/latchkey/v1/decisions/"+id, nil)
	sum := sha256.Sum256(nil)
	noErr(t, "sign", v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret}, req, hex.EncodeToString(sum[:]), "latchkey", "us-east-1", time.Now()))
	resp, err := http.DefaultClient.Do(req)
	noErr(t, "GET on node "+n.name, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var got struct {
		RequestID   string `json:"requestId"`
		Explanation struct {
			Summary string `json:"summary"`
		} `json:"explanation"`
	}
	if err := json.Unmarshal(body, &got); err != nil || got.RequestID != id {
		return resp.StatusCode, "", string(body)
	}
	return resp.StatusCode, got.Explanation.Summary, string(body)
}

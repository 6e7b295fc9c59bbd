package multinode

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// TestExplainRefusalOfAnotherNode: a request refused by node a is explained by `latchkey explain`
// (which reads the shared PostgreSQL) and by node b's admin API.
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

	out := d.run(t, "explain", id)
	first, _, _ := strings.Cut(out, "\n")
	if !strings.Contains(first, "sts:AssumeRole") || !strings.Contains(out, "request   "+id) || !strings.Contains(out, "principal arn:aws:iam::"+accountID+":user/bob") {
		t.Fatalf("latchkey explain %s printed:\n%s", id, out)
	}
	if list := d.run(t, "decisions", "--refused", "--since", "10m", "--action", "sts:AssumeRole*"); !strings.Contains(list, id) {
		t.Fatalf("latchkey decisions printed:\n%s", list)
	}

	req, _ := http.NewRequest(http.MethodGet, b.url+"/latchkey/v1/decisions/"+id, nil)
	sum := sha256.Sum256(nil)
	noErr(t, "sign", v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret}, req, hex.EncodeToString(sum[:]), "latchkey", "us-east-1", time.Now()))
	resp, err := http.DefaultClient.Do(req)
	noErr(t, "GET on node b", err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var got struct {
		RequestID   string `json:"requestId"`
		Explanation struct {
			Summary string `json:"summary"`
		} `json:"explanation"`
	}
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != 200 || got.RequestID != id || got.Explanation.Summary != first {
		t.Fatalf("node b: %d %s (want summary %q)", resp.StatusCode, body, first)
	}
}

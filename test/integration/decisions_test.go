package integration

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
)

// requestID is the x-amzn-RequestId of a failed SDK call.
func requestID(t *testing.T, err error) string {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.ServiceRequestID() == "" {
		t.Fatalf("no request id in %v", err)
	}
	return re.ServiceRequestID()
}

// adminGet sends a GET to the admin API signed with SigV4 (signing name latchkey) by keyID, or
// unsigned when keyID is "".
func adminGet(t *testing.T, ts *testServer, keyID, secret, pathAndQuery string) (int, map[string]any) {
	t.Helper()
	return adminRequest(t, ts, http.MethodGet, keyID, secret, pathAndQuery, "")
}

// refusedAssumeRole has bob, whom the role's trust policy does not name, refused; it returns the
// refusal's request id.
func refusedAssumeRole(t *testing.T, ts *testServer) string {
	t.Helper()
	createUserWithKey(t, ts, "alice")
	role := mustRole(t, ts.rootIAM(), "app", trustUsers(userARN("alice")))
	bobID, bobSecret := createUserWithKey(t, ts, "bob")
	_, err := ts.sts(bobID, bobSecret).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("no")})
	wantAPIError(t, err, "AccessDenied", 403)
	return requestID(t, err)
}

// TestDecisionsAdminAPI: a refused AssumeRole is explained by GET /latchkey/v1/decisions/{id} to
// the account root and to a user allowed latchkey:GetDecision; a user without it, another
// account's root and an unsigned caller are refused.
func TestDecisionsAdminAPI(t *testing.T) {
	ts := startServer(t)
	id := refusedAssumeRole(t, ts)
	path := "/latchkey/v1/decisions/" + id

	status, body := adminGet(t, ts, rootKeyID, rootSecret, path)
	if status != 200 || body["requestId"] != id || body["principal"] != userARN("bob") || body["action"] != "sts:AssumeRole" ||
		body["errorCode"] != "AccessDenied" || body["accountId"] != accountID {
		t.Fatalf("root GET: %d %v", status, body)
	}
	x, _ := body["explanation"].(map[string]any)
	if x == nil || x["outcome"] == "" || !strings.Contains(x["summary"].(string), "trust policy") {
		t.Fatalf("explanation %v", body["explanation"])
	}

	status, body = adminGet(t, ts, rootKeyID, rootSecret, "/latchkey/v1/decisions?since=10m&action=sts:AssumeRole*&principal="+url.QueryEscape(userARN("bob")))
	list, _ := body["decisions"].([]any)
	if status != 200 || len(list) != 1 || list[0].(map[string]any)["requestId"] != id {
		t.Fatalf("root list: %d %v", status, body)
	}
	status, body = adminGet(t, ts, rootKeyID, rootSecret, "/latchkey/v1/decisions?action=iam:*")
	if list, _ := body["decisions"].([]any); status != 200 || len(list) != 0 {
		t.Fatalf("filtered list: %d %v", status, body)
	}

	// A user with broad permissions but none on latchkey:GetDecision is refused.
	carolID, carolSecret := createUserWithKey(t, ts, "carol")
	putUserPolicy(t, ts, "carol", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:*","iam:*","latchkey:ListDecisions"],"Resource":"*"}]}`)
	if status, body := adminGet(t, ts, carolID, carolSecret, path); status != 403 || body["code"] != "AccessDenied" {
		t.Fatalf("user without latchkey:GetDecision: %d %v", status, body)
	}
	if status, _ := adminGet(t, ts, carolID, carolSecret, "/latchkey/v1/decisions"); status != 200 {
		t.Fatalf("user with latchkey:ListDecisions: %d", status)
	}
	// The same user once allowed the decision's ARN.
	putUserPolicy(t, ts, "carol", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"latchkey:GetDecision","Resource":"arn:aws:latchkey::`+accountID+`:decision/*"}]}`)
	if status, body := adminGet(t, ts, carolID, carolSecret, path); status != 200 || body["requestId"] != id {
		t.Fatalf("user allowed latchkey:GetDecision: %d %v", status, body)
	}

	// Another account's root: 404, as for an unknown id.
	otherID, otherSecret := ts.secondAccount(t, "210987654321")
	if status, body := adminGet(t, ts, otherID, otherSecret, path); status != 404 || body["code"] != "DecisionNotFound" {
		t.Fatalf("another account's root: %d %v", status, body)
	}
	if status, body := adminGet(t, ts, otherID, otherSecret, "/latchkey/v1/decisions"); status != 200 || len(body["decisions"].([]any)) != 0 {
		t.Fatalf("another account's list: %d %v", status, body)
	}
	if status, body := adminGet(t, ts, rootKeyID, rootSecret, "/latchkey/v1/decisions/00000000-0000-0000-0000-000000000000"); status != 404 || body["code"] != "DecisionNotFound" {
		t.Fatalf("unknown id: %d %v", status, body)
	}
	if status, body := adminGet(t, ts, "", "", path); status != 403 || body["code"] == "" {
		t.Fatalf("unsigned: %d %v", status, body)
	}
	if status, body := adminGet(t, ts, rootKeyID, "wrong"+rootSecret, path); status != 403 || body["code"] == "" {
		t.Fatalf("bad signature: %d %v", status, body)
	}
	for _, q := range []string{"since=yesterday", "since=-5m", "limit=0", "limit=x"} {
		if status, body := adminGet(t, ts, rootKeyID, rootSecret, "/latchkey/v1/decisions?"+q); status != 400 || body["code"] != "InvalidParameterValue" {
			t.Fatalf("%s: %d %v", q, status, body)
		}
	}
	if status, body := adminGet(t, ts, rootKeyID, rootSecret, "/latchkey/v1/nothing"); status != 404 || body["code"] != "NotFound" {
		t.Fatalf("unknown route: %d %v", status, body)
	}
}

func putUserPolicy(t *testing.T, ts *testServer, user, doc string) {
	t.Helper()
	if _, err := ts.rootIAM().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
}

// TestAuditEventCarriesExplanation: the refusal's audit event has the explanation in
// additionalEventData, and the allowed call's event has none.
func TestAuditEventCarriesExplanation(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	ts := startServer(t, func(c *config.Config, _ *app.Options) { c.AuditLog = logPath })
	id := refusedAssumeRole(t, ts)
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	found := false
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		if ev["requestID"] != id {
			continue
		}
		found = true
		extra, _ := ev["additionalEventData"].(map[string]any)
		x, _ := extra["latchkeyExplanation"].(map[string]any)
		if x == nil || x["outcome"] == nil || !strings.Contains(x["summary"].(string), "trust policy") || x["policies"] == nil {
			t.Fatalf("additionalEventData %v", ev["additionalEventData"])
		}
	}
	if !found {
		t.Fatal("no audit event for the refusal")
	}
}

// TestDecodeAuthorizationMessageExplains: the decoded message of a refused CreateRole keeps AWS's
// members and adds the summary and the explanation naming the user's policy.
func TestDecodeAuthorizationMessageExplains(t *testing.T) {
	ts := startServer(t)
	id, secret := createUserWithKey(t, ts, "alice")
	putUserPolicy(t, ts, "alice", `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyReads","Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`)
	_, err := ts.iam(id, secret).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustUsers(userARN("alice")))})
	wantAPIError(t, err, "AccessDenied", 403)
	const marker = "Encoded authorization failure message: "
	i := strings.Index(err.Error(), marker)
	if i < 0 {
		t.Fatalf("no encoded message in %v", err)
	}
	out, err := ts.rootSTS().DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(strings.Fields(err.Error()[i+len(marker):])[0])})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Allowed           bool            `json:"allowed"`
		ExplicitDeny      bool            `json:"explicitDeny"`
		MatchedStatements json.RawMessage `json:"matchedStatements"`
		Failures          json.RawMessage `json:"failures"`
		Context           struct {
			Action string `json:"action"`
		} `json:"context"`
		Summary     string `json:"summary"`
		Explanation struct {
			Outcome  string `json:"outcome"`
			Policies []struct {
				Name       string `json:"name"`
				Statements []struct {
					Sid string `json:"sid"`
				} `json:"statements"`
			} `json:"policies"`
		} `json:"explanation"`
	}
	raw := aws.ToString(out.DecodedMessage)
	if err := json.Unmarshal([]byte(raw), &m); err != nil || m.Allowed || m.ExplicitDeny || m.MatchedStatements == nil || m.Failures == nil ||
		m.Context.Action != "iam:CreateRole" || m.Summary == "" || m.Explanation.Outcome != "ImplicitDeny" ||
		len(m.Explanation.Policies) != 1 || len(m.Explanation.Policies[0].Statements) != 1 || m.Explanation.Policies[0].Statements[0].Sid != "OnlyReads" {
		t.Fatalf("decoded %s (%v)", raw, err)
	}
}

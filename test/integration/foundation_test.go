package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

var ctx = context.Background()

func TestRootGetCallerIdentity(t *testing.T) {
	ts := startServer(t)
	out, err := ts.rootSTS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Account) != accountID || aws.ToString(out.UserId) != accountID || aws.ToString(out.Arn) != "arn:aws:iam::"+accountID+":root" {
		t.Fatalf("unexpected identity %+v", out)
	}
}

// createUserWithKey makes a user through IAM as root and returns its key.
func createUserWithKey(t *testing.T, ts *testServer, name string) (string, string) {
	t.Helper()
	root := ts.rootIAM()
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
}

func TestUserGetCallerIdentityAndDenial(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	u, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(u.User.UserId), "AIDA") || aws.ToString(u.User.Arn) != "arn:aws:iam::"+accountID+":user/eng/alice" {
		t.Fatalf("unexpected user %+v", u.User)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	id, secret := aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
	if len(id) != 20 || !strings.HasPrefix(id, "AKIA") || len(secret) != 40 || k.AccessKey.Status != iamtypes.StatusTypeActive {
		t.Fatalf("unexpected key %s / %d-char secret / %s", id, len(secret), k.AccessKey.Status)
	}
	out, err := ts.sts(id, secret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.UserId) != aws.ToString(u.User.UserId) || aws.ToString(out.Arn) != aws.ToString(u.User.Arn) || aws.ToString(out.Account) != accountID {
		t.Fatalf("unexpected identity %+v", out)
	}

	// A user without policies is denied everything else, in AWS's words.
	_, err = ts.iam(id, secret).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantAPIError(t, err, "AccessDenied", 403)
	want := "User: arn:aws:iam::" + accountID + ":user/eng/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::" + accountID + ":user/mallory because no identity-based policy allows the iam:CreateUser action"
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("denial message: %v", err)
	}
	_, err = ts.sts(id, secret).GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(rootKeyID)})
	wantAPIError(t, err, "AccessDenied", 403)
}

func TestSignatureFailures(t *testing.T) {
	ts := startServer(t)
	_, err := ts.sts(rootKeyID, "wrong-secret-wrong-secret-wrong-secret00").GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", 403)

	_, err = ts.sts("AKIAUNKNOWNKEY000000", rootSecret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)

	_, err = ts.iam("AKIAUNKNOWNKEY000000", rootSecret).ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)

	// A session key that Latchkey never issued.
	c := sts.NewFromConfig(ts.awsConfig("ASIAIOSFODNN7EXAMPLE", rootSecret, "FQoG/with+slash=and=="), func(o *sts.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	_, err = c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)

	// No signature at all.
	anon := sts.NewFromConfig(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1}, func(o *sts.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	_, err = anon.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "MissingAuthenticationToken", 403)
}

func TestStaleRequestDate(t *testing.T) {
	var offset atomic.Int64
	ts := startServer(t, withClock(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }))
	offset.Store(int64(16 * time.Minute))
	_, err := ts.rootSTS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", 403)
	if !strings.Contains(err.Error(), "Signature expired") || !strings.Contains(err.Error(), "15 min.") {
		t.Fatalf("unexpected message: %v", err)
	}
	offset.Store(int64(-16 * time.Minute))
	_, err = ts.rootSTS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", 403)
	if !strings.Contains(err.Error(), "Signature not yet current") {
		t.Fatalf("unexpected message: %v", err)
	}
	offset.Store(int64(14 * time.Minute))
	if _, err := ts.rootSTS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("inside the window: %v", err)
	}
}

type xmlError struct {
	Code    string `xml:"Error>Code"`
	Message string `xml:"Error>Message"`
	Type    string `xml:"Error>Type"`
}

func doRaw(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("response lacks x-amzn-RequestId")
	}
	return resp.StatusCode, body
}

func signedQueryRequest(t *testing.T, ts *testServer, body string, service string) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestTamperedBody(t *testing.T) {
	ts := startServer(t)
	req := signedQueryRequest(t, ts, "Action=GetCallerIdentity&Version=2011-06-15", "sts")
	status, body := doRaw(t, req)
	if status != 200 || !bytes.Contains(body, []byte("<Arn>arn:aws:iam::"+accountID+":root</Arn>")) {
		t.Fatalf("untampered request: %d %s", status, body)
	}
	req = signedQueryRequest(t, ts, "Action=GetAccessKeyInfo&Version=2011-06-15&AccessKeyId="+rootKeyID, "sts")
	tampered := "Action=GetAccessKeyInfo&Version=2011-06-15&AccessKeyId=AKIAIOSFODNN7EXAMPLF"
	req.Body = io.NopCloser(strings.NewReader(tampered))
	req.ContentLength = int64(len(tampered))
	status, body = doRaw(t, req)
	var xe xmlError
	_ = xml.Unmarshal(body, &xe)
	if status != 403 || xe.Code != "SignatureDoesNotMatch" || xe.Type != "Sender" {
		t.Fatalf("tampered body: %d %s", status, body)
	}
	// Signed for the wrong service.
	req = signedQueryRequest(t, ts, "Action=GetCallerIdentity&Version=2011-06-15", "iam")
	status, body = doRaw(t, req)
	_ = xml.Unmarshal(body, &xe)
	if status != 403 || xe.Code != "SignatureDoesNotMatch" || !strings.Contains(xe.Message, "scoped to correct service") {
		t.Fatalf("wrong service: %d %s", status, body)
	}
}

type callerIdentityXML struct {
	Arn     string `xml:"GetCallerIdentityResult>Arn"`
	UserID  string `xml:"GetCallerIdentityResult>UserId"`
	Account string `xml:"GetCallerIdentityResult>Account"`
}

func TestPresignedGetCallerIdentity(t *testing.T) {
	var offset atomic.Int64
	ts := startServer(t, withClock(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }))
	presigned, err := sts.NewPresignClient(ts.rootSTS()).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(presigned.Method, presigned.URL, nil)
	for k, v := range presigned.SignedHeader {
		req.Header[k] = v
	}
	status, body := doRaw(t, req)
	var id callerIdentityXML
	if err := xml.Unmarshal(body, &id); err != nil || status != 200 || id.Arn != "arn:aws:iam::"+accountID+":root" {
		t.Fatalf("presigned: %d %s", status, body)
	}

	// Tampered query: the signature covers every parameter.
	u, _ := url.Parse(presigned.URL)
	q := u.Query()
	q.Set("Version", "2011-06-15 ")
	u.RawQuery = q.Encode()
	req, _ = http.NewRequest(presigned.Method, u.String(), nil)
	status, body = doRaw(t, req)
	var xe xmlError
	_ = xml.Unmarshal(body, &xe)
	if status == 200 {
		t.Fatalf("tampered presigned URL accepted: %s", body)
	}
	u, _ = url.Parse(presigned.URL)
	q = u.Query()
	q.Set("X-Amz-SignedHeaders", "host;x-amz-date")
	u.RawQuery = q.Encode()
	req, _ = http.NewRequest(presigned.Method, u.String(), nil)
	status, body = doRaw(t, req)
	_ = xml.Unmarshal(body, &xe)
	if status != 403 || xe.Code != "SignatureDoesNotMatch" {
		t.Fatalf("tampered signed headers: %d %s", status, body)
	}

	// Expired: the SDK presigns for 15 minutes.
	offset.Store(int64(2 * time.Hour))
	req, _ = http.NewRequest(presigned.Method, presigned.URL, nil)
	status, body = doRaw(t, req)
	_ = xml.Unmarshal(body, &xe)
	if status != 403 || xe.Code != "SignatureDoesNotMatch" || !strings.Contains(xe.Message, "expired") {
		t.Fatalf("expired presigned URL: %d %s", status, body)
	}
}

func TestGetAccessKeyInfo(t *testing.T) {
	ts := startServer(t)
	id, _ := createUserWithKey(t, ts, "bob")
	for _, key := range []string{id, rootKeyID} {
		out, err := ts.rootSTS().GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Account) != accountID {
			t.Fatalf("%s: account %s", key, aws.ToString(out.Account))
		}
	}
	// AWS's own key ids embed their account, so Latchkey answers for them as AWS does.
	out, err := ts.rootSTS().GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("ASIAY34FZKBOKMUTVV7A")})
	if err != nil || aws.ToString(out.Account) != "609629065308" {
		t.Fatalf("decoded account: %v %v", out, err)
	}
	_, err = ts.rootSTS().GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("short")})
	wantAPIError(t, err, "ValidationError", 400)

	// Presigned GET of GetAccessKeyInfo.
	u := ts.URL + "/?Action=GetAccessKeyInfo&Version=2011-06-15&AccessKeyId=" + id
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	const emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret}, req, emptySHA, "sts", "eu-west-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodGet, signed, nil)
	status, body := doRaw(t, req)
	if status != 200 || !bytes.Contains(body, []byte("<Account>"+accountID+"</Account>")) {
		t.Fatalf("presigned GetAccessKeyInfo: %d %s", status, body)
	}
}

func TestProtocolErrors(t *testing.T) {
	ts := startServer(t)
	cases := []struct {
		name, body, code string
		status           int
	}{
		{"unknown action", "Action=Frobnicate&Version=2011-06-15", "InvalidAction", 400},
		{"unknown version", "Action=GetCallerIdentity&Version=2099-01-01", "InvalidAction", 400},
		{"missing action", "Version=2011-06-15", "MissingAction", 400},
		{"not yet implemented", "Action=GetDelegatedAccessToken&Version=2011-06-15&TradeInToken=abc", "NotImplemented", 501},
		{"unknown IAM action", "Action=Frobnicate&Version=2010-05-08", "InvalidAction", 400},
		{"validation", "Action=CreateUser&Version=2010-05-08&UserName=has%20space", "ValidationError", 400},
		{"missing required", "Action=CreateUser&Version=2010-05-08", "ValidationError", 400},
		{"bad integer", "Action=ListUsers&Version=2010-05-08&MaxItems=lots", "ValidationError", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			service := "sts"
			if strings.Contains(tc.body, "2010-05-08") {
				service = "iam"
			}
			status, body := doRaw(t, signedQueryRequest(t, ts, tc.body, service))
			var xe xmlError
			if err := xml.Unmarshal(body, &xe); err != nil || status != tc.status || xe.Code != tc.code {
				t.Fatalf("got %d %s", status, body)
			}
		})
	}
	_, err := ts.rootIAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(strings.Repeat("x", 65))})
	wantAPIError(t, err, "ValidationError", 400)
	if !strings.Contains(err.Error(), "1 validation error detected: Value '"+strings.Repeat("x", 65)+"' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64") {
		t.Fatalf("message: %v", err)
	}
}

// TestUnservedOperationSaysSo: an IAM operation the model has and Latchkey does not serve
// answers NotImplemented naming it, not InvalidAction,
// which would tell the user their client is wrong.
func TestUnservedOperationSaysSo(t *testing.T) {
	ts := startServer(t)
	_, err := ts.rootIAM().CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("correct-horse-battery-1A")})
	wantAPIError(t, err, "NotImplemented", 501)
	if !strings.Contains(err.Error(), "IAM CreateLoginProfile is not implemented by Latchkey") {
		t.Fatalf("message: %v", err)
	}
	if strings.Contains(err.Error(), "correct-horse") {
		t.Fatalf("the answer echoes the password: %v", err)
	}
}

func TestBodyLimit(t *testing.T) {
	ts := startServer(t)
	big := "Action=GetCallerIdentity&Version=2011-06-15&Pad=" + strings.Repeat("a", int(ts.Config.MaxQueryBodyBytes))
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, body := doRaw(t, req)
	if status != http.StatusRequestEntityTooLarge || !bytes.Contains(body, []byte("<Code>RequestEntityTooLarge</Code>")) {
		t.Fatalf("got %d %.200s", status, body)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	ts := startServer(t)
	if _, err := ts.rootSTS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	_, _ = ts.sts("AKIAUNKNOWNKEY000000", rootSecret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	for path, want := range map[string]string{
		"/healthz": "ok",
		"/readyz":  "ready",
		"/metrics": `latchkey_requests_total{code="InvalidClientTokenId",operation="GetCallerIdentity",service="sts"} 1`,
	} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("%s: %d %.2000s", path, resp.StatusCode, body)
		}
	}
	resp, _ := http.Get(ts.URL + "/metrics")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`latchkey_requests_total{code="OK",operation="GetCallerIdentity",service="sts"} 1`, "latchkey_request_duration_seconds_bucket"} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("metrics lack %q", want)
		}
	}
}

func TestIAMUsersLifecycle(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("Carol"), Tags: []iamtypes.Tag{{Key: aws.String("Team"), Value: aws.String("core")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")})
	wantAPIError(t, err, "EntityAlreadyExists", 409)
	var exists *iamtypes.EntityAlreadyExistsException
	if !errorsAs(err, &exists) {
		t.Fatalf("not typed: %T", err)
	}
	_, err = root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	wantAPIError(t, err, "NoSuchEntity", 404)
	var nse *iamtypes.NoSuchEntityException
	if !errorsAs(err, &nse) {
		t.Fatalf("not typed: %T", err)
	}
	got, err := root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("CAROL")})
	if err != nil || aws.ToString(got.User.UserName) != "Carol" || len(got.User.Tags) != 1 || got.User.CreateDate == nil {
		t.Fatalf("GetUser: %+v %v", got, err)
	}

	// Tags: user tag keys are case-insensitive.
	if _, err := root.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}, {Key: aws.String("env"), Value: aws.String("")}}}); err != nil {
		t.Fatal(err)
	}
	tags, err := root.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("carol")})
	if err != nil || len(tags.Tags) != 2 {
		t.Fatalf("tags %+v %v", tags, err)
	}
	_, err = root.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}})
	wantAPIError(t, err, "InvalidInput", 400)
	if _, err := root.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("carol"), TagKeys: []string{"TEAM"}}); err != nil {
		t.Fatal(err)
	}
	tags, _ = root.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("carol")})
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Fatalf("after untag: %+v", tags.Tags)
	}

	// Pagination and path prefixes.
	for i := 0; i < 5; i++ {
		if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("svc-%d", i)), Path: aws.String("/services/")}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	var marker *string
	for pages := 0; ; pages++ {
		p, err := root.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/services/"), MaxItems: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range p.Users {
			names = append(names, aws.ToString(u.UserName))
		}
		if !p.IsTruncated {
			break
		}
		marker = p.Marker
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if strings.Join(names, ",") != "svc-0,svc-1,svc-2,svc-3,svc-4" {
		t.Fatalf("paged names %v", names)
	}
	all, _ := root.ListUsers(ctx, &iam.ListUsersInput{})
	if len(all.Users) != 6 {
		t.Fatalf("all users %d", len(all.Users))
	}
	_, err = root.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("!!not-a-marker")})
	wantAPIError(t, err, "ValidationError", 400)

	// Rename and move.
	if _, err := root.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("carol"), NewUserName: aws.String("caroline"), NewPath: aws.String("/ops/")}); err != nil {
		t.Fatal(err)
	}
	moved, err := root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("caroline")})
	if err != nil || aws.ToString(moved.User.Arn) != "arn:aws:iam::"+accountID+":user/ops/caroline" || aws.ToString(moved.User.UserId) != aws.ToString(got.User.UserId) {
		t.Fatalf("moved user %+v %v", moved, err)
	}
	_, err = root.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("svc-0"), NewUserName: aws.String("CAROLINE")})
	wantAPIError(t, err, "EntityAlreadyExists", 409)

	// Access keys: two per user, conflicts on delete, inactive keys stop working.
	id1, secret1 := mustKey(t, root, "caroline")
	mustKey(t, root, "caroline")
	_, err = root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("caroline")})
	wantAPIError(t, err, "LimitExceeded", 409)
	keys, err := root.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("caroline")})
	if err != nil || len(keys.AccessKeyMetadata) != 2 {
		t.Fatalf("list keys %+v %v", keys, err)
	}
	_, err = root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("caroline")})
	wantAPIError(t, err, "DeleteConflict", 409)

	if _, err := ts.sts(id1, secret1).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	lu, err := root.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id1)})
	if err != nil || lu.AccessKeyLastUsed.LastUsedDate == nil || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "sts" || aws.ToString(lu.AccessKeyLastUsed.Region) != "us-east-1" || aws.ToString(lu.UserName) != "caroline" {
		t.Fatalf("last used %+v %v", lu, err)
	}
	if _, err := root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("caroline"), AccessKeyId: aws.String(id1), Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.sts(id1, secret1).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)
	_, err = root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("svc-0"), AccessKeyId: aws.String(id1), Status: iamtypes.StatusTypeActive})
	wantAPIError(t, err, "NoSuchEntity", 404)
	for _, k := range keys.AccessKeyMetadata {
		if _, err := root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("caroline"), AccessKeyId: k.AccessKeyId}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("caroline")}); err != nil {
		t.Fatal(err)
	}
	_, err = root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("caroline")})
	wantAPIError(t, err, "NoSuchEntity", 404)
}

func mustKey(t *testing.T, c *iam.Client, user string) (string, string) {
	t.Helper()
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
}

func TestUserManagesOwnIdentityDenied(t *testing.T) {
	ts := startServer(t)
	id, secret := createUserWithKey(t, ts, "dave")
	// Without policies even self-service is denied, as in AWS.
	_, err := ts.iam(id, secret).ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	wantAPIError(t, err, "AccessDenied", 403)
	_, err = ts.iam(id, secret).GetUser(ctx, &iam.GetUserInput{})
	wantAPIError(t, err, "AccessDenied", 403)
}

func TestRootOwnKeysAndGetUser(t *testing.T) {
	ts := startServer(t)
	root := ts.rootIAM()
	me, err := root.GetUser(ctx, &iam.GetUserInput{})
	if err != nil || aws.ToString(me.User.Arn) != "arn:aws:iam::"+accountID+":root" || aws.ToString(me.User.UserId) != accountID {
		t.Fatalf("root GetUser %+v %v", me, err)
	}
	k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	wantAPIError(t, err, "LimitExceeded", 409)
	out, err := ts.sts(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(out.Arn) != "arn:aws:iam::"+accountID+":root" {
		t.Fatalf("second root key %+v %v", out, err)
	}
}

func TestDeletedKeyIsRefusedAtOnce(t *testing.T) {
	ts := startServer(t)
	id, secret := createUserWithKey(t, ts, "erin")
	if _, err := ts.sts(id, secret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.rootIAM().DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("erin"), AccessKeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err := ts.sts(id, secret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403)
}

package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// FuzzSignedQueryRequest sends arbitrary, correctly signed awsQuery requests as root: whatever the
// parameters, the answer must be an AWS error in the envelope or a success — never a server fault
// (5xx other than 501 for the one unimplemented operation), never a panic.
func FuzzSignedQueryRequest(f *testing.F) {
	ts := startServer(f)
	for _, seed := range []string{
		"Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=ss&Tags.member.1.Key=a",
		"Action=PutUserPolicy&Version=2010-05-08&UserName=u&PolicyName=p&PolicyDocument=%7B%22Statement%22%3A%5B%5D%7D",
		"Action=SimulateCustomPolicy&Version=2010-05-08&PolicyInputList.member.1=%7B%7D&ActionNames.member.1=s3%3A*",
		"Action=CreateOpenIDConnectProvider&Version=2010-05-08&Url=https%3A%2F%2Fx&ThumbprintList.member.1=zz",
		"Action=GetWebIdentityToken&Version=2011-06-15&Audience.member.1=a&SigningAlgorithm=RS256",
		"Action=DecodeAuthorizationMessage&Version=2011-06-15&EncodedMessage=%00%01",
		"Action=CreatePolicy&Version=2010-05-08&PolicyName=p&PolicyDocument=" + url.QueryEscape(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"x"}}}}`),
	} {
		f.Add(seed)
	}
	signer := v4.NewSigner()
	creds := aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret}
	f.Fuzz(func(t *testing.T, body string) {
		if len(body) > 1<<16 {
			return
		}
		service := "sts"
		if q, err := url.ParseQuery(body); err == nil && q.Get("Version") == "2010-05-08" {
			service = "iam"
		}
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sum := sha256.Sum256([]byte(body))
		if err := signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
			t.Skip()
		}
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(body)))
		r.Host = req.Host
		r.Header = req.Header.Clone()
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		w := httptest.NewRecorder()
		ts.App.Handler.ServeHTTP(w, r)
		if w.Code >= 500 && w.Code != http.StatusNotImplemented {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body.String())
		}
	})
}

// FuzzCognitoUnsigned sends arbitrary bodies to the unsigned Cognito operations, which anyone on
// the network can call: the answer is never a server fault.
func FuzzCognitoUnsigned(f *testing.F) {
	ts := startServer(f)
	ops := []string{"GetId", "GetOpenIdToken", "GetCredentialsForIdentity", "UnlinkIdentity"}
	f.Add(uint8(0), `{"IdentityPoolId":"us-east-1:11111111-2222-3333-4444-555555555555"}`)
	f.Add(uint8(1), `{"IdentityId":"us-east-1:11111111-2222-3333-4444-555555555555","Logins":{"accounts.google.com":"a.b.c"}}`)
	f.Add(uint8(2), `{"IdentityId":"us-east-1:1","Logins":{"cognito-identity.amazonaws.com":"x"},"CustomRoleArn":"arn:aws:iam::1:role/x"}`)
	f.Add(uint8(3), `{"IdentityId":"x","Logins":{},"LoginsToRemove":["a"]}`)
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		if len(body) > 1<<16 {
			return
		}
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(body)))
		r.Header.Set("X-Amz-Target", "AWSCognitoIdentityService."+ops[int(op)%len(ops)])
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		w := httptest.NewRecorder()
		ts.App.Handler.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("status %d for %s %q: %s", w.Code, ops[int(op)%len(ops)], body, w.Body.String())
		}
	})
}

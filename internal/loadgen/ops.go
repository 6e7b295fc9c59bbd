package loadgen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// target is one server under load: Latchkey or the floor.
type target struct {
	url   string // http://host:port
	floor bool
}

// newRequest makes one request of an operation; each client has its own.
type newRequest func() (*http.Request, error)

// operation is one row of the table.
type operation struct {
	Name  string // the -ops name
	Title string
	// Write marks an operation that creates durable state: it is reported in requests per second
	// only and is not run against the floor.
	Write bool
	// Issues marks an operation whose 2xx answer carries newly issued session credentials: the
	// sessions a soak counts.
	Issues bool
	// client returns the request maker of client number i against t, signing its request now.
	client func(f *fixture, t target, i int) (newRequest, error)
}

// Operations are every operation the tool drives, in table order.
var Operations = []operation{
	{Name: "web-identity", Title: "AssumeRoleWithWebIdentity (RS256)", Issues: true, client: webIdentity},
	{Name: "getid", Title: "Cognito GetId, existing login", client: getIDExisting},
	{Name: "credentials", Title: "Cognito GetCredentialsForIdentity", Issues: true, client: credentialsForIdentity},
	{Name: "assume-role", Title: "AssumeRole (long-term key)", Issues: true, client: assumeRole},
	{Name: "caller-header", Title: "GetCallerIdentity, session, header", client: callerHeader},
	{Name: "caller-presigned", Title: "GetCallerIdentity, session, presigned", client: callerPresigned},
	{Name: "getid-new", Title: "Cognito GetId, new identity (write)", Write: true, client: getIDNew},
}

// template is a prepared request, sent unchanged as often as asked: SigV4 has no replay protection
// within its validity window, so a client signs once per phase and the client side stays cheap.
type template struct {
	method, url string
	body        []byte
	header      http.Header
}

func (t *template) request() (*http.Request, error) {
	req, err := http.NewRequest(t.method, t.url, bytes.NewReader(t.body))
	if err != nil {
		return nil, err
	}
	req.Header = t.header
	return req, nil
}

const formType = "application/x-www-form-urlencoded; charset=utf-8"

func stsForm(action string, kv ...string) []byte {
	v := url.Values{"Action": {action}, "Version": {"2011-06-15"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return []byte(v.Encode())
}

func unsigned(t target, body []byte, header http.Header) newRequest {
	tpl := &template{method: http.MethodPost, url: t.url + "/", body: body, header: header}
	return tpl.request
}

func cognitoRequest(t target, op string, in any) (newRequest, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	return unsigned(t, body, http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {"AWSCognitoIdentityService." + op}}), nil
}

// signed signs a POST of body to STS with creds, once.
func signed(t target, creds aws.Credentials, body []byte) (newRequest, error) {
	req, err := http.NewRequest(http.MethodPost, t.url+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", formType)
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
		return nil, err
	}
	tpl := &template{method: http.MethodPost, url: req.URL.String(), body: body, header: req.Header}
	return tpl.request, nil
}

func (f *fixture) sessionFor(t target) aws.Credentials {
	if t.floor {
		return f.floorSession
	}
	return f.session
}

func webIdentity(f *fixture, t target, _ int) (newRequest, error) {
	body := stsForm("AssumeRoleWithWebIdentity", "RoleArn", f.webRole, "RoleSessionName", "load", "WebIdentityToken", f.webToken)
	return unsigned(t, body, http.Header{"Content-Type": {formType}}), nil
}

func getIDExisting(f *fixture, t target, _ int) (newRequest, error) {
	return cognitoRequest(t, "GetId", map[string]any{"IdentityPoolId": f.pool, "Logins": map[string]string{f.login: f.webToken}})
}

func credentialsForIdentity(f *fixture, t target, _ int) (newRequest, error) {
	return cognitoRequest(t, "GetCredentialsForIdentity", map[string]any{"IdentityId": f.identity, "Logins": map[string]string{f.login: f.webToken}})
}

func assumeRole(f *fixture, t target, _ int) (newRequest, error) {
	return signed(t, f.userKey, stsForm("AssumeRole", "RoleArn", f.assumeRole, "RoleSessionName", "load"))
}

func callerHeader(f *fixture, t target, _ int) (newRequest, error) {
	return signed(t, f.sessionFor(t), stsForm("GetCallerIdentity"))
}

func callerPresigned(f *fixture, t target, _ int) (newRequest, error) {
	req, err := http.NewRequest(http.MethodGet, t.url+"/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	if err != nil {
		return nil, err
	}
	empty := sha256.Sum256(nil)
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), f.sessionFor(t), req, hex.EncodeToString(empty[:]), "sts", "us-east-1", time.Now())
	if err != nil {
		return nil, err
	}
	hdr.Del("Host") // the transport sends the URL's host
	tpl := &template{method: http.MethodGet, url: u, header: hdr}
	return tpl.request, nil
}

// newSubjects numbers the fresh subjects of "GetId, new identity" across clients and phases.
var newSubjects atomic.Int64

// getIDNew signs a token for a subject never seen before on every request (ES256: see idp).
func getIDNew(f *fixture, t target, i int) (newRequest, error) {
	prefix := fmt.Sprintf(`{"IdentityPoolId":%q,"Logins":{%q:"`, f.pool, f.login)
	header := http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {"AWSCognitoIdentityService.GetId"}}
	return func() (*http.Request, error) {
		tok, err := f.idp.token(fmt.Sprintf("load-new-%d-%d", i, newSubjects.Add(1)), true, time.Now())
		if err != nil {
			return nil, err
		}
		tpl := template{method: http.MethodPost, url: t.url + "/", body: []byte(prefix + tok + `"}}`), header: header}
		return tpl.request()
	}, nil
}

// selectOps resolves a comma-separated -ops value ("" or "all" is every operation).
func selectOps(list string) ([]operation, error) {
	if list == "" || list == "all" {
		return Operations, nil
	}
	var out []operation
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		found := false
		for _, op := range Operations {
			if op.Name == name {
				out, found = append(out, op), true
			}
		}
		if !found {
			return nil, fmt.Errorf("-ops: unknown operation %q; want a comma-separated list of %s", name, opNames())
		}
	}
	return out, nil
}

func opNames() string {
	names := make([]string, len(Operations))
	for i, op := range Operations {
		names[i] = op.Name
	}
	return strings.Join(names, ", ")
}

package sigv4

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	tv1Cred   = "AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/sts/aws4_request"
	tv1Signed = "content-type;host;x-amz-date"
	tv1Sig    = "efc7a9771b2fc5b804d23b7c094b76e114df76309dc71a6102e800b617e19ecd"
	tv4Query  = "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=ASIAIOSFODNN7EXAMPLE%2F20261122%2Fus-east-1%2Fsts%2Faws4_request" +
		"&X-Amz-Date=20261122T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host" +
		"&X-Amz-Security-Token=FQoG%2Fwith%2Bslash%3Dand%3D%3D" +
		"&X-Amz-Signature=7b1a8551e451bd7315e7ae0905703e5088123417e80d07d92e34a1e6cef53cc1"
)

// headerModeReq is TV1 with its Authorization header replaced.
func headerModeReq(authz string) *Request {
	r := vectors[0].req()
	r.Header.Set("Authorization", authz)
	return r
}

// queryModeReq is TV4 with one parameter replaced (or removed when value is "-").
func queryModeReq(name, value string) *Request {
	r := vectors[3].req()
	var out []string
	for _, p := range strings.Split(r.RawQuery, "&") {
		if k, _, _ := strings.Cut(p, "="); k == name {
			if value != "-" {
				out = append(out, k+"="+value)
			}
			continue
		}
		out = append(out, p)
	}
	r.RawQuery = strings.Join(out, "&")
	return r
}

func TestParseNoAuth(t *testing.T) {
	for name, req := range map[string]*Request{
		"nothing":                      {Method: "POST", RawPath: "/", Header: http.Header{}, Body: []byte("Action=GetId")},
		"query without auth":           {Method: "GET", RawPath: "/", RawQuery: "Action=GetCallerIdentity", Header: http.Header{}},
		"only X-Amz-Date in query":     {Method: "GET", RawPath: "/", RawQuery: "X-Amz-Date=20261122T120000Z&X-Amz-SignedHeaders=host", Header: http.Header{}},
		"lowercase parameter names":    {Method: "GET", RawPath: "/", RawQuery: "x-amz-signature=abc&x-amz-credential=a", Header: http.Header{}},
		"X-Amz-Date and token headers": {Method: "GET", RawPath: "/", Header: http.Header{"X-Amz-Date": {"20261122T120000Z"}, "X-Amz-Security-Token": {"t"}}},
		"bad escape but no auth":       {Method: "GET", RawPath: "/", RawQuery: "a=%zz", Header: http.Header{}},
	} {
		a, err := Parse(req)
		if a != nil || err != nil {
			t.Errorf("%s: Parse = %+v, %v; want nil, nil", name, a, err)
		}
	}
}

func TestParseIncomplete(t *testing.T) {
	withHeader := func(k, v string) *Request {
		r := vectors[0].req()
		r.Header.Set(k, v)
		return r
	}
	addHeader := func(k, v string) *Request {
		r := vectors[0].req()
		r.Header.Add(k, v)
		return r
	}
	delHeader := func(k string) *Request {
		r := vectors[0].req()
		r.Header.Del(k)
		return r
	}
	withQuery := func(r *Request, q string) *Request {
		if r.RawQuery != "" {
			r.RawQuery += "&"
		}
		r.RawQuery += q
		return r
	}
	queryWithHeader := func(k, v string) *Request {
		r := vectors[3].req()
		r.Header.Set(k, v)
		return r
	}
	cases := []struct {
		name string
		req  *Request
		msg  string // substring of the message, when it matters
	}{
		// Header mode.
		{"empty Authorization", headerModeReq(""), msgHeaderAlgorithm},
		{"unknown algorithm", headerModeReq(strings.Replace(authHeader(tv1Cred, tv1Signed, tv1Sig), "SHA256", "SHA512", 1)), msgHeaderAlgorithm},
		{"SigV4a", headerModeReq(strings.Replace(authHeader(tv1Cred, tv1Signed, tv1Sig), "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1)), msgHeaderAlgorithm},
		{"SigV2", headerModeReq("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="), msgHeaderAlgorithm},
		{"bearer", headerModeReq("Bearer abc"), msgHeaderAlgorithm},
		{"algorithm only", headerModeReq("AWS4-HMAC-SHA256"), "requires 'Credential'"},
		{"missing Credential", headerModeReq("AWS4-HMAC-SHA256 SignedHeaders=" + tv1Signed + ", Signature=" + tv1Sig), "Authorization header requires 'Credential' parameter."},
		{"missing SignedHeaders", headerModeReq("AWS4-HMAC-SHA256 Credential=" + tv1Cred + ", Signature=" + tv1Sig), "Authorization header requires 'SignedHeaders' parameter."},
		{"missing Signature", headerModeReq("AWS4-HMAC-SHA256 Credential=" + tv1Cred + ", SignedHeaders=" + tv1Signed), "Authorization header requires 'Signature' parameter."},
		{"empty Signature", headerModeReq(authHeader(tv1Cred, tv1Signed, "")), "requires 'Signature'"},
		{"empty Credential", headerModeReq(authHeader("", tv1Signed, tv1Sig)), "requires 'Credential'"},
		{"component without =", headerModeReq(authHeader(tv1Cred, tv1Signed, tv1Sig) + ", junk"), msgComponent},
		{"unknown component", headerModeReq(authHeader(tv1Cred, tv1Signed, tv1Sig) + ", Foo=bar"), msgComponent},
		{"trailing comma", headerModeReq(authHeader(tv1Cred, tv1Signed, tv1Sig) + ","), msgComponent},
		{"lowercase component key", headerModeReq("AWS4-HMAC-SHA256 credential=" + tv1Cred + ", SignedHeaders=" + tv1Signed + ", Signature=" + tv1Sig), msgComponent},
		{"duplicate Credential", headerModeReq(authHeader(tv1Cred, tv1Signed, tv1Sig) + ", Credential=" + tv1Cred), "Duplicate"},
		{"credential with 4 parts", headerModeReq(authHeader("AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/sts", tv1Signed, tv1Sig)), msgCredential},
		{"credential without key id", headerModeReq(authHeader("/20261122/us-east-1/sts/aws4_request", tv1Signed, tv1Sig)), msgCredential},
		{"short signature", headerModeReq(authHeader(tv1Cred, tv1Signed, tv1Sig[:63])), msgSignature},
		{"non-hex signature", headerModeReq(authHeader(tv1Cred, tv1Signed, "z"+tv1Sig[1:])), msgSignature},
		{"SignedHeaders without host", headerModeReq(authHeader(tv1Cred, "content-type;x-amz-date", tv1Sig)), msgNoHost},
		{"SignedHeaders uppercase", headerModeReq(authHeader(tv1Cred, "content-type;Host;x-amz-date", tv1Sig)), msgSignedHeaders},
		{"SignedHeaders empty element", headerModeReq(authHeader(tv1Cred, "content-type;;host;x-amz-date", tv1Sig)), msgSignedHeaders},
		{"SignedHeaders trailing ;", headerModeReq(authHeader(tv1Cred, "host;", tv1Sig)), msgSignedHeaders},
		{"SignedHeaders with colon", headerModeReq(authHeader(tv1Cred, "host;x:y", tv1Sig)), msgSignedHeaders},
		{"SignedHeaders with newline", headerModeReq(authHeader(tv1Cred, "host;x\ny", tv1Sig)), msgSignedHeaders},
		{"two Authorization headers", addHeader("Authorization", authHeader(tv1Cred, tv1Signed, tv1Sig)), "Only one Authorization"},
		{"missing X-Amz-Date", delHeader("X-Amz-Date"), msgMissingDate},
		{"X-Amz-Date extended ISO", withHeader("X-Amz-Date", "2026-11-22T12:00:00Z"), msgBadDate},
		{"X-Amz-Date without Z", withHeader("X-Amz-Date", "20261122T120000"), msgBadDate},
		{"X-Amz-Date offset", withHeader("X-Amz-Date", "20261122T120000+0000"), msgBadDate},
		{"X-Amz-Date month 13", withHeader("X-Amz-Date", "20261322T120000Z"), msgBadDate},
		{"X-Amz-Date hour 24", withHeader("X-Amz-Date", "20261122T240000Z"), msgBadDate},
		{"X-Amz-Date IMF-fixdate", withHeader("X-Amz-Date", "Sun, 22 Nov 2026 12:00:00 GMT"), msgBadDate},
		{"two X-Amz-Date", addHeader("X-Amz-Date", "20261122T120000Z"), msgBadDate},
		{"two token headers", func() *Request {
			r := vectors[1].req()
			r.Header.Add("X-Amz-Security-Token", "other")
			return r
		}(), msgTokenTwice},
		{"token in query in header mode", withQuery(vectors[1].req(), "X-Amz-Security-Token=x"), msgTokenTwice},
		{"both modes: header and X-Amz-Signature", withQuery(vectors[0].req(), "X-Amz-Signature="+tv1Sig), msgBothModes},
		{"both modes: header and X-Amz-Credential", withQuery(vectors[0].req(), "X-Amz-Credential=x"), msgBothModes},
		{"both modes: header and X-Amz-Algorithm", withQuery(vectors[0].req(), "X-Amz-Algorithm=AWS4-HMAC-SHA256"), msgBothModes},
		{"both modes: presigned URL and header", queryWithHeader("Authorization", authHeader(tv1Cred, tv1Signed, tv1Sig)), msgBothModes},
		{"streaming payload", withHeader("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), msgStreaming},
		{"streaming unsigned trailer", withHeader("X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"), msgStreaming},
		{"junk content sha256", withHeader("X-Amz-Content-Sha256", "abc"), msgContentSHA256},
		{"two content sha256", func() *Request {
			r := withHeader("X-Amz-Content-Sha256", UnsignedPayload)
			r.Header.Add("X-Amz-Content-Sha256", UnsignedPayload)
			return r
		}(), msgContentSHA256},
		{"bad escape in query", withQuery(vectors[0].req(), "a=%zz"), msgBadQuery},
		{"truncated escape in query", withQuery(vectors[0].req(), "a=%4"), msgBadQuery},

		// Query mode.
		{"query: missing signature", queryModeReq("X-Amz-Signature", "-"), msgQueryMissing},
		{"query: empty signature", queryModeReq("X-Amz-Signature", ""), msgQueryMissing},
		{"query: missing credential", queryModeReq("X-Amz-Credential", "-"), msgQueryMissing},
		{"query: missing algorithm", queryModeReq("X-Amz-Algorithm", "-"), msgQueryMissing},
		{"query: missing date", queryModeReq("X-Amz-Date", "-"), msgQueryMissing},
		{"query: missing signed headers", queryModeReq("X-Amz-SignedHeaders", "-"), msgQueryMissing},
		{"query: wrong algorithm", queryModeReq("X-Amz-Algorithm", "AWS4-HMAC-SHA1"), msgQueryAlgorithm},
		{"query: duplicate signature", withQuery(vectors[3].req(), "X-Amz-Signature="+tv1Sig), "Duplicate"},
		{"query: duplicate token", withQuery(vectors[3].req(), "X-Amz-Security-Token=x"), "Duplicate"},
		{"query: bad signature", queryModeReq("X-Amz-Signature", "xyz"), msgSignature},
		{"query: credential with 3 parts", queryModeReq("X-Amz-Credential", "AKID%2F20261122%2Fus-east-1"), msgCredential},
		{"query: no host signed", queryModeReq("X-Amz-SignedHeaders", "x-k8s-aws-id"), msgNoHost},
		{"query: bad date", queryModeReq("X-Amz-Date", "20261122"), msgBadDate},
		{"query: expires 0", queryModeReq("X-Amz-Expires", "0"), msgExpires},
		{"query: expires 604801", queryModeReq("X-Amz-Expires", "604801"), msgExpires},
		{"query: expires negative", queryModeReq("X-Amz-Expires", "-5"), msgExpires},
		{"query: expires plus sign", queryModeReq("X-Amz-Expires", "%2B5"), msgExpires},
		{"query: expires float", queryModeReq("X-Amz-Expires", "1.5"), msgExpires},
		{"query: expires empty", queryModeReq("X-Amz-Expires", ""), msgExpires},
		{"query: expires huge", queryModeReq("X-Amz-Expires", "99999999999999999999"), msgExpires},
		{"query: token also in header", queryWithHeader("X-Amz-Security-Token", "FQoG/with+slash=and=="), msgTokenTwice},
		{"query: streaming", queryWithHeader("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), msgStreaming},
		{"query: bad escape elsewhere", withQuery(vectors[3].req(), "next=%G0"), msgBadQuery},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := Parse(c.req)
			if a != nil {
				t.Fatalf("Parse returned auth %+v", a)
			}
			e := wantKind(t, err, KindIncomplete)
			if !strings.Contains(e.Message, c.msg) {
				t.Fatalf("message %q does not contain %q", e.Message, c.msg)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	cases := []struct {
		name  string
		req   *Request
		check func(*Auth) bool
	}{
		{"no space after commas", headerModeReq("AWS4-HMAC-SHA256 Credential=" + tv1Cred + ",SignedHeaders=" + tv1Signed + ",Signature=" + tv1Sig), nil},
		{"components in another order", headerModeReq("AWS4-HMAC-SHA256 Signature=" + tv1Sig + ", Credential=" + tv1Cred + ", SignedHeaders=" + tv1Signed), nil},
		{"extra spaces", headerModeReq("  AWS4-HMAC-SHA256   Credential=" + tv1Cred + " ,  SignedHeaders=" + tv1Signed + ",\tSignature=" + tv1Sig + " "), nil},
		{"uppercase hex signature", headerModeReq(authHeader(tv1Cred, tv1Signed, strings.ToUpper(tv1Sig))), nil},
		{"extra scope part is left to CheckScope", headerModeReq(authHeader(tv1Cred+"/x", tv1Signed, tv1Sig)),
			func(a *Auth) bool { return a.Terminator == "aws4_request/x" }},
		{"unsigned payload declared is syntax; Verify refuses it", func() *Request {
			r := vectors[0].req()
			r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
			return r
		}(), nil},
		{"query: expires absent defaults to 15 min", queryModeReq("X-Amz-Expires", "-"),
			func(a *Auth) bool { return a.Expires == DefaultExpires }},
		{"query: expires max", queryModeReq("X-Amz-Expires", "604800"),
			func(a *Auth) bool { return a.Expires == 7*24*time.Hour }},
		{"query: expires 1", queryModeReq("X-Amz-Expires", "1"),
			func(a *Auth) bool { return a.Expires == time.Second }},
		{"query: no token", queryModeReq("X-Amz-Security-Token", "-"),
			func(a *Auth) bool { return a.SecurityToken == "" }},
		{"query: encoded parameter name", func() *Request {
			r := vectors[3].req()
			r.RawQuery = strings.Replace(r.RawQuery, "X-Amz-Signature=", "X%2DAmz-Signature=", 1)
			return r
		}(), func(a *Auth) bool { return a.Signature == vectors[3].signature }},
		{"query: X-Amz-Date header ignored", func() *Request {
			r := vectors[3].req()
			r.Header.Set("X-Amz-Date", "garbage")
			return r
		}(), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := mustParse(t, c.req)
			if c.check != nil && !c.check(a) {
				t.Fatalf("unexpected parse result %+v", a)
			}
		})
	}
}

// Cosmetic variations of the Authorization header must still verify: only its parsed values are signed.
func TestParseVariantsStillVerify(t *testing.T) {
	for _, authz := range []string{
		"AWS4-HMAC-SHA256 Credential=" + tv1Cred + ",SignedHeaders=" + tv1Signed + ",Signature=" + tv1Sig,
		"AWS4-HMAC-SHA256 Signature=" + tv1Sig + ", Credential=" + tv1Cred + ", SignedHeaders=" + tv1Signed,
		authHeader(tv1Cred, tv1Signed, strings.ToUpper(tv1Sig)),
	} {
		req := headerModeReq(authz)
		a := mustParse(t, req)
		if err := a.Verify(req, vectorSecret); err != nil {
			t.Errorf("%q: %v", authz, err)
		}
	}
}

package loadgen

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// The floor's SigV4 check: the work no verifier can skip — the canonical request, its hash, the
// signing-key chain of four HMACs (computed afresh, no cache) and a constant-time compare. It checks
// nothing else (no clock skew, no scope rules): that is Latchkey's business, not the floor's.

type sigv4Request struct {
	keyID, date, scope, signedHeaders, signature, amzDate string
	presigned                                             bool
}

var errBadSignature = errors.New("signature does not match")

// parseSigV4 reads the signature from the Authorization header or, failing that, the query q.
func parseSigV4(r *http.Request, q url.Values) (sigv4Request, error) {
	var s sigv4Request
	var cred string
	if auth := r.Header.Get("Authorization"); auth != "" {
		rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
		if !ok {
			return s, errors.New("not a SigV4 Authorization header")
		}
		for _, part := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				cred = v
			case "SignedHeaders":
				s.signedHeaders = v
			case "Signature":
				s.signature = v
			}
		}
		s.amzDate = r.Header.Get("X-Amz-Date")
	} else {
		cred, s.signedHeaders, s.signature, s.amzDate = q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), q.Get("X-Amz-Date")
		s.presigned = true
	}
	parts := strings.SplitN(cred, "/", 2)
	if len(parts) != 2 || s.signature == "" || s.signedHeaders == "" || len(s.amzDate) < 8 {
		return s, errors.New("incomplete SigV4 signature")
	}
	s.keyID, s.scope, s.date = parts[0], parts[1], s.amzDate[:8]
	return s, nil
}

func awsEscape(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "+", "%20") }

func canonicalQuery(q url.Values, presigned bool) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if !(presigned && k == "X-Amz-Signature") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(awsEscape(k) + "=" + awsEscape(v))
		}
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// verifySigV4 checks s over r, its query q and its body with secret.
func verifySigV4(r *http.Request, q url.Values, body []byte, s sigv4Request, secret string) error {
	var c strings.Builder
	c.WriteString(r.Method + "\n/\n" + canonicalQuery(q, s.presigned) + "\n")
	for _, h := range strings.Split(s.signedHeaders, ";") {
		v := strings.Join(r.Header.Values(h), ",")
		if h == "host" {
			v = r.Host
		}
		c.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	sum := sha256.Sum256(body)
	c.WriteString("\n" + s.signedHeaders + "\n" + hex.EncodeToString(sum[:]))
	creq := sha256.Sum256([]byte(c.String()))
	toSign := "AWS4-HMAC-SHA256\n" + s.amzDate + "\n" + s.scope + "\n" + hex.EncodeToString(creq[:])
	k := hmacSHA256([]byte("AWS4"+secret), s.date)
	scope := strings.Split(s.scope, "/")
	if len(scope) != 4 {
		return errors.New("malformed credential scope")
	}
	for _, p := range scope[1:] {
		k = hmacSHA256(k, p)
	}
	want := hex.EncodeToString(hmacSHA256(k, toSign))
	if !hmac.Equal([]byte(want), []byte(s.signature)) {
		return errBadSignature
	}
	return nil
}

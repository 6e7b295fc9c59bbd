package sigv4

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// checkParseResult holds for every input: Parse fails only with KindIncomplete, a parsed Auth keeps
// the invariants the rest of the package relies on, and nothing downstream panics.
func checkParseResult(t *testing.T, req *Request, a *Auth, err error) {
	t.Helper()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindIncomplete || e.Message == "" {
			t.Fatalf("Parse error %#v", err)
		}
		if a != nil {
			t.Fatal("Parse returned both auth and error")
		}
		return
	}
	if a == nil {
		return
	}
	if a.Mode != ModeHeader && a.Mode != ModeQuery {
		t.Fatalf("mode %v", a.Mode)
	}
	if !slices.Contains(a.SignedHeaders, "host") || len(a.Signature) != 64 || !isHex(a.Signature) ||
		a.AccessKeyID == "" || len(a.AmzDate) != 16 {
		t.Fatalf("invariants broken: %+v", a)
	}
	for _, h := range a.SignedHeaders {
		if h == "" || strings.ContainsAny(h, ":\n\r ;") || strings.ToLower(h) != h {
			t.Fatalf("bad signed header %q", h)
		}
	}
	if a.Mode == ModeQuery && (a.Expires <= 0 || a.Expires > MaxExpires) {
		t.Fatalf("expires %v", a.Expires)
	}
	cr := CanonicalRequest(req, a)
	if n := strings.Count(cr, "\n"); n < 5+len(a.SignedHeaders) {
		t.Fatalf("canonical request has %d lines", n)
	}
	_ = StringToSign(a, cr)
	_ = a.CheckScope("sts", vectorClock)
	// A fuzzed request must never verify against a secret the fuzzer cannot know.
	if err := a.Verify(req, "fuzz-secret-the-input-cannot-know-0123456"); err == nil {
		t.Fatalf("fuzzed request verified: %+v", a)
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add(authHeader(tv1Cred, tv1Signed, tv1Sig))
	f.Add(authHeader(tv1Cred+"/extra", "host", tv1Sig))
	f.Add("AWS4-HMAC-SHA256 Credential=" + tv1Cred + ",SignedHeaders=" + tv1Signed + ",Signature=" + tv1Sig)
	f.Add("AWS4-HMAC-SHA256 Signature=" + tv1Sig + ", Credential=a/b/c/d/e, SignedHeaders=host;x-amz-date")
	f.Add("AWS4-HMAC-SHA256 Credential=" + tv1Cred + ", SignedHeaders=, Signature=")
	f.Add("AWS4-HMAC-SHA256 Credential=////, SignedHeaders=host, Signature=" + tv1Sig)
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e,, SignedHeaders=host, Signature=" + tv1Sig)
	f.Add("AWS4-HMAC-SHA256 ,,,===,")
	f.Add("AWS4-HMAC-SHA256")
	f.Add("AWS4-HMAC-SHA256 ")
	f.Add("AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=")
	f.Add("Bearer eyJhbGciOiJIUzI1NiJ9")
	f.Add("")
	f.Add("\x00\xff\n\r\t")
	f.Add("AWS4-HMAC-SHA256 Credential=" + tv1Cred + ", SignedHeaders=host;x\ny, Signature=" + tv1Sig)
	f.Fuzz(func(t *testing.T, authz string) {
		req := vectors[0].req()
		req.Header.Set("Authorization", authz)
		a, err := Parse(req)
		if a == nil && err == nil {
			t.Fatal("Authorization present but Parse found no auth data")
		}
		checkParseResult(t, req, a, err)
	})
}

func FuzzParseQuery(f *testing.F) {
	f.Add(tv4Query)
	f.Add(vectors[2].req().RawQuery)
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb%2Fc%2Fd%2Fe&X-Amz-Date=20261122T120000Z" +
		"&X-Amz-SignedHeaders=host&X-Amz-Signature=" + tv1Sig)
	f.Add("X-Amz-Signature=&X-Amz-Signature=")
	f.Add("a=%zz&b=%4&c=%")
	f.Add("&&&==&=&a")
	f.Add("k=a+b%20c%2B%7e~%C3%A9\xc3\xa9")
	f.Add("a+b=c+d&a%2Bb=c%2bd&=v&k&k=+")
	f.Add("X%2DAmz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=99999999999")
	f.Fuzz(func(t *testing.T, raw string) {
		req := &Request{Method: "GET", RawPath: "/", RawQuery: raw, Host: "sts.example.test", Header: http.Header{}}
		a, err := Parse(req)
		checkParseResult(t, req, a, err)

		// The canonical query is always in canonical form, and canonicalising twice changes nothing.
		for _, mode := range []Mode{ModeHeader, ModeQuery} {
			var b strings.Builder
			writeCanonicalQuery(&b, raw, mode == ModeQuery)
			cq := b.String()
			for i := 0; i < len(cq); i++ {
				if c := cq[i]; !isUnreserved(c) && c != '%' && c != '=' && c != '&' {
					t.Fatalf("canonical query %q has raw byte %q", cq, c)
				}
			}
			var again strings.Builder
			writeCanonicalQuery(&again, cq, mode == ModeQuery)
			if again.String() != cq {
				t.Fatalf("canonical query not idempotent: %q -> %q", cq, again.String())
			}
			if mode == ModeQuery && strings.Contains("&"+cq, "&X-Amz-Signature=") {
				t.Fatalf("X-Amz-Signature kept in query mode: %q", cq)
			}
		}
		// The signature covers what the codecs read: whenever url.ParseQuery (the codecs' parser)
		// accepts the query, the canonical query encodes exactly the pairs it reads.
		if q, err := url.ParseQuery(raw); err == nil {
			var pairs []string
			for k, vs := range q {
				for _, v := range vs {
					pairs = append(pairs, rfc3986(k)+"="+rfc3986(v))
				}
			}
			slices.SortFunc(pairs, func(x, y string) int {
				xk, xv, _ := strings.Cut(x, "=")
				yk, yv, _ := strings.Cut(y, "=")
				if c := strings.Compare(xk, yk); c != 0 {
					return c
				}
				return strings.Compare(xv, yv)
			})
			var b strings.Builder
			writeCanonicalQuery(&b, raw, false)
			if want := strings.Join(pairs, "&"); b.String() != want {
				t.Fatalf("canonical query %q, but url.ParseQuery reads %q", b.String(), want)
			}
		}
		// The zero-copy fast path agrees with decode-then-encode.
		for piece := range strings.SplitSeq(raw, "&") {
			for part := range strings.SplitSeq(piece, "=") {
				if got, want := canonicalComponent(part), slowCanonicalComponent(part); got != want {
					t.Fatalf("canonicalComponent(%q) = %q, want %q", part, got, want)
				}
			}
		}
	})
}

func slowCanonicalComponent(s string) string {
	dec, _ := unescape(s)
	return rfc3986(dec)
}

// rfc3986 encodes every byte outside the unreserved set as %XX, written independently of the
// package's encoder.
func rfc3986(dec string) string {
	var b strings.Builder
	for i := 0; i < len(dec); i++ {
		if c := dec[i]; isUnreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
		}
	}
	return b.String()
}

package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// EmptySHA256 is hex(SHA-256("")), the payload hash of every bodiless request.
const EmptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

const upperHex = "0123456789ABCDEF"

// CanonicalRequest builds the SigV4 canonical request ("Create a signed AWS API request") for req as described by a.
// The payload hash is always SHA-256 of req.Body: for the services in scope the body is the
// request, so what a client declares in X-Amz-Content-Sha256 never replaces it (Verify refuses a
// declaration that differs from the body).
func CanonicalRequest(req *Request, a *Auth) string {
	var b strings.Builder
	writeCanonicalRequest(&b, req, a, bodySHA256(req.Body))
	return b.String()
}

// StringToSign builds the string to sign from the scope in a. The terminator is written as the
// constant: CheckScope has already required it, and a forged one must not change what is signed.
func StringToSign(a *Auth, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	var b strings.Builder
	b.Grow(len(Algorithm) + len(a.AmzDate) + len(a.Date) + len(a.Region) + len(a.Service) + len(Terminator) + 64 + 8)
	b.WriteString(Algorithm)
	b.WriteByte('\n')
	b.WriteString(a.AmzDate)
	b.WriteByte('\n')
	writeScope(&b, a)
	b.WriteByte('\n')
	var hx [64]byte
	hex.Encode(hx[:], sum[:])
	b.Write(hx[:])
	return b.String()
}

func writeScope(b *strings.Builder, a *Auth) {
	b.WriteString(a.Date)
	b.WriteByte('/')
	b.WriteString(a.Region)
	b.WriteByte('/')
	b.WriteString(a.Service)
	b.WriteByte('/')
	b.WriteString(Terminator)
}

func bodySHA256(body []byte) string {
	if len(body) == 0 {
		return EmptySHA256
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

func writeCanonicalRequest(b *strings.Builder, req *Request, a *Auth, payload string) {
	b.Grow(256 + len(req.RawPath) + len(req.RawQuery))
	b.WriteString(req.Method)
	b.WriteByte('\n')
	writeCanonicalURI(b, req.RawPath)
	b.WriteByte('\n')
	writeCanonicalQuery(b, req.RawQuery, a.Mode == ModeQuery)
	b.WriteByte('\n')
	for _, name := range a.SignedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		if name == "host" {
			// Go servers move Host out of the header map into r.Host.
			writeHeaderValue(b, req.Host)
		} else {
			for i, v := range req.Header.Values(name) {
				if i > 0 {
					b.WriteByte(',')
				}
				writeHeaderValue(b, v)
			}
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	for i, name := range a.SignedHeaders {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(name)
	}
	b.WriteByte('\n')
	b.WriteString(payload)
}

// writeCanonicalURI encodes the already-escaped wire path once more: non-S3 services double-encode,
// so "%2F" on the wire becomes "%252F" here.
func writeCanonicalURI(b *strings.Builder, raw string) {
	if raw == "" {
		b.WriteByte('/')
		return
	}
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if isUnreserved(c) || c == '/' {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		}
	}
}

type queryPair struct{ k, v string }

// writeCanonicalQuery works from the raw query, decoding each name and value exactly as the
// codecs do (application/x-www-form-urlencoded: %XX is a byte, '+' is a space) before re-encoding
// it. The signature must cover the value the server will act on: were '+' signed as a literal plus
// while the codec reads a space, the holder of a presigned URL could turn "a%2Bb" into "a+b" and
// change a parameter without breaking the signature. The SDKs send a space as %20 and a plus as
// %2B, so their URLs canonicalise as before; a client that puts a space on the wire as '+' but
// signs it as %20 is accepted, since both mean the same value.
func writeCanonicalQuery(b *strings.Builder, raw string, dropSignature bool) {
	if raw == "" {
		return
	}
	var stack [16]queryPair
	pairs := stack[:0]
	for raw != "" {
		var piece string
		piece, raw, _ = strings.Cut(raw, "&")
		if piece == "" {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		k, v = canonicalComponent(k), canonicalComponent(v)
		if dropSignature && k == qSignature {
			continue
		}
		pairs = append(pairs, queryPair{k, v})
	}
	slices.SortFunc(pairs, func(x, y queryPair) int {
		if c := strings.Compare(x.k, y.k); c != 0 {
			return c
		}
		return strings.Compare(x.v, y.v)
	})
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
}

// canonicalComponent form-decodes s (%XX is a byte, '+' a space) and re-encodes it with the
// RFC 3986 unreserved set. SDK-produced components are already in that form, so they are returned
// without copying. An invalid escape is kept literally (its '%' becomes %25); Parse rejects such
// queries whenever they carry auth data, so this only keeps CanonicalRequest total.
func canonicalComponent(s string) string {
	if isCanonicalComponent(s) {
		return s
	}
	dec, _ := unescape(s)
	var b strings.Builder
	b.Grow(len(dec) * 3)
	for i := 0; i < len(dec); i++ {
		c := dec[i]
		if isUnreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		}
	}
	return b.String()
}

func isCanonicalComponent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			continue
		}
		if c != '%' || i+2 >= len(s) {
			return false
		}
		h, l := s[i+1], s[i+2]
		if !isUpperHexDigit(h) || !isUpperHexDigit(l) || isUnreserved(byte(unhex(h)<<4|unhex(l))) {
			return false
		}
		i += 2
	}
	return true
}

func isUpperHexDigit(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }

// unescape decodes one query component the way url.ParseQuery does, which is how every codec
// reads the query: %XX is a byte and '+' is a space. ok is false when a '%' is not followed by two
// hex digits, in which case the '%' is kept literally.
func unescape(s string) (string, bool) {
	n := strings.IndexAny(s, "%+")
	if n < 0 {
		return s, true
	}
	ok := true
	buf := make([]byte, 0, len(s))
	buf = append(buf, s[:n]...)
	for i := n; i < len(s); i++ {
		c := s[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 < len(s) && unhex(s[i+1]) >= 0 && unhex(s[i+2]) >= 0 {
				buf = append(buf, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
				i += 2
				continue
			}
			ok = false
		}
		buf = append(buf, c)
	}
	return string(buf), ok
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func isUnreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// writeHeaderValue trims the value and collapses internal runs of spaces and tabs to one space,
// as both SDKs do before signing.
func writeHeaderValue(b *strings.Builder, v string) {
	v = trimOWS(v)
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteByte(c)
	}
}

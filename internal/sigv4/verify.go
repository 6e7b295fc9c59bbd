package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	msgTerminator = "Credential should be scoped with a valid terminator: 'aws4_request'"
	msgService    = "Credential should be scoped to correct service: '"
	msgScopeDate  = "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP"
	// AWS (S3) wording for a declared payload hash that the body does not match.
	msgPayloadHash     = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgUnsignedPayload = "UNSIGNED-PAYLOAD is not accepted by this service: the request body carries the " +
		"operation and its parameters, so sign the hex SHA-256 of the body (or omit x-amz-content-sha256)."
	msgPresignedBody = "A presigned URL signs no request body: send it with an empty body, " +
		"or sign the request in the Authorization header."
	// AWS (S3) wording for x-amz-* headers left out of SignedHeaders.
	msgNotSigned = "There were headers present in the request which were not signed: "
)

// CheckScope runs the checks of the signature that need no secret, in that order. They run
// before the HMAC so that a stale or misdirected request never reaches signature comparison. Any
// region string is accepted (clients sign with whatever region they are configured with).
func (a *Auth) CheckScope(expectedService string, now time.Time) error {
	if a.Terminator != Terminator {
		return scopeRefusal(msgTerminator, "terminator", Terminator, a.Terminator)
	}
	if a.Service != expectedService {
		return scopeRefusal(msgService+expectedService+"'", "service", expectedService, a.Service)
	}
	if len(a.AmzDate) < 8 || a.Date != a.AmzDate[:8] {
		return scopeRefusal(msgScopeDate, "date", a.AmzDate[:min(8, len(a.AmzDate))], a.Date)
	}
	// Whole seconds, like X-Amz-Date, so the bounds in the messages read exactly as compared.
	now = now.UTC().Truncate(time.Second)
	t := a.Time
	switch a.Mode {
	case ModeHeader:
		if t.Before(now.Add(-MaxSkew)) {
			return skewRefusal("Signature expired: "+a.AmzDate+" is now earlier than "+
				now.Add(-MaxSkew).Format(TimeFormat)+" ("+now.Format(TimeFormat)+" - 15 min.)", a, now, now.Add(-MaxSkew), now.Add(MaxSkew), "the allowed skew of 15 minutes")
		}
	case ModeQuery:
		if a.Expires < time.Second || a.Expires > MaxExpires {
			return incomplete(msgExpires)
		}
		if t.Before(now.Add(-a.Expires)) {
			secs := strconv.FormatInt(int64(a.Expires/time.Second), 10)
			return skewRefusal("Signature expired: "+a.AmzDate+" is now earlier than "+
				now.Add(-a.Expires).Format(TimeFormat)+" ("+now.Format(TimeFormat)+" - "+secs+" sec.)", a, now, now.Add(-a.Expires), now.Add(MaxSkew),
				"the presigned URL's X-Amz-Expires of "+secs+" seconds")
		}
	default:
		return incomplete("Unknown signature mode")
	}
	if t.After(now.Add(MaxSkew)) {
		earliest := now.Add(-MaxSkew)
		if a.Mode == ModeQuery {
			earliest = now.Add(-a.Expires)
		}
		return skewRefusal("Signature not yet current: "+a.AmzDate+" is still later than "+
			now.Add(MaxSkew).Format(TimeFormat)+" ("+now.Format(TimeFormat)+" + 15 min.)", a, now, earliest, now.Add(MaxSkew), "the allowed skew of 15 minutes")
	}
	return nil
}

// Verify recomputes the signature with secret and compares it in constant time. Before any HMAC it
// refuses a request whose signature would not cover everything the server reads (checkCoverage).
// The caller must run CheckScope first and must compare SecurityToken with the token issued for
// the access key itself.
func (a *Auth) Verify(req *Request, secret string) error {
	var provided [sha256.Size]byte
	if len(a.Signature) != 2*len(provided) {
		return incomplete(msgSignature)
	}
	if _, err := hex.Decode(provided[:], []byte(a.Signature)); err != nil {
		return incomplete(msgSignature)
	}
	payload, err := a.checkCoverage(req)
	if err != nil {
		return err
	}
	var b strings.Builder
	writeCanonicalRequest(&b, req, a, payload)
	sts := StringToSign(a, b.String())

	mac := hmac.New(sha256.New, defaultKeyCache.get(secret, a.Date, a.Region, a.Service))
	mac.Write([]byte(sts))
	var sum [sha256.Size]byte
	if !hmac.Equal(mac.Sum(sum[:0]), provided[:]) {
		return signatureRefusal(a, b.String(), sts)
	}
	return nil
}

// checkCoverage refuses a request whose signature would leave part of what the server acts on
// unsigned, and returns the payload hash to sign. For STS, IAM, Cognito Identity and QuickSight the
// body is the request (the operation and its parameters), and "Create a signed AWS API request"
// (IAM User Guide) defines HashedPayload as the hash of the body, so:
//   - the payload hash is always computed from the received body. UNSIGNED-PAYLOAD, an S3 option,
//     would let one signature carry any body: a signed GetCallerIdentity could be replayed for the
//     whole skew window as GetSessionToken. A declared hash that differs from the body is refused
//     too, whether or not the header is signed;
//   - a presigned URL carries its parameters in the signed query and has no body (both SDKs sign
//     the empty payload). A body sent with it would be parameters nobody signed, so it is refused
//     instead of being trusted because its hash happens to match;
//   - every x-amz-* header must be signed, as the same page requires. X-Amz-Target selects the
//     operation of an awsJson request: left unsigned, a signed DescribeIdentityPool body could be
//     replayed as DeleteIdentityPool. X-Amz-Security-Token is exempt in the Authorization-header
//     form, where the page allows it to be added after signing; its value is checked against the
//     access key anyway.
func (a *Auth) checkCoverage(req *Request) (string, error) {
	if a.Mode == ModeQuery && len(req.Body) > 0 {
		return "", bodyRefusal(msgPresignedBody)
	}
	payload := bodySHA256(req.Body)
	for _, declared := range req.Header.Values(hdrContentSHA256) {
		if declared == UnsignedPayload {
			return "", payloadRefusal(msgUnsignedPayload, declared, payload)
		}
		if !strings.EqualFold(declared, payload) {
			return "", payloadRefusal(msgPayloadHash, declared, payload)
		}
	}
	if missing := unsignedAmzHeaders(req.Header, a); missing != "" {
		return "", unsignedRefusal(msgNotSigned+missing, missing, a)
	}
	return payload, nil
}

// unsignedAmzHeaders lists, comma-separated and lowercase, the x-amz-* headers of h that a does
// not sign. Header names in h are canonical (X-Amz-…) when they come from net/http, but a Request
// built by hand may hold any case, so the prefix is matched case-insensitively.
func unsignedAmzHeaders(h map[string][]string, a *Auth) string {
	var missing []string
	for name := range h {
		if len(name) < len("x-amz-") || !strings.EqualFold(name[:len("x-amz-")], "x-amz-") {
			continue
		}
		if a.Mode == ModeHeader && strings.EqualFold(name, hdrSecurityToken) {
			continue
		}
		// SignedHeaders are lowercase (Parse insists), so EqualFold matches without allocating.
		if !slices.ContainsFunc(a.SignedHeaders, func(s string) bool { return strings.EqualFold(s, name) }) {
			missing = append(missing, strings.ToLower(name))
		}
	}
	if len(missing) == 0 {
		return ""
	}
	slices.Sort(missing)
	return strings.Join(missing, ", ")
}

// SigningKey derives kSigning = HMAC chain over date, region, service and "aws4_request".
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, Terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// keyCache memoises signing keys. It is keyed by SHA-256 of the secret rather than by access key
// id, so a rotated or changed secret can never be served a key derived from the old one.
type keyCache struct {
	mu  sync.Mutex
	max int
	m   map[keyCacheKey][sha256.Size]byte
}

type keyCacheKey struct {
	secret                [sha256.Size]byte
	date, region, service string
}

// Region and service come from the request; capping their length keeps one cache entry small, so
// the cache stays bounded in bytes and not only in entries.
const maxCachedScopeField = 64

const defaultKeyCacheSize = 1024

var defaultKeyCache = newKeyCache(defaultKeyCacheSize)

func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, m: make(map[keyCacheKey][sha256.Size]byte)}
}

func (c *keyCache) get(secret, date, region, service string) []byte {
	if len(date) > maxCachedScopeField || len(region) > maxCachedScopeField || len(service) > maxCachedScopeField {
		return SigningKey(secret, date, region, service)
	}
	k := keyCacheKey{secret: sha256.Sum256([]byte(secret)), date: date, region: region, service: service}
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return v[:]
	}
	key := SigningKey(secret, date, region, service)
	copy(v[:], key)
	c.mu.Lock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		// Map iteration starts at a random entry, which makes this a cheap random eviction.
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = v
	c.mu.Unlock()
	return key
}

func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

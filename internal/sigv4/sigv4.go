package sigv4

import (
	"net/http"
	"time"
)

// Algorithm is the only signing algorithm accepted; SigV4a (ECDSA) is not used by the services in scope.
const Algorithm = "AWS4-HMAC-SHA256"

// Terminator is the fixed last element of every SigV4 credential scope.
const Terminator = "aws4_request"

// UnsignedPayload is the X-Amz-Content-Sha256 value a client uses to leave the body out of the signature.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// TimeFormat is the ISO-8601 basic format of X-Amz-Date.
const TimeFormat = "20060102T150405Z"

const (
	// MaxSkew is the symmetric clock-skew window AWS applies ("Signature Version 4 for API
	// requests": a request must reach AWS within five minutes of its time stamp; STS is
	// observed to allow 15).
	MaxSkew = 15 * time.Minute
	// MaxExpires is the SigV4 presign maximum: the signing key is only valid for seven days.
	MaxExpires = 7 * 24 * time.Hour
	// DefaultExpires applies when a presigned URL has no X-Amz-Expires. SDK Go v2's
	// PresignGetCallerIdentity omits it, and STS is reported (aws-sdk-go#2167) to treat such URLs
	// as valid for 15 minutes.
	DefaultExpires = 15 * time.Minute
)

// Request is the raw material a verifier needs. It is deliberately not *http.Request: the canonical
// request must be built from the wire form of the path (EscapedPath), from r.Host (Go servers drop
// Host from the header map) and from the body bytes the handler has already read.
type Request struct {
	Method   string
	RawPath  string
	RawQuery string
	Host     string
	Header   http.Header
	Body     []byte
}

// FromHTTP fills a Request the way a server must: escaped wire path, raw query, r.Host, and the
// whole body the caller has already read (the same bytes are then handed to the form/JSON parser).
func FromHTTP(r *http.Request, body []byte) *Request {
	return &Request{
		Method:   r.Method,
		RawPath:  r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery,
		Host:     r.Host,
		Header:   r.Header,
		Body:     body,
	}
}

// Mode says where the signature was found.
type Mode int

const (
	ModeHeader Mode = iota + 1 // Authorization header
	ModeQuery                  // presigned URL (X-Amz-* query parameters)
)

func (m Mode) String() string {
	switch m {
	case ModeHeader:
		return "header"
	case ModeQuery:
		return "query"
	}
	return "unknown"
}

// Auth is the signature data found on a request.
type Auth struct {
	Mode          Mode
	AccessKeyID   string
	Date          string // YYYYMMDD from the credential scope
	Region        string
	Service       string
	Terminator    string        // last scope element(s); CheckScope requires "aws4_request"
	SignedHeaders []string      // lowercase, as given
	Signature     string        // hex, as given
	AmzDate       string        // raw X-Amz-Date value
	Time          time.Time     // parsed X-Amz-Date (UTC)
	Expires       time.Duration // query mode only (X-Amz-Expires, DefaultExpires when absent)
	SecurityToken string        // X-Amz-Security-Token (header or query), decoded; "" if absent
}

// ErrorKind tells the caller which AWS error code family to answer with; the wire code differs per
// protocol (e.g. SignatureDoesNotMatch vs InvalidSignatureException), so it is left to the server.
type ErrorKind int

const (
	KindIncomplete ErrorKind = iota + 1 // malformed auth data -> IncompleteSignature
	KindMismatch                        // HMAC mismatch or bad scope (terminator/service/date) -> SignatureDoesNotMatch
	KindExpired                         // clock skew or expired/not-yet-valid presigned URL
)

func (k ErrorKind) String() string {
	switch k {
	case KindIncomplete:
		return "incomplete"
	case KindMismatch:
		return "mismatch"
	case KindExpired:
		return "expired"
	}
	return "unknown"
}

// Error is returned by Parse, CheckScope and Verify. Message uses AWS's wording where one is known
// and never includes the secret, the computed signature or the signing key.
type Error struct {
	Kind    ErrorKind
	Message string
	// Cause holds the explain.Explanation of the check that failed, for the log and the audit
	// trail; never for the wire.
	Cause error
}

func (e *Error) Error() string { return "sigv4: " + e.Kind.String() + ": " + e.Message }

func (e *Error) Unwrap() error { return e.Cause }

// MismatchMessage is AWS's text for SignatureDoesNotMatch / InvalidSignatureException.
const MismatchMessage = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

func incomplete(msg string) *Error { return &Error{Kind: KindIncomplete, Message: msg} }

package sigv4

import (
	"strconv"
	"strings"
	"time"
)

const (
	hdrAuthorization = "Authorization"
	hdrAmzDate       = "X-Amz-Date"
	hdrSecurityToken = "X-Amz-Security-Token"
	hdrContentSHA256 = "X-Amz-Content-Sha256"

	qAlgorithm     = "X-Amz-Algorithm"
	qCredential    = "X-Amz-Credential"
	qDate          = "X-Amz-Date"
	qExpires       = "X-Amz-Expires"
	qSignedHeaders = "X-Amz-SignedHeaders"
	qSignature     = "X-Amz-Signature"
	qSecurityToken = "X-Amz-Security-Token"
)

// Messages for malformed auth data. Where AWS has a known wording it is reused so that SDK error
// messages look familiar; the others say precisely what to fix.
const (
	msgBothModes = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, " +
		"Signature query string parameter or the Authorization header should be specified"
	msgQueryMissing = "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', " +
		"'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."
	msgQueryAlgorithm  = `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`
	msgHeaderAlgorithm = "Unsupported Authorization header algorithm; only AWS4-HMAC-SHA256 " +
		"signatures are accepted"
	msgComponent      = "Authorization header requires each component to be of the form key=value, separated by commas"
	msgMissingDate    = "Authorization header requires existence of a 'X-Amz-Date' header."
	msgBadDate        = "X-Amz-Date must be in the ISO-8601 basic format YYYYMMDD'T'HHMMSS'Z'"
	msgCredential     = "Credential must have the form <AccessKeyId>/<YYYYMMDD>/<region>/<service>/aws4_request"
	msgNoHost         = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgSignedHeaders  = "SignedHeaders must be a semicolon-separated list of lowercase header names"
	msgSignature      = "Signature must be 64 hexadecimal characters"
	msgExpires        = "X-Amz-Expires must be an integer number of seconds between 1 and 604800"
	msgStreaming      = "Streaming (chunked) payload signatures are not supported by this service"
	msgContentSHA256  = "x-amz-content-sha256 must be the hex SHA-256 of the payload"
	msgBadQuery       = "The query string contains an invalid percent-encoding"
	msgTokenTwice     = "X-Amz-Security-Token must appear exactly once, in the same place as the signature"
	msgDuplicateParam = "Duplicate SigV4 parameter: "
)

// queryAuth collects the SigV4 parameters of a query string.
type queryAuth struct {
	algorithm, credential, date, expires, signedHeaders, signature, token string
	has                                                                   uint8 // bit set per parameter seen
	duplicate                                                             string
	badEscape                                                             bool
}

const (
	bitAlgorithm = 1 << iota
	bitCredential
	bitDate
	bitExpires
	bitSignedHeaders
	bitSignature
	bitToken
)

func scanQuery(raw string) queryAuth {
	var q queryAuth
	for raw != "" {
		var piece string
		piece, raw, _ = strings.Cut(raw, "&")
		if piece == "" {
			continue
		}
		k, v, _ := strings.Cut(piece, "=")
		name, ok := unescape(k)
		if !ok || !validEscapes(v) {
			q.badEscape = true
			continue
		}
		var dst *string
		var bit uint8
		switch name {
		case qAlgorithm:
			dst, bit = &q.algorithm, bitAlgorithm
		case qCredential:
			dst, bit = &q.credential, bitCredential
		case qDate:
			dst, bit = &q.date, bitDate
		case qExpires:
			dst, bit = &q.expires, bitExpires
		case qSignedHeaders:
			dst, bit = &q.signedHeaders, bitSignedHeaders
		case qSignature:
			dst, bit = &q.signature, bitSignature
		case qSecurityToken:
			dst, bit = &q.token, bitToken
		default:
			continue
		}
		if q.has&bit != 0 && q.duplicate == "" {
			q.duplicate = name
		}
		q.has |= bit
		*dst, _ = unescape(v)
	}
	return q
}

// validEscapes reports whether every '%' in s starts a %XX escape, without decoding.
func validEscapes(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0; i = strings.IndexByte(s, '%') {
		if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
			return false
		}
		s = s[i+3:]
	}
	return true
}

// Parse locates SigV4 auth data. It returns (nil, nil) when the request carries none at all (no
// Authorization header and none of X-Amz-Algorithm, X-Amz-Signature, X-Amz-Credential in the
// query), and an *Error of KindIncomplete when auth data is present but malformed.
func Parse(req *Request) (*Auth, error) {
	authz := req.Header.Values(hdrAuthorization)
	q := scanQuery(req.RawQuery)
	inQuery := q.has&(bitAlgorithm|bitSignature|bitCredential) != 0
	if len(authz) == 0 && !inQuery {
		return nil, nil
	}
	if len(authz) > 0 && inQuery {
		return nil, incomplete(msgBothModes)
	}
	// A query that cannot be decoded has no single canonical form, so two different wire requests
	// could share one signature; refuse it rather than guess.
	if q.badEscape {
		return nil, incomplete(msgBadQuery)
	}
	if err := checkContentSHA256(req); err != nil {
		return nil, err
	}
	if len(authz) > 0 {
		return parseHeaderMode(req, authz, &q)
	}
	return parseQueryMode(req, &q)
}

func checkContentSHA256(req *Request) error {
	vs := req.Header.Values(hdrContentSHA256)
	if len(vs) == 0 {
		return nil
	}
	if len(vs) > 1 {
		return incomplete(msgContentSHA256)
	}
	v := vs[0]
	switch {
	case strings.HasPrefix(v, "STREAMING-"):
		return incomplete(msgStreaming)
	case v == UnsignedPayload, len(v) == 64 && isHex(v):
		return nil
	}
	return incomplete(msgContentSHA256)
}

func parseHeaderMode(req *Request, authz []string, q *queryAuth) (*Auth, error) {
	if len(authz) > 1 {
		return nil, incomplete("Only one Authorization header is allowed")
	}
	cred, signed, sig, err := parseAuthorization(authz[0])
	if err != nil {
		return nil, err
	}
	a := &Auth{Mode: ModeHeader, Signature: sig}
	if err := a.setCredential(cred); err != nil {
		return nil, err
	}
	if a.SignedHeaders, err = parseSignedHeaders(signed); err != nil {
		return nil, err
	}
	dates := req.Header.Values(hdrAmzDate)
	if len(dates) == 0 {
		return nil, incomplete(msgMissingDate)
	}
	if len(dates) > 1 {
		return nil, incomplete(msgBadDate)
	}
	if err := a.setDate(dates[0]); err != nil {
		return nil, err
	}
	if q.has&bitToken != 0 {
		return nil, incomplete(msgTokenTwice)
	}
	switch tokens := req.Header.Values(hdrSecurityToken); len(tokens) {
	case 0:
	case 1:
		a.SecurityToken = tokens[0]
	default:
		return nil, incomplete(msgTokenTwice)
	}
	return a, nil
}

// parseAuthorization splits "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
// Both SDKs separate components with ", "; splitting on "," and trimming also accepts clients that
// omit the space.
func parseAuthorization(v string) (cred, signed, sig string, err error) {
	v = trimOWS(v)
	alg, rest, _ := strings.Cut(v, " ")
	if alg != Algorithm {
		return "", "", "", incomplete(msgHeaderAlgorithm)
	}
	var seen uint8
	var comps []string
	if rest = trimOWS(rest); rest != "" {
		comps = strings.Split(rest, ",")
	}
	for _, comp := range comps {
		comp = trimOWS(comp)
		key, value, ok := strings.Cut(comp, "=")
		if !ok {
			return "", "", "", incomplete(msgComponent)
		}
		var dst *string
		var bit uint8
		switch key {
		case "Credential":
			dst, bit = &cred, 1
		case "SignedHeaders":
			dst, bit = &signed, 2
		case "Signature":
			dst, bit = &sig, 4
		default:
			return "", "", "", incomplete(msgComponent)
		}
		if seen&bit != 0 {
			return "", "", "", incomplete("Duplicate '" + key + "' component in Authorization header")
		}
		seen |= bit
		*dst = value
	}
	var missing []string
	if cred == "" {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if sig == "" {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if signed == "" {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if len(missing) > 0 {
		return "", "", "", incomplete(strings.Join(missing, " "))
	}
	if len(sig) != 64 || !isHex(sig) {
		return "", "", "", incomplete(msgSignature)
	}
	return cred, signed, sig, nil
}

func parseQueryMode(req *Request, q *queryAuth) (*Auth, error) {
	if q.duplicate != "" {
		return nil, incomplete(msgDuplicateParam + q.duplicate)
	}
	const required = bitAlgorithm | bitCredential | bitDate | bitSignedHeaders | bitSignature
	if q.has&required != required || q.credential == "" || q.signature == "" || q.signedHeaders == "" {
		return nil, incomplete(msgQueryMissing)
	}
	if q.algorithm != Algorithm {
		return nil, incomplete(msgQueryAlgorithm)
	}
	if len(q.signature) != 64 || !isHex(q.signature) {
		return nil, incomplete(msgSignature)
	}
	a := &Auth{Mode: ModeQuery, Signature: q.signature, SecurityToken: q.token}
	if err := a.setCredential(q.credential); err != nil {
		return nil, err
	}
	var err error
	if a.SignedHeaders, err = parseSignedHeaders(q.signedHeaders); err != nil {
		return nil, err
	}
	if err := a.setDate(q.date); err != nil {
		return nil, err
	}
	a.Expires = DefaultExpires
	if q.has&bitExpires != 0 {
		d, ok := parseExpires(q.expires)
		if !ok {
			return nil, incomplete(msgExpires)
		}
		a.Expires = d
	}
	if len(req.Header.Values(hdrSecurityToken)) > 0 {
		return nil, incomplete(msgTokenTwice)
	}
	return a, nil
}

func parseExpires(s string) (time.Duration, bool) {
	if s == "" || len(s) > 7 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	d := time.Duration(n) * time.Second
	if err != nil || d < time.Second || d > MaxExpires {
		return 0, false
	}
	return d, true
}

// setCredential splits <AKID>/<date>/<region>/<service>/<terminator>. Fewer than five parts is
// malformed (IncompleteSignature); more than five, or a wrong last part, is left in Terminator for
// CheckScope to reject as SignatureDoesNotMatch, which is how AWS classifies it.
func (a *Auth) setCredential(cred string) error {
	parts := strings.SplitN(cred, "/", 5)
	if len(parts) < 5 || parts[0] == "" {
		return incomplete(msgCredential)
	}
	a.AccessKeyID, a.Date, a.Region, a.Service, a.Terminator = parts[0], parts[1], parts[2], parts[3], parts[4]
	return nil
}

func (a *Auth) setDate(v string) error {
	if len(v) != len(TimeFormat) {
		return incomplete(msgBadDate)
	}
	t, err := time.Parse(TimeFormat, v)
	if err != nil {
		return incomplete(msgBadDate)
	}
	a.AmzDate, a.Time = v, t.UTC()
	return nil
}

// parseSignedHeaders keeps the list as given (the client hashed it in that order) but insists on
// token characters only: a name holding ':' or a newline could otherwise forge lines of the
// canonical request.
func parseSignedHeaders(s string) ([]string, error) {
	names := strings.Split(s, ";")
	hasHost := false
	for _, n := range names {
		if n == "" {
			return nil, incomplete(msgSignedHeaders)
		}
		for i := 0; i < len(n); i++ {
			if !isLowerTokenChar(n[i]) {
				return nil, incomplete(msgSignedHeaders)
			}
		}
		if n == "host" {
			hasHost = true
		}
	}
	if !hasHost {
		return nil, incomplete(msgNoHost)
	}
	return names, nil
}

// isLowerTokenChar reports whether c is an RFC 9110 token character other than an uppercase letter.
func isLowerTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if unhex(s[i]) < 0 {
			return false
		}
	}
	return true
}

func trimOWS(s string) string { return strings.Trim(s, " \t") }

package oidc

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Provider is an IAM OIDC provider as the verifier needs it.
type Provider struct {
	// URL is the issuer URL as registered, e.g. "https://token.actions.githubusercontent.com"
	// (http:// only when Options.AllowHTTP). A URL without a scheme is read as https.
	URL string
	// ClientIDs are the accepted audiences. An empty list accepts no token: the IAM model
	// makes the list optional, but a provider with no client ids has nothing to match.
	ClientIDs []string
	// Thumbprints are lowercase hex SHA-1 digests of certificates; optional. They are only
	// consulted when the IdP's certificate chain does not verify against the trusted roots.
	Thumbprints []string
}

// Options configures a Verifier. Zero values take the documented defaults.
type Options struct {
	// RootCAs comes from LATCHKEY_OIDC_CA_FILE; nil means the system roots.
	RootCAs *x509.CertPool
	// AllowHTTP (LATCHKEY_ALLOW_HTTP_ISSUERS) permits http:// issuers and jwks_uri values,
	// and lets fetches reach loopback addresses (127.0.0.0/8, ::1), where test IdPs run.
	AllowHTTP bool
	// AllowedNetworks (LATCHKEY_OIDC_ALLOWED_NETWORKS) are networks fetches may reach besides
	// the globally routable addresses, e.g. the subnet of an internal IdP. Every other
	// special-purpose address (private, loopback, link local, ...) is refused before any
	// connection, for the issuer, the jwks_uri host and every redirect alike.
	AllowedNetworks []netip.Prefix
	// Resolver resolves IdP host names; nil means net.DefaultResolver. The addresses it
	// returns are what is checked and dialed.
	Resolver Resolver
	// Dial opens a TCP connection to an "ip:port" the network policy has already admitted;
	// nil means a net.Dialer. Tests use it to count connections or to map ports.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// FetchTimeout bounds discovery plus JWKS download together. Default 5s.
	FetchTimeout time.Duration
	// MaxDocumentSize bounds the discovery and JWKS bodies. Default 512 KiB.
	MaxDocumentSize int64
	// KeyTTL is how long a fetched key set is trusted. Default 1h.
	KeyTTL time.Duration
	// RefetchInterval is the minimum time between two fetches of one issuer's key set when a
	// token names a kid the cached set lacks. Default 1 minute.
	RefetchInterval time.Duration
	// FailureBackoff is how long a failed fetch is remembered and answered from memory, so an
	// unreachable IdP is not hammered by every incoming request. Default 5s.
	FailureBackoff time.Duration
	// MaxTokenSize is the largest token accepted, in bytes. Default 20000 (the model's maximum
	// for WebIdentityToken).
	MaxTokenSize int
	// MaxIssuers bounds the key-set cache; the least recently used issuer is evicted. Default 1000.
	MaxIssuers int
	// Leeway is the clock skew tolerated for nbf and iat in the future. Default 5 minutes (the
	// skew Cognito documents). exp gets no leeway: AWS reports a token as expired as soon as
	// now >= exp, and its error message states exactly that comparison. A negative value
	// means no leeway at all.
	Leeway time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Local serves the keys of issuers this server runs itself (the test IdP): their tokens
	// are verified in process, without fetching this server over HTTP, whatever AllowHTTP says.
	Local LocalKeySource
	// Metrics records each key-set fetch of an upstream issuer; nil records nothing.
	Metrics FetchRecorder
}

// FetchRecorder records the outcome of one fetch of an issuer's discovery document and JWKS:
// "success", or the failure's class (FetchOutcome).
type FetchRecorder interface {
	IdPFetch(issuer, outcome string, at time.Time)
}

const (
	defaultFetchTimeout    = 5 * time.Second
	defaultMaxDocumentSize = 512 << 10
	defaultKeyTTL          = time.Hour
	defaultRefetchInterval = time.Minute
	defaultFailureBackoff  = 5 * time.Second
	defaultMaxTokenSize    = 20000
	defaultMaxIssuers      = 1000
	defaultLeeway          = 5 * time.Minute

	// maxKeysPerSet bounds the memory one issuer's key set takes; real IdPs publish a handful.
	maxKeysPerSet = 100
	// maxKidCandidates and maxKidlessCandidates bound the signature verifications one token
	// costs, whoever sent it: a P-521 verification takes milliseconds, and the key set is
	// chosen by whoever registered the provider. A token with a kid is tried against at most
	// two compatible keys with that exact kid (RFC 7517 §4.5: kids SHOULD be distinct within
	// a set; two lets a rotation that briefly republishes a kid still verify). A token without
	// a kid is tried against at most the first five compatible keys of the set, in the set's
	// order (docs/security.md).
	maxKidCandidates     = 2
	maxKidlessCandidates = 5
	// minRSABits refuses keys too weak to trust, rather than accepting whatever an IdP serves.
	minRSABits = 2048
)

// AWS error texts (observed unless noted).
const (
	MsgNotJWT            = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
	MsgIncorrectAudience = "Incorrect token audience"
	MsgKeyRetrieval      = "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements"
	msgNoProvider        = "No OpenIDConnect provider found in your account for "
	msgMissingClaim      = "Missing a required claim: "
	// The following wordings are not documented by AWS; they are latchkey's.
	MsgInvalidSignature = "The ID Token signature is invalid"
	// MsgCommunication answers every failed fetch of the discovery document or the JWKS,
	// whatever went wrong: an address the network policy refuses, a closed port, a timeout,
	// an untrusted certificate, an HTTP error status, a document that does not parse. One
	// message for all, so a caller who registered a provider pointing at an internal host
	// cannot learn whether anything listens there; the precise cause goes to the log only.
	MsgCommunication = "Couldn't retrieve verification key from your identity provider: its discovery document and JWKS must be " +
		"served over HTTPS, from a publicly reachable address or a network the operator allowed, answer within seconds and be valid. " +
		"Please retry; if this persists, the server log has the cause"
)

// ErrorKind says which AWS error a verification failure maps to.
type ErrorKind int

const (
	// InvalidToken maps to InvalidIdentityToken.
	InvalidToken ErrorKind = iota + 1
	// Expired maps to ExpiredTokenException.
	Expired
	// Communication maps to IDPCommunicationError, which SDKs retry: every failure to fetch
	// the IdP's discovery document or key set, always with MsgCommunication.
	Communication
)

func (k ErrorKind) String() string {
	switch k {
	case InvalidToken:
		return "InvalidIdentityToken"
	case Expired:
		return "ExpiredTokenException"
	case Communication:
		return "IDPCommunicationError"
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// Error is a verification failure. Message is safe to return to the caller of the API;
// Cause carries the detail for logs and audit events.
type Error struct {
	Kind    ErrorKind
	Message string
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Kind.String() + ": " + e.Message + ": " + e.Cause.Error()
	}
	return e.Kind.String() + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

func invalid(msg string, cause error) *Error {
	return &Error{Kind: InvalidToken, Message: msg, Cause: cause}
}

func notJWT(format string, args ...any) *Error {
	return invalid(MsgNotJWT, fmt.Errorf(format, args...))
}

// Claims are the verified claims of an ID token.
type Claims struct {
	Issuer    string
	Subject   string
	Audience  []string
	AZP       string
	Expiry    time.Time
	NotBefore time.Time // zero when absent
	IssuedAt  time.Time // zero when absent
	AMR       []string
	// Raw holds every claim as decoded with json.Decoder.UseNumber: numbers are json.Number,
	// so large numeric ids survive intact.
	Raw map[string]any
}

// Verifier verifies ID tokens. It is safe for concurrent use.
type Verifier struct {
	opts Options

	// plainClient fetches when no thumbprints apply; sharing it keeps connections warm.
	plainClient *http.Client
	// baseTransport is cloned per fetch when thumbprints apply. Its dialer is the guarded
	// one, and clones keep it.
	baseTransport *http.Transport

	mu      sync.Mutex
	entries map[string]*cacheEntry
	fetches map[string]FetchStatus // by issuer URL: the last fetch (LastFetch)
}

// NewVerifier returns a Verifier with opts' zero fields set to their defaults.
func NewVerifier(opts Options) *Verifier {
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = defaultFetchTimeout
	}
	if opts.MaxDocumentSize <= 0 {
		opts.MaxDocumentSize = defaultMaxDocumentSize
	}
	if opts.KeyTTL <= 0 {
		opts.KeyTTL = defaultKeyTTL
	}
	if opts.RefetchInterval <= 0 {
		opts.RefetchInterval = defaultRefetchInterval
	}
	if opts.FailureBackoff <= 0 {
		opts.FailureBackoff = defaultFailureBackoff
	}
	if opts.MaxTokenSize <= 0 {
		opts.MaxTokenSize = defaultMaxTokenSize
	}
	if opts.MaxIssuers <= 0 {
		opts.MaxIssuers = defaultMaxIssuers
	}
	switch {
	case opts.Leeway == 0:
		opts.Leeway = defaultLeeway
	case opts.Leeway < 0:
		opts.Leeway = 0
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	v := &Verifier{opts: opts, entries: make(map[string]*cacheEntry)}
	guard := newGuardedDialer(newNetPolicy(opts.AllowedNetworks, opts.AllowHTTP), opts.Resolver, opts.Dial)
	t := http.DefaultTransport.(*http.Transport).Clone()
	// No proxy: a proxy resolves and connects by itself, so the address check could only
	// ever see the proxy's address, and the environment would become a way around it.
	t.Proxy = nil
	t.DialContext = guard.DialContext
	t.DialTLSContext = nil
	t.MaxResponseHeaderBytes = 64 << 10
	v.baseTransport = t
	plain := t.Clone()
	plain.TLSClientConfig = tlsConfigWithRoots(plain.TLSClientConfig, opts.RootCAs)
	v.plainClient = v.newClient(plain)
	return v
}

// Verify checks a compact JWS ID token. lookup maps the token's iss, exactly as it appears in
// the token, to a registered provider; nothing is fetched for an issuer lookup does not know.
func (v *Verifier) Verify(ctx context.Context, token string, lookup func(iss string) (Provider, bool)) (_ *Claims, err error) {
	var prov Provider
	defer func() {
		if err != nil {
			err = explained(err, prov)
		}
	}()
	if len(token) > v.opts.MaxTokenSize {
		return nil, notJWT("token is %d bytes, more than %d", len(token), v.opts.MaxTokenSize)
	}
	pt, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	iss, err := stringClaim(pt.claims, "iss")
	if err != nil {
		return nil, err
	}
	if iss == "" {
		return nil, missingClaim("iss")
	}
	prov, ok := lookup(iss)
	if !ok {
		return nil, noProvider(iss)
	}
	base, err := v.issuerBase(iss, prov)
	if err != nil {
		return nil, err
	}
	keys, err := v.keysFor(ctx, iss, base, prov, pt.kid, pt.alg)
	if err != nil {
		return nil, err
	}
	tried, untried := keysToTry(keys, pt.kid)
	verified := false
	for _, k := range tried {
		if verifySignature(k, pt.alg, pt.signingInput, pt.signature) {
			verified = true
			break
		}
	}
	if !verified {
		return nil, badSignature(pt.kid, pt.alg, tried, untried)
	}
	return v.checkClaims(pt.claims, iss, prov)
}

// keysToTry bounds the candidates a token is verified against (maxKidCandidates with a kid,
// maxKidlessCandidates without) and says how many candidates are left untried.
func keysToTry(cands []verificationKey, kid string) (tried []verificationKey, untried int) {
	limit := maxKidlessCandidates
	if kid != "" {
		limit = maxKidCandidates
	}
	if len(cands) <= limit {
		return cands, 0
	}
	return cands[:limit], len(cands) - limit
}

func (v *Verifier) checkClaims(raw map[string]any, iss string, prov Provider) (*Claims, error) {
	now := v.opts.Now()
	c := &Claims{Issuer: iss, Raw: raw}
	var err error
	var ok bool
	if c.Expiry, ok, err = timeClaim(raw, "exp"); err != nil {
		return nil, err
	} else if !ok {
		return nil, missingClaim("exp")
	}
	if !now.Before(c.Expiry) {
		return nil, expiredToken(now, c.Expiry)
	}
	if c.NotBefore, ok, err = timeClaim(raw, "nbf"); err != nil {
		return nil, err
	} else if ok && c.NotBefore.After(now.Add(v.opts.Leeway)) {
		return nil, notYet("nbf", now, c.NotBefore, v.opts.Leeway, fmt.Sprintf("Token is not yet valid: current date/time %d must be at or after the not-before date/time %d",
			now.Unix(), c.NotBefore.Unix()))
	}
	if c.IssuedAt, ok, err = timeClaim(raw, "iat"); err != nil {
		return nil, err
	} else if ok && c.IssuedAt.After(now.Add(v.opts.Leeway)) {
		return nil, notYet("iat", now, c.IssuedAt, v.opts.Leeway, fmt.Sprintf("Token issued in the future: current date/time %d must be at or after the issue date/time %d",
			now.Unix(), c.IssuedAt.Unix()))
	}
	if c.Subject, err = stringClaim(raw, "sub"); err != nil {
		return nil, err
	} else if c.Subject == "" {
		return nil, missingClaim("sub")
	}
	if c.Audience, err = stringsClaim(raw, "aud"); err != nil {
		return nil, err
	} else if len(c.Audience) == 0 {
		return nil, missingClaim("aud")
	}
	if _, present := raw["azp"]; present {
		if c.AZP, err = stringClaim(raw, "azp"); err != nil {
			return nil, err
		}
		// azp names the party the token was issued to; when present it, not aud, must be
		// registered (aws-sdk-net#3071: aud registered, azp not, rejected).
		if !slices.Contains(prov.ClientIDs, c.AZP) {
			return nil, wrongAZP(c.AZP, prov)
		}
	} else if !slices.ContainsFunc(c.Audience, func(a string) bool { return slices.Contains(prov.ClientIDs, a) }) {
		return nil, wrongAudience(c.Audience, prov)
	}
	if c.AMR, err = stringsClaim(raw, "amr"); err != nil {
		return nil, err
	}
	return c, nil
}

type parsedToken struct {
	alg     string
	kid     string // "" when the header has none
	payload []byte
	claims  map[string]any
	// signingInput is what the signature covers (RFC 7515 §5.2: the encoded header, ".", the
	// encoded payload); the claims are decoded from exactly those bytes, so nothing unsigned can
	// reach them.
	signingInput []byte
	signature    []byte
}

var allowedAlgs = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"ES256": true, "ES384": true, "ES512": true,
}

func parseToken(token string) (*parsedToken, error) {
	// RFC 7515 §7.1: the compact serialization is BASE64URL segments joined by '.', with no
	// line breaks, whitespace or other characters. encoding/base64 skips '\r' and '\n' even in
	// Strict mode, so they are refused here, before anything is decoded: one signed token has
	// exactly one accepted spelling.
	if i := strings.IndexFunc(token, notCompactJWS); i >= 0 {
		return nil, notJWT("byte %d of the token is %q, outside the base64url alphabet and '.'", i, token[i])
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		// Five parts is a JWE; anything else is not a token at all.
		return nil, notJWT("token has %d parts, a compact JWS has 3", len(parts))
	}
	if parts[2] == "" {
		return nil, notJWT("token has no signature")
	}
	hdrBytes, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil {
		return nil, notJWT("header: %v", err)
	}
	payload, err := base64.RawURLEncoding.Strict().DecodeString(parts[1])
	if err != nil {
		return nil, notJWT("payload: %v", err)
	}
	signature, err := base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		return nil, notJWT("signature: %v", err)
	}
	hdr, err := decodeObject(hdrBytes)
	if err != nil {
		return nil, notJWT("header: %v", err)
	}
	pt := &parsedToken{payload: payload, signature: signature, signingInput: []byte(token[:len(parts[0])+1+len(parts[1])])}
	if s, ok := hdr["alg"].(string); ok {
		pt.alg = s
	} else {
		return nil, notJWT("header has no string alg")
	}
	if _, isJWE := hdr["enc"]; isJWE {
		return nil, notJWT("header has enc: a JWE, not a JWS")
	}
	if !allowedAlgs[pt.alg] {
		alg := pt.alg
		if len(alg) > 32 {
			alg = alg[:32] + "..."
		}
		return nil, unsupportedAlg(alg)
	}
	// No extension is understood, so a critical one must fail; b64=false would change what
	// the signature covers.
	for _, h := range []string{"crit", "b64"} {
		if _, ok := hdr[h]; ok {
			return nil, notJWT("header parameter %q is not supported", h)
		}
	}
	if k, present := hdr["kid"]; present {
		s, ok := k.(string)
		if !ok {
			return nil, notJWT("header kid is not a string")
		}
		pt.kid = s
	}
	if pt.claims, err = decodeObject(payload); err != nil {
		return nil, notJWT("payload: %v", err)
	}
	return pt, nil
}

// notCompactJWS reports whether r is outside [A-Za-z0-9_.-], the characters of a compact JWS.
func notCompactJWS(r rune) bool {
	switch {
	case 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '-', r == '_', r == '.':
		return false
	}
	return true
}

// decodeObject decodes one JSON object, refusing duplicate member names (two parsers may pick
// different duplicates) and trailing data.
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errors.New("not a JSON object")
	}
	if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0 {
		return nil, errors.New("trailing data after JSON object")
	}
	// The map keeps one of each name: more names in the text than in the map is a duplicate.
	if n := topLevelNames(data); n != len(out) {
		return nil, fmt.Errorf("duplicate member name (%d names, %d distinct)", n, len(out))
	}
	return out, nil
}

// topLevelNames counts the member names of the JSON object data, which must be valid JSON: the
// strings at depth one that open a member (after "{" or ",").
func topLevelNames(data []byte) int {
	n, depth, name := 0, 0, false
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			if depth == 1 && name {
				n++
				name = false
			}
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '{':
			depth++
			name = depth == 1
		case '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			name = depth == 1
		}
	}
	return n
}

func stringClaim(raw map[string]any, name string) (string, error) {
	v, ok := raw[name]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", invalid(MsgNotJWT, fmt.Errorf("claim %s is not a string", name))
	}
	return s, nil
}

// stringsClaim reads a claim that may be a string or an array of strings.
func stringsClaim(raw map[string]any, name string) ([]string, error) {
	switch v := raw[name].(type) {
	case nil:
		if _, present := raw[name]; present {
			return nil, invalid(MsgNotJWT, fmt.Errorf("claim %s is null", name))
		}
		return nil, nil
	case string:
		if v == "" {
			return nil, nil
		}
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, invalid(MsgNotJWT, fmt.Errorf("claim %s has a non-string element", name))
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, invalid(MsgNotJWT, fmt.Errorf("claim %s is neither a string nor an array", name))
	}
}

// maxEpoch keeps times far inside what time.Time and the error messages can print.
const maxEpoch = 1e15

// timeClaim reads a NumericDate. AWS's model asks for integers; RFC 7519 allows fractions,
// which are floored. Strings and other types are refused: "1700000000" is not a date.
func timeClaim(raw map[string]any, name string) (time.Time, bool, error) {
	v, present := raw[name]
	if !present {
		return time.Time{}, false, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false, invalid(MsgNotJWT, fmt.Errorf("claim %s is not a number", name))
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		if i > maxEpoch || i < -maxEpoch {
			return time.Time{}, false, invalid(MsgNotJWT, fmt.Errorf("claim %s is out of range", name))
		}
		return time.Unix(i, 0), true, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f > maxEpoch || f < -maxEpoch {
		return time.Time{}, false, invalid(MsgNotJWT, fmt.Errorf("claim %s is not a usable number", name))
	}
	return time.Unix(int64(math.Floor(f)), 0), true, nil
}

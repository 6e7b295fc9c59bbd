package sts

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/federation/saml"
	"github.com/latchkey/latchkey/internal/store"
)

// SAML attribute names AWS reads (IAM User Guide, "Configure SAML assertions for the
// authentication response").
const (
	samlAttrRole           = "https://aws.amazon.com/SAML/Attributes/Role"
	samlAttrSessionName    = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	samlAttrSessionLength  = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	samlAttrSourceIdentity = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	samlAttrPrincipalTag   = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
	samlAttrTransitiveKeys = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
)

// samlKeyAttributes maps attribute names (OIDs and the common short names) to saml:* condition keys.
var samlKeyAttributes = map[string]string{
	"urn:oid:2.5.4.3":                                                    "saml:cn",
	"urn:oid:2.5.4.42":                                                   "saml:givenName",
	"urn:oid:2.5.4.4":                                                    "saml:surname",
	"urn:oid:0.9.2342.19200300.100.1.3":                                  "saml:mail",
	"urn:oid:0.9.2342.19200300.100.1.1":                                  "saml:uid",
	"urn:oid:2.5.4.45":                                                   "saml:x500UniqueIdentifier",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.1":                                   "saml:edupersonaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.6":                                   "saml:edupersonprincipalname",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.7":                                   "saml:edupersonentitlement",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.9":                                   "saml:edupersonscopedaffiliation",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.10":                                  "saml:edupersontargetedid",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.5":                                   "saml:edupersonprimaryaffiliation",
	"urn:oid:2.16.840.1.113730.3.1.241":                                  "saml:name",
	"urn:oid:1.3.6.1.4.1.5923.1.1.1.3":                                   "saml:edupersonorgdn",
	"urn:oid:1.3.6.1.4.1.5923.1.2.1.2":                                   "saml:eduorghomepageuri",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": "saml:mail",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname":    "saml:givenName",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname":      "saml:surname",
	"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":         "saml:name",
	"http://schemas.xmlsoap.org/claims/CommonName":                       "saml:commonName",
}

var samlSessionName = regexp.MustCompile(`^[a-zA-Z_0-9+=,.@-]{2,64}$`)

var samlProviderARN = regexp.MustCompile(`^arn:aws:iam::([0-9]{12}):saml-provider/([\w._-]{1,128})$`)

// SAMLInput is the AssumeRoleWithSAML request.
type SAMLInput struct {
	RoleARN         string
	PrincipalARN    string
	Assertion       string
	DurationSeconds int
	Session         SessionPolicies
}

// SAMLSession is AssumeRoleWithSAML's answer.
type SAMLSession struct {
	RoleSession
	Subject, SubjectType, Issuer, Audience, NameQualifier string
}

func samlDenied() *awserr.Error {
	return awserr.New("AccessDenied", http.StatusForbidden, "Not authorized to perform sts:AssumeRoleWithSAML")
}

func invalidSAML(format string, args ...any) *awserr.Error {
	return awserr.New("InvalidIdentityToken", http.StatusBadRequest, format, args...)
}

func fromSAML(err error) error {
	var se *saml.Error
	if !errors.As(err, &se) {
		return invalidSAML("Response signature invalid")
	}
	switch se.Kind {
	case saml.Expired:
		return &awserr.Error{Code: "ExpiredTokenException", Message: se.Message, HTTPStatus: http.StatusBadRequest, Cause: se.Cause}
	case saml.AccessDenied:
		d := samlDenied()
		d.Cause = err
		return d
	default:
		return &awserr.Error{Code: "InvalidIdentityToken", Message: se.Message, HTTPStatus: http.StatusBadRequest, Cause: se.Cause}
	}
}

// metadataCache keeps parsed IdP metadata by content, so a 10 MB document is parsed once.
type metadataCache struct {
	mu sync.Mutex
	m  map[[32]byte]*saml.Metadata
}

func (c *metadataCache) get(doc string) (*saml.Metadata, error) {
	key := sha256.Sum256([]byte(doc))
	c.mu.Lock()
	if md, ok := c.m[key]; ok {
		c.mu.Unlock()
		return md, nil
	}
	c.mu.Unlock()
	md, err := saml.ParseMetadata(doc)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 256 {
		c.m = map[[32]byte]*saml.Metadata{}
	}
	c.m[key] = md
	c.mu.Unlock()
	return md, nil
}

// SAMLEndpoints returns the Recipient and Audience values STS accepts: AWS's sign-in endpoints and
// Latchkey's own.
func SAMLEndpoints(region, issuerURL string) (recipients, audiences []string) {
	own := strings.TrimRight(issuerURL, "/") + "/saml"
	recipients = []string{"https://signin.aws.amazon.com/saml", "https://signin.aws.amazon.com/static/saml", own}
	if region != "" {
		recipients = append(recipients, "https://"+region+".signin.aws.amazon.com/saml")
	}
	audiences = []string{"urn:amazon:webservices", "https://signin.aws.amazon.com/saml", own}
	return recipients, audiences
}

// AssumeRoleWithSAML trades a SAML response signed by a registered IdP for a role session.
func (s *Service) AssumeRoleWithSAML(ctx context.Context, in SAMLInput) (SAMLSession, error) {
	account, path, name, ok := ParseRoleARN(in.RoleARN)
	if !ok {
		return SAMLSession{}, validation("Request ARN is invalid")
	}
	pm := samlProviderARN.FindStringSubmatch(in.PrincipalARN)
	if pm == nil || pm[1] != account {
		return SAMLSession{}, invalidSAML("Specified provider doesn't exist.")
	}
	provider, err := s.Providers.GetSAMLProvider(ctx, in.PrincipalARN)
	if errors.Is(err, store.ErrNotFound) {
		return SAMLSession{}, invalidSAML("Specified provider doesn't exist.")
	}
	if err != nil {
		return SAMLSession{}, s.storeErr(err)
	}
	md, err := s.samlMetadata.get(provider.MetadataDocument)
	if err != nil {
		return SAMLSession{}, invalidSAML("The SAML provider's metadata is no longer valid.")
	}
	assertion, err := saml.Verify(in.Assertion, md, saml.Options{Now: s.now, Recipients: s.SAMLRecipients, Audiences: s.SAMLAudiences})
	if err != nil {
		return SAMLSession{}, fromSAML(err)
	}
	attrs := assertion.Attributes
	roles := attrs[samlAttrRole]
	if len(roles) == 0 {
		return SAMLSession{}, invalidSAML("The SAML response does not contain the https://aws.amazon.com/SAML/Attributes/Role attribute.")
	}
	if !rolePairListed(roles, in.RoleARN, in.PrincipalARN) {
		return SAMLSession{}, samlDenied()
	}
	names := attrs[samlAttrSessionName]
	if len(names) == 0 {
		return SAMLSession{}, invalidSAML("RoleSessionName is required in AuthnResponse")
	}
	sessionName := names[0]
	if !samlSessionName.MatchString(sessionName) {
		return SAMLSession{}, invalidSAML("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
	}
	role, err := s.Roles.GetRole(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && role.Path != path) {
		return SAMLSession{}, samlDenied()
	}
	if err != nil {
		return SAMLSession{}, s.storeErr(err)
	}
	maxDuration := 0
	if v := attrs[samlAttrSessionLength]; len(v) > 0 {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil || n < 900 || n > 43200 {
			return SAMLSession{}, invalidSAML("SessionDuration in AuthnResponse must be an integer between 900 and 43200")
		}
		maxDuration = n
	}
	if assertion.SessionNotOnOrAfter != nil {
		left := int(assertion.SessionNotOnOrAfter.Sub(s.now()) / time.Second)
		if left < 1 {
			return SAMLSession{}, awserr.New("ExpiredTokenException", http.StatusBadRequest, "Response has expired")
		}
		if maxDuration == 0 || left < maxDuration {
			maxDuration = left
		}
	}
	var sourceIdentity string
	if v := attrs[samlAttrSourceIdentity]; len(v) > 0 {
		sourceIdentity = v[0]
		if !sourceIdentityRe.MatchString(sourceIdentity) || len(sourceIdentity) < 2 || len(sourceIdentity) > 64 || reservedPrefix.MatchString(sourceIdentity) {
			return SAMLSession{}, invalidSAML("Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"")
		}
	}
	var tags []SessionTag
	for attr, vals := range attrs {
		if key, ok := strings.CutPrefix(attr, samlAttrPrincipalTag); ok && len(vals) > 0 {
			tags = append(tags, SessionTag{Key: key, Value: vals[0]})
		}
	}
	transitive := attrs[samlAttrTransitiveKeys]

	qualifier := saml.NameQualifier(assertion.Issuer, account, provider.Name)
	subType := saml.SubjectType(assertion.SubjectFormat)
	reqCtx := map[string][]string{
		"sts:RoleSessionName":   {sessionName},
		"aws:FederatedProvider": {provider.ARN},
		"saml:aud":              {assertion.Recipient},
		"saml:iss":              {assertion.Issuer},
		"saml:sub":              {assertion.Subject},
		"saml:sub_type":         {subType},
		"saml:namequalifier":    {qualifier},
		"saml:doc":              {account + "/" + provider.Name},
	}
	for attr, vals := range attrs {
		if key, ok := samlKeyAttributes[attr]; ok && len(vals) > 0 {
			reqCtx[key] = vals
		}
	}
	if sourceIdentity != "" {
		reqCtx["sts:SourceIdentity"] = []string{sourceIdentity}
	}
	tagContext(reqCtx, tags, transitive)
	session, err := s.federatedSession(ctx, federatedRequest{
		op: "sts:AssumeRoleWithSAML", role: role, providerARN: provider.ARN, sessionName: sessionName,
		duration: in.DurationSeconds, maxDuration: maxDuration, sessionPolicies: in.Session, tags: tags, transitive: transitive,
		sourceIdentity: sourceIdentity, context: reqCtx, denied: samlDenied,
	})
	if err != nil {
		return SAMLSession{}, err
	}
	return SAMLSession{RoleSession: session, Subject: assertion.Subject, SubjectType: subType, Issuer: assertion.Issuer,
		Audience: assertion.Recipient, NameQualifier: qualifier}, nil
}

// rolePairListed reports whether "<role>,<provider>" (in either order) is among the Role values.
func rolePairListed(values []string, role, provider string) bool {
	for _, v := range values {
		a, b, ok := strings.Cut(v, ",")
		if !ok {
			continue
		}
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		if (a == role && b == provider) || (a == provider && b == role) {
			return true
		}
	}
	return false
}

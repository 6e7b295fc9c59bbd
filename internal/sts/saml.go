package sts

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/federation/saml"
	"github.com/latchkey/latchkey/internal/principal"
	"github.com/latchkey/latchkey/internal/session"
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
	// DryRun verifies and evaluates everything and issues nothing (session.Request.DryRun).
	DryRun bool
}

// SAMLSession is AssumeRoleWithSAML's answer.
type SAMLSession struct {
	RoleSession
	Subject, SubjectType, Issuer, Audience, NameQualifier string
}

const opSAML = "sts:AssumeRoleWithSAML"

func samlDenied() *awserr.Error { return session.FederatedDenied(opSAML) }

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
	ref, ok := session.ParseRoleARN(in.RoleARN)
	account := ref.Account
	if !ok {
		return SAMLSession{}, validation("Request ARN is invalid")
	}
	pm := samlProviderARN.FindStringSubmatch(in.PrincipalARN)
	if pm == nil || pm[1] != account {
		return SAMLSession{}, invalidSAML("Specified provider doesn't exist.")
	}
	provider, err := s.d.Providers.GetSAMLProvider(ctx, in.PrincipalARN)
	if errors.Is(err, store.ErrNotFound) {
		return SAMLSession{}, invalidSAML("Specified provider doesn't exist.")
	}
	if err != nil {
		return SAMLSession{}, awserr.InternalError(err)
	}
	md, err := s.samlMetadata.Parse(provider.MetadataDocument)
	if err != nil {
		return SAMLSession{}, invalidSAML("The SAML provider's metadata is no longer valid.")
	}
	assertion, err := saml.Verify(in.Assertion, md, saml.Options{Now: s.now, Recipients: s.d.SAMLRecipients, Audiences: s.d.SAMLAudiences})
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
	role, found, err := s.d.Sessions.FindRole(ctx, ref)
	if err != nil {
		return SAMLSession{}, err
	}
	if !found {
		return SAMLSession{}, samlDenied()
	}
	maxDuration, err := s.samlMaxDuration(assertion)
	if err != nil {
		return SAMLSession{}, err
	}
	claims, err := samlClaims(assertion, provider, account)
	if err != nil {
		return SAMLSession{}, err
	}
	rs, err := s.federatedSession(ctx, federatedInput{action: opSAML, role: role, sessionName: sessionName,
		duration: in.DurationSeconds, maxDuration: maxDuration, policies: in.Session, dryRun: in.DryRun}, &claims)
	if err != nil {
		return SAMLSession{}, err
	}
	return SAMLSession{RoleSession: rs, Subject: assertion.Subject, SubjectType: claims.Condition["saml:sub_type"][0], Issuer: assertion.Issuer,
		Audience: assertion.Recipient, NameQualifier: claims.Condition["saml:namequalifier"][0]}, nil
}

// samlMaxDuration is the cap the assertion sets on the session: its SessionDuration attribute,
// and the time left before its SessionNotOnOrAfter; 0 when it sets none.
func (s *Service) samlMaxDuration(assertion *saml.Assertion) (int, error) {
	maxDuration := 0
	if v := assertion.Attributes[samlAttrSessionLength]; len(v) > 0 {
		n, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if err != nil || n < 900 || n > 43200 {
			return 0, invalidSAML("SessionDuration in AuthnResponse must be an integer between 900 and 43200")
		}
		maxDuration = n
	}
	if assertion.SessionNotOnOrAfter != nil {
		left := int(assertion.SessionNotOnOrAfter.Sub(s.now()) / time.Second)
		if left < 1 {
			return 0, awserr.New("ExpiredTokenException", http.StatusBadRequest, "Response has expired")
		}
		if maxDuration == 0 || left < maxDuration {
			maxDuration = left
		}
	}
	return maxDuration, nil
}

// samlClaims reads what the session takes from a verified assertion: the saml:* condition
// keys, the principal tags and the source identity.
func samlClaims(assertion *saml.Assertion, provider store.SAMLProvider, account string) (session.Claims, error) {
	attrs := assertion.Attributes
	var sourceIdentity string
	if v := attrs[samlAttrSourceIdentity]; len(v) > 0 {
		sourceIdentity = v[0]
		if !validSourceIdentity(sourceIdentity) {
			return session.Claims{}, invalidSAML("Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"")
		}
	}
	var tags []SessionTag
	for attr, vals := range attrs {
		if key, ok := strings.CutPrefix(attr, samlAttrPrincipalTag); ok && len(vals) > 0 {
			tags = append(tags, SessionTag{Key: key, Value: vals[0]})
		}
	}
	cond := map[string][]string{
		"saml:aud":           {assertion.Recipient},
		"saml:iss":           {assertion.Issuer},
		"saml:sub":           {assertion.Subject},
		"saml:sub_type":      {saml.SubjectType(assertion.SubjectFormat)},
		"saml:namequalifier": {saml.NameQualifier(assertion.Issuer, account, provider.Name)},
		"saml:doc":           {account + "/" + provider.Name},
	}
	for attr, vals := range attrs {
		if key, ok := samlKeyAttributes[attr]; ok && len(vals) > 0 {
			cond[key] = vals
		}
	}
	return session.Claims{
		Identity: session.Identity{ProviderARN: provider.ARN, Kind: principal.SAMLUser},
		Subject:  assertion.Subject, Audience: assertion.Recipient, Condition: cond,
		Tags: tags, TransitiveTagKeys: attrs[samlAttrTransitiveKeys], SourceIdentity: sourceIdentity,
	}, nil
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

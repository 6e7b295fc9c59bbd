package saml

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

const (
	// MaxResponseLength is the model's maximum length of SAMLAssertion (base64 characters).
	MaxResponseLength = 100000

	// DefaultSkew is the clock skew allowed on every time check. AWS does not document its
	// value; 3 minutes is the default of the Shibboleth SP (clockSkew 180 s) and of crewjam/saml
	// (MaxClockSkew), a tolerance IdP operators already live with, and it is short next to the
	// 5-minute redeem window.
	DefaultSkew = 3 * time.Minute

	// DefaultMaxAge is AWS's redeem window: "Token must be redeemed within 5 minutes of
	// issuance" (AWS's AssumeRoleWithSAML error text).
	DefaultMaxAge = 5 * time.Minute

	bearerMethod  = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	statusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"
	entityFormat  = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
)

// Client-facing messages, in AWS's AssumeRoleWithSAML wording where it is known.
const (
	msgSignatureInvalid = "Response signature invalid"
	msgIssuer           = "Issuer not present in specified provider"
	msgAudience         = "Response does not contain the required audience."
	msgExpired          = "Response has expired"
	msgNotAuthorized    = "Not authorized to perform sts:AssumeRoleWithSAML"
	msgRecipient        = "Response does not contain an accepted recipient."
	msgNotYetValid      = "Response is not yet valid"
	msgEncrypted        = "Encrypted SAML assertions are not supported: Latchkey cannot decrypt EncryptedAssertion, EncryptedID or EncryptedAttribute. Configure the identity provider to send a signed, unencrypted assertion."
)

var errNoCertificates = errors.New("the provider metadata has no entity ID or no signing certificate")

// Options are the relying-party settings a response is checked against.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Skew is the clock skew allowed on NotBefore, NotOnOrAfter, SessionNotOnOrAfter and
	// IssueInstant. Zero means DefaultSkew; a negative value means none.
	Skew time.Duration
	// Recipients are the accepted SubjectConfirmationData Recipient (and Response Destination)
	// values, e.g. https://signin.aws.amazon.com/saml and the server's own URL. Empty accepts
	// nothing.
	Recipients []string
	// Audiences are the accepted AudienceRestriction/Audience values, e.g.
	// "urn:amazon:webservices" and "https://signin.aws.amazon.com/saml". Empty accepts nothing.
	Audiences []string
	// MaxAge is the redeem window after the assertion's IssueInstant. Zero or negative means
	// DefaultMaxAge.
	MaxAge time.Duration
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now().UTC()
	}
	return o.Now().UTC()
}

func (o Options) skew() time.Duration {
	switch {
	case o.Skew == 0:
		return DefaultSkew
	case o.Skew < 0:
		return 0
	}
	return o.Skew
}

func (o Options) maxAge() time.Duration {
	if o.MaxAge <= 0 {
		return DefaultMaxAge
	}
	return o.MaxAge
}

// Assertion is the verified content of a SAML response. Every field comes from the element
// goxmldsig verified. The NameQualifier output is not here because it depends on the account
// and the provider's name: see NameQualifier.
type Assertion struct {
	// ID is the assertion's ID, for a replay cache keyed on (Issuer, ID) until NotOnOrAfter.
	ID     string
	Issuer string
	// Subject is the NameID's whole character content, exactly as signed (no trimming):
	// comments inside it are skipped and the text around them joined.
	Subject string
	// SubjectFormat is the NameID Format attribute, "" when absent (SAML's "unspecified").
	SubjectFormat string
	// Recipient is the SubjectConfirmationData Recipient: the saml:aud key and the Audience
	// output of AssumeRoleWithSAML.
	Recipient string
	// Audiences are all AudienceRestriction/Audience values, in document order.
	Audiences []string
	// NotOnOrAfter is the earliest of the Conditions and SubjectConfirmationData NotOnOrAfter.
	NotOnOrAfter time.Time
	// SessionNotOnOrAfter is the earliest AuthnStatement SessionNotOnOrAfter, when any is set;
	// credentials should not outlive it.
	SessionNotOnOrAfter *time.Time
	IssueInstant        time.Time
	// Attributes are keyed by the Attribute Name, exactly (case-sensitive; FriendlyName is
	// ignored because the saml:* keys and the AWS attributes are defined by Name). Values keep
	// document order, across repeated Attribute elements with the same Name. An xsi:nil value
	// is "". A value with child elements (a complex type such as an eduPersonTargetedID NameID)
	// is left out: it has no single string form.
	Attributes map[string][]string
	// OneTimeUse reports a OneTimeUse condition. This package keeps no state; a caller with a
	// replay cache should refuse a second use of ID.
	OneTimeUse bool
	// SignedElement is "Response" or "Assertion": the element whose signature was verified.
	SignedElement string
}

// Verify base64-decodes a SAMLResponse, verifies it against md and opts, and returns the
// assertion. Failures are *Error.
//
// The Response or the Assertion (or both) must be signed by one of md.Certificates. When the
// Response signature verifies, the assertion is taken from the verified Response, whose
// signature covers it; otherwise the Assertion's own signature must verify, and the unsigned
// parts of the Response (Status, Destination, Issuer) are only used to refuse, never to grant.
// InResponseTo is not checked: AWS federation is IdP-initiated and Latchkey keeps no request
// state. Replay within the validity window is the caller's to stop, with Assertion.ID.
func Verify(samlResponseB64 string, md *Metadata, opts Options) (_ *Assertion, err error) {
	defer func() {
		if err != nil {
			err = explained(err)
		}
	}()
	if md == nil || md.EntityID == "" || len(md.Certificates) == 0 {
		return nil, invalid(errNoCertificates, msgSignatureInvalid)
	}
	now := opts.now()
	if len(samlResponseB64) > MaxResponseLength {
		return nil, invalid(nil, "SAMLAssertion must be at most %d characters", MaxResponseLength)
	}
	raw, err := base64.StdEncoding.DecodeString(stripSpace(samlResponseB64))
	if err != nil || len(raw) == 0 {
		return nil, invalid(err, "SAMLAssertion is not valid base64")
	}
	doc, err := parseXML(raw)
	if err != nil {
		return nil, invalid(err, "SAMLAssertion is not a well-formed SAML response")
	}
	root := doc.Root()
	if !is(root, nsProtocol, "Response") {
		return nil, invalid(fmt.Errorf("root element <%s>", root.FullTag()), "SAMLAssertion is not a SAML 2.0 samlp:Response")
	}
	assertionEl, err := checkStructure(root)
	if err != nil {
		return nil, err
	}
	resp, assertion, signed, err := verifySignature(root, assertionEl, md.Certificates, now)
	if se := (*Error)(nil); errors.As(err, &se) && se.Message == msgSignatureInvalid {
		err = badSignature(se.Cause, md.Certificates)
	}
	if err != nil {
		return nil, err
	}
	v := verifier{md: md, opts: opts, now: now, skew: opts.skew()}
	if err := v.checkResponse(resp); err != nil {
		return nil, err
	}
	out, err := v.readAssertion(assertion)
	if err != nil {
		return nil, err
	}
	out.SignedElement = signed
	return out, nil
}

// checkStructure enforces the shape that makes signature wrapping impossible to hide: exactly
// one Assertion in the whole tree (counted by local name, so another namespace or a hiding
// place such as ds:Object or Extensions does not escape the count), as a direct child of the
// Response, no encrypted parts, and unique ID attributes.
func checkStructure(root *etree.Element) (*etree.Element, error) {
	var assertions []*etree.Element
	encrypted := 0
	ids := map[string]bool{}
	dupID := ""
	walk(root, func(el *etree.Element) {
		switch el.Tag {
		case "Assertion":
			assertions = append(assertions, el)
		case "EncryptedAssertion", "EncryptedID", "EncryptedAttribute", "EncryptedData":
			encrypted++
		}
		if id, ok := attr(el, "ID"); ok {
			if ids[id] {
				dupID = id
			}
			ids[id] = true
		}
	})
	switch {
	case encrypted > 0:
		return nil, invalid(nil, msgEncrypted)
	case len(assertions) != 1:
		return nil, invalid(fmt.Errorf("found %d Assertion elements", len(assertions)), "Response must contain exactly one Assertion")
	case assertions[0].Parent() != root || !is(assertions[0], nsAssertion, "Assertion"):
		return nil, invalid(errors.New("the Assertion is not a saml:Assertion child of the Response"), "Response must contain exactly one Assertion")
	case dupID != "":
		return nil, invalid(fmt.Errorf("ID %q appears more than once", dupID), "Response contains duplicate ID attributes")
	}
	return assertions[0], nil
}

// verifySignature returns the verified Response (or, when only the Assertion is signed, the
// unverified one) and the verified Assertion. A Response signature that is present but wrong
// is fatal: falling back to the Assertion's signature would let a tampered envelope through.
func verifySignature(root, assertionEl *etree.Element, certs []*x509.Certificate, now time.Time) (resp, assertion *etree.Element, signed string, _ error) {
	vresp, err := validate(root, certs, now)
	if err == nil {
		as := children(vresp, nsAssertion, "Assertion")
		if len(as) != 1 {
			return nil, nil, "", invalid(fmt.Errorf("the verified Response has %d assertions", len(as)), "Response must contain exactly one Assertion")
		}
		return vresp, as[0], "Response", nil
	}
	if !errors.Is(err, dsig.ErrMissingSignature) {
		return nil, nil, "", invalid(fmt.Errorf("response signature: %w", err), msgSignatureInvalid)
	}
	// goxmldsig canonicalizes a copy of the element it is given; detaching first carries the
	// namespace declarations in scope (usually made on the Response) onto the copy.
	ctx, err := etreeutils.NSBuildParentContext(assertionEl)
	if err != nil {
		return nil, nil, "", invalid(err, msgSignatureInvalid)
	}
	detached, err := etreeutils.NSDetatch(ctx, assertionEl)
	if err != nil {
		return nil, nil, "", invalid(err, msgSignatureInvalid)
	}
	vassertion, err := validate(detached, certs, now)
	if err != nil {
		if errors.Is(err, dsig.ErrMissingSignature) {
			err = errors.New("neither the Response nor the Assertion is signed")
		}
		return nil, nil, "", invalid(fmt.Errorf("assertion signature: %w", err), msgSignatureInvalid)
	}
	return root, vassertion, "Assertion", nil
}

// validate runs goxmldsig once per trusted certificate, so that a signature without KeyInfo
// still verifies while the provider publishes two certificates during a rollover (goxmldsig
// only guesses the certificate when its store holds exactly one).
func validate(el *etree.Element, certs []*x509.Certificate, now time.Time) (*etree.Element, error) {
	var errs []error
	for _, c := range certs {
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{c}})
		vc.Clock = dsig.NewFakeClockAt(now)
		out, err := vc.Validate(el)
		if err == nil {
			return out, nil
		}
		if errors.Is(err, dsig.ErrMissingSignature) {
			// Whether a signature references el does not depend on the certificate.
			return nil, err
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

type verifier struct {
	md   *Metadata
	opts Options
	now  time.Time
	skew time.Duration
}

// checkResponse checks the envelope. Its Status, Destination and Issuer are trusted only when
// the Response itself was signed, and then they can only refuse.
func (v *verifier) checkResponse(resp *etree.Element) error {
	if ver, _ := attr(resp, "Version"); ver != "2.0" {
		return invalid(fmt.Errorf("Response Version %q", ver), "SAMLAssertion is not a SAML 2.0 samlp:Response")
	}
	statuses := children(resp, nsProtocol, "Status")
	if len(statuses) != 1 {
		return invalid(fmt.Errorf("%d Status elements", len(statuses)), "Response status is not Success")
	}
	codes := children(statuses[0], nsProtocol, "StatusCode")
	if len(codes) != 1 {
		return invalid(fmt.Errorf("%d StatusCode elements", len(codes)), "Response status is not Success")
	}
	if code, _ := attr(codes[0], "Value"); code != statusSuccess {
		return invalid(fmt.Errorf("status %q", code), "Response status is not Success")
	}
	if dest, ok := attr(resp, "Destination"); ok && dest != "" && !containsString(v.opts.Recipients, dest) {
		return wrongRecipient("Destination", dest, v.opts.Recipients)
	}
	issuers := children(resp, nsAssertion, "Issuer")
	if len(issuers) > 1 {
		return invalid(errors.New("more than one Response Issuer"), msgIssuer)
	}
	if len(issuers) == 1 {
		if err := v.checkIssuer(issuers[0]); err != nil {
			return err
		}
	}
	return nil
}

func (v *verifier) checkIssuer(el *etree.Element) error {
	text, err := textContent(el)
	if err != nil {
		return invalid(err, msgIssuer)
	}
	if f, ok := attr(el, "Format"); ok && f != entityFormat {
		return invalid(fmt.Errorf("Issuer Format %q", f), msgIssuer)
	}
	if text != v.md.EntityID {
		return wrongIssuer(text, v.md.EntityID)
	}
	return nil
}

// one returns the single saml:local child of el; SAML allows exactly one of these, and a
// second one is an ambiguity a reader could resolve either way.
func one(el *etree.Element, local string) (*etree.Element, error) {
	cs := children(el, nsAssertion, local)
	if len(cs) != 1 {
		return nil, fmt.Errorf("<%s> has %d <%s> elements, want 1", el.Tag, len(cs), local)
	}
	return cs[0], nil
}

func (v *verifier) readAssertion(a *etree.Element) (*Assertion, error) {
	out := &Assertion{Attributes: map[string][]string{}}
	if err := v.readHeader(a, out); err != nil {
		return nil, err
	}
	conds, subject, scd, err := bearerConfirmation(a)
	if err != nil {
		return nil, err
	}
	if err := v.readWindow(a, conds, scd, out); err != nil {
		return nil, err
	}
	if err := v.readConditions(conds, out); err != nil {
		return nil, err
	}
	if err := v.readRecipient(scd, out); err != nil {
		return nil, err
	}
	if err := readNameID(subject, out); err != nil {
		return nil, err
	}
	if err := readAttributes(a, out); err != nil {
		return nil, err
	}
	return out, nil
}

// readHeader reads the assertion's version, ID, IssueInstant and Issuer.
func (v *verifier) readHeader(a *etree.Element, out *Assertion) error {
	if ver, _ := attr(a, "Version"); ver != "2.0" {
		return invalid(fmt.Errorf("Assertion Version %q", ver), "Assertion must be SAML 2.0")
	}
	out.ID, _ = attr(a, "ID")
	if out.ID == "" {
		return invalid(errors.New("Assertion has no ID"), "Assertion has no ID")
	}
	ii, err := timeAttr(a, "IssueInstant")
	if err != nil || ii == nil {
		return invalid(err, "Assertion has no valid IssueInstant")
	}
	out.IssueInstant = *ii
	issuer, err := one(a, "Issuer")
	if err != nil {
		return invalid(err, msgIssuer)
	}
	if err := v.checkIssuer(issuer); err != nil {
		return err
	}
	out.Issuer = v.md.EntityID
	return nil
}

// bearerConfirmation finds the one Conditions element, the one Subject and its one bearer
// SubjectConfirmationData.
func bearerConfirmation(a *etree.Element) (conds, subject, scd *etree.Element, err error) {
	all := children(a, nsAssertion, "Conditions")
	switch len(all) {
	case 0:
		return nil, nil, nil, invalid(errors.New("no Conditions"), msgAudience)
	case 1:
	default:
		return nil, nil, nil, invalid(errors.New("more than one Conditions"), "Assertion must have exactly one Conditions element")
	}
	subjects := children(a, nsAssertion, "Subject")
	if len(subjects) > 1 {
		return nil, nil, nil, invalid(errors.New("more than one Subject"), "Assertion must have exactly one Subject")
	}
	if len(subjects) == 0 {
		return nil, nil, nil, newError(AccessDenied, errors.New("no Subject"), msgNotAuthorized)
	}
	conf, err := one(subjects[0], "SubjectConfirmation")
	if err != nil {
		return nil, nil, nil, invalid(err, "Subject must have exactly one bearer SubjectConfirmation")
	}
	if m, _ := attr(conf, "Method"); m != bearerMethod {
		return nil, nil, nil, invalid(fmt.Errorf("SubjectConfirmation Method %q", m), "Subject must have exactly one bearer SubjectConfirmation")
	}
	scd, err = one(conf, "SubjectConfirmationData")
	if err != nil {
		return nil, nil, nil, invalid(err, "SubjectConfirmation must have SubjectConfirmationData with NotOnOrAfter and Recipient")
	}
	return all[0], subjects[0], scd, nil
}

// readWindow reads and checks the times: the assertion's window, the bearer confirmation's
// window, the session's end and the redeem window since issuance.
func (v *verifier) readWindow(a, conds, scd *etree.Element, out *Assertion) error {
	var notBefore []*time.Time
	var notOnOrAfter *time.Time
	for _, el := range []*etree.Element{conds, scd} {
		nb, err := timeAttr(el, "NotBefore")
		if err != nil {
			return invalid(err, "Assertion has an invalid time")
		}
		noa, err := timeAttr(el, "NotOnOrAfter")
		if err != nil {
			return invalid(err, "Assertion has an invalid time")
		}
		notBefore = append(notBefore, nb)
		notOnOrAfter = earliest(notOnOrAfter, noa)
	}
	if _, ok := attr(scd, "NotOnOrAfter"); !ok {
		return invalid(errors.New("SubjectConfirmationData has no NotOnOrAfter"), "SubjectConfirmation must have SubjectConfirmationData with NotOnOrAfter and Recipient")
	}
	out.NotOnOrAfter = *notOnOrAfter
	statements := children(a, nsAssertion, "AuthnStatement")
	for _, as := range statements {
		s, err := timeAttr(as, "SessionNotOnOrAfter")
		if err != nil {
			return invalid(err, "Assertion has an invalid time")
		}
		out.SessionNotOnOrAfter = earliest(out.SessionNotOnOrAfter, s)
	}
	if len(statements) == 0 {
		// The Web Browser SSO profile (saml-profiles §4.1.4.2) requires one in the bearer
		// assertion; without it nothing says the user authenticated.
		return invalid(errors.New("no AuthnStatement"), "Assertion must contain an AuthnStatement")
	}
	return v.checkTimes(out, notBefore)
}

func (v *verifier) readRecipient(scd *etree.Element, out *Assertion) error {
	recipient, _ := attr(scd, "Recipient")
	if recipient == "" || !containsString(v.opts.Recipients, recipient) {
		return wrongRecipient("Recipient", recipient, v.opts.Recipients)
	}
	out.Recipient = recipient
	return nil
}

// readNameID reads the subject, which must be one plain-text NameID.
func readNameID(subject *etree.Element, out *Assertion) error {
	if len(children(subject, nsAssertion, "BaseID")) > 0 {
		return invalid(errors.New("BaseID subject"), "Subject must be a NameID")
	}
	nameIDs := children(subject, nsAssertion, "NameID")
	if len(nameIDs) > 1 {
		return invalid(errors.New("more than one NameID"), "Subject must have exactly one NameID")
	}
	if len(nameIDs) == 0 {
		return newError(AccessDenied, errors.New("no NameID"), msgNotAuthorized)
	}
	var err error
	out.Subject, err = textContent(nameIDs[0])
	if err != nil {
		return invalid(err, "NameID must be plain text")
	}
	if out.Subject == "" {
		return newError(AccessDenied, errors.New("empty NameID"), msgNotAuthorized)
	}
	out.SubjectFormat, _ = attr(nameIDs[0], "Format")
	return nil
}

func (v *verifier) checkTimes(out *Assertion, notBefore []*time.Time) error {
	now, skew := v.now, v.skew
	if out.IssueInstant.After(now.Add(skew)) {
		return tooEarly("IssueInstant", out.IssueInstant, now, skew, "Response IssueInstant is in the future")
	}
	if !now.Add(-skew).Before(out.NotOnOrAfter) {
		return tooLate("NotOnOrAfter", out.NotOnOrAfter, now, skew, msgExpired)
	}
	if s := out.SessionNotOnOrAfter; s != nil && !now.Add(-skew).Before(*s) {
		return tooLate("SessionNotOnOrAfter", *s, now, skew, msgExpired)
	}
	if maxAge := v.opts.maxAge(); now.Sub(out.IssueInstant) > maxAge+skew {
		// The redeem window ends maxAge after IssueInstant.
		return tooLate("IssueInstant + "+humanDuration(maxAge), out.IssueInstant.Add(maxAge), now, skew,
			"Token must be redeemed within "+humanDuration(maxAge)+" of issuance")
	}
	for _, nb := range notBefore {
		if nb != nil && now.Add(skew).Before(*nb) {
			return tooEarly("NotBefore", *nb, now, skew, msgNotYetValid)
		}
	}
	return nil
}

// readConditions accepts only the conditions it understands, as saml-core §2.5.1.5 requires:
// an unknown condition makes the assertion's validity indeterminate, which is a refusal.
// ProxyRestriction only limits assertions issued on the strength of this one, which Latchkey
// never issues.
func (v *verifier) readConditions(conds *etree.Element, out *Assertion) error {
	restrictions := 0
	for _, c := range conds.ChildElements() {
		switch {
		case is(c, nsAssertion, "AudienceRestriction"):
			restrictions++
			matched := false
			for _, au := range children(c, nsAssertion, "Audience") {
				text, err := textContent(au)
				if err != nil {
					return invalid(err, msgAudience)
				}
				out.Audiences = append(out.Audiences, text)
				matched = matched || containsString(v.opts.Audiences, text)
			}
			// Each AudienceRestriction must be satisfied on its own (saml-core §2.5.1.4).
			if !matched {
				return wrongAudience(out.Audiences, v.opts.Audiences)
			}
		case is(c, nsAssertion, "OneTimeUse"):
			out.OneTimeUse = true
		case is(c, nsAssertion, "ProxyRestriction"):
		default:
			return invalid(fmt.Errorf("condition <%s>", c.FullTag()), "Assertion has an unsupported condition")
		}
	}
	if restrictions == 0 {
		return invalid(errors.New("no AudienceRestriction"), msgAudience)
	}
	return nil
}

func readAttributes(a *etree.Element, out *Assertion) error {
	for _, st := range children(a, nsAssertion, "AttributeStatement") {
		for _, at := range st.ChildElements() {
			if !is(at, nsAssertion, "Attribute") {
				return invalid(fmt.Errorf("<%s> in AttributeStatement", at.FullTag()), "AttributeStatement has an unsupported element")
			}
			name, _ := attr(at, "Name")
			if name == "" {
				return invalid(errors.New("Attribute without Name"), "Attribute must have a Name")
			}
			values := out.Attributes[name]
			if values == nil {
				values = []string{}
			}
			for _, av := range children(at, nsAssertion, "AttributeValue") {
				if n, _ := nsAttr(av, nsXSI, "nil"); n == "true" || n == "1" {
					values = append(values, "")
					continue
				}
				text, err := textContent(av)
				if err != nil {
					continue
				}
				values = append(values, text)
			}
			out.Attributes[name] = values
		}
	}
	return nil
}

// humanDuration renders the redeem window the way AWS words it ("5 minutes").
func humanDuration(d time.Duration) string {
	switch {
	case d%time.Minute == 0 && d == time.Minute:
		return "1 minute"
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return strings.TrimSpace(d.String())
}

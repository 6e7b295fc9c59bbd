package oidc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/explain"
)

// Every refusal carries an explain.Explanation in its Cause, so that whoever maps an *Error to
// an AWS error keeps it by keeping the cause. An explanation holds only claim values, key ids,
// algorithm names, URLs and certificate fingerprints: never the token, its signature or a key.

// checkOrder is the order Verify runs its checks in; a refusal lists the checks before the one
// that failed as passed. nbf and iat are optional and left out of that list.
var checkOrder = []string{"format", "alg", "iss", "kid", "signature", "exp", "sub", "aud"}

// refuse is the *Error of a failed check: the protocol message msg, the detail cause for the
// log, and the explanation of check c.
func refuse(kind ErrorKind, msg string, cause error, c explain.Check, summary string) *Error {
	return &Error{Kind: kind, Message: msg, Cause: explain.Wrap(explanation(kind, c, summary), cause)}
}

func explanation(kind ErrorKind, c explain.Check, summary string) *explain.Explanation {
	outcome := explain.InvalidToken
	if kind == Expired {
		outcome = explain.ExpiredToken
	}
	return &explain.Explanation{Outcome: outcome, Summary: summary, Checks: explain.Failed(checkOrder, c)}
}

// stamp renders a NumericDate for an explanation: RFC 3339 and the epoch seconds the token
// carries.
func stamp(t time.Time) string {
	return fmt.Sprintf("%s (%d)", t.UTC().Format(time.RFC3339), t.Unix())
}

func expiredToken(now, exp time.Time) *Error {
	c := explain.Check{Name: "exp", Expected: []string{"after " + stamp(now)}, Actual: []string{stamp(exp)},
		Detail: "now " + stamp(now) + " must be before exp"}
	return refuse(Expired, fmt.Sprintf("Token expired: current date/time %d must be before the expiration date/time%d", now.Unix(), exp.Unix()), nil, c,
		fmt.Sprintf("the token expired at %s, %s before now (%s); get a fresh token from the identity provider",
			exp.UTC().Format(time.RFC3339), now.Sub(exp).Round(time.Second), now.UTC().Format(time.RFC3339)))
}

// notYet refuses a nbf or iat later than now plus the leeway.
func notYet(claim string, now, at time.Time, leeway time.Duration, msg string) *Error {
	c := explain.Check{Name: claim, Expected: []string{"at or before " + stamp(now.Add(leeway))}, Actual: []string{stamp(at)},
		Detail: fmt.Sprintf("now %s plus the leeway of %s", stamp(now), leeway)}
	return refuse(InvalidToken, msg, nil, c, fmt.Sprintf("the token's %s %s is %s after now (%s), more than the leeway of %s; check the clocks of the identity provider and of Latchkey",
		claim, at.UTC().Format(time.RFC3339), at.Sub(now).Round(time.Second), now.UTC().Format(time.RFC3339), leeway))
}

func wrongAudience(aud []string, prov Provider) *Error {
	c := explain.Check{Name: "aud", Expected: prov.ClientIDs, Actual: aud}
	return refuse(InvalidToken, MsgIncorrectAudience, fmt.Errorf("no aud %q is a registered client id", aud), c,
		fmt.Sprintf("the token's aud %s is not a client id of the OIDC provider %s, which accepts %s; add it to the provider's client ids or request the token for one of them",
			explain.Quote(aud), prov.URL, explain.Quote(prov.ClientIDs)))
}

func wrongAZP(azp string, prov Provider) *Error {
	c := explain.Check{Name: "aud", Expected: prov.ClientIDs, Actual: []string{azp}, Detail: "the token has azp, which must be a client id in place of aud"}
	return refuse(InvalidToken, MsgIncorrectAudience, fmt.Errorf("azp %q is not a registered client id", azp), c,
		fmt.Sprintf("the token's azp %q is not a client id of the OIDC provider %s, which accepts %s; when azp is present it, not aud, must be registered",
			azp, prov.URL, explain.Quote(prov.ClientIDs)))
}

func noProvider(iss string) *Error {
	c := explain.Check{Name: "iss", Actual: []string{iss}, Detail: "no OIDC provider of the role's account is registered for this issuer"}
	return refuse(InvalidToken, msgNoProvider+iss, nil, c,
		fmt.Sprintf("no OIDC provider is registered in the account for the token's iss %q; create one with CreateOpenIDConnectProvider and exactly this URL", iss))
}

// wrongScheme refuses an iss whose scheme differs from the provider's registered URL.
func wrongScheme(iss string, prov Provider) *Error {
	c := explain.Check{Name: "iss", Expected: []string{prov.URL}, Actual: []string{iss}, Detail: "the scheme of iss must be the registered URL's"}
	return refuse(InvalidToken, msgNoProvider+iss, nil, c,
		fmt.Sprintf("the token's iss %q and the OIDC provider's registered URL %q differ in scheme", iss, prov.URL))
}

func missingClaim(name string) *Error {
	c := explain.Check{Name: name, Detail: "the claim is required and absent"}
	return refuse(InvalidToken, msgMissingClaim+name, nil, c, fmt.Sprintf("the token has no %s claim, which AssumeRoleWithWebIdentity requires", name))
}

func unsupportedAlg(alg string) *Error {
	c := explain.Check{Name: "alg", Expected: []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}, Actual: []string{alg}}
	return refuse(InvalidToken, fmt.Sprintf("Unsupported token signing algorithm %q: supported algorithms are RS256, RS384, RS512, ES256, ES384 and ES512", alg), nil, c,
		fmt.Sprintf("the token is signed with %q; configure the identity provider to sign ID tokens with RS256, RS384, RS512, ES256, ES384 or ES512", alg))
}

// unknownKid refuses a token whose kid (or, without a kid, whose alg) no key of the issuer's
// set serves. keys is the set as cached; only the key ids and algorithms are reported.
func unknownKid(iss, kid, alg string, keys []verificationKey) *Error {
	kids := make([]string, 0, len(keys))
	for _, k := range keys {
		kids = append(kids, describeKey(k))
	}
	c := explain.Check{Name: "kid", Expected: kids, Actual: []string{kid}, Detail: "alg " + alg}
	what := fmt.Sprintf("kid %q", kid)
	if kid == "" {
		what = "no kid"
	}
	return refuse(InvalidToken, MsgKeyRetrieval, fmt.Errorf("no %s key with kid %q in the key set of %s", alg, kid, iss), c,
		fmt.Sprintf("the token has %s and alg %s, and no key of %s's key set fits (keys: %s); the identity provider may have rotated its keys or signs with another algorithm",
			what, alg, iss, strings.Join(kids, ", ")))
}

func describeKey(k verificationKey) string {
	kid := k.kid
	if kid == "" {
		kid = "(no kid)"
	}
	alg := k.alg
	if alg == "" {
		alg = "any alg"
	}
	return kid + " [" + keyType(k) + ", " + alg + "]"
}

func keyType(k verificationKey) string {
	for _, alg := range []string{"RS256", "ES256", "ES384", "ES512"} {
		if compatible(verificationKey{key: k.key}, alg) {
			if alg == "RS256" {
				return "RSA"
			}
			return "EC " + alg[2:]
		}
	}
	return "unknown"
}

// badSignature refuses a token whose signature no tried key verifies; untried counts the
// candidate keys beyond the bound Verify tries per token (keysToTry).
func badSignature(kid, alg string, keys []verificationKey, untried int) *Error {
	tried := make([]string, 0, len(keys))
	for _, k := range keys {
		tried = append(tried, describeKey(k))
	}
	c := explain.Check{Name: "signature", Expected: tried, Actual: []string{"kid " + kid + ", alg " + alg},
		Detail: fmt.Sprintf("no key of %d candidates verifies the %s signature", len(keys), alg)}
	summary := fmt.Sprintf("the token's %s signature verifies with no key of the issuer's key set that could have made it (%s); the token was altered or signed by another key",
		alg, strings.Join(tried, ", "))
	if untried > 0 {
		what, limit := "the kid "+strconv.Quote(kid), maxKidCandidates
		if kid == "" {
			what, limit = "no kid", maxKidlessCandidates
		}
		c.Detail += fmt.Sprintf("; %d more candidate keys were not tried", untried)
		summary = fmt.Sprintf("the token's %s signature verifies with none of the %d keys tried (%s); the issuer's key set has %d candidate keys for a token with %s and alg %s, "+
			"more than the %d Latchkey tries per token, and %d were not tried; the identity provider should give each key a distinct kid and sign tokens with it",
			alg, len(keys), strings.Join(tried, ", "), len(keys)+untried, what, alg, limit, untried)
	}
	return refuse(InvalidToken, MsgInvalidSignature, errors.New(c.Detail), c, summary)
}

// explained returns err with an explanation: the ones built at the failing check are kept, and
// the other refusals (a malformed token, an unreachable IdP) get one naming their check. err
// itself is never modified: a fetch failure is shared by every caller that waited on it.
func explained(err error, prov Provider) error {
	var e *Error
	if !errors.As(err, &e) || explain.Of(e.Cause) != nil {
		return err
	}
	var c explain.Check
	var summary string
	var ue *untrustedCertError
	switch {
	case e.Kind == Communication && errors.As(e.Cause, &ue) && ue.seen != nil:
		c = explain.Check{Name: "thumbprint", Expected: prov.Thumbprints, Actual: ue.seen, Detail: ue.err.Error()}
		summary = fmt.Sprintf("the TLS certificate chain of %s is not trusted and %s; register the thumbprint of the certificate that signs the identity provider's chain",
			prov.URL, ue.reason)
	case e.Kind == Communication:
		// The cause stays in the log: what it says about the network is not for the caller.
		c = explain.Check{Name: "keyset", Detail: "the discovery document or the JWKS could not be fetched"}
		summary = "the identity provider's discovery document or key set could not be fetched; the server log has the cause"
	case strings.HasPrefix(e.Message, msgNoProvider):
		// The lookup found the provider, but its registered URL has the other scheme.
		x := wrongScheme(strings.TrimPrefix(e.Message, msgNoProvider), prov)
		return &Error{Kind: e.Kind, Message: e.Message, Cause: x.Cause}
	case e.Message == MsgNotJWT:
		c = explain.Check{Name: "format", Detail: causeText(e.Cause)}
		summary = "the token is not a compact JWS ID token (" + c.Detail + ")"
	default:
		c = explain.Check{Name: "format", Detail: e.Message}
		summary = "the token was refused: " + e.Message
	}
	return &Error{Kind: e.Kind, Message: e.Message, Cause: explain.Wrap(explanation(e.Kind, c, summary), e.Cause)}
}

func causeText(err error) string {
	if err == nil {
		return "malformed"
	}
	return err.Error()
}

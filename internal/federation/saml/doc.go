// Package saml verifies SAML 2.0 responses for AssumeRoleWithSAML and parses the IdP metadata
// documents behind IAM SAML providers. It follows the hardened approach of dex's SAML connector,
// because XML signatures have a long history of bypasses (signature wrapping, comment injection,
// encoding/xml round-trip mutations): the raw document must survive an encoding/xml round trip
// unchanged, it must have exactly one Assertion in the whole tree and no DTD, the signature is
// checked by goxmldsig against the provider's certificates only, and every value that matters
// (issuer, subject, conditions, attributes) is read from the element goxmldsig returns as
// verified, never from the original document. Anything ambiguous or unsupported is refused
// (fail closed), and each refusal is an *Error whose Kind tells the caller which AWS
// error to answer with and whose Cause carries an explain.Explanation: the failed check (Issuer
// and entityID, Audience, Recipient or Destination and the accepted values, a time and now, the
// signature and the provider's certificates, the missing element), never the response itself.
package saml

package saml

import (
	"crypto/sha1"
	"encoding/base64"
	"strings"
)

const nameIDFormatPrefix = "urn:oasis:names:tc:SAML:2.0:nameid-format:"

// NameQualifier is the AssumeRoleWithSAML NameQualifier output and the saml:namequalifier
// condition key: base64(SHA1(issuer + accountID + "/" + providerName)), standard alphabet with
// padding (IAM User Guide, "Configure SAML assertions for the authentication response"). SHA-1 is AWS's choice, used here as an identifier, not for
// security.
func NameQualifier(issuer, accountID, providerName string) string {
	sum := sha1.Sum([]byte(issuer + accountID + "/" + providerName))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// SubjectType is the AssumeRoleWithSAML SubjectType output and the saml:sub_type key: a SAML 2.0
// NameID format without its "urn:oasis:names:tc:SAML:2.0:nameid-format:" prefix ("persistent",
// "transient"); any other format, including the SAML 1.1 ones and "", verbatim.
func SubjectType(format string) string {
	if rest, ok := strings.CutPrefix(format, nameIDFormatPrefix); ok && rest != "" {
		return rest
	}
	return format
}

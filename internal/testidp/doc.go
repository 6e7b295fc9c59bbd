// Package testidp is Latchkey's built-in test identity provider (enabled by LATCHKEY_TEST_IDP):
// named OIDC issuers under <issuer URL>/test-idp/<name> whose tokens follow the documented claims
// of GitHub Actions, GitLab CI and Kubernetes service accounts (or carry claims as given), signed
// with a key ring of their own, and GitHub Actions' runner protocol for requesting such a token
// with a bearer request token. It is a domain package: it never sees HTTP.
package testidp

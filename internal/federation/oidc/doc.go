// Package oidc verifies ID tokens from upstream OpenID Connect identity providers for
// AssumeRoleWithWebIdentity. It accepts compact JWS tokens signed with RS256/384/512 or
// ES256/384/512 only, finds the signing key through the issuer's discovery document and JWKS
// (over TLS trusted through RootCAs or the system roots, with the IAM provider's thumbprints
// as a fallback for private CAs), and checks the claims with AWS's rules and AWS's error texts.
// Key sets are cached per issuer with a TTL and a bounded number of issuers; an unknown kid
// triggers at most one refetch per interval per issuer, and concurrent callers share one fetch,
// so a flood of forged tokens cannot become a flood of requests to the identity provider.
// Everything that cannot be verified is refused. go-oidc is deliberately not used: its remote
// key set refetches on every unknown kid, which is the amplification this package must prevent.
package oidc

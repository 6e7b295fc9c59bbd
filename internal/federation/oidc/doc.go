// Package oidc verifies ID tokens from upstream OpenID Connect identity providers for
// AssumeRoleWithWebIdentity. It accepts compact JWS tokens (exactly base64url segments and dots,
// RFC 7515 §7.1: a line break or space anywhere is refused) signed with RS256/384/512 or
// ES256/384/512 only, finds the signing key through the issuer's discovery document and JWKS
// (over TLS trusted through RootCAs or the system roots, with the IAM provider's thumbprints
// as a fallback for private CAs), and checks the claims with AWS's rules and AWS's error texts.
// Whoever may create an IAM OIDC provider chooses what Latchkey fetches, so every connection
// goes through a dialer that resolves the host itself and connects only to globally routable
// addresses or to networks the operator allowed (never through a proxy), for the issuer, the
// jwks_uri host and every redirect; every failed fetch answers the same IDPCommunicationError,
// with the cause for the log only. Key sets are cached per issuer with a TTL and a bounded
// number of issuers; an unknown kid refetches the set at once unless an unknown-kid refetch
// of that issuer already ran within the interval, and concurrent callers share one fetch, so
// a rotated key is seen by its first token while a flood of forged tokens cannot become a
// flood of requests to the identity provider. A token is verified against at most two keys with
// its kid, or, without a kid, the first five compatible keys of the set, so a forged token costs
// a few signature verifications whatever key set its issuer publishes. Issuers this server runs itself (the test IdP)
// are not fetched: Options.Local serves their keys in process. Each fetch's outcome, classed by
// FetchOutcome, goes to Options.Metrics, and the last fetch of each issuer (time, outcome, key ids
// published, error text) is kept for display (Verifier.LastFetch). Everything that cannot be
// verified is refused, and every refusal carries an explain.Explanation in its Cause: the check that failed
// with the values compared (aud and the client ids, iss and the registered URL, exp/nbf/iat and
// now, the kid and the key set's kids, the alg, the certificate thumbprints seen and registered),
// never the token or its signature.
// go-oidc is deliberately not used: its remote key set refetches on every unknown kid, which
// is the amplification this package must prevent.
package oidc

// Package sigv4 verifies AWS Signature Version 4 on the server side, for requests signed in the
// Authorization header and for presigned URLs (query mode), following "Create a signed AWS API
// request" and "Authenticating requests: using query parameters" (AWS documentation). It is
// hand-written because no server-side verifier exists in the AWS SDKs or the standard library: the
// SDK signer cannot be reused to check a request, since it chooses its own header set (it signs
// every header it sees, adds content-length, hoists X-Amz-* into the query when presigning), while a
// verifier must rebuild the canonical request from exactly the SignedHeaders the client declared and
// from the bytes that arrived on the wire. Verification is split into Parse (syntax), CheckScope
// (checks that need no secret and must run before any HMAC, so stale or misdirected requests cannot
// be used as a signature oracle) and Verify (the constant-time HMAC comparison). Before the HMAC,
// Verify also refuses any request whose signature would not cover everything the server reads: the
// payload hash is always that of the received body (no UNSIGNED-PAYLOAD), a presigned URL carries no
// body, every x-amz-* header is signed (X-Amz-Security-Token aside in the Authorization-header
// form, which may add it after signing), and the query is canonicalised with the same form decoding
// ('+' is a space) the codecs use, so one signed query string has exactly one meaning. Each
// refusal of CheckScope and Verify carries an explain.Explanation in its Cause naming the failed
// check and its values; a signature mismatch shows the canonical request (session token
// redacted) and the string to sign, as AWS's SignatureDoesNotMatch does, never the secret, the
// signing key or the expected signature.
package sigv4

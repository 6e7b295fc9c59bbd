// Package authn turns a SigV4-signed request into a principal: it checks the signature's scope and
// clock before touching any key material, resolves the access key (long-term keys through a small
// bounded cache in front of the store, whose Invalidate also drops a lookup in flight, so a key
// deactivated through this node is refused by the next request), verifies the HMAC in constant
// time and records key use.
// Failures carry a Kind, which each protocol family maps to its own error codes, and an
// explain.Explanation in their Cause (the failed check and its values; never a secret, session
// token or signature). VerifySecret checks a key id and its secret given directly (the console's
// sign-in) with the same key lookup and a constant-time comparison.
package authn

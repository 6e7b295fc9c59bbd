// Package authn turns a SigV4-signed request into a principal: it checks the signature's scope and
// clock before touching any key material, resolves the access key (long-term keys through a small
// bounded cache in front of the store), verifies the HMAC in constant time and records key use.
// Failures carry a Kind; each protocol family maps kinds to its own error codes.
package authn

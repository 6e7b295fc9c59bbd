// Package token mints and opens Latchkey's self-contained credentials. A session token is a
// versioned blob sealed with AES-256-GCM under a key of the session-token key ring (key id in the
// clear), carrying the access key id, the secret and the whole principal record, so any node can
// verify a request signed with temporary credentials without a database read.
package token

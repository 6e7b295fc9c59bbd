// Package keys owns Latchkey's secrets at rest: the master key that seals every stored secret with
// AES-256-GCM, the check that a store is opened with the key it was written with, and the
// token-sealing and signing key rings with their rotation.
package keys

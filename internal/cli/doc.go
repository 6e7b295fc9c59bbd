// Package cli defines the latchkey command line: serve, migrate, accounts, keys, idp (the
// test identity provider's tokens, read from the store's key rings), explain and decisions
// (recent refusals, read from the store all nodes share) and version. Each
// command reads the same configuration (YAML file, then LATCHKEY_* environment, then flags).
package cli

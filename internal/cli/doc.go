// Package cli defines the latchkey command line: serve (with the EC2 instance metadata listener
// when LATCHKEY_IMDS_ADDR is set), migrate, accounts, keys, idp (the
// test identity provider's tokens, read from the store's key rings), explain and decisions
// (recent refusals, read from the store all nodes share), workloads (bindings of the container
// credentials endpoint), credentials (a credential_process that calls Latchkey's STS through the
// AWS SDK's own configuration) and version. Every command but credentials reads the same
// configuration (YAML file, then LATCHKEY_* environment, then flags).
package cli

// Package cli defines the latchkey command line: serve (with the EC2 instance metadata listener
// when LATCHKEY_IMDS_ADDR is set), migrate, accounts, keys, idp (the
// test identity provider's tokens, read from the store's key rings), explain and decisions
// (recent refusals and credentials issued, read from the store all nodes share), workloads (bindings of the container
// credentials endpoint), credentials (a credential_process that calls Latchkey's STS through the
// AWS SDK's own configuration) and version (the module version and VCS revision of the build
// info; also --version). serve binds its listeners before it opens the store, so a taken port
// fails a start before anything is written, and warns when the issuer URL would be a wildcard
// address. Only serve and migrate create a store: the commands that use one (accounts, keys, idp,
// explain, decisions, workloads) open it with app.OpenExistingStore and refuse, creating
// nothing, where the data dir holds no Latchkey data. Every command but credentials reads the same
// configuration (YAML file, then LATCHKEY_* environment, then flags).
package cli

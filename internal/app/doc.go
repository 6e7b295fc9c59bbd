// Package app assembles a Latchkey node from its configuration: it opens the store, proves the
// master key, makes sure the default account and its root credentials exist, binds the trust
// policies of roles stored without principal ids to the principals they name
// (iam.Service.BindStoredPrincipals), and wires the services and operation tables into the HTTP
// server; with LATCHKEY_TEST_IDP it builds the test identity provider and hands it to the OIDC
// verifier (its tokens verify in process), IAM (its http URLs are the server's own) and the server;
// it gives the server the asynchronous decision recorder (App.Decisions) and, through the audit
// logger, the asynchronous issuance recorder (both bounded by LATCHKEY_DECISIONS_MAX and _MAX_AGE;
// Close writes the refusals and issuances still queued before the store closes), and the admin
// API's routes and the browser console (/console), which read refusals through the decision
// recorder so that this node's own refusals are visible at once; with LATCHKEY_IMDS_ADDR it builds the
// EC2 instance metadata handler (App.IMDS) that serve runs on its own listener. It creates the
// node's Prometheus registry and hands internal/metrics to the store, the OIDC verifier, the policy
// caches and the key rings.
// New does all of it before the node serves, and a start that fails leaves the data directory as
// it was: every file destination (the audit log) is opened before the store is, a master key is
// generated (master.key written) only once the store is open and holds no data, a store with data
// but no key is refused (ErrMasterKeyMissing), and whatever a failed start created (data dir,
// database file, master.key, root-credentials, audit log) is removed — except that a generated
// master.key and root-credentials are kept (and logged) when the store outlives the failure
// (PostgreSQL, an existing SQLite file), as the store may already hold what they unlock. A missing
// root-credentials file is not rewritten; the log says how to set new root credentials. The CLI and the integration tests both start
// Latchkey through it, so tests exercise the same wiring users run.
package app

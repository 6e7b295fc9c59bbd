// Package store declares Latchkey's persistence contract: the records it keeps (accounts, users,
// access keys, and later roles, policies, providers, key rings, identity pools) and the sentinel
// errors every backend returns. Invariants such as one access key id globally or one user name per
// account are enforced by the database, not by in-process locks, so several nodes can share one
// PostgreSQL. The embedded SQLite backend and the PostgreSQL backend live in sqlstore and both pass
// the conformance suite in storetest.
package store

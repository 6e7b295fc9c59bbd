// Package store declares Latchkey's persistence contract: the records it keeps (accounts, users,
// access keys, groups and their members, roles, instance profiles, policies, MFA devices, identity
// providers, key rings, identity pools and identities, QuickSight users, recent refusals and
// credentials issued, account aliases and account-wide settings) and the sentinel errors every backend returns. Invariants such
// as one access key id globally or one user name per account are enforced by the database, not by
// in-process locks, so several nodes can share one PostgreSQL. The embedded SQLite backend and the
// PostgreSQL backend live in sqlstore and both pass the conformance suite in storetest; cachedstore wraps a
// store with the bounded caches of the credential paths.
//
// # Updaters
//
// Every Update… method of the contract is one read-modify-write of one entity, run in one write
// transaction, so that concurrent updates (on one node or on several nodes sharing the database)
// never overwrite each other:
//
//  1. the backend reads the current row, holding the write lock for it (SQLite's BEGIN IMMEDIATE;
//     a serializable PostgreSQL transaction that reads the row FOR UPDATE),
//  2. calls fn with a pointer to a fresh copy of it,
//  3. checks that fn changed none of the fields the method documents as fixed, writes the others
//     back and commits, and returns the entity as stored.
//
// fn may return an error to abort: nothing is written and the method returns that error as it is
// (so an AWS error or a quota violation reaches the service unchanged). A missing row is
// ErrNotFound, and fn is not called. A transaction that loses a race is run again from the read,
// so fn may be called several times, each time with the then current row: fn must depend only on
// its argument and on values captured before the call, and must not do I/O or anything else that
// has to happen once. A quota that depends on the row (tags per resource, client ids per
// provider) is therefore checked inside fn, where two concurrent additions cannot both pass it.
// Changing a fixed field is a programming error: nothing is written and a plain error (matching
// no sentinel) is returned.
package store

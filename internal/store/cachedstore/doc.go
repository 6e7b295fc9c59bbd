// Package cachedstore serves the store reads of the credential hot paths (roles, OpenID Connect
// providers, identity pools, identities, and the logins linked to identities) from bounded caches,
// so that a request that mints credentials reads nothing from the database while its entities are
// warm.
//
// New wraps a store.Store. The wrapper itself answers those reads from the caches; Direct is a view
// of the same wrapper whose reads all go to the database. Every write of either view deletes the
// entries it may change before it returns, so a change made through a node applies on that node at
// once; that includes a create, since another node may have deleted an entity this node still
// caches under the same key. TestEveryCachedEntityWriterInvalidates keeps a table of every
// store.Store method and fails when a write of a cached entity is not overridden. Roles are cached
// by account and lower-cased name, as IAM matches them. A change made through another node is seen
// within TTL (5 s by default, the bound of docs/deployment.md "How stale a node can be"): an entry
// is never answered longer than TTL after the read that built it began. Only successful reads are
// cached: an entity that does not exist is looked up again on every request, so one created
// anywhere is found at once.
//
// Nothing decided inside a writing transaction reads through the caches: uniqueness, quotas,
// identity creation and the preconditions of links and merges are checked by the database. The
// cached values are shared between callers, which must not modify them (their slices and maps
// included).
package cachedstore

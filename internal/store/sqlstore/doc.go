// Package sqlstore implements store.Store on SQL databases with one schema and one set of queries:
// SQLite through the pure-Go modernc driver is the embedded default, and PostgreSQL through pgx's
// database/sql driver is the shared store of multi-node deployments. The SQL stays in the subset
// both accept, which PostgreSQL-wire distributed databases accept too: application-chosen text
// ids, integers for times, base64 text for bytes, uniqueness and ownership as constraints rather
// than locks, and every write as a transaction (SERIALIZABLE on PostgreSQL) retried when it loses a
// race or loses its connection before COMMIT; reads are retried when their connection fails.
// Migrations are embedded and applied by goose when the store is opened — on PostgreSQL under a
// lease row in a table, not an advisory lock — so a binary always runs against the schema it was
// built for. Every operation on PostgreSQL is bounded in time, so a database that is down or
// unreachable turns into store.ErrUnavailable rather than a hung request. OpenWith takes an Observer
// that sees each read and write with its latency and error kind (the metrics).
// On SQLite, concurrent CreateIdentity calls share one transaction and one fsync (group commit),
// each answered only after the commit that holds it, and one that fails (rolled back to a
// savepoint) does not fail the others; the statements of the hot paths are prepared once.
package sqlstore

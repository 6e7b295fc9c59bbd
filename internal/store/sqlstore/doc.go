// Package sqlstore implements store.Store on SQL databases with one schema and one set of queries:
// SQLite through the pure-Go modernc driver is the embedded default, and PostgreSQL (with the
// PostgreSQL-wire distributed databases) is meant to slot in as a second dialect. The SQL therefore
// stays in the subset both accept: application-chosen text ids, integers for times, base64 text for
// bytes, uniqueness and ownership as constraints rather than locks, and multi-row changes as
// transactions retried when they lose a race. Migrations are embedded and applied by goose when the
// store is opened, so a binary always runs against the schema it was built for.
package sqlstore

// Package app assembles a Latchkey node from its configuration: it opens the store, proves the
// master key, makes sure the default account and its root credentials exist, and wires the
// services and operation tables into the HTTP server. The CLI and the integration tests both
// start Latchkey through it, so tests exercise the same wiring users run.
package app

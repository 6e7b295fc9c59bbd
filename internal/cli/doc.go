// Package cli defines the latchkey command line: serve, migrate, accounts and version. Each
// command reads the same configuration (YAML file, then LATCHKEY_* environment, then flags).
package cli

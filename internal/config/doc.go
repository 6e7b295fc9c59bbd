// Package config builds Latchkey's typed configuration from, in rising precedence, an optional YAML
// file, LATCHKEY_* environment variables and command-line flags, and validates it before anything
// starts, so a bad setting is a clear start-up error rather than a surprise at the first request.
package config

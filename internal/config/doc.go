// Package config builds Latchkey's typed configuration from, in rising precedence, an optional YAML
// file, LATCHKEY_* environment variables and command-line flags, and validates it before anything
// starts, so a bad setting is a clear start-up error rather than a surprise at the first request.
//
// Every setting is one row of the settings table (settings.go), which also generates the README's
// configuration table and `latchkey serve --help`. Load and Validate report every problem at once,
// each named as the user wrote it (YAML key with file and line, variable, or flag); an unknown YAML
// key gets the closest valid key.
package config

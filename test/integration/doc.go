// Package integration drives an in-process Latchkey on a loopback port with the real AWS SDK for
// Go v2 clients, so every test goes through the same codecs, SigV4 verification and store that
// users hit.
package integration

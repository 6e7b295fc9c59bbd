// Package loadgen is the load tool behind cmd/latchkey-load: in one run on one machine it starts
// Latchkey (`latchkey serve`, re-executed as a child process) and a hello-world "floor" server (another
// child doing only the unavoidable work of each operation: HTTP, parsing, the operation's crypto and a
// response of the same size), prepares the operations through the AWS SDK for Go v2 against a loopback
// OIDC identity provider it serves itself, drives each operation from concurrent raw net/http clients,
// and reports requests per second, latency percentiles and each child's CPU per request (from
// /proc/<pid>/stat) as a ratio to the floor. A soak (Config.Soak) instead drives every operation at
// once against Latchkey alone for a long time, samples its resident set (/proc/<pid>/status) and the
// cumulative counts (requests, sessions issued, identities created, errors), and judges whether the
// resident set stayed flat after warm-up. docs/performance.md says how to run it and what each figure
// means.
package loadgen

// Package cache is the one bounded, concurrency-safe memo Latchkey keeps derived values in (parsed
// policies, principals' loaded policies, parsed IdP metadata): a size bound so that no input can
// grow memory without limit, and an optional age bound so that a value read from the store is
// not used longer than the documented staleness allows. It counts its hits and misses (Stats) for
// the metrics.
package cache

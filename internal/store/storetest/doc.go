// Package storetest is the conformance suite every store.Store backend runs, so that services see
// the same behaviour, errors and outcomes of races whichever database is underneath. Backends call
// Run from their own tests with a function that opens a fresh, empty store. The suite checks
// observable behaviour only, including the outcome of concurrent writers, so it holds a backend to
// its invariants without prescribing how the database enforces them.
package storetest

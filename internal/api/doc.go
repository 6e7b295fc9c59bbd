// Package api holds what the per-service operation tables share: the call a decoded request
// becomes, and the adapter that binds the validated value tree to a typed input struct, runs the
// domain service and turns its typed output back into a value tree for the codec. The tables see
// the services' domain types only: no package under api imports the store (boundary_test.go).
package api

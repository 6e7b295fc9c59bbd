// Package server is Latchkey's HTTP front: one listener that recognises the protocol of each request
// (awsQuery for STS and IAM, awsJson1.1 for Cognito Identity, restJson1 for QuickSight, plus health
// and metrics), bounds the body, authenticates, decodes and validates with the model, dispatches to
// the operation table and renders the answer or the error in the protocol's own envelope. It also
// publishes Latchkey's issuer documents and, when enabled, the test IdP's routes (testidp.go).
package server

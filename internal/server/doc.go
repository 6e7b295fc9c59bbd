// Package server is Latchkey's HTTP front: one listener that recognises the protocol of each request
// (awsQuery for STS and IAM, awsJson1.1 for Cognito Identity, restJson1 for QuickSight, plus health
// and metrics), bounds the body, authenticates, decodes and validates with the model, dispatches to
// the operation table and renders the answer or the error in the protocol's own envelope. It also
// publishes Latchkey's issuer documents and, when enabled, the test IdP's routes (testidp.go).
// A refusal that carries an explanation is recorded in the shared decision store (queued, written
// off the request path by audit.DecisionRecorder) and its audit event (decisions.go); a refusal of a decision kind without one (a signature, credential, token
// or policy refusal, never a validation error) is recorded with what its code means. Latchkey's own admin API lives under /latchkey/v1/ (admin.go): SigV4 with
// signing name "latchkey", each route authorized by the IAM engine with its action and resource,
// JSON answers and {"code","message"} errors; a new endpoint is one AdminRoute. Its routes are the
// decisions (decisions.go), the credentials issued (issuances.go) and, when the test IdP is on, minting its tokens (testidp_admin.go).
// Every API request gets one line in the request log at info (requestlog.go: request id, service,
// operation, principal ARN, code, status, latency, and a refusal's cause and summary); only
// Latchkey's own faults (5xx) are logged at error, with their cause. metrics.go counts requests and,
// for the credential-issuing operations, credentials issued and refusals by reason. The browser
// console (internal/console) is mounted at /console on the same port when Deps.Console is set.
package server

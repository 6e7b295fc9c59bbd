// Package audit writes one event per credential issued or refused, as JSON lines in the shape of a
// CloudTrail record (eventVersion, userIdentity, eventSource, eventName, requestParameters,
// responseElements, errorCode, errorMessage …), so tools that read CloudTrail read Latchkey's log;
// a refusal's explanation goes in additionalEventData.latchkeyExplanation. It also records, off the
// request path, every explained refusal (DecisionRecorder) and every credential issued
// (IssuanceRecorder) in the store all nodes share: one batcher each, a bounded queue that never
// blocks (a full queue drops the record and counts it), one goroutine writing batches in one
// transaction at least every 200 ms, and Close writing what is queued; both are pruned by age and
// count. The node's own readers of refusals (the admin API, the console) read through the
// DecisionRecorder, which flushes its queue first, so a refusal is visible at once on the node that
// refused it; other nodes and the CLI see it within the flush interval. Secrets never reach the
// store: sensitive members are dropped, and explanations are redacted (explain.Redact) before they
// are queued — values of secret condition keys, and values shaped like tokens, assertions or
// signatures.
package audit

// Package audit writes one event per credential issued or refused, as JSON lines in the shape of a
// CloudTrail record (eventVersion, userIdentity, eventSource, eventName, requestParameters,
// responseElements, errorCode, errorMessage …), so tools that read CloudTrail read Latchkey's log;
// a refusal's explanation goes in additionalEventData.latchkeyExplanation. It also records explained
// refusals in the store all nodes share (DecisionRecorder), and, off the request path, every
// credential issued (IssuanceRecorder: a bounded queue that drops and counts when full, batches
// written in one transaction, the rest written on Close), both pruned by age and count. Secrets never
// reach either: sensitive members are dropped, and values of secret condition keys or shaped like
// tokens, assertions or signatures are redacted from explanations (RedactExplanation).
package audit

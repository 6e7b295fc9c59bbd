// Package audit writes one event per credential issued or refused, as JSON lines in the shape of a
// CloudTrail record (eventVersion, userIdentity, eventSource, eventName, requestParameters,
// responseElements, errorCode, errorMessage …), so tools that read CloudTrail read Latchkey's log.
// Secrets never reach it: sensitive members are dropped before an event is written.
package audit

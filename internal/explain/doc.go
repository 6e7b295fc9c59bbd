// Package explain is the one shape of "why was this refused": an outcome, a summary a person can
// act on, and the evidence that decided — the policies consulted with their statements and
// conditions, or the checks a token, assertion or signature failed, with the values compared.
// Deciders (the policy evaluator, the token and assertion verifiers, SigV4) build it only when
// they refuse, and attach it to the error they return; Of finds it again anywhere in an error
// chain. What reaches a caller, the log, the audit trail or the decision store is chosen by the
// server; values that are secrets never enter an explanation.
package explain

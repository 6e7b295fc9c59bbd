// Package policy parses, validates and evaluates IAM policy documents the way AWS does: the JSON
// grammar with AWS's MalformedPolicyDocument messages for each kind of document (identity,
// managed, trust and other resource policies), Action/Resource/Principal matching, every condition
// operator with IfExists, Null and the ForAnyValue/ForAllValues set qualifiers, policy variables,
// and the combination of identity policies, permissions boundaries, session policies and
// resource-based policies into one decision, in which a role trust policy is a gate that must
// itself allow the caller. It is pure: no I/O and no mutable package state, so a
// parsed Policy can be cached and shared between goroutines. Wherever a document or a request
// cannot be evaluated with certainty (an unknown operator, a value that does not parse as its
// operator's type) the engine fails closed: such an Allow never applies and such a Deny always does.
// A refusal explains itself only when asked (Input.Explain re-walks the policies; ParseError.Explain
// says where a refused document breaks which rule), so the allowed path pays nothing for it.
package policy

// Package quicksight is the QuickSight domain service Latchkey needs for identity-enhanced
// sessions: namespaces ("default" always exists), the user registry (users registered from IAM
// users and roles, and QuickSight-native users) and GetIdentityContext, which signs a short-lived
// identity context with Latchkey's issuer. The package owns that context's claim format and its
// verification (ContextVerifier), which STS AssumeRole uses for ProvidedContexts; each refusal of a
// context carries an explain.Explanation naming the failed check and its values. Every operation
// is authorized by IAM policy (quicksight:<Op> on the user or namespace ARN); the service never
// sees HTTP. It takes and answers its own types (User, Namespace, Tag), and codes only the errors
// of the QuickSight model: a refusal by policy or a store failure is returned by kind
// (awserr.Denied, awserr.Internal with the store's error as cause) for the server to answer in
// the protocol's words.
package quicksight

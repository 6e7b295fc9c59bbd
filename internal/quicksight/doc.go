// Package quicksight is the QuickSight domain service Latchkey needs for identity-enhanced
// sessions: namespaces ("default" always exists), the user registry (users registered from IAM
// users and roles, and QuickSight-native users) and GetIdentityContext, which signs a short-lived
// identity context with Latchkey's issuer that STS AssumeRole accepts in ProvidedContexts. Every
// operation is authorized by IAM policy (quicksight:<Op> on the user or namespace ARN); the
// service never sees HTTP.
package quicksight

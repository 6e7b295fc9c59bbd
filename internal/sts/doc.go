// Package sts is the STS domain service: who the caller is (GetCallerIdentity, GetAccessKeyInfo),
// and the front doors of every operation that mints temporary credentials — AssumeRole (with
// role chaining, session tags, source identity and QuickSight ProvidedContexts),
// AssumeRoleWithWebIdentity (upstream OIDC issuers, and Cognito identity tokens routed to the
// Cognito service's verifier), AssumeRoleWithSAML, GetSessionToken, GetFederationToken,
// AssumeRoot — plus GetWebIdentityToken and DecodeAuthorizationMessage. STS verifies the caller
// (token, assertion, MFA facts, provided contexts through the QuickSight verifier), reads the
// role and hands the request to the session package, which applies the caps and the trust gate,
// builds the principal and seals it; STS re-implements none of those steps. It imports neither
// cognito nor quicksight: it declares the interfaces it needs (CognitoTokens, ContextVerifier),
// which the application wires. It never sees HTTP. AssumeRoleWithWebIdentity and AssumeRoleWithSAML
// take a DryRun flag that verifies and evaluates everything and issues nothing.
package sts

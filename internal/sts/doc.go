// Package sts is the STS domain service: who the caller is (GetCallerIdentity, GetAccessKeyInfo),
// and every operation that mints temporary credentials — AssumeRole (with role chaining, session
// tags, source identity and QuickSight ProvidedContexts), AssumeRoleWithWebIdentity (upstream OIDC
// issuers and Cognito identity tokens), AssumeRoleWithSAML, GetSessionToken, GetFederationToken,
// AssumeRoot — plus GetWebIdentityToken and DecodeAuthorizationMessage. Every AssumeRole* call
// passes the role's trust policy, bound to the unique ids of the principals it names, as a gate
// that the caller's own policies cannot open; it never sees HTTP.
package sts

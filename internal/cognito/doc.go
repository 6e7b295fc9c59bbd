// Package cognito is the Cognito Identity domain service: identity pools, identities and their
// linked logins, the OpenID tokens of the basic (classic) flow and their verification when a
// caller gives one to STS AssumeRoleWithWebIdentity (ClassicFlow), the enhanced flow's role
// resolution and credentials (minted by the session package, under the same cross-account rule
// as the classic flow), principal tags and developer-authenticated identities. It verifies every
// login it is given (OIDC issuers and Cognito user pools through the federation verifier, SAML
// providers through the SAML verifier), authorizes every signed operation by policy, and never
// sees HTTP. It answers in its own types (IdentityPool, UserPoolProvider, …), never in store
// rows, and codes only the errors of the Cognito Identity model: a refusal by policy or a store
// failure is returned by kind (awserr.Denied, awserr.Internal with the store's error as cause)
// for the server to answer in the protocol's words. A refused login or Cognito token carries an
// explain.Explanation in its cause (explain.go), or keeps the one its verifier or the policy
// evaluator attached. The unsigned credential operations read pools,
// identities, logins and providers through Deps.Reads (the caches, in a server); signed operations
// read the store itself.
package cognito

// Package cognitoapi is the Cognito Identity operation table: it binds each of the model's 23
// operations to the cognito domain service, turning the wire shapes (IdentityPool, RoleMapping,
// Credentials with SecretKey, …) into the service's types and back.
package cognitoapi

// Package workloads delivers role sessions to workloads the way AWS delivers them: the container
// credentials endpoint (the ECS convention the AWS SDKs implement through
// AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN). A binding names a
// role and holds the SHA-256 digest of a random authorization token; a caller presenting the
// token gets a session of the role, minted by internal/session as the service principal
// ecs-tasks.amazonaws.com with aws:SourceAccount set to the binding's account, so the role's
// trust policy decides like any other. The package never sees HTTP.
package workloads

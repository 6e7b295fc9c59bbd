// Package iamapi is the IAM operation table: it binds each awsQuery operation's validated input to
// the IAM domain service and shapes the service's answer into the model's output members.
package iamapi

// Package stsapi is the STS operation table: it binds each awsQuery operation's validated input
// to the STS domain service and shapes the answer into the model's output members.
package stsapi

// Package sts is the STS domain service. This first part answers who the caller is
// (GetCallerIdentity) and which account owns an access key (GetAccessKeyInfo); the credential
// operations arrive with the session-token issue.
package sts

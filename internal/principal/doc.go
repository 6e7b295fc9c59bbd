// Package principal describes who made a request, after authentication: the record STS, IAM and
// the policy engine read. It is a leaf package so domain services can accept a
// caller without depending on how the caller was authenticated.
package principal

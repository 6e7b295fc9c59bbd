// Package iam is the IAM domain service: users, access keys and (in later issues) roles, policies
// and identity providers. It enforces AWS's semantic rules — quotas, reserved tag keys, delete
// conflicts, who may act on which key — and authorizes every call; it never sees HTTP.
package iam

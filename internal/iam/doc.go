// Package iam is the IAM domain service: users, groups and their members, access keys, roles and
// their trust policies, instance profiles, inline and managed policies with versions, attachments
// and permissions boundaries, MFA devices, OIDC and SAML providers, outbound federation, the policy
// simulator, and the account-level calls (account alias, password policy, STS preferences, the
// organization's centralized root access features, the account's authorization details and
// summary) and service-linked roles, which only their
// service may assume and no account may modify beyond their description. It enforces AWS's
// semantic rules — quotas, reserved tag keys, delete conflicts, principals that must exist and are
// bound to their unique ids when a trust policy is saved — applies every read-modify-write as one
// store updater, authorizes every call, and never sees HTTP. It answers with its own entities
// (types.go), never the store's rows, and with AWS errors that carry a kind: its own model's codes,
// and for a failed store the cause, which the server's catalog codes per protocol family.
package iam

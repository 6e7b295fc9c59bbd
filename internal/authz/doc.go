// Package authz decides whether an authenticated principal may perform an action on a resource:
// it loads the principal's identity policies, permissions boundary and session policies (through a
// content-keyed cache of parsed documents), builds the request's condition context, asks the policy
// evaluator, and phrases refusals exactly as AWS does.
package authz

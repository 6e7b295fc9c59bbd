// Package authz decides whether an authenticated principal may perform an action on a resource and
// phrases refusals exactly as AWS does. Today Latchkey has no identity policies yet (they arrive with
// the policy engine), so the decision is the one AWS makes for principals without policies: the
// account root may do everything in its own account, and every other principal is denied.
package authz

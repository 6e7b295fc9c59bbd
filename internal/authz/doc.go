// Package authz decides whether an authenticated principal may perform an action on a resource:
// it loads the principal's identity policies (an IAM user's include those of its groups), permissions boundary and session policies (through a
// content-keyed cache of parsed documents), builds the request's condition context, asks the policy
// evaluator with the kind of resource policy it holds (a role's trust policy, bound to the unique
// ids its principals had when it was saved, is a gate), and phrases refusals exactly as AWS does.
package authz

-- The unique ids a role's trust policy is bound to (IAM User Guide, "AWS JSON policy elements:
-- Principal": "When you save the policy, AWS transforms the ARN to a unique principal ID").
--
-- principal_bindings is a JSON array of {"Principal": <the principal as the document writes it>,
-- "ID": <AIDA… or AROA…>} written in the same statement as assume_role_policy_document, so the
-- two can never be seen apart. NULL means the bindings were never written: every role stored
-- before this migration, and any role a node of an older version creates while a deployment is
-- being upgraded. Such roles trust no named user, role or session until IAM binds them, which
-- every node does at start (iam.Service.BindStoredPrincipals), one transaction per role.
--
-- A column of roles rather than a table of its own: the bindings are read on every AssumeRole
-- with the role row, and one row cannot be half written.

-- +goose Up
ALTER TABLE roles ADD COLUMN principal_bindings TEXT;

-- +goose Down
ALTER TABLE roles DROP COLUMN principal_bindings;

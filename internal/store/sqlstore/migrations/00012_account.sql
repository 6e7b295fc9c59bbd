-- Account aliases and account-wide IAM settings. The conventions of 00001 hold: application-chosen
-- TEXT ids, BIGINT Unix nanoseconds, JSON TEXT for structured values, NOT NULL on every primary
-- key column.
--
-- An account has at most one alias (its primary key) and an alias belongs to at most one account
-- across the whole deployment (the unique constraint), as AWS account aliases are unique across
-- all accounts of a partition (IAM User Guide, "Your AWS account ID and its alias"); two accounts
-- racing for one alias are decided by the constraint.

-- +goose Up
CREATE TABLE account_aliases (
    account_id TEXT   NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE NO ACTION,
    alias      TEXT   NOT NULL,
    CONSTRAINT account_aliases_alias_key UNIQUE (alias)
);

-- One row per account that ever changed a setting. password_policy is a JSON object, NULL while
-- the account has no password policy; organization_features is a JSON array of the centralized
-- root access features of the organization the account manages.
CREATE TABLE account_settings (
    account_id                    TEXT NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE NO ACTION,
    password_policy               TEXT,
    global_endpoint_token_version TEXT NOT NULL DEFAULT '',
    organization_features         TEXT NOT NULL DEFAULT '[]'
);

-- The deletion tasks of DeleteServiceLinkedRole. Latchkey deletes the role in the transaction that
-- records the task, so a recorded task has succeeded; GetServiceLinkedRoleDeletionStatus reads it.
CREATE TABLE role_deletion_tasks (
    task_id    TEXT   NOT NULL PRIMARY KEY,
    account_id TEXT   NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION,
    created_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE role_deletion_tasks;
DROP TABLE account_settings;
DROP TABLE account_aliases;

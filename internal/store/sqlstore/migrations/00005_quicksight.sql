-- QuickSight namespaces and users. The conventions of 00001 hold: application-chosen TEXT ids,
-- BIGINT Unix nanoseconds, NOT NULL on every primary key column, tags as a JSON array in TEXT.
--
-- The "default" namespace of every account is implicit (the service answers for it), so users do
-- not reference quicksight_namespaces; the store deletes a custom namespace's users in the same
-- transaction as the namespace. A user name and a principal id are each unique per namespace.

-- +goose Up
CREATE TABLE quicksight_namespaces (
    account_id     TEXT   NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION,
    name           TEXT   NOT NULL,
    identity_store TEXT   NOT NULL,
    tags           TEXT   NOT NULL DEFAULT '[]',
    created_at     BIGINT NOT NULL,
    CONSTRAINT quicksight_namespaces_pkey PRIMARY KEY (account_id, name)
);

CREATE TABLE quicksight_users (
    account_id              TEXT    NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION,
    namespace               TEXT    NOT NULL,
    user_name               TEXT    NOT NULL,
    principal_id            TEXT    NOT NULL,
    identity_type           TEXT    NOT NULL,
    email                   TEXT    NOT NULL DEFAULT '',
    role                    TEXT    NOT NULL DEFAULT '',
    iam_arn                 TEXT    NOT NULL DEFAULT '',
    session_name            TEXT    NOT NULL DEFAULT '',
    active                  BOOLEAN NOT NULL,
    custom_permissions_name TEXT    NOT NULL DEFAULT '',
    external_login_provider TEXT    NOT NULL DEFAULT '',
    external_login_url      TEXT    NOT NULL DEFAULT '',
    external_login_id       TEXT    NOT NULL DEFAULT '',
    tags                    TEXT    NOT NULL DEFAULT '[]',
    created_at              BIGINT  NOT NULL,
    updated_at              BIGINT  NOT NULL,
    CONSTRAINT quicksight_users_pkey PRIMARY KEY (account_id, namespace, user_name),
    CONSTRAINT quicksight_users_principal_key UNIQUE (account_id, namespace, principal_id)
);

-- Serves FindQuickSightUsersByEmail.
CREATE INDEX quicksight_users_email_idx ON quicksight_users (account_id, namespace, email);

-- +goose Down
DROP TABLE quicksight_users;
DROP TABLE quicksight_namespaces;

-- OIDC and SAML identity providers, and outbound web identity federation. The conventions of 00001
-- hold: application-chosen TEXT ids, BIGINT Unix nanoseconds, JSON TEXT for tags, NOT NULL on every
-- primary key column. Lists of strings (client ids, thumbprints) are TEXT holding a JSON array too,
-- so that their order survives.
--
-- Providers are keyed by ARN, which embeds the account and the URL or name, so the primary key is
-- what refuses a second provider for one URL or name in an account. The per-account limits are
-- counted in the creating transaction, served by the account_id indexes below. Accounts are never
-- deleted; the foreign keys make a create for a missing account fail (SQLITE_CONSTRAINT_FOREIGNKEY /
-- SQLSTATE 23503, mapped to ErrNotFound), and are NO ACTION for the reason given on access_keys.

-- +goose Up
CREATE TABLE oidc_providers (
    arn         TEXT   NOT NULL PRIMARY KEY,
    account_id  TEXT   NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION,
    -- As registered, with its scheme.
    url         TEXT   NOT NULL,
    client_ids  TEXT   NOT NULL DEFAULT '[]',
    thumbprints TEXT   NOT NULL DEFAULT '[]',
    tags        TEXT   NOT NULL DEFAULT '[]',
    created_at  BIGINT NOT NULL
);

CREATE INDEX oidc_providers_account_idx ON oidc_providers (account_id);

CREATE TABLE saml_providers (
    arn                       TEXT   NOT NULL PRIMARY KEY,
    account_id                TEXT   NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION,
    name                      TEXT   NOT NULL,
    uuid                      TEXT   NOT NULL,
    -- Up to 10,000,000 characters (IAM's SAMLMetadataDocumentType); TEXT has no smaller limit on
    -- any backend (SQLite: 1,000,000,000 bytes per value, PostgreSQL: 1 GB).
    metadata_document         TEXT   NOT NULL,
    valid_until               BIGINT,
    assertion_encryption_mode TEXT   NOT NULL DEFAULT '',
    tags                      TEXT   NOT NULL DEFAULT '[]',
    created_at                BIGINT NOT NULL,
    CONSTRAINT saml_providers_uuid_key UNIQUE (uuid),
    -- The ARN already embeds the name; this keeps one name per account even for an ARN spelled
    -- differently (another partition), and serves the per-account count.
    CONSTRAINT saml_providers_account_name_key UNIQUE (account_id, name),
    CONSTRAINT saml_providers_encryption_mode_check
        CHECK (assertion_encryption_mode IN ('', 'Allowed', 'Required'))
);

-- One row per account that ever enabled outbound federation; disabling keeps the row.
CREATE TABLE outbound_federation (
    account_id        TEXT    NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE NO ACTION,
    issuer_identifier TEXT    NOT NULL,
    enabled           BOOLEAN NOT NULL,
    updated_at        BIGINT  NOT NULL
);

-- +goose Down
DROP TABLE outbound_federation;
DROP TABLE saml_providers;
DROP TABLE oidc_providers;

-- Cognito identity pools, their identities and the logins linked to them. The conventions of 00001
-- hold: application-chosen TEXT ids, BIGINT Unix nanoseconds, NOT NULL on every primary key column.
-- Lists are TEXT holding a JSON array (order survives), string maps TEXT holding a JSON object;
-- role_mappings and principal_tag_maps are JSON documents the Cognito service owns, kept verbatim.
--
-- One identity per login per pool (a constraint, not a lock, so nodes sharing one database keep it) is the primary key of identity_logins:
-- of concurrent first logins with the same (pool, provider, subject), the database lets exactly
-- one insert its link, and the transaction that also inserted the loser's identity rolls back.
--
-- Ownership is enforced by foreign keys, NO ACTION for the reason given on access_keys in 00001:
-- the store deletes logins, then identities, then the pool in one transaction, and the constraints
-- refuse any other order (a pool or identity delete that would strand rows fails inside the
-- statement). The login's foreign key is composite, so a login can only point at an identity of its
-- own pool.

-- +goose Up
CREATE TABLE identity_pools (
    id                         TEXT    NOT NULL PRIMARY KEY,
    account_id                 TEXT    NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION,
    name                       TEXT    NOT NULL,
    allow_unauthenticated      BOOLEAN NOT NULL,
    -- NULL: never set, which behaves as enabled.
    allow_classic_flow         BOOLEAN,
    -- JSON object provider domain -> app id(s).
    supported_login_providers  TEXT    NOT NULL DEFAULT '{}',
    developer_provider_name    TEXT    NOT NULL DEFAULT '',
    oidc_provider_arns         TEXT    NOT NULL DEFAULT '[]',
    -- JSON array of {"ProviderName","ClientId","ServerSideTokenCheck"} objects.
    cognito_identity_providers TEXT    NOT NULL DEFAULT '[]',
    saml_provider_arns         TEXT    NOT NULL DEFAULT '[]',
    -- JSON objects: tag key -> value, and "authenticated"/"unauthenticated" -> role ARN.
    tags                       TEXT    NOT NULL DEFAULT '{}',
    roles                      TEXT    NOT NULL DEFAULT '{}',
    -- Opaque to the store; '' when unset.
    role_mappings              TEXT    NOT NULL DEFAULT '',
    principal_tag_maps         TEXT    NOT NULL DEFAULT '',
    created_at                 BIGINT  NOT NULL,
    updated_at                 BIGINT  NOT NULL
);

-- Serves the per-account count in CreateIdentityPool and ListIdentityPools, which pages by id.
CREATE INDEX identity_pools_account_idx ON identity_pools (account_id, id);

CREATE TABLE identities (
    id         TEXT    NOT NULL PRIMARY KEY,
    pool_id    TEXT    NOT NULL REFERENCES identity_pools (id) ON DELETE NO ACTION,
    disabled   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    -- Target of the composite foreign key of identity_logins (id alone is already unique); also
    -- the index ListIdentities pages along and the pool foreign key is checked with.
    CONSTRAINT identities_pool_id_key UNIQUE (pool_id, id)
);

CREATE TABLE identity_logins (
    pool_id     TEXT   NOT NULL,
    provider    TEXT   NOT NULL,
    subject     TEXT   NOT NULL,
    identity_id TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    -- The same login always maps to one identity of a pool.
    CONSTRAINT identity_logins_pkey PRIMARY KEY (pool_id, provider, subject),
    CONSTRAINT identity_logins_identity_fkey FOREIGN KEY (pool_id, identity_id)
        REFERENCES identities (pool_id, id) ON DELETE NO ACTION
);

-- Serves ListLogins (ordered by provider, subject), ListLoginSubjects, the per-provider check of
-- LinkLogins, the moves of MergeIdentities and the identity foreign key.
CREATE INDEX identity_logins_identity_idx ON identity_logins (identity_id, provider, subject);

-- +goose Down
DROP TABLE identity_logins;
DROP TABLE identities;
DROP TABLE identity_pools;

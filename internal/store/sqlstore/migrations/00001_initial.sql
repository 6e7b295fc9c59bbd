-- One schema for every dialect: only types and syntax that SQLite and PostgreSQL (and the
-- PostgreSQL-wire distributed databases) read the same way.
--   * Identifiers are TEXT chosen by the application, never sequences, so nodes need no coordination.
--   * Times are BIGINT Unix nanoseconds (UTC): integers compare, sort and round-trip exactly on every
--     backend, where native timestamp types differ in precision and time-zone handling.
--   * Byte strings are TEXT holding standard base64, because SQLite's BLOB and PostgreSQL's BYTEA
--     cannot share one column definition.
--   * Tags are TEXT holding a JSON array of {"Key","Value"} objects, so insertion order survives.
--   * Every primary key says NOT NULL because SQLite otherwise accepts NULL in a TEXT primary key.

-- +goose Up
CREATE TABLE accounts (
    id         TEXT   NOT NULL PRIMARY KEY,
    created_at BIGINT NOT NULL
);

CREATE TABLE meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    user_id              TEXT   NOT NULL PRIMARY KEY,
    account_id           TEXT   NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION,
    user_name            TEXT   NOT NULL,
    user_name_lower      TEXT   NOT NULL,
    path                 TEXT   NOT NULL,
    permissions_boundary TEXT   NOT NULL DEFAULT '',
    tags                 TEXT   NOT NULL DEFAULT '[]',
    created_at           BIGINT NOT NULL,
    -- Case-insensitive name uniqueness per account; also the index ListUsers pages along.
    CONSTRAINT users_account_name_key UNIQUE (account_id, user_name_lower),
    -- Target of the composite foreign key below; user_id alone is already unique.
    CONSTRAINT users_account_user_key UNIQUE (account_id, user_id)
);

CREATE TABLE access_keys (
    access_key_id     TEXT   NOT NULL PRIMARY KEY,
    account_id        TEXT   NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION,
    -- NULL for the account's root credentials; a NULL column exempts the row from the foreign key.
    user_id           TEXT,
    status            TEXT   NOT NULL,
    secret_ciphertext TEXT   NOT NULL,
    created_at        BIGINT NOT NULL,
    last_used_at      BIGINT,
    last_used_service TEXT   NOT NULL DEFAULT '',
    last_used_region  TEXT   NOT NULL DEFAULT '',
    CONSTRAINT access_keys_status_check CHECK (status IN ('Active', 'Inactive')),
    -- Composite so that a key can only belong to a user of its own account. Deleting a user who
    -- still owns keys fails at the end of the DELETE statement on every backend. NO ACTION rather
    -- than RESTRICT: for a constraint that is not deferred they refuse the same deletes, but SQLite
    -- reports RESTRICT as SQLITE_CONSTRAINT_TRIGGER and NO ACTION as SQLITE_CONSTRAINT_FOREIGNKEY,
    -- which is what the store maps to ErrConflict (PostgreSQL reports 23503 for both).
    CONSTRAINT access_keys_user_fkey FOREIGN KEY (account_id, user_id)
        REFERENCES users (account_id, user_id) ON DELETE NO ACTION
);

-- Serves the per-owner count in CreateAccessKey and the oldest-first ListAccessKeys.
CREATE INDEX access_keys_owner_idx ON access_keys (account_id, user_id, created_at);

-- +goose Down
DROP TABLE access_keys;
DROP TABLE users;
DROP TABLE meta;
DROP TABLE accounts;

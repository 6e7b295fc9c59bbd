-- Bindings of the container credentials endpoint. The conventions of 00001 hold: application-chosen
-- TEXT ids, BIGINT Unix nanoseconds, byte strings as base64 TEXT, NOT NULL on every primary key
-- column. The authorization token is stored only as its SHA-256 digest.

-- +goose Up
CREATE TABLE container_bindings (
    name             TEXT    NOT NULL,
    account_id       TEXT    NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION,
    role_arn         TEXT    NOT NULL,
    session_name     TEXT    NOT NULL,
    duration_seconds INTEGER NOT NULL,
    token_hash       TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    CONSTRAINT container_bindings_pkey PRIMARY KEY (name)
);

-- +goose Down
DROP TABLE container_bindings;

-- Recent credential issuances, shared by every node so that the console's Activity page and the
-- admin API list what any node issued. The conventions of 00001 hold: application-chosen TEXT
-- ids, BIGINT Unix nanoseconds. Like decisions (00007), rows reference no account, so pruning
-- never waits on other tables. access_key_id is the credentials' identifier; no secret is stored.

-- +goose Up
CREATE TABLE issuances (
    request_id      TEXT   NOT NULL,
    time            BIGINT NOT NULL,
    account_id      TEXT   NOT NULL DEFAULT '',
    principal_arn   TEXT   NOT NULL DEFAULT '',
    service         TEXT   NOT NULL DEFAULT '',
    operation       TEXT   NOT NULL DEFAULT '',
    action          TEXT   NOT NULL DEFAULT '',
    role_arn        TEXT   NOT NULL DEFAULT '',
    session_arn     TEXT   NOT NULL DEFAULT '',
    source_identity TEXT   NOT NULL DEFAULT '',
    access_key_id   TEXT   NOT NULL DEFAULT '',
    expiration      BIGINT NOT NULL DEFAULT 0,
    source_ip       TEXT   NOT NULL DEFAULT '',
    CONSTRAINT issuances_pkey PRIMARY KEY (request_id)
);

-- Serves pruning and listing across accounts (the CLI), newest first.
CREATE INDEX issuances_time_idx ON issuances (time);
-- Serves an account's listing (the admin API, the console).
CREATE INDEX issuances_account_time_idx ON issuances (account_id, time);

-- +goose Down
DROP TABLE issuances;

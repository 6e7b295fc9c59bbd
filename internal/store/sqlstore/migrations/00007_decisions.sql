-- Recent refusals, shared by every node so that any of them can explain a request another
-- refused. The conventions of 00001 hold: application-chosen TEXT ids, BIGINT Unix nanoseconds.
-- Rows reference no account: a refusal may name an account that does not exist, and pruning must
-- never wait on other tables. explanation is the JSON of the refusal's explanation, redacted.

-- +goose Up
CREATE TABLE decisions (
    request_id       TEXT   NOT NULL,
    time             BIGINT NOT NULL,
    account_id       TEXT   NOT NULL DEFAULT '',
    resource_account TEXT   NOT NULL DEFAULT '',
    principal_arn    TEXT   NOT NULL DEFAULT '',
    service          TEXT   NOT NULL DEFAULT '',
    operation        TEXT   NOT NULL DEFAULT '',
    action           TEXT   NOT NULL DEFAULT '',
    error_code       TEXT   NOT NULL DEFAULT '',
    explanation      TEXT   NOT NULL DEFAULT '{}',
    CONSTRAINT decisions_pkey PRIMARY KEY (request_id)
);

-- Serves pruning and listing across accounts (the CLI), newest first.
CREATE INDEX decisions_time_idx ON decisions (time);
-- Serves an account's listing (the admin API).
CREATE INDEX decisions_account_time_idx ON decisions (account_id, time);

-- +goose Down
DROP TABLE decisions;

-- Roles, inline and managed policies, attachments, virtual MFA devices, key rings and organization
-- membership. The conventions of 00001 hold: application-chosen TEXT ids, BIGINT Unix nanoseconds,
-- base64 TEXT for bytes, JSON TEXT for tags, NOT NULL on every primary key column.
--
-- Ownership is enforced by foreign keys wherever the referenced row can be deleted, so that a
-- DELETE of a user or role that is still referenced fails inside the statement on every backend
-- (SQLITE_CONSTRAINT_FOREIGNKEY / SQLSTATE 23503, mapped to ErrConflict). All of them are
-- NO ACTION for the reason given on access_keys in 00001. The store also counts the references in
-- the deleting transaction to say which ones remain; the constraints are what makes it true.
--
-- Inline policies and attachments belong to a user or a role, named by (owner_kind, owner_id).
-- One column cannot reference two tables, so each row also carries the owner id in exactly one of
-- user_id / role_id (the CHECK pins them to owner_kind and owner_id), and those two columns carry
-- the foreign keys. A NULL column is exempt from its foreign key on every backend, and a CHECK
-- whose expression is NULL passes, hence the explicit IS NOT NULL.

-- +goose Up
CREATE TABLE roles (
    role_id                     TEXT    NOT NULL PRIMARY KEY,
    account_id                  TEXT    NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION,
    role_name                   TEXT    NOT NULL,
    role_name_lower             TEXT    NOT NULL,
    path                        TEXT    NOT NULL,
    assume_role_policy_document TEXT    NOT NULL,
    description                 TEXT    NOT NULL DEFAULT '',
    max_session_duration        INTEGER NOT NULL,
    permissions_boundary        TEXT    NOT NULL DEFAULT '',
    tags                        TEXT    NOT NULL DEFAULT '[]',
    created_at                  BIGINT  NOT NULL,
    last_used_at                BIGINT,
    last_used_region            TEXT    NOT NULL DEFAULT '',
    -- Case-insensitive name uniqueness per account; also the index ListRoles pages along.
    CONSTRAINT roles_account_name_key UNIQUE (account_id, role_name_lower)
);

-- The permissions-boundary usage count of a managed policy (on reads, and the DeleteManagedPolicy
-- check) looks users and roles up by boundary ARN.
CREATE INDEX users_boundary_idx ON users (permissions_boundary);
CREATE INDEX roles_boundary_idx ON roles (permissions_boundary);

CREATE TABLE inline_policies (
    owner_kind  TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    -- Names are unique per owner by exact match (AWS compares inline policy names case-sensitively).
    policy_name TEXT NOT NULL,
    document    TEXT NOT NULL,
    user_id     TEXT REFERENCES users (user_id) ON DELETE NO ACTION,
    role_id     TEXT REFERENCES roles (role_id) ON DELETE NO ACTION,
    CONSTRAINT inline_policies_pkey PRIMARY KEY (owner_kind, owner_id, policy_name),
    CONSTRAINT inline_policies_owner_check CHECK (
        (owner_kind = 'user' AND user_id IS NOT NULL AND user_id = owner_id AND role_id IS NULL) OR
        (owner_kind = 'role' AND role_id IS NOT NULL AND role_id = owner_id AND user_id IS NULL))
);

-- A foreign key needs an index on the referencing column, or every user or role delete scans.
CREATE INDEX inline_policies_user_idx ON inline_policies (user_id);
CREATE INDEX inline_policies_role_idx ON inline_policies (role_id);

-- account_id is the owning account, or 'aws' for AWS managed policies. It has no foreign key:
-- 'aws' is not an account, and seeding a pseudo-account row would make it show up in ListAccounts
-- and be usable as a tenant. CreateManagedPolicy checks a customer account exists in its write
-- transaction instead; accounts are never deleted, so that check cannot go stale.
CREATE TABLE managed_policies (
    arn                TEXT    NOT NULL PRIMARY KEY,
    policy_id          TEXT    NOT NULL,
    account_id         TEXT    NOT NULL,
    policy_name        TEXT    NOT NULL,
    policy_name_lower  TEXT    NOT NULL,
    path               TEXT    NOT NULL,
    description        TEXT    NOT NULL DEFAULT '',
    -- Not a foreign key to policy_versions: that would be circular and need a deferred constraint,
    -- which not every PostgreSQL-wire database offers. The store keeps it pointing at an existing
    -- version: SetDefaultPolicyVersion checks the version in its transaction and
    -- DeletePolicyVersion refuses the default one.
    default_version_id TEXT    NOT NULL,
    -- The number the next version gets; only ever incremented, so version ids are never reused.
    next_version       INTEGER NOT NULL,
    is_attachable      BOOLEAN NOT NULL,
    tags               TEXT    NOT NULL DEFAULT '[]',
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    -- Case-insensitive name uniqueness per account; also the index ListManagedPolicies pages along.
    CONSTRAINT managed_policies_account_name_key UNIQUE (account_id, policy_name_lower),
    CONSTRAINT managed_policies_policy_id_key UNIQUE (policy_id)
);

-- DeleteManagedPolicy deletes the default version explicitly in its transaction; NO ACTION keeps
-- a policy that still has other versions from being deleted by any path.
CREATE TABLE policy_versions (
    policy_arn TEXT   NOT NULL REFERENCES managed_policies (arn) ON DELETE NO ACTION,
    version_id TEXT   NOT NULL,
    document   TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT policy_versions_pkey PRIMARY KEY (policy_arn, version_id)
);

-- The primary key serves the per-policy attachment count and ListPolicyAttachments; the foreign
-- key on policy_arn makes deleting an attached policy fail.
CREATE TABLE attachments (
    policy_arn TEXT NOT NULL REFERENCES managed_policies (arn) ON DELETE NO ACTION,
    owner_kind TEXT NOT NULL,
    owner_id   TEXT NOT NULL,
    user_id    TEXT REFERENCES users (user_id) ON DELETE NO ACTION,
    role_id    TEXT REFERENCES roles (role_id) ON DELETE NO ACTION,
    CONSTRAINT attachments_pkey PRIMARY KEY (policy_arn, owner_kind, owner_id),
    CONSTRAINT attachments_owner_check CHECK (
        (owner_kind = 'user' AND user_id IS NOT NULL AND user_id = owner_id AND role_id IS NULL) OR
        (owner_kind = 'role' AND role_id IS NOT NULL AND role_id = owner_id AND user_id IS NULL))
);

-- Serve the foreign keys and the per-owner count and list.
CREATE INDEX attachments_user_idx ON attachments (user_id);
CREATE INDEX attachments_role_idx ON attachments (role_id);

CREATE TABLE mfa_devices (
    serial_number   TEXT   NOT NULL PRIMARY KEY,
    account_id      TEXT   NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION,
    path            TEXT   NOT NULL,
    name            TEXT   NOT NULL,
    seed_ciphertext TEXT   NOT NULL,
    -- NULL while unassigned, which exempts the row from the foreign key; assigned, it must be a user
    -- of the device's own account, and that user cannot be deleted.
    user_id         TEXT,
    enabled_at      BIGINT,
    last_used_step  BIGINT NOT NULL DEFAULT 0,
    tags            TEXT   NOT NULL DEFAULT '[]',
    created_at      BIGINT NOT NULL,
    CONSTRAINT mfa_devices_user_fkey FOREIGN KEY (account_id, user_id)
        REFERENCES users (account_id, user_id) ON DELETE NO ACTION
);

CREATE INDEX mfa_devices_owner_idx ON mfa_devices (account_id, user_id);

CREATE TABLE signing_keys (
    id           TEXT   NOT NULL PRIMARY KEY,
    purpose      TEXT   NOT NULL,
    material     TEXT   NOT NULL,
    active_from  BIGINT NOT NULL,
    retire_at    BIGINT,
    verify_until BIGINT,
    created_at   BIGINT NOT NULL
);

CREATE INDEX signing_keys_purpose_idx ON signing_keys (purpose, created_at);

-- One row per member account: an account belongs to at most one organization.
CREATE TABLE org_members (
    account_id            TEXT NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE NO ACTION,
    management_account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION
);

-- +goose Down
DROP TABLE org_members;
DROP TABLE signing_keys;
DROP TABLE mfa_devices;
DROP TABLE attachments;
DROP TABLE policy_versions;
DROP TABLE managed_policies;
DROP TABLE inline_policies;
DROP INDEX roles_boundary_idx;
DROP INDEX users_boundary_idx;
DROP TABLE roles;

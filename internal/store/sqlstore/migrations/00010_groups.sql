-- IAM groups (table iam_groups: GROUPS is an SQL keyword) and their members; groups as owners of
-- inline policies and attachments. The conventions of 00001 hold: application-chosen TEXT ids,
-- BIGINT Unix nanoseconds, NOT NULL on every primary key column; every foreign key is NO ACTION, as
-- in 00002, so that a group with members or policies, or a user in a group, cannot be deleted.
--
-- inline_policies and attachments gain a group_id column beside user_id and role_id (see 00002 for
-- why the owner is spread over one column per owner table). Their CHECK constraints must admit the
-- new owner kind, and SQLite cannot alter a CHECK, so both tables are rebuilt: created under a new
-- name, filled, the old one dropped, the new one renamed. Neither table is referenced by another,
-- so dropping it is safe with foreign keys enforced. The new constraints carry new names, as
-- PostgreSQL's index names must differ from the old table's while both exist.

-- +goose Up
CREATE TABLE iam_groups (
    group_id         TEXT   NOT NULL PRIMARY KEY,
    account_id       TEXT   NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION,
    group_name       TEXT   NOT NULL,
    group_name_lower TEXT   NOT NULL,
    path             TEXT   NOT NULL,
    created_at       BIGINT NOT NULL,
    -- Case-insensitive name uniqueness per account; also the index ListGroups pages along.
    CONSTRAINT iam_groups_account_name_key UNIQUE (account_id, group_name_lower)
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES iam_groups (group_id) ON DELETE NO ACTION,
    user_id  TEXT NOT NULL REFERENCES users (user_id) ON DELETE NO ACTION,
    CONSTRAINT group_members_pkey PRIMARY KEY (group_id, user_id)
);

-- ListGroupsForUser, the per-user quota count and the user's delete check look members up by user.
CREATE INDEX group_members_user_idx ON group_members (user_id);

CREATE TABLE inline_policies_v10 (
    owner_kind  TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    document    TEXT NOT NULL,
    user_id     TEXT REFERENCES users (user_id) ON DELETE NO ACTION,
    role_id     TEXT REFERENCES roles (role_id) ON DELETE NO ACTION,
    group_id    TEXT REFERENCES iam_groups (group_id) ON DELETE NO ACTION,
    CONSTRAINT inline_policies_owner_name_pkey PRIMARY KEY (owner_kind, owner_id, policy_name),
    CONSTRAINT inline_policies_owner_kind_check CHECK (
        (owner_kind = 'user' AND user_id IS NOT NULL AND user_id = owner_id AND role_id IS NULL AND group_id IS NULL) OR
        (owner_kind = 'role' AND role_id IS NOT NULL AND role_id = owner_id AND user_id IS NULL AND group_id IS NULL) OR
        (owner_kind = 'group' AND group_id IS NOT NULL AND group_id = owner_id AND user_id IS NULL AND role_id IS NULL))
);
INSERT INTO inline_policies_v10 (owner_kind, owner_id, policy_name, document, user_id, role_id)
    SELECT owner_kind, owner_id, policy_name, document, user_id, role_id FROM inline_policies;
DROP TABLE inline_policies;
ALTER TABLE inline_policies_v10 RENAME TO inline_policies;
CREATE INDEX inline_policies_user_idx ON inline_policies (user_id);
CREATE INDEX inline_policies_role_idx ON inline_policies (role_id);
CREATE INDEX inline_policies_group_idx ON inline_policies (group_id);

CREATE TABLE attachments_v10 (
    policy_arn TEXT NOT NULL REFERENCES managed_policies (arn) ON DELETE NO ACTION,
    owner_kind TEXT NOT NULL,
    owner_id   TEXT NOT NULL,
    user_id    TEXT REFERENCES users (user_id) ON DELETE NO ACTION,
    role_id    TEXT REFERENCES roles (role_id) ON DELETE NO ACTION,
    group_id   TEXT REFERENCES iam_groups (group_id) ON DELETE NO ACTION,
    CONSTRAINT attachments_policy_owner_pkey PRIMARY KEY (policy_arn, owner_kind, owner_id),
    CONSTRAINT attachments_owner_kind_check CHECK (
        (owner_kind = 'user' AND user_id IS NOT NULL AND user_id = owner_id AND role_id IS NULL AND group_id IS NULL) OR
        (owner_kind = 'role' AND role_id IS NOT NULL AND role_id = owner_id AND user_id IS NULL AND group_id IS NULL) OR
        (owner_kind = 'group' AND group_id IS NOT NULL AND group_id = owner_id AND user_id IS NULL AND role_id IS NULL))
);
INSERT INTO attachments_v10 (policy_arn, owner_kind, owner_id, user_id, role_id)
    SELECT policy_arn, owner_kind, owner_id, user_id, role_id FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_v10 RENAME TO attachments;
CREATE INDEX attachments_user_idx ON attachments (user_id);
CREATE INDEX attachments_role_idx ON attachments (role_id);
CREATE INDEX attachments_group_idx ON attachments (group_id);

-- +goose Down
-- Group policies go with the groups; users' and roles' policies are kept in the 00002 shapes.
CREATE TABLE inline_policies_v2 (
    owner_kind  TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    document    TEXT NOT NULL,
    user_id     TEXT REFERENCES users (user_id) ON DELETE NO ACTION,
    role_id     TEXT REFERENCES roles (role_id) ON DELETE NO ACTION,
    CONSTRAINT inline_policies_pkey PRIMARY KEY (owner_kind, owner_id, policy_name),
    CONSTRAINT inline_policies_owner_check CHECK (
        (owner_kind = 'user' AND user_id IS NOT NULL AND user_id = owner_id AND role_id IS NULL) OR
        (owner_kind = 'role' AND role_id IS NOT NULL AND role_id = owner_id AND user_id IS NULL))
);
INSERT INTO inline_policies_v2 (owner_kind, owner_id, policy_name, document, user_id, role_id)
    SELECT owner_kind, owner_id, policy_name, document, user_id, role_id FROM inline_policies
    WHERE owner_kind <> 'group';
DROP TABLE inline_policies;
ALTER TABLE inline_policies_v2 RENAME TO inline_policies;
CREATE INDEX inline_policies_user_idx ON inline_policies (user_id);
CREATE INDEX inline_policies_role_idx ON inline_policies (role_id);

CREATE TABLE attachments_v2 (
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
INSERT INTO attachments_v2 (policy_arn, owner_kind, owner_id, user_id, role_id)
    SELECT policy_arn, owner_kind, owner_id, user_id, role_id FROM attachments
    WHERE owner_kind <> 'group';
DROP TABLE attachments;
ALTER TABLE attachments_v2 RENAME TO attachments;
CREATE INDEX attachments_user_idx ON attachments (user_id);
CREATE INDEX attachments_role_idx ON attachments (role_id);

DROP TABLE group_members;
DROP TABLE iam_groups;

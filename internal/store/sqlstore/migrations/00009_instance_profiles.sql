-- IAM instance profiles. The conventions of 00001 hold: application-chosen TEXT ids, BIGINT Unix
-- nanoseconds, JSON TEXT for tags, NOT NULL on every primary key column.
--
-- A profile holds at most one role (IAM's InstanceProfile quota of one role per profile), so the
-- role is a nullable column rather than a membership table. Its foreign key is NO ACTION, as the
-- references of roles in 00002 are: a role still in a profile cannot be deleted.

-- +goose Up
CREATE TABLE instance_profiles (
    instance_profile_id TEXT   NOT NULL PRIMARY KEY,
    account_id          TEXT   NOT NULL REFERENCES accounts (id) ON DELETE NO ACTION,
    name                TEXT   NOT NULL,
    name_lower          TEXT   NOT NULL,
    path                TEXT   NOT NULL,
    role_id             TEXT   REFERENCES roles (role_id) ON DELETE NO ACTION,
    tags                TEXT   NOT NULL DEFAULT '[]',
    created_at          BIGINT NOT NULL,
    -- Case-insensitive name uniqueness per account; also the index ListInstanceProfiles pages along.
    CONSTRAINT instance_profiles_account_name_key UNIQUE (account_id, name_lower)
);

-- ListInstanceProfilesForRole and the role's delete check look profiles up by role.
CREATE INDEX instance_profiles_role_idx ON instance_profiles (role_id);

-- +goose Down
DROP TABLE instance_profiles;

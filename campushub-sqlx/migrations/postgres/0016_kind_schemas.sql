-- What the migration runner applied for an application's own kinds (derived with
-- `#[derive(SqlEntity)]`, see `campushub_sqlx::kinds`): the canonical description of each
-- kind's table as last applied, and the hand-written migrations of each kind, run or
-- recorded as already in a table created from the description (`ran` false).
CREATE TABLE campushub_kind_schemas (
    kind text PRIMARY KEY,
    table_name text NOT NULL,
    description text NOT NULL,
    hash text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE campushub_kind_migrations (
    kind text NOT NULL,
    version bigint NOT NULL,
    -- The SHA-256 of the migration's SQL: an applied migration must not be edited.
    hash text NOT NULL,
    ran boolean NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, version)
);

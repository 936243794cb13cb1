-- What the migration runner applied for an application's own kinds (as Postgres's
-- `0016_kind_schemas.sql`; instants in epoch microseconds).
CREATE TABLE campushub_kind_schemas (
    kind TEXT PRIMARY KEY,
    table_name TEXT NOT NULL,
    description TEXT NOT NULL,
    hash TEXT NOT NULL,
    applied_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000000 AS INTEGER))
);

CREATE TABLE campushub_kind_migrations (
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    -- The SHA-256 of the migration's SQL: an applied migration must not be edited.
    hash TEXT NOT NULL,
    ran INTEGER NOT NULL,
    applied_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000000 AS INTEGER)),
    PRIMARY KEY (kind, version)
) WITHOUT ROWID;

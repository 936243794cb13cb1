-- The counts Postgres writes append (see the Postgres migration of the same name) and folds
-- later. SQLite's row triggers keep updating the counter rows themselves (one writer at a
-- time, no versions to walk), so this table stays empty here; it exists so that readers sum
-- the same two tables on both backends.
CREATE TABLE campushub_count_deltas (
    tbl TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    n INTEGER NOT NULL
);

-- Import jobs (issue 16): see the Postgres migration `0015_import_jobs.sql`. Instants are
-- microseconds since the epoch, booleans 0/1, JSON as text.
CREATE TABLE campushub_import_jobs (
    id TEXT PRIMARY KEY,
    resource TEXT NOT NULL,
    format TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    mode TEXT NOT NULL,
    state TEXT NOT NULL,
    subject TEXT NOT NULL,
    submitter TEXT NOT NULL,
    rows_done INTEGER NOT NULL DEFAULT 0,
    rows_total INTEGER,
    report TEXT,
    failure TEXT,
    instance TEXT,
    lease_until INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    file TEXT
);

CREATE INDEX campushub_import_jobs_open ON campushub_import_jobs (created_at)
    WHERE state IN ('queued', 'running');
CREATE INDEX campushub_import_jobs_subject ON campushub_import_jobs (subject, created_at DESC);
CREATE INDEX campushub_import_jobs_created ON campushub_import_jobs (created_at DESC);

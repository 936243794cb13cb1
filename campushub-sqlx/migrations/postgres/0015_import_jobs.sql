-- Import jobs (issue 16): a large file imported in the background by whichever instance
-- claims it, under a lease it renews (see `campushub_core::exchange::jobs`). The file is kept
-- as base64 text until the job ends, bounded by the server's import size limit.
CREATE TABLE campushub_import_jobs (
    id uuid PRIMARY KEY,
    resource text NOT NULL,
    format text NOT NULL,
    dry_run boolean NOT NULL,
    mode text NOT NULL,
    state text NOT NULL,
    subject text NOT NULL,
    submitter jsonb NOT NULL,
    rows_done bigint NOT NULL DEFAULT 0,
    rows_total bigint,
    report jsonb,
    failure text,
    instance text,
    lease_until timestamptz,
    attempts bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    started_at timestamptz,
    finished_at timestamptz,
    file text
);

-- What a claim looks for: the open jobs, oldest first.
CREATE INDEX campushub_import_jobs_open ON campushub_import_jobs (created_at)
    WHERE state IN ('queued', 'running');
-- A caller's own jobs, newest first.
CREATE INDEX campushub_import_jobs_subject ON campushub_import_jobs (subject, created_at DESC);
CREATE INDEX campushub_import_jobs_created ON campushub_import_jobs (created_at DESC);

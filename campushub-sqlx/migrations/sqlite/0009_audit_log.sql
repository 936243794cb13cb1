-- The audit log (issue 15): one row per record a committed write changed, inserted in that
-- write's transaction (see `src/audit.rs`). Times are microseconds since the epoch, like
-- every instant SQLite stores here. Retention is a `DELETE ... WHERE at < ?`
-- (docs/operations.md).
CREATE TABLE campushub_audit_log (
    id TEXT NOT NULL PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    action TEXT NOT NULL,
    version_before INTEGER,
    version_after INTEGER,
    actor TEXT NOT NULL,
    actor_roles TEXT NOT NULL,
    api_key TEXT,
    request_id TEXT,
    client_address TEXT,
    changes TEXT NOT NULL
);

CREATE INDEX campushub_audit_log_newest ON campushub_audit_log (at DESC, id DESC);
CREATE INDEX campushub_audit_log_record ON campushub_audit_log (record_id, at DESC, id DESC);
CREATE INDEX campushub_audit_log_actor ON campushub_audit_log (actor, at DESC, id DESC);

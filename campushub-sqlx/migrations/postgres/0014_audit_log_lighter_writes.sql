-- The audit log is written with every change and read by auditors now and then, so its
-- writes set its shape (issue 15, measured in docs/performance.md, "Audit log"):
--
-- * `changes` and `actor_roles` become `json`: stored as the text the service wrote, checked
--   but not converted. `jsonb`'s conversion cost about 15 µs of Postgres CPU per audited row,
--   a third of what the entry added to a bulk create, for operators nothing reads them with.
-- * `campushub_audit_log_newest` goes: the primary key `(at, id)`, scanned backwards, already
--   answers the newest-first reads, and every insert paid for both.
--
-- Rewrites the table once (`ALTER ... TYPE` applies to every partition).
DROP INDEX IF EXISTS campushub_audit_log_newest;

ALTER TABLE campushub_audit_log
    ALTER COLUMN actor_roles TYPE json USING actor_roles::json,
    ALTER COLUMN changes TYPE json USING changes::json;

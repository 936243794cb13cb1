-- The transactional outbox (issue 15): every committed change to a kind's table, whoever made
-- it (CampusHub, `psql`, another application, a migration), leaves one row here in the same
-- transaction, written by the table's triggers. Each instance's relay (`src/outbox/`) delivers
-- the rows to the cache's invalidation and to the application's outbox hooks, then deletes
-- them, so a crash between a commit and its invalidation delays the invalidation instead of
-- losing it. The relays poll (a `NOTIFY` per transaction cost more than the rest of the
-- capture, and serializes the commits that send one: see docs/decisions.md).
CREATE TABLE campushub_outbox (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind text COLLATE "C" NOT NULL,
    record_id uuid NOT NULL,
    -- 'created', 'updated' or 'deleted' (core's `ChangeOp`).
    op text COLLATE "C" NOT NULL,
    -- The record's version after the change; for a deletion the deleted version + 1, as in a
    -- `ChangeEvent`.
    version bigint NOT NULL,
    -- The database role that made the change: for a write made outside CampusHub, the only
    -- name of its author there is.
    db_user text COLLATE "C" NOT NULL DEFAULT session_user
);

-- The capture, one statement at a time (a bulk insert of 1,000 rows is one trigger call), from
-- the statement's transition tables. TG_ARGV[0] is the kind's name. It runs with its owner's
-- rights (and the schema search path of the migration), so that any role allowed to write a
-- kind's table has its changes captured without being granted the outbox; `db_user` still
-- names the session's role.
CREATE FUNCTION campushub_capture_changes() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $capture$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO campushub_outbox (kind, record_id, op, version)
        SELECT TG_ARGV[0], r.id, 'created', r.version FROM new_rows r;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO campushub_outbox (kind, record_id, op, version)
        SELECT TG_ARGV[0], r.id, 'updated', r.version FROM new_rows r;
    ELSE
        INSERT INTO campushub_outbox (kind, record_id, op, version)
        SELECT TG_ARGV[0], r.id, 'deleted', r.version + 1 FROM old_rows r;
    END IF;
    RETURN NULL;
END
$capture$;

-- A change made outside CampusHub that leaves the version as it was still makes a new
-- version: caches and `If-Match` tell records apart by version, so content that changed
-- under an unchanged version would pass for the old. CampusHub's own updates always name the
-- next version, so the trigger's condition keeps them from calling the function.
CREATE FUNCTION campushub_version_moves() RETURNS trigger
LANGUAGE plpgsql AS $moves$
BEGIN
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END
$moves$;

-- Makes table `tbl` (rows with `id uuid`, `version bigint` and `updated_at timestamptz`)
-- report its changes as kind `kind` through the outbox. An application's migration calls it
-- for a kind of its own: `SELECT campushub_capture_changes('courses', 'course');`.
CREATE FUNCTION campushub_capture_changes(tbl text, kind text) RETURNS void
LANGUAGE plpgsql AS $capture_table$
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION campushub_capture_changes(%L)',
        tbl || '_outbox_inserts', tbl, kind);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION campushub_capture_changes(%L)',
        tbl || '_outbox_updates', tbl, kind);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION campushub_capture_changes(%L)',
        tbl || '_outbox_deletes', tbl, kind);
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW '
        'WHEN (NEW.version = OLD.version) EXECUTE FUNCTION campushub_version_moves()',
        tbl || '_version_moves', tbl);
END
$capture_table$;

SELECT campushub_capture_changes('departments', 'department');
SELECT campushub_capture_changes('students', 'student');
SELECT campushub_capture_changes('faculty', 'faculty');
SELECT campushub_capture_changes('users', 'user');
SELECT campushub_capture_changes('custom_field_defs', 'custom_field');

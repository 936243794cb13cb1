-- The transactional outbox (see the Postgres migration of the same name): every committed
-- change to a kind's table, whoever made it (CampusHub, the `sqlite3` shell, another program
-- opening the file), leaves one row here in the same transaction, written by the row triggers
-- below. The relay polls the table, as on Postgres.
CREATE TABLE campushub_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000000 AS INTEGER)),
    kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    op TEXT NOT NULL,
    version INTEGER NOT NULL,
    db_user TEXT NOT NULL DEFAULT 'sqlite'
);

-- Per table: the three captures and, for an update made outside CampusHub that left the
-- version as it was, a new version (CampusHub's own updates always name the next one). An
-- update is captured when its version moves: CampusHub's own, or the version's update made by
-- `_version_moves` for one made outside (a trigger's statements fire the table's other
-- triggers), so that each change is captured once, with the version it ends with.

CREATE TRIGGER departments_outbox_inserts AFTER INSERT ON departments BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('department', NEW.id, 'created', NEW.version);
END;
CREATE TRIGGER departments_outbox_updates AFTER UPDATE ON departments WHEN NEW.version IS NOT OLD.version BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('department', NEW.id, 'updated', NEW.version);
END;
CREATE TRIGGER departments_outbox_deletes AFTER DELETE ON departments BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('department', OLD.id, 'deleted', OLD.version + 1);
END;
CREATE TRIGGER departments_version_moves AFTER UPDATE ON departments WHEN NEW.version = OLD.version BEGIN
    UPDATE departments SET version = OLD.version + 1,
        updated_at = CAST(unixepoch('subsec') * 1000000 AS INTEGER)
    WHERE id = NEW.id;
END;

CREATE TRIGGER students_outbox_inserts AFTER INSERT ON students BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('student', NEW.id, 'created', NEW.version);
END;
CREATE TRIGGER students_outbox_updates AFTER UPDATE ON students WHEN NEW.version IS NOT OLD.version BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('student', NEW.id, 'updated', NEW.version);
END;
CREATE TRIGGER students_outbox_deletes AFTER DELETE ON students BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('student', OLD.id, 'deleted', OLD.version + 1);
END;
CREATE TRIGGER students_version_moves AFTER UPDATE ON students WHEN NEW.version = OLD.version BEGIN
    UPDATE students SET version = OLD.version + 1,
        updated_at = CAST(unixepoch('subsec') * 1000000 AS INTEGER)
    WHERE id = NEW.id;
END;

CREATE TRIGGER faculty_outbox_inserts AFTER INSERT ON faculty BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('faculty', NEW.id, 'created', NEW.version);
END;
CREATE TRIGGER faculty_outbox_updates AFTER UPDATE ON faculty WHEN NEW.version IS NOT OLD.version BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('faculty', NEW.id, 'updated', NEW.version);
END;
CREATE TRIGGER faculty_outbox_deletes AFTER DELETE ON faculty BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('faculty', OLD.id, 'deleted', OLD.version + 1);
END;
CREATE TRIGGER faculty_version_moves AFTER UPDATE ON faculty WHEN NEW.version = OLD.version BEGIN
    UPDATE faculty SET version = OLD.version + 1,
        updated_at = CAST(unixepoch('subsec') * 1000000 AS INTEGER)
    WHERE id = NEW.id;
END;

CREATE TRIGGER users_outbox_inserts AFTER INSERT ON users BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('user', NEW.id, 'created', NEW.version);
END;
CREATE TRIGGER users_outbox_updates AFTER UPDATE ON users WHEN NEW.version IS NOT OLD.version BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('user', NEW.id, 'updated', NEW.version);
END;
CREATE TRIGGER users_outbox_deletes AFTER DELETE ON users BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('user', OLD.id, 'deleted', OLD.version + 1);
END;
CREATE TRIGGER users_version_moves AFTER UPDATE ON users WHEN NEW.version = OLD.version BEGIN
    UPDATE users SET version = OLD.version + 1,
        updated_at = CAST(unixepoch('subsec') * 1000000 AS INTEGER)
    WHERE id = NEW.id;
END;

CREATE TRIGGER custom_field_defs_outbox_inserts AFTER INSERT ON custom_field_defs BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('custom_field', NEW.id, 'created', NEW.version);
END;
CREATE TRIGGER custom_field_defs_outbox_updates AFTER UPDATE ON custom_field_defs WHEN NEW.version IS NOT OLD.version BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('custom_field', NEW.id, 'updated', NEW.version);
END;
CREATE TRIGGER custom_field_defs_outbox_deletes AFTER DELETE ON custom_field_defs BEGIN
    INSERT INTO campushub_outbox (kind, record_id, op, version)
    VALUES ('custom_field', OLD.id, 'deleted', OLD.version + 1);
END;
CREATE TRIGGER custom_field_defs_version_moves AFTER UPDATE ON custom_field_defs WHEN NEW.version = OLD.version BEGIN
    UPDATE custom_field_defs SET version = OLD.version + 1,
        updated_at = CAST(unixepoch('subsec') * 1000000 AS INTEGER)
    WHERE id = NEW.id;
END;

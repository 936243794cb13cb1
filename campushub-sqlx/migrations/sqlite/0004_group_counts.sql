-- Counts per grouping, kept by the writes themselves (issue 20): statistics and analytics
-- read O(groups) rows instead of scanning the table. One row per (table, field, value);
-- `value` is the grouped value as JSON text (`"ACTIVE"`, `3`, `null`), or for a pair of
-- fields (`department_id,gender`) the JSON array of both. Only what cannot be derived is
-- kept: a table's total is the sum of any grouping, a field of a pair the sum over the other.
-- Row triggers add each row's deltas in the write's own transaction; SQLite has one writer at
-- a time, so the slot (Postgres spreads concurrent writers over 16) is 0.
CREATE TABLE campushub_group_counts (
    tbl TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    slot INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (tbl, field, value, slot)
) WITHOUT ROWID;

-- students.
CREATE TRIGGER students_count_inserts AFTER INSERT ON students BEGIN
    INSERT INTO campushub_group_counts VALUES ('students', 'status', json_quote(NEW.status), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
    INSERT INTO campushub_group_counts VALUES ('students', 'year_of_study', json_quote(NEW.year_of_study), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
    INSERT INTO campushub_group_counts VALUES ('students', 'department_id,gender', json_array(NEW.department_id, NEW.gender), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER students_count_deletes AFTER DELETE ON students BEGIN
    INSERT INTO campushub_group_counts VALUES ('students', 'status', json_quote(OLD.status), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('students', 'year_of_study', json_quote(OLD.year_of_study), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('students', 'department_id,gender', json_array(OLD.department_id, OLD.gender), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
END;
CREATE TRIGGER students_count_status_updates AFTER UPDATE OF status ON students
    WHEN OLD.status IS NOT NEW.status BEGIN
    INSERT INTO campushub_group_counts VALUES ('students', 'status', json_quote(OLD.status), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('students', 'status', json_quote(NEW.status), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER students_count_year_of_study_updates AFTER UPDATE OF year_of_study ON students
    WHEN OLD.year_of_study IS NOT NEW.year_of_study BEGIN
    INSERT INTO campushub_group_counts VALUES ('students', 'year_of_study', json_quote(OLD.year_of_study), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('students', 'year_of_study', json_quote(NEW.year_of_study), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER students_count_department_id_gender_updates AFTER UPDATE OF department_id, gender ON students
    WHEN OLD.department_id IS NOT NEW.department_id OR OLD.gender IS NOT NEW.gender BEGIN
    INSERT INTO campushub_group_counts VALUES ('students', 'department_id,gender', json_array(OLD.department_id, OLD.gender), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('students', 'department_id,gender', json_array(NEW.department_id, NEW.gender), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
END;
INSERT INTO campushub_group_counts (tbl, field, value, slot, n)
SELECT 'students', field, value, 0, count(*) FROM (
    SELECT 'status' AS field, json_quote(status) AS value FROM students
    UNION ALL SELECT 'year_of_study', json_quote(year_of_study) FROM students
    UNION ALL SELECT 'department_id,gender', json_array(department_id, gender) FROM students
)
GROUP BY field, value;

-- faculty.
CREATE TRIGGER faculty_count_inserts AFTER INSERT ON faculty BEGIN
    INSERT INTO campushub_group_counts VALUES ('faculty', 'status', json_quote(NEW.status), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
    INSERT INTO campushub_group_counts VALUES ('faculty', 'designation', json_quote(NEW.designation), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
    INSERT INTO campushub_group_counts VALUES ('faculty', 'employment_type', json_quote(NEW.employment_type), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
    INSERT INTO campushub_group_counts VALUES ('faculty', 'department_id', json_quote(NEW.department_id), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER faculty_count_deletes AFTER DELETE ON faculty BEGIN
    INSERT INTO campushub_group_counts VALUES ('faculty', 'status', json_quote(OLD.status), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('faculty', 'designation', json_quote(OLD.designation), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('faculty', 'employment_type', json_quote(OLD.employment_type), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('faculty', 'department_id', json_quote(OLD.department_id), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
END;
CREATE TRIGGER faculty_count_status_updates AFTER UPDATE OF status ON faculty
    WHEN OLD.status IS NOT NEW.status BEGIN
    INSERT INTO campushub_group_counts VALUES ('faculty', 'status', json_quote(OLD.status), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('faculty', 'status', json_quote(NEW.status), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER faculty_count_designation_updates AFTER UPDATE OF designation ON faculty
    WHEN OLD.designation IS NOT NEW.designation BEGIN
    INSERT INTO campushub_group_counts VALUES ('faculty', 'designation', json_quote(OLD.designation), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('faculty', 'designation', json_quote(NEW.designation), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER faculty_count_employment_type_updates AFTER UPDATE OF employment_type ON faculty
    WHEN OLD.employment_type IS NOT NEW.employment_type BEGIN
    INSERT INTO campushub_group_counts VALUES ('faculty', 'employment_type', json_quote(OLD.employment_type), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('faculty', 'employment_type', json_quote(NEW.employment_type), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER faculty_count_department_id_updates AFTER UPDATE OF department_id ON faculty
    WHEN OLD.department_id IS NOT NEW.department_id BEGIN
    INSERT INTO campushub_group_counts VALUES ('faculty', 'department_id', json_quote(OLD.department_id), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('faculty', 'department_id', json_quote(NEW.department_id), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
END;
INSERT INTO campushub_group_counts (tbl, field, value, slot, n)
SELECT 'faculty', field, value, 0, count(*) FROM (
    SELECT 'status' AS field, json_quote(status) AS value FROM faculty
    UNION ALL SELECT 'designation', json_quote(designation) FROM faculty
    UNION ALL SELECT 'employment_type', json_quote(employment_type) FROM faculty
    UNION ALL SELECT 'department_id', json_quote(department_id) FROM faculty
)
GROUP BY field, value;

-- departments.
CREATE TRIGGER departments_count_inserts AFTER INSERT ON departments BEGIN
    INSERT INTO campushub_group_counts VALUES ('departments', 'status', json_quote(NEW.status), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
    INSERT INTO campushub_group_counts VALUES ('departments', 'kind', json_quote(NEW.kind), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER departments_count_deletes AFTER DELETE ON departments BEGIN
    INSERT INTO campushub_group_counts VALUES ('departments', 'status', json_quote(OLD.status), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('departments', 'kind', json_quote(OLD.kind), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
END;
CREATE TRIGGER departments_count_status_updates AFTER UPDATE OF status ON departments
    WHEN OLD.status IS NOT NEW.status BEGIN
    INSERT INTO campushub_group_counts VALUES ('departments', 'status', json_quote(OLD.status), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('departments', 'status', json_quote(NEW.status), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
END;
CREATE TRIGGER departments_count_kind_updates AFTER UPDATE OF kind ON departments
    WHEN OLD.kind IS NOT NEW.kind BEGIN
    INSERT INTO campushub_group_counts VALUES ('departments', 'kind', json_quote(OLD.kind), 0, -1)
        ON CONFLICT DO UPDATE SET n = n + (-1);
    INSERT INTO campushub_group_counts VALUES ('departments', 'kind', json_quote(NEW.kind), 0, 1)
        ON CONFLICT DO UPDATE SET n = n + (1);
END;
INSERT INTO campushub_group_counts (tbl, field, value, slot, n)
SELECT 'departments', field, value, 0, count(*) FROM (
    SELECT 'status' AS field, json_quote(status) AS value FROM departments
    UNION ALL SELECT 'kind', json_quote(kind) FROM departments
)
GROUP BY field, value;

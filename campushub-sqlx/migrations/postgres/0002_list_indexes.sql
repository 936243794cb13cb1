-- Filters on status or department arrive with the default order (newest first). A single-column
-- index on the filter made the planner fetch every matching row and sort it for one page
-- (150 ms for status=ACTIVE over 100,000 students on SQLite); an index on the filter followed
-- by the keyset order reads the first page straight from the index. It serves equality lookups
-- (and the foreign-key checks on department_id) as the old ones did.
DROP INDEX students_status_idx;
CREATE INDEX students_status_created_at_id_idx ON students (status, created_at DESC, id DESC);
DROP INDEX students_department_id_idx;
CREATE INDEX students_department_id_created_at_id_idx ON students (department_id, created_at DESC, id DESC);
DROP INDEX faculty_status_idx;
CREATE INDEX faculty_status_created_at_id_idx ON faculty (status, created_at DESC, id DESC);
DROP INDEX faculty_department_id_idx;
CREATE INDEX faculty_department_id_created_at_id_idx ON faculty (department_id, created_at DESC, id DESC);

-- Directory listings order by last name: the keyset order (last_name, id) without a sort.
CREATE INDEX students_last_name_id_idx ON students (last_name, id);
CREATE INDEX faculty_last_name_id_idx ON faculty (last_name, id);

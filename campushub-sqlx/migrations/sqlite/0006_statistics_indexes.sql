-- Filtered statistics count the matching rows grouped by every statistics field at once,
-- in the order of these indexes (`SqlEntity::statistics_index`): SQLite reads the covering
-- index alone, in order, instead of the table once per field. See the Postgres migration of
-- the same name.
CREATE INDEX students_statistics_idx
    ON students (department_id, status, year_of_study, gender);
CREATE INDEX faculty_statistics_idx
    ON faculty (department_id, status, designation, employment_type);

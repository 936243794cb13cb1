-- Departments and custom-field definitions record who created and last wrote them, as students
-- and faculty do (the principal's subject). Rows written before this migration have no record
-- of it: the columns are nullable and those rows read as null.
ALTER TABLE departments
    ADD COLUMN created_by text COLLATE "C",
    ADD COLUMN updated_by text COLLATE "C";
ALTER TABLE custom_field_defs
    ADD COLUMN created_by text COLLATE "C",
    ADD COLUMN updated_by text COLLATE "C";

-- `__icontains` and `search=` fold case beyond ASCII (`ärz` finds `Ärzte`), as core's reference
-- semantics do. The text columns use the byte-order "C" collation (for keyset order), under which
-- ILIKE folds ASCII only, so the queries match under the database's default collation
-- (`col COLLATE "default" ILIKE ...`; a UTF-8 ctype, as `initdb --locale=C.UTF-8` gives). A
-- trigram index serves only the collation it was built under: rebuild them under "default".

DROP INDEX departments_code_trgm_idx;
CREATE INDEX departments_code_trgm_idx ON departments USING gin (code COLLATE "default" gin_trgm_ops);
DROP INDEX departments_name_trgm_idx;
CREATE INDEX departments_name_trgm_idx ON departments USING gin (name COLLATE "default" gin_trgm_ops);

DROP INDEX faculty_employee_id_trgm_idx;
CREATE INDEX faculty_employee_id_trgm_idx ON faculty USING gin (employee_id COLLATE "default" gin_trgm_ops);
DROP INDEX faculty_first_name_trgm_idx;
CREATE INDEX faculty_first_name_trgm_idx ON faculty USING gin (first_name COLLATE "default" gin_trgm_ops);
DROP INDEX faculty_middle_name_trgm_idx;
CREATE INDEX faculty_middle_name_trgm_idx ON faculty USING gin (middle_name COLLATE "default" gin_trgm_ops);
DROP INDEX faculty_last_name_trgm_idx;
CREATE INDEX faculty_last_name_trgm_idx ON faculty USING gin (last_name COLLATE "default" gin_trgm_ops);
DROP INDEX faculty_email_trgm_idx;
CREATE INDEX faculty_email_trgm_idx ON faculty USING gin (email COLLATE "default" gin_trgm_ops);

DROP INDEX students_roll_number_trgm_idx;
CREATE INDEX students_roll_number_trgm_idx ON students USING gin (roll_number COLLATE "default" gin_trgm_ops);
DROP INDEX students_first_name_trgm_idx;
CREATE INDEX students_first_name_trgm_idx ON students USING gin (first_name COLLATE "default" gin_trgm_ops);
DROP INDEX students_middle_name_trgm_idx;
CREATE INDEX students_middle_name_trgm_idx ON students USING gin (middle_name COLLATE "default" gin_trgm_ops);
DROP INDEX students_last_name_trgm_idx;
CREATE INDEX students_last_name_trgm_idx ON students USING gin (last_name COLLATE "default" gin_trgm_ops);
DROP INDEX students_email_trgm_idx;
CREATE INDEX students_email_trgm_idx ON students USING gin (email COLLATE "default" gin_trgm_ops);

DROP INDEX custom_field_defs_name_trgm_idx;
CREATE INDEX custom_field_defs_name_trgm_idx ON custom_field_defs USING gin (name COLLATE "default" gin_trgm_ops);
DROP INDEX custom_field_defs_label_trgm_idx;
CREATE INDEX custom_field_defs_label_trgm_idx ON custom_field_defs USING gin (label COLLATE "default" gin_trgm_ops);

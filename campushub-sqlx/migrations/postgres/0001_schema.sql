-- CampusHub schema (Postgres): text columns use the C collation so ordering and ranges are
-- byte order, as in the reference semantics.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE departments (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version bigint NOT NULL,
    code text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    kind text COLLATE "C" NOT NULL,
    parent_id uuid,
    head_id uuid,
    email text COLLATE "C",
    phone text COLLATE "C",
    status text COLLATE "C" NOT NULL,
    custom_fields jsonb NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT departments_code_key UNIQUE (code),
    CONSTRAINT departments_name_key UNIQUE (name),
    CONSTRAINT departments_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES departments (id)
);
CREATE INDEX departments_created_at_id_idx ON departments (created_at DESC, id DESC);
CREATE INDEX departments_status_idx ON departments (status);
CREATE INDEX departments_custom_fields_idx ON departments USING gin (custom_fields jsonb_path_ops);
CREATE INDEX departments_code_trgm_idx ON departments USING gin (code gin_trgm_ops);
CREATE INDEX departments_name_trgm_idx ON departments USING gin (name gin_trgm_ops);

CREATE TABLE faculty (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version bigint NOT NULL,
    first_name text COLLATE "C" NOT NULL,
    middle_name text COLLATE "C",
    last_name text COLLATE "C" NOT NULL,
    date_of_birth date NOT NULL,
    gender text COLLATE "C" NOT NULL,
    email text COLLATE "C",
    mobile text COLLATE "C",
    address_line1 text COLLATE "C",
    address_line2 text COLLATE "C",
    city text COLLATE "C",
    state text COLLATE "C",
    postal_code text COLLATE "C",
    country text COLLATE "C",
    employee_id text COLLATE "C" NOT NULL,
    department_id uuid,
    designation text COLLATE "C" NOT NULL,
    qualification text COLLATE "C" NOT NULL,
    specialization text COLLATE "C",
    date_of_joining date NOT NULL,
    employment_type text COLLATE "C" NOT NULL,
    status text COLLATE "C" NOT NULL,
    custom_fields jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_by text COLLATE "C",
    updated_by text COLLATE "C",
    CONSTRAINT faculty_employee_id_key UNIQUE (employee_id),
    CONSTRAINT faculty_email_key UNIQUE (email),
    CONSTRAINT faculty_department_id_fkey FOREIGN KEY (department_id) REFERENCES departments (id)
);
CREATE INDEX faculty_created_at_id_idx ON faculty (created_at DESC, id DESC);
CREATE INDEX faculty_department_id_idx ON faculty (department_id);
CREATE INDEX faculty_status_idx ON faculty (status);
CREATE INDEX faculty_custom_fields_idx ON faculty USING gin (custom_fields jsonb_path_ops);
CREATE INDEX faculty_employee_id_trgm_idx ON faculty USING gin (employee_id gin_trgm_ops);
CREATE INDEX faculty_first_name_trgm_idx ON faculty USING gin (first_name gin_trgm_ops);
CREATE INDEX faculty_middle_name_trgm_idx ON faculty USING gin (middle_name gin_trgm_ops);
CREATE INDEX faculty_last_name_trgm_idx ON faculty USING gin (last_name gin_trgm_ops);
CREATE INDEX faculty_email_trgm_idx ON faculty USING gin (email gin_trgm_ops);

CREATE TABLE students (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version bigint NOT NULL,
    first_name text COLLATE "C" NOT NULL,
    middle_name text COLLATE "C",
    last_name text COLLATE "C" NOT NULL,
    date_of_birth date NOT NULL,
    gender text COLLATE "C" NOT NULL,
    email text COLLATE "C",
    mobile text COLLATE "C",
    address_line1 text COLLATE "C",
    address_line2 text COLLATE "C",
    city text COLLATE "C",
    state text COLLATE "C",
    postal_code text COLLATE "C",
    country text COLLATE "C",
    roll_number text COLLATE "C" NOT NULL,
    department_id uuid,
    program text COLLATE "C" NOT NULL,
    admission_date date NOT NULL,
    year_of_study bigint NOT NULL,
    semester bigint NOT NULL,
    section text COLLATE "C" NOT NULL,
    status text COLLATE "C" NOT NULL,
    custom_fields jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_by text COLLATE "C",
    updated_by text COLLATE "C",
    CONSTRAINT students_roll_number_key UNIQUE (roll_number),
    CONSTRAINT students_email_key UNIQUE (email),
    CONSTRAINT students_department_id_fkey FOREIGN KEY (department_id) REFERENCES departments (id)
);
CREATE INDEX students_created_at_id_idx ON students (created_at DESC, id DESC);
CREATE INDEX students_department_id_idx ON students (department_id);
CREATE INDEX students_status_idx ON students (status);
CREATE INDEX students_custom_fields_idx ON students USING gin (custom_fields jsonb_path_ops);
CREATE INDEX students_roll_number_trgm_idx ON students USING gin (roll_number gin_trgm_ops);
CREATE INDEX students_first_name_trgm_idx ON students USING gin (first_name gin_trgm_ops);
CREATE INDEX students_middle_name_trgm_idx ON students USING gin (middle_name gin_trgm_ops);
CREATE INDEX students_last_name_trgm_idx ON students USING gin (last_name gin_trgm_ops);
CREATE INDEX students_email_trgm_idx ON students USING gin (email gin_trgm_ops);

CREATE TABLE custom_field_defs (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version bigint NOT NULL,
    entity text COLLATE "C" NOT NULL,
    name text COLLATE "C" NOT NULL,
    label text COLLATE "C" NOT NULL,
    field_type text COLLATE "C" NOT NULL,
    required boolean NOT NULL,
    help_text text COLLATE "C" NOT NULL,
    default_value jsonb,
    choices jsonb NOT NULL DEFAULT '[]'::jsonb,
    validation_regex text COLLATE "C",
    min_value double precision,
    max_value double precision,
    is_active boolean NOT NULL,
    "order" bigint NOT NULL,
    CONSTRAINT custom_field_defs_entity_name_key UNIQUE (entity, name)
);
CREATE INDEX custom_field_defs_created_at_id_idx ON custom_field_defs (created_at DESC, id DESC);
CREATE INDEX custom_field_defs_entity_idx ON custom_field_defs (entity);
CREATE INDEX custom_field_defs_name_trgm_idx ON custom_field_defs USING gin (name gin_trgm_ops);
CREATE INDEX custom_field_defs_label_trgm_idx ON custom_field_defs USING gin (label gin_trgm_ops);

ALTER TABLE departments ADD CONSTRAINT departments_head_id_fkey FOREIGN KEY (head_id) REFERENCES faculty (id);

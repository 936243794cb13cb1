-- CampusHub schema (SQLite): UUIDs as text, instants as epoch microseconds, JSON as text.

CREATE TABLE departments (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id TEXT,
    head_id TEXT,
    email TEXT,
    phone TEXT,
    status TEXT NOT NULL,
    custom_fields TEXT NOT NULL DEFAULT '{}',
    CONSTRAINT departments_code_key UNIQUE (code),
    CONSTRAINT departments_name_key UNIQUE (name),
    CONSTRAINT departments_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES departments (id),
    CONSTRAINT departments_head_id_fkey FOREIGN KEY (head_id) REFERENCES faculty (id)
);
CREATE INDEX departments_created_at_id_idx ON departments (created_at DESC, id DESC);
CREATE INDEX departments_status_idx ON departments (status);

CREATE TABLE faculty (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    first_name TEXT NOT NULL,
    middle_name TEXT,
    last_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    gender TEXT NOT NULL,
    email TEXT,
    mobile TEXT,
    address_line1 TEXT,
    address_line2 TEXT,
    city TEXT,
    state TEXT,
    postal_code TEXT,
    country TEXT,
    employee_id TEXT NOT NULL,
    department_id TEXT,
    designation TEXT NOT NULL,
    qualification TEXT NOT NULL,
    specialization TEXT,
    date_of_joining TEXT NOT NULL,
    employment_type TEXT NOT NULL,
    status TEXT NOT NULL,
    custom_fields TEXT NOT NULL DEFAULT '{}',
    created_by TEXT,
    updated_by TEXT,
    CONSTRAINT faculty_employee_id_key UNIQUE (employee_id),
    CONSTRAINT faculty_email_key UNIQUE (email),
    CONSTRAINT faculty_department_id_fkey FOREIGN KEY (department_id) REFERENCES departments (id)
);
CREATE INDEX faculty_created_at_id_idx ON faculty (created_at DESC, id DESC);
CREATE INDEX faculty_department_id_idx ON faculty (department_id);
CREATE INDEX faculty_status_idx ON faculty (status);

CREATE TABLE students (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    first_name TEXT NOT NULL,
    middle_name TEXT,
    last_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    gender TEXT NOT NULL,
    email TEXT,
    mobile TEXT,
    address_line1 TEXT,
    address_line2 TEXT,
    city TEXT,
    state TEXT,
    postal_code TEXT,
    country TEXT,
    roll_number TEXT NOT NULL,
    department_id TEXT,
    program TEXT NOT NULL,
    admission_date TEXT NOT NULL,
    year_of_study INTEGER NOT NULL,
    semester INTEGER NOT NULL,
    section TEXT NOT NULL,
    status TEXT NOT NULL,
    custom_fields TEXT NOT NULL DEFAULT '{}',
    created_by TEXT,
    updated_by TEXT,
    CONSTRAINT students_roll_number_key UNIQUE (roll_number),
    CONSTRAINT students_email_key UNIQUE (email),
    CONSTRAINT students_department_id_fkey FOREIGN KEY (department_id) REFERENCES departments (id)
);
CREATE INDEX students_created_at_id_idx ON students (created_at DESC, id DESC);
CREATE INDEX students_department_id_idx ON students (department_id);
CREATE INDEX students_status_idx ON students (status);

CREATE TABLE custom_field_defs (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    entity TEXT NOT NULL,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    field_type TEXT NOT NULL,
    required INTEGER NOT NULL,
    help_text TEXT NOT NULL,
    default_value TEXT,
    choices TEXT NOT NULL DEFAULT '[]',
    validation_regex TEXT,
    min_value REAL,
    max_value REAL,
    is_active INTEGER NOT NULL,
    "order" INTEGER NOT NULL,
    CONSTRAINT custom_field_defs_entity_name_key UNIQUE (entity, name)
);
CREATE INDEX custom_field_defs_created_at_id_idx ON custom_field_defs (created_at DESC, id DESC);
CREATE INDEX custom_field_defs_entity_idx ON custom_field_defs (entity);

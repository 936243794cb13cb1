-- User accounts (issue 14, part 1), and their secrets in tables of their own: no statement that
-- reads `users` can return a password hash or a refresh token, because neither is in it.
-- `email` is stored lowercase by the service; `COLLATE NOCASE` keeps two ASCII spellings of one
-- address out even if a row is written around the service.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    roles TEXT NOT NULL DEFAULT '[]',
    student_id TEXT,
    faculty_id TEXT,
    is_active INTEGER NOT NULL,
    created_by TEXT,
    updated_by TEXT,
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_student_id_fkey FOREIGN KEY (student_id) REFERENCES students (id),
    CONSTRAINT users_faculty_id_fkey FOREIGN KEY (faculty_id) REFERENCES faculty (id)
);
CREATE UNIQUE INDEX users_lower_email_idx ON users (email COLLATE NOCASE);
CREATE INDEX users_created_at_id_idx ON users (created_at DESC, id DESC);
CREATE INDEX users_student_id_idx ON users (student_id);
CREATE INDEX users_faculty_id_idx ON users (faculty_id);

-- One Argon2id hash (PHC string) per account.
CREATE TABLE user_credentials (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Refresh tokens by their SHA-256 (hex); a family is one sign-in (see the Postgres migration).
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_expires_at_idx ON refresh_tokens (user_id, expires_at);

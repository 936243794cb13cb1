-- User accounts (issue 14, part 1), and their secrets in tables of their own: no statement that
-- reads `users` can return a password hash or a refresh token, because neither is in it.
--
-- `email` is stored lowercase by the service; the unique index on lower(email) keeps two
-- spellings of one address out even if a row is written around the service.

CREATE TABLE users (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version bigint NOT NULL,
    email text COLLATE "C" NOT NULL,
    display_name text COLLATE "C" NOT NULL,
    roles jsonb NOT NULL DEFAULT '[]'::jsonb,
    student_id uuid REFERENCES students (id),
    faculty_id uuid REFERENCES faculty (id),
    is_active boolean NOT NULL,
    created_by text COLLATE "C",
    updated_by text COLLATE "C",
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE UNIQUE INDEX users_lower_email_idx ON users (lower(email));
CREATE INDEX users_created_at_id_idx ON users (created_at DESC, id DESC);
CREATE INDEX users_student_id_idx ON users (student_id) WHERE student_id IS NOT NULL;
CREATE INDEX users_faculty_id_idx ON users (faculty_id) WHERE faculty_id IS NOT NULL;
CREATE INDEX users_email_trgm_idx ON users USING gin (email COLLATE "default" gin_trgm_ops);
CREATE INDEX users_display_name_trgm_idx ON users USING gin (display_name COLLATE "default" gin_trgm_ops);

-- One Argon2id hash (PHC string) per account.
CREATE TABLE user_credentials (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    password_hash text COLLATE "C" NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Refresh tokens by their SHA-256 (hex). A family is one sign-in: every token rotated from
-- one login. `used_at` marks a rotated token (presenting it again revokes the family);
-- `revoked_at` a revoked one.
CREATE TABLE refresh_tokens (
    token_hash text COLLATE "C" PRIMARY KEY,
    family_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issued_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_expires_at_idx ON refresh_tokens (user_id, expires_at);

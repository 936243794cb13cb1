-- A custom field can be marked sensitive (personal data): only callers granted personal
-- fields see its values, filter or order on it. Existing definitions are not sensitive.
ALTER TABLE custom_field_defs
    ADD COLUMN sensitive boolean NOT NULL DEFAULT false;

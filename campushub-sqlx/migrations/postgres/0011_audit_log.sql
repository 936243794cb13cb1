-- The audit log (issue 15): one row per record a committed write changed, inserted in that
-- write's transaction (see `src/audit.rs`). Partitioned by month on `at`, so that retention
-- drops whole partitions (`campushub_audit_drop_before`) instead of deleting rows, and reads
-- of a time range touch the months they cover. A default partition takes any row whose month
-- has no partition yet, so a write never fails for lack of one; `campushub_audit_partitions`
-- (run by the migrator on every start) creates the months ahead and moves such rows out.
CREATE TABLE campushub_audit_log (
    id uuid NOT NULL,
    at timestamptz NOT NULL,
    kind text COLLATE "C" NOT NULL,
    record_id uuid NOT NULL,
    action text COLLATE "C" NOT NULL,
    version_before bigint,
    version_after bigint,
    actor text COLLATE "C" NOT NULL,
    actor_roles jsonb NOT NULL,
    api_key text COLLATE "C",
    request_id text COLLATE "C",
    client_address text COLLATE "C",
    changes jsonb NOT NULL,
    PRIMARY KEY (at, id)
) PARTITION BY RANGE (at);

CREATE TABLE campushub_audit_log_default PARTITION OF campushub_audit_log DEFAULT;

-- Newest first, overall and per record (a record's history) and per actor.
CREATE INDEX campushub_audit_log_newest ON campushub_audit_log (at DESC, id DESC);
CREATE INDEX campushub_audit_log_record ON campushub_audit_log (record_id, at DESC, id DESC);
CREATE INDEX campushub_audit_log_actor ON campushub_audit_log (actor, at DESC, id DESC);

-- Creates the monthly partitions from the current month to `months_ahead` months after it
-- (those missing), moving into each the rows the default partition holds for its month.
-- Returns the names of the partitions it created.
CREATE FUNCTION campushub_audit_partitions(months_ahead integer) RETURNS SETOF text
LANGUAGE plpgsql AS $partitions$
DECLARE
    -- Months are counted in UTC, whatever the session's time zone.
    first_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
    month timestamp;
    lower_bound timestamptz;
    upper_bound timestamptz;
    name text;
BEGIN
    -- One creator at a time: two servers starting together would race to create a month.
    PERFORM pg_advisory_xact_lock(hashtext('campushub_audit_partitions'));
    FOR i IN 0..months_ahead LOOP
        month := first_month + make_interval(months => i);
        lower_bound := month AT TIME ZONE 'UTC';
        upper_bound := (month + interval '1 month') AT TIME ZONE 'UTC';
        name := 'campushub_audit_log_' || to_char(month, 'YYYY_MM');
        CONTINUE WHEN to_regclass(name) IS NOT NULL;
        EXECUTE format('CREATE TABLE %I (LIKE campushub_audit_log INCLUDING DEFAULTS)', name);
        EXECUTE format(
            'WITH moved AS (DELETE FROM campushub_audit_log_default WHERE at >= $1 AND at < $2 RETURNING *) '
            'INSERT INTO %I SELECT * FROM moved', name)
            USING lower_bound, upper_bound;
        EXECUTE format(
            'ALTER TABLE campushub_audit_log ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
            name, lower_bound, upper_bound);
        RETURN NEXT name;
    END LOOP;
END
$partitions$;

-- Retention: drops the monthly partitions wholly before `cutoff` and deletes the default
-- partition's rows before it. Returns the names of the partitions it dropped.
CREATE FUNCTION campushub_audit_drop_before(cutoff timestamptz) RETURNS SETOF text
LANGUAGE plpgsql AS $drop$
DECLARE
    part record;
BEGIN
    FOR part IN
        SELECT c.relname::text AS name
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'campushub_audit_log'::regclass
          AND c.relname ~ '^campushub_audit_log_[0-9]{4}_[0-9]{2}$'
    LOOP
        -- A month's partition ends where the next month begins.
        IF (make_timestamp(substr(part.name, 21, 4)::integer, substr(part.name, 26, 2)::integer,
                           1, 0, 0, 0) + interval '1 month') AT TIME ZONE 'UTC' <= cutoff THEN
            EXECUTE format('DROP TABLE %I', part.name);
            RETURN NEXT part.name;
        END IF;
    END LOOP;
    DELETE FROM campushub_audit_log_default WHERE at < cutoff;
END
$drop$;

SELECT campushub_audit_partitions(12);

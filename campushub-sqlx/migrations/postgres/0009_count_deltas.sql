-- Writes append their counts instead of updating counter rows (issue 20). Every write used to
-- upsert the same few counter rows in place; with a replica's `hot_standby_feedback` holding
-- the xmin horizon back by seconds, the dead versions of those rows cannot be pruned, so each
-- upsert walked a chain of hundreds of versions and single-row writes paid a fifth of their
-- time to counting (measured in `docs/performance.md`). Now a write's statement-level trigger
-- appends its deltas to `campushub_count_deltas`, an unindexed heap that only grows (no
-- conflict check, no row lock, no version chain), and `campushub_fold_counts()` moves them into
-- `campushub_group_counts` in one transaction: the Postgres router calls it every second
-- (`PgRouterConfig::with_fold_interval`). A reader sums both tables, so a count is as exact as
-- before whether or not the deltas were folded yet; folding only keeps the deltas few.
CREATE TABLE campushub_count_deltas (
    tbl text COLLATE "C" NOT NULL,
    field text COLLATE "C" NOT NULL,
    value text COLLATE "C" NOT NULL,
    n bigint NOT NULL
);

-- The SQL of the value a row `r` has for `grouping_name`, as JSON text (what the counts key
-- on): `COALESCE(to_jsonb(r."status"), 'null')::text` for a field, `jsonb_build_array(r."a",
-- r."b")::text` for a pair `a,b`.
CREATE FUNCTION campushub_grouping_value(grouping_name text) RETURNS text
LANGUAGE sql IMMUTABLE AS $value$
    SELECT CASE
        WHEN strpos(grouping_name, ',') = 0
            THEN format('COALESCE(to_jsonb(r.%I), ''null'')::text', grouping_name)
        ELSE format('jsonb_build_array(%s)::text', (
            SELECT string_agg(format('r.%I', part), ', ' ORDER BY i)
            FROM unnest(string_to_array(grouping_name, ',')) WITH ORDINALITY AS p(part, i)))
    END
$value$;

-- (Re)creates the trigger function `campushub_count_<tbl>` for `groupings` (field names, or
-- `a,b` for a pair): it appends each statement's deltas, per grouping and value, read from the
-- statement's transition tables (each branch names only those its event has, since PL/pgSQL
-- plans a statement when it first runs it). A kind of one's own whose triggers came from
-- `campushub_keep_counts` before this migration calls it again to append instead of update.
CREATE FUNCTION campushub_count_function(tbl text, groupings text[]) RETURNS void
LANGUAGE plpgsql AS $count$
DECLARE
    counted_as text;
BEGIN
    -- `CROSS JOIN LATERAL (VALUES ('status', <its JSON text>), ...) AS g(field, value)`.
    SELECT format('CROSS JOIN LATERAL (VALUES %s) AS g(field, value)', string_agg(
               format('(%L, %s)', grouping_name, campushub_grouping_value(grouping_name)), ', '))
    INTO counted_as
    FROM unnest(groupings) AS grouping_name;

    EXECUTE format($function$
        CREATE OR REPLACE FUNCTION %1$I() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                DELETE FROM campushub_group_counts WHERE tbl = %2$L;
                DELETE FROM campushub_count_deltas WHERE tbl = %2$L;
            ELSIF TG_OP = 'INSERT' THEN
                INSERT INTO campushub_count_deltas (tbl, field, value, n)
                SELECT %2$L, g.field, g.value, count(*)
                FROM new_rows r %3$s
                GROUP BY g.field, g.value;
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO campushub_count_deltas (tbl, field, value, n)
                SELECT %2$L, g.field, g.value, -count(*)
                FROM old_rows r %3$s
                GROUP BY g.field, g.value;
            ELSE
                -- An update moves a row between groups only for the fields it changed: the
                -- -1 of its old value and the +1 of its new one cancel otherwise.
                INSERT INTO campushub_count_deltas (tbl, field, value, n)
                SELECT %2$L, d.field, d.value, sum(d.delta)
                FROM (
                    SELECT g.field, g.value, 1 AS delta FROM new_rows r %3$s
                    UNION ALL
                    SELECT g.field, g.value, -1 FROM old_rows r %3$s
                ) d
                GROUP BY d.field, d.value
                HAVING sum(d.delta) <> 0;
            END IF;
            RETURN NULL;
        END
        $body$
    $function$, 'campushub_count_' || tbl, tbl, counted_as);
END
$count$;

-- Makes table `tbl` keep its counts of `groupings`: the trigger function, the four triggers,
-- and the counts of the rows already there. An application's migration may call it for a kind
-- of its own whose `SqlEntity::kept_counts` lists the same groupings.
CREATE OR REPLACE FUNCTION campushub_keep_counts(tbl text, groupings text[]) RETURNS void
LANGUAGE plpgsql AS $keep$
DECLARE
    trigger_function text := 'campushub_count_' || tbl;
BEGIN
    PERFORM campushub_count_function(tbl, groupings);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION %I()', tbl || '_count_inserts', tbl, trigger_function);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows '
        'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
        tbl || '_count_updates', tbl, trigger_function);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION %I()', tbl || '_count_deletes', tbl, trigger_function);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION %I()',
        tbl || '_count_truncates', tbl, trigger_function);
    INSERT INTO campushub_count_deltas (tbl, field, value, n)
    SELECT tbl, field, value, n FROM campushub_current_counts(tbl, groupings);
END
$keep$;

-- The counts of `tbl`'s rows per grouping and value, as the triggers write them (for the
-- counts of a table's existing rows).
CREATE FUNCTION campushub_current_counts(tbl text, groupings text[])
RETURNS TABLE (field text, value text, n bigint)
LANGUAGE plpgsql AS $current$
DECLARE
    grouping_name text;
BEGIN
    FOREACH grouping_name IN ARRAY groupings LOOP
        RETURN QUERY EXECUTE format('SELECT %L::text, %s, count(*) FROM %I r GROUP BY 2',
            grouping_name, campushub_grouping_value(grouping_name), tbl);
    END LOOP;
END
$current$;

-- Moves every delta committed so far into the counter rows, in one transaction, and returns
-- how many it moved. Concurrent calls are safe: a delta deleted by one is skipped by the
-- other. Locks counter rows in (table, field, value) order, as writers did.
CREATE FUNCTION campushub_fold_counts() RETURNS bigint
LANGUAGE sql AS $fold$
    WITH moved AS (
        DELETE FROM campushub_count_deltas RETURNING tbl, field, value, n
    ), folded AS (
        INSERT INTO campushub_group_counts AS c (tbl, field, value, slot, n)
        SELECT tbl, field, value, 0, sum(n) FROM moved
        GROUP BY tbl, field, value
        ORDER BY tbl, field, value
        ON CONFLICT (tbl, field, value, slot) DO UPDATE SET n = c.n + EXCLUDED.n
    )
    SELECT count(*) FROM moved;
$fold$;

SELECT campushub_count_function('students', ARRAY['status', 'year_of_study', 'department_id,gender']);
SELECT campushub_count_function('faculty', ARRAY['status', 'designation', 'employment_type', 'department_id']);
SELECT campushub_count_function('departments', ARRAY['status', 'kind']);

-- Counts per grouping, kept by the writes themselves (issue 20): statistics and analytics
-- read O(groups) rows instead of scanning the table. One row per (table, field, value, slot);
-- `value` is the grouped value as JSON text (`"ACTIVE"`, `3`, `null`), or for a pair of
-- fields (`department_id,gender`) the JSON array of both. Only what cannot be derived is
-- kept: a table's total is the sum of any grouping, a field of a pair the sum over the other
-- (students' gender and department come from their pair), so a student write changes three
-- counters. A write's statement-level trigger adds its deltas in the write's own
-- transaction, so a count is exactly as visible as the rows it counts.
--
-- Slots spread the counter rows of concurrent writers: a transaction adds to the slot of its
-- transaction id (xid % 16), so up to 16 concurrent writers never wait for each other's
-- counter row lock (consecutive ids differ), and a reader sums the slots. Each statement
-- locks its rows in (field, value) order, so two writers that do share a slot cannot
-- deadlock within a statement.
CREATE TABLE campushub_group_counts (
    tbl text COLLATE "C" NOT NULL,
    field text COLLATE "C" NOT NULL,
    value text COLLATE "C" NOT NULL,
    slot smallint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (tbl, field, value, slot)
);

-- Makes table `tbl` keep its counts of `groupings` (field names, or `a,b` for a pair): a
-- trigger function naming those columns (a statement-level trigger reads the statement's
-- transition tables `new_rows` and `old_rows` once, and each branch names only those its
-- event has, since PL/pgSQL plans a statement when it first runs it), the four triggers, and
-- the counts of the rows already there. An application's migration may call it for a kind of
-- its own whose `SqlEntity::kept_counts` lists the same groupings.
CREATE FUNCTION campushub_keep_counts(tbl text, groupings text[]) RETURNS void
LANGUAGE plpgsql AS $keep$
DECLARE
    counted_as text;
    trigger_function text := 'campushub_count_' || tbl;
BEGIN
    -- `CROSS JOIN LATERAL (VALUES ('status', <its JSON text>), ...) AS g(field, value)`.
    SELECT format('CROSS JOIN LATERAL (VALUES %s) AS g(field, value)', string_agg(
               format('(%L, %s)', grouping, CASE
                   WHEN strpos(grouping, ',') = 0
                       THEN format('COALESCE(to_jsonb(r.%I), ''null'')::text', grouping)
                   ELSE format('jsonb_build_array(%s)::text', (
                       SELECT string_agg(format('r.%I', part), ', ' ORDER BY i)
                       FROM unnest(string_to_array(grouping, ',')) WITH ORDINALITY AS p(part, i)))
               END), ', '))
    INTO counted_as
    FROM unnest(groupings) AS grouping;

    EXECUTE format($function$
        CREATE FUNCTION %1$I() RETURNS trigger LANGUAGE plpgsql AS $body$
        DECLARE
            writer_slot smallint := txid_current() %% 16;
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                DELETE FROM campushub_group_counts WHERE tbl = %2$L;
            ELSIF TG_OP = 'INSERT' THEN
                INSERT INTO campushub_group_counts AS c (tbl, field, value, slot, n)
                SELECT %2$L, g.field, g.value, writer_slot, count(*)
                FROM new_rows r %3$s
                GROUP BY g.field, g.value
                ORDER BY g.field, g.value
                ON CONFLICT (tbl, field, value, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
            ELSIF TG_OP = 'DELETE' THEN
                INSERT INTO campushub_group_counts AS c (tbl, field, value, slot, n)
                SELECT %2$L, g.field, g.value, writer_slot, -count(*)
                FROM old_rows r %3$s
                GROUP BY g.field, g.value
                ORDER BY g.field, g.value
                ON CONFLICT (tbl, field, value, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
            ELSE
                -- An update moves a row between groups only for the fields it changed: the
                -- -1 of its old value and the +1 of its new one cancel otherwise.
                INSERT INTO campushub_group_counts AS c (tbl, field, value, slot, n)
                SELECT %2$L, d.field, d.value, writer_slot, sum(d.delta)
                FROM (
                    SELECT g.field, g.value, 1 AS delta FROM new_rows r %3$s
                    UNION ALL
                    SELECT g.field, g.value, -1 FROM old_rows r %3$s
                ) d
                GROUP BY d.field, d.value
                HAVING sum(d.delta) <> 0
                ORDER BY d.field, d.value
                ON CONFLICT (tbl, field, value, slot) DO UPDATE SET n = c.n + EXCLUDED.n;
            END IF;
            RETURN NULL;
        END
        $body$
    $function$, trigger_function, tbl, counted_as);

    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION %I()', tbl || '_count_inserts', tbl, trigger_function);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows '
        'NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %I()',
        tbl || '_count_updates', tbl, trigger_function);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
        'FOR EACH STATEMENT EXECUTE FUNCTION %I()', tbl || '_count_deletes', tbl, trigger_function);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION %I()',
        tbl || '_count_truncates', tbl, trigger_function);
    EXECUTE format('INSERT INTO campushub_group_counts (tbl, field, value, slot, n) '
        'SELECT %L, g.field, g.value, 0, count(*) FROM %I r %s GROUP BY g.field, g.value',
        tbl, tbl, counted_as);
END
$keep$;

-- Gender and department of students are read from their pair, every total from the statuses.
SELECT campushub_keep_counts('students', ARRAY['status', 'year_of_study', 'department_id,gender']);
SELECT campushub_keep_counts('faculty', ARRAY['status', 'designation', 'employment_type', 'department_id']);
SELECT campushub_keep_counts('departments', ARRAY['status', 'kind']);

-- Baseline of the list rows (bench/lists.py): gridsvc's event_time_shares.sql before issue #24.
-- How many events occurred in [occurred_from, occurred_to) ("inside"; NULL from: no lower
-- bound) and at or after occurred_to ("after"), estimated from the planner's histogram of
-- event.occurred_at (kept by ANALYZE) times the table's rows. Rows written since the last
-- ANALYZE count as after: reports arrive in time order, after any window in the past.
-- Both 0 before the first ANALYZE. The histogram row of the table "event" resolves to (the
-- inherited one first, as a partitioned table has).
WITH st AS (
    SELECT s.histogram_bounds::text::timestamptz[] AS bounds, c.reltuples,
           coalesce(u.n_mod_since_analyze, 0) AS changed
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_stats AS s
      ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = 'occurred_at'
    LEFT JOIN pg_stat_user_tables AS u ON u.relid = c.oid
    WHERE c.oid = 'event'::regclass
    ORDER BY s.inherited DESC
    LIMIT 1
)
SELECT coalesce(avg(((%(occurred_from)s::timestamptz IS NULL OR b >= %(occurred_from)s)
                     AND b < %(occurred_to)s)::int) * max(st.reltuples), 0)::float8 AS inside,
       coalesce(avg((b >= %(occurred_to)s)::int) * max(st.reltuples) + max(st.changed),
                0)::float8 AS after
FROM st
CROSS JOIN LATERAL unnest(st.bounds) AS b

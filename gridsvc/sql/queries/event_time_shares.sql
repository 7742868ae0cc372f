-- The shares of all events, by the planner's histogram of event.occurred_at (kept by ANALYZE),
-- that occurred in [occurred_from, occurred_to) ("inside", NULL from: no lower bound) and at
-- or after occurred_to ("after"): 0 and 0 before the first ANALYZE.
SELECT coalesce(avg(((%(occurred_from)s::timestamptz IS NULL OR b >= %(occurred_from)s)
                     AND b < %(occurred_to)s)::int), 0)::float8 AS inside,
       coalesce(avg((b >= %(occurred_to)s)::int), 0)::float8 AS after
FROM pg_stats AS s
CROSS JOIN LATERAL unnest(s.histogram_bounds::text::timestamptz[]) AS b
WHERE s.schemaname = current_schema() AND s.tablename = 'event' AND s.attname = 'occurred_at'

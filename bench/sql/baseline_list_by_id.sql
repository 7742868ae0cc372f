-- Baseline of the list rows (bench/lists.py): a page of GET /v1/events as gridsvc listed it
-- before issue #24 (store.list_events at 6db2fca), newest id first, the cursor the last id
-- (after_id). Filled in: the SELECT of every event read, and the order: e.id, or e.id + 0 (the
-- same order) when the planner's histogram puts fewer events in the window than after it
-- (baseline_list_time_shares.sql, baseline_list_time_below.sql). A NULL parameter is no
-- condition (folded away: psycopg2 sends the values inline).
{columns}FROM event AS e
WHERE (%(categories)s::text[] IS NULL OR e.category = ANY(%(categories)s::text[]))
  AND (%(occurred_from)s::timestamptz IS NULL OR e.occurred_at >= %(occurred_from)s)
  AND (%(occurred_to)s::timestamptz IS NULL OR e.occurred_at < %(occurred_to)s)
  AND (%(after_id)s::bigint IS NULL OR e.id < %(after_id)s)
ORDER BY {order} DESC
LIMIT %(lim)s

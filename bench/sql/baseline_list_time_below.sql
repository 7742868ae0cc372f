-- Baseline of the list rows (bench/lists.py): gridsvc's event_time_below.sql before issue #24.
-- When the event just below a list's cursor (after_id) occurred: where a walk down the ids
-- starts. No row: nothing is below it.
SELECT occurred_at FROM event WHERE id < %(after_id)s ORDER BY id DESC LIMIT 1

-- When the event just below a list's cursor (after_id) occurred: where a walk down the ids
-- starts. No row: nothing is below it.
SELECT occurred_at FROM event WHERE id < %(after_id)s ORDER BY id DESC LIMIT 1

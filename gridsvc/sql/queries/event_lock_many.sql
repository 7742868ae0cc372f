-- Lock several events in id order (a merge locks both ends): two merges of the same pair in
-- opposite directions wait for each other instead of deadlocking or both succeeding.
SELECT id FROM event WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE

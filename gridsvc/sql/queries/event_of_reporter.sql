-- Condition on ``e``: the events reported by %(reporter)s, found through the idempotency
-- keys (their primary key starts with reporter_id; event has no index on it)
e.id IN (SELECT k.event_id FROM event_key AS k WHERE k.reporter_id = %(reporter)s)

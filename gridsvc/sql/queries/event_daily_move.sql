-- Move one event's count from its old status to the new one (same transaction as the change).
-- One statement taking the two rollup rows in key order (only the status differs), as the
-- import's rollup insert does: moves in opposite directions (resolve while another event of
-- the same day fails verification) cannot deadlock.
INSERT INTO event_daily AS d (community_code, category, status, urgency, source, day, n)
SELECT coalesce(%(community_code)s, ''), %(category)s, m.status, %(urgency)s, %(source)s,
       (%(occurred_at)s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date, m.delta
FROM (VALUES (%(status)s::text, -1), (%(new_status)s::text, 1)) AS m (status, delta)
ORDER BY m.status
ON CONFLICT (community_code, category, status, urgency, source, day)
DO UPDATE SET n = d.n + excluded.n

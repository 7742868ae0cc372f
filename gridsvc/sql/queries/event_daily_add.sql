-- Count one stored event in the rollup (same transaction as the insert).
INSERT INTO event_daily AS d (community_code, category, status, urgency, source, day, n)
VALUES (coalesce(%(community_code)s, ''), %(category)s, %(status)s, %(urgency)s, %(source)s,
        (%(occurred_at)s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date, 1)
ON CONFLICT (community_code, category, status, urgency, source, day)
DO UPDATE SET n = d.n + excluded.n

-- Count one stored report in the rollup (same transaction as its insert).
INSERT INTO event_daily AS d (community_code, category, status, urgency, source, day, n)
VALUES (coalesce(%(community_code)s, ''), %(category)s, 'reported', %(urgency)s, %(source)s,
        (%(occurred_at)s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date, 1)
ON CONFLICT (community_code, category, status, urgency, source, day)
DO UPDATE SET n = d.n + excluded.n

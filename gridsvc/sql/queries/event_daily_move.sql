-- Move one event's count from its old status to the new one (same transaction as the change).
WITH key AS (
    SELECT coalesce(%(community_code)s, '') AS community_code, %(category)s AS category,
           %(urgency)s AS urgency, %(source)s AS source,
           (%(occurred_at)s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date AS day
), dec AS (
    UPDATE event_daily AS d SET n = d.n - 1
    FROM key AS k
    WHERE d.community_code = k.community_code AND d.category = k.category
      AND d.status = %(status)s AND d.urgency = k.urgency AND d.source = k.source
      AND d.day = k.day
)
INSERT INTO event_daily AS d (community_code, category, status, urgency, source, day, n)
SELECT community_code, category, %(new_status)s, urgency, source, day, 1 FROM key
ON CONFLICT (community_code, category, status, urgency, source, day)
DO UPDATE SET n = d.n + 1

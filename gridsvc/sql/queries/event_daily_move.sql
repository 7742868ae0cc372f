-- Move one event's count from its old status to the new one (same transaction as the change),
-- in the event_daily rollup and then in the queue's event_status_count (migration 0011).
-- Each takes its two rows in key order (only the status differs), and the one-time filter
-- reads "daily" to its end before the second insert starts, so every writer locks rollup
-- rows before status-count rows: moves in opposite directions (resolve while another event
-- of the same day fails verification) cannot deadlock.
WITH m (status, delta) AS (
    VALUES (%(status)s::text, -1), (%(new_status)s::text, 1)
), daily AS (
    INSERT INTO event_daily AS d (community_code, category, status, urgency, source, day, n)
    SELECT coalesce(%(community_code)s, ''), %(category)s, m.status, %(urgency)s, %(source)s,
           (%(occurred_at)s::timestamptz AT TIME ZONE %(city_tz)s)::date, m.delta
    FROM m
    ORDER BY m.status
    ON CONFLICT (community_code, category, status, urgency, source, day)
    DO UPDATE SET n = d.n + excluded.n
    RETURNING 1
)
INSERT INTO event_status_count AS t (community_code, category, status, urgency, n)
SELECT coalesce(%(community_code)s, ''), %(category)s, m.status, %(urgency)s, m.delta
FROM m
WHERE (SELECT count(*) FROM daily) >= 0
ORDER BY m.status
ON CONFLICT (community_code, category, status, urgency) DO UPDATE SET n = t.n + excluded.n

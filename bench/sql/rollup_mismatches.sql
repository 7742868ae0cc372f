-- How many rollup keys differ from a count of the events themselves (0: event_daily exact).
WITH raw AS (
    SELECT coalesce(community_code, '') AS community_code, category, status, urgency, source,
           (occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS day, count(*) AS n
    FROM event
    GROUP BY 1, 2, 3, 4, 5, 6
), rollup AS (
    SELECT community_code, category, status, urgency, source, day, n
    FROM event_daily
    WHERE n <> 0
)
SELECT count(*)
FROM raw
FULL JOIN rollup USING (community_code, category, status, urgency, source, day)
WHERE raw.n IS DISTINCT FROM rollup.n

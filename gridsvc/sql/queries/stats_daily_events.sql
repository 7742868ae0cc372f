-- Fragment "daily" of the stats_* queries when the filter asks whether events are overdue:
-- the rows of stats_daily.sql (community, category, Beijing day, n) counted from the events
-- themselves, since being overdue depends on the time of asking.
SELECT e.community_code, e.category,
       (e.occurred_at AT TIME ZONE %(city_tz)s)::date AS day, count(*)::bigint AS n
FROM event AS e
WHERE {event_filter}
GROUP BY 1, 2, 3

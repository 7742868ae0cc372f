-- Fragment "daily" of the stats_* queries: per community, category and Beijing day, the
-- events a StatsFilter selects. A NULL parameter means no restriction; the range is
-- half-open, [date_from, date_to). Without an overdue filter the counts come from the exact
-- event_daily rollup; with one from the events themselves, since being overdue depends on
-- the time of asking (one branch is constant-false and skipped by the planner).
SELECT d.community_code, d.category, d.day, d.n
FROM event_daily AS d
WHERE %(overdue)s::boolean IS NULL
  AND (%(categories)s::text[] IS NULL OR d.category = ANY (%(categories)s::text[]))
  AND (%(status)s::text[] IS NULL OR d.status = ANY (%(status)s::text[]))
  AND (%(urgency)s::text[] IS NULL OR d.urgency = ANY (%(urgency)s::text[]))
  AND (%(source)s::text[] IS NULL OR d.source = ANY (%(source)s::text[]))
  AND (%(date_from)s::date IS NULL OR d.day >= %(date_from)s::date)
  AND (%(date_to)s::date IS NULL OR d.day < %(date_to)s::date)
UNION ALL
SELECT e.community_code, e.category,
       (e.occurred_at AT TIME ZONE 'Asia/Shanghai')::date, count(*)::bigint
FROM event AS e
WHERE %(overdue)s::boolean IS NOT NULL
  AND {event_filter}
GROUP BY 1, 2, 3

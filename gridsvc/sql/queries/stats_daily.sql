-- Fragment "daily" of the stats_* queries: per community, category and Beijing day, the
-- events a StatsFilter selects, from the exact event_daily rollup. A NULL parameter means no
-- restriction; the range is half-open, [date_from, date_to). A filter on being overdue,
-- which depends on the time of asking, reads the events instead (stats_daily_events.sql);
-- stats_query picks one of the two in Python, so the planner sees one plain scan
-- (docs/design.md, Statistics).
SELECT d.community_code, d.category, d.day, d.n
FROM event_daily AS d
-- (overdue: never set here; were this composed for a filter on being overdue, it would count
-- nothing rather than ignore the filter)
WHERE %(overdue)s::boolean IS NULL
  AND (%(categories)s::text[] IS NULL OR d.category = ANY (%(categories)s::text[]))
  AND (%(status)s::text[] IS NULL OR d.status = ANY (%(status)s::text[]))
  AND (%(urgency)s::text[] IS NULL OR d.urgency = ANY (%(urgency)s::text[]))
  AND (%(source)s::text[] IS NULL OR d.source = ANY (%(source)s::text[]))
  AND (%(date_from)s::date IS NULL OR d.day >= %(date_from)s::date)
  AND (%(date_to)s::date IS NULL OR d.day < %(date_to)s::date)

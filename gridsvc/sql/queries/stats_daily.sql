-- Fragment {daily} of the stats_* queries: the rows of the event_daily rollup that a
-- StatsFilter selects. A NULL parameter means no restriction; days are Beijing days and the
-- range is half-open, [date_from, date_to).
SELECT d.community_code, d.category, d.day, d.n
FROM event_daily AS d
WHERE (%(categories)s::text[] IS NULL OR d.category = ANY (%(categories)s::text[]))
  AND (%(status)s::text[] IS NULL OR d.status = ANY (%(status)s::text[]))
  AND (%(urgency)s::text[] IS NULL OR d.urgency = ANY (%(urgency)s::text[]))
  AND (%(source)s::text[] IS NULL OR d.source = ANY (%(source)s::text[]))
  AND (%(date_from)s::date IS NULL OR d.day >= %(date_from)s::date)
  AND (%(date_to)s::date IS NULL OR d.day < %(date_to)s::date)

-- Open events per status for the dispatch queue when it filters by days or by source, from
-- the exact event_daily rollup (without those: queue_status_counts.sql), in the communities
-- that queue_communities.sql selects. Days are Beijing days, the range half-open
-- [day_from, day_to).
SELECT d.status, sum(d.n)::bigint
FROM event_daily AS d
WHERE d.status = ANY (%(statuses)s::text[])
  AND ((%(scope)s::text IS NULL AND %(grid)s::text IS NULL)
       OR d.community_code IN ({communities}))
  AND (%(categories)s::text[] IS NULL OR d.category = ANY (%(categories)s::text[]))
  AND (%(urgency)s::text[] IS NULL OR d.urgency = ANY (%(urgency)s::text[]))
  AND (%(source)s::text[] IS NULL OR d.source = ANY (%(source)s::text[]))
  AND (%(day_from)s::date IS NULL OR d.day >= %(day_from)s::date)
  AND (%(day_to)s::date IS NULL OR d.day < %(day_to)s::date)
GROUP BY d.status
HAVING sum(d.n) > 0

-- Open events per status for the dispatch queue, from event_status_count (exact, no days;
-- migration 0011), in the communities that queue_communities.sql selects.
SELECT t.status, sum(t.n)::bigint
FROM event_status_count AS t
WHERE t.status = ANY (%(statuses)s::text[])
  AND ((%(scope)s::text IS NULL AND %(grid)s::text IS NULL)
       OR t.community_code IN ({communities}))
  AND (%(categories)s::text[] IS NULL OR t.category = ANY (%(categories)s::text[]))
  AND (%(urgency)s::text[] IS NULL OR t.urgency = ANY (%(urgency)s::text[]))
GROUP BY t.status
HAVING sum(t.n) > 0

-- Fragment {communities} of the queue_status_counts* queries: the communities of the active
-- grid version inside unit %(scope)s (the caller's area) and unit %(grid)s (the queue's grid
-- filter), each NULL for no restriction, at any level (a community itself, its street, its
-- street's district or its sector).
SELECT c.code
FROM grid_unit AS c
JOIN grid_version AS v ON v.id = c.version_id AND v.active
LEFT JOIN grid_unit AS s ON s.version_id = c.version_id AND s.code = c.parent_code
WHERE c.level = 'community'
  AND (%(scope)s::text IS NULL
       OR %(scope)s::text IN (c.code, c.parent_code, c.sector_code, s.parent_code))
  AND (%(grid)s::text IS NULL
       OR %(grid)s::text IN (c.code, c.parent_code, c.sector_code, s.parent_code))

-- Baseline of goal 2: events of one category in [time_from, time_to) per community, found at
-- query time by joining event points to the active version's community polygon pieces
-- (grid_unit_part: pieces of at most 64 vertices with a GiST index, the fastest polygons the
-- schema has; the whole polygons of grid_unit would be slower).
SELECT p.code, count(*) AS n
FROM event AS e
JOIN grid_unit_part AS p
  ON p.version_id = %(version_id)s AND p.level = 'community' AND ST_Contains(p.geom, e.geom)
WHERE e.category = %(category)s
  AND e.occurred_at >= %(time_from)s AND e.occurred_at < %(time_to)s
GROUP BY p.code

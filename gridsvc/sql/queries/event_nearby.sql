-- Open events of the same category near a point and time: possible duplicates (of a new
-- report, before it is stored: exclude_id NULL; of a stored event: not itself).
SELECT e.id, e.title, e.status, e.occurred_at,
       ST_Distance(e.geom::geography, p.g::geography) AS distance_m
FROM event AS e,
     (SELECT ST_SetSRID(ST_MakePoint(%(lon_wgs84)s, %(lat_wgs84)s), 4326) AS g) AS p
WHERE e.category = %(category)s
  AND e.status NOT IN ('closed', 'rejected', 'merged')
  AND (%(exclude_id)s::bigint IS NULL OR e.id <> %(exclude_id)s::bigint)
  AND e.occurred_at BETWEEN %(occurred_at)s::timestamptz - %(window_h)s * interval '1 hour'
                        AND %(occurred_at)s::timestamptz + %(window_h)s * interval '1 hour'
  AND e.geom && ST_Expand(p.g, %(box_deg)s)  -- the GiST index first
  AND ST_DWithin(e.geom::geography, p.g::geography, %(radius_m)s)
ORDER BY distance_m, e.id
LIMIT 10

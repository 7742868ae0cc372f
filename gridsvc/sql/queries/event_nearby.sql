-- Open events of the same category near a point and time: possible duplicates, at most 10
-- per point, nearest first. The points come from a fragment (formatted in by
-- gridsvc.events.store; no brace may stand in these comments): one point
-- (event_nearby_point.sql: a new report before it is stored, exclude_id NULL, or a stored
-- event, not itself) or the reports staged together (event_nearby_staged.sql), each with a
-- number q.row_number, its WGS-84 position, category, time, radius_m, window_h and box_deg (a
-- box in degrees holding the circle, whose cells event_cells lists).
SELECT q.row_number, n.id, n.title, n.status, n.occurred_at, n.distance_m
FROM ({points}) AS q
CROSS JOIN LATERAL (
    SELECT e.id, e.title, e.status, e.occurred_at,
           ST_Distance(e.geom::geography, p.g::geography) AS distance_m
    FROM (SELECT ST_SetSRID(ST_MakePoint(q.lon_wgs84, q.lat_wgs84), 4326) AS g) AS p,
         event AS e
    -- the category's open events of the window in the cells under the box: the key of the
    -- index event_open_near (migration 0008), (category, cell, time); then the circle
    WHERE e.category = q.category
      AND e.status NOT IN ('closed', 'rejected', 'merged')
      AND event_cell(ST_X(e.geom), ST_Y(e.geom))
          = ANY (event_cells(q.lon_wgs84, q.lat_wgs84, q.box_deg))
      AND e.occurred_at BETWEEN q.occurred_at - q.window_h * interval '1 hour'
                            AND q.occurred_at + q.window_h * interval '1 hour'
      AND (q.exclude_id IS NULL OR e.id <> q.exclude_id)
      AND ST_DWithin(e.geom::geography, p.g::geography, q.radius_m)
    ORDER BY distance_m, e.id
    LIMIT 10
) AS n
ORDER BY q.row_number, n.distance_m, n.id

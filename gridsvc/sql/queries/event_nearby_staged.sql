-- The points fragment of event_nearby.sql: the reports in event_stage (store.store_together),
-- each with the radius, window and box of its category, given in step by row number.
SELECT s.row_number, s.lon_wgs84, s.lat_wgs84, s.category, s.occurred_at, r.window_h,
       r.radius_m, r.box_deg, NULL::bigint AS exclude_id
FROM event_stage AS s
JOIN unnest(%(rows)s::bigint[], %(window_h)s::float8[], %(radius_m)s::float8[],
            %(box_deg)s::float8[]) AS r (row_number, window_h, radius_m, box_deg)
  ON r.row_number = s.row_number

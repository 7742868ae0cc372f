-- The points fragment of event_nearby.sql: one point.
SELECT 1::bigint AS row_number, %(lon_wgs84)s::float8 AS lon_wgs84,
       %(lat_wgs84)s::float8 AS lat_wgs84, %(category)s::text AS category,
       %(occurred_at)s::timestamptz AS occurred_at, %(window_h)s::float8 AS window_h,
       %(radius_m)s::float8 AS radius_m, %(box_deg)s::float8 AS box_deg,
       %(exclude_id)s::bigint AS exclude_id

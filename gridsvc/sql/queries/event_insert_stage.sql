-- Store the staged rows and count them in the rollup, in the caller's transaction.
WITH ins AS (
    INSERT INTO event (reporter_id, client_event_id, content_sha256, category, title,
                       description, occurred_at, reported_at, source, urgency, geom, lon_sent,
                       lat_sent, crs_sent, accuracy_m, address, media, attributes,
                       grid_version_id, community_code, street_code, sector_code,
                       district_code, grid_code, snapped, near_boundary, import_id,
                       accept_due_at)
    SELECT reporter_id, client_event_id, content_sha256, category, title,
           coalesce(description, ''),
           occurred_at, reported_at, source, urgency,
           ST_SetSRID(ST_MakePoint(lon_wgs84, lat_wgs84), 4326), lon_sent, lat_sent,
           crs_sent, accuracy_m, address, media, attributes, grid_version_id,
           community_code, street_code, sector_code, district_code, grid_code, snapped,
           near_boundary, %(import_id)s,
           s.reported_at + (c.time_limits -> 'accept_hours' ->> s.urgency)::float8
                           * interval '1 hour'
    FROM event_stage AS s
    LEFT JOIN category AS c ON c.code = s.category
    WHERE s.row_number <> ALL (%(skip_rows)s::bigint[])
    ON CONFLICT ON CONSTRAINT event_idempotency DO NOTHING
    RETURNING community_code, category, status, urgency, source, occurred_at
), roll AS (
    INSERT INTO event_daily AS d (community_code, category, status, urgency, source, day, n)
    SELECT coalesce(community_code, ''), category, status, urgency, source,
           (occurred_at AT TIME ZONE 'Asia/Shanghai')::date, count(*)
    FROM ins
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6  -- rows locked in one order: concurrent imports cannot deadlock
    ON CONFLICT (community_code, category, status, urgency, source, day)
    DO UPDATE SET n = d.n + excluded.n
)
SELECT count(*) FROM ins

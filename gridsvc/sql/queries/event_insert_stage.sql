-- Store the staged rows and count them in the rollup, in the caller's transaction. The keys
-- go into event_key first; only the rows whose key went in are stored as events (a key
-- stored already, or taken meanwhile by another import or report, which it waits for, is
-- skipped), so a key and its event are written together or not at all. The import names
-- the rows it rejects for their stored key in skip_rows; the API's batch passes none and
-- answers the left-out reports alone.
WITH k AS (
    INSERT INTO event_key (event_id, reporter_id, client_event_id, community_code,
                           content_sha256)
    SELECT event_id, reporter_id, client_event_id, coalesce(community_code, ''),
           decode(content_sha256, 'hex')
    FROM event_stage
    WHERE row_number <> ALL (%(skip_rows)s::bigint[])
    -- keys locked in one order: batches with keys in common cannot deadlock; of one key
    -- twice in a batch, the earlier row goes in
    ORDER BY reporter_id, client_event_id, row_number
    ON CONFLICT (reporter_id, client_event_id) DO NOTHING
    RETURNING event_id
), ins AS (
    INSERT INTO event (id, reporter_id, client_event_id, category, title, description,
                       occurred_at, reported_at, source, urgency, geom, lon_sent, lat_sent,
                       crs_sent, accuracy_m, address, media, attributes, grid_version_id,
                       community_code, street_code, sector_code, district_code, grid_code,
                       snapped, near_boundary, import_id, accept_due_at)
    OVERRIDING SYSTEM VALUE
    -- a join on the narrow id: the stage is read in file order, so events are stored in
    -- id order as before
    SELECT s.event_id, s.reporter_id, s.client_event_id, s.category, s.title,
           coalesce(s.description, ''),
           s.occurred_at, s.reported_at, s.source, s.urgency,
           ST_SetSRID(ST_MakePoint(s.lon_wgs84, s.lat_wgs84), 4326), s.lon_sent, s.lat_sent,
           s.crs_sent, s.accuracy_m, s.address, s.media, s.attributes, s.grid_version_id,
           coalesce(s.community_code, ''), s.street_code, s.sector_code, s.district_code,
           s.grid_code, s.snapped, s.near_boundary, %(import_id)s,
           s.reported_at + (c.time_limits -> 'accept_hours' ->> s.urgency)::float8
                           * interval '1 hour'
    FROM event_stage AS s
    JOIN k ON k.event_id = s.event_id
    LEFT JOIN category AS c ON c.code = s.category
    RETURNING community_code, category, status, urgency, source, occurred_at, geom
), roll AS (
    INSERT INTO event_daily AS d (community_code, category, status, urgency, source, day, n)
    SELECT community_code, category, status, urgency, source,
           (occurred_at AT TIME ZONE %(city_tz)s)::date, count(*)
    FROM ins
    GROUP BY 1, 2, 3, 4, 5, 6
    ORDER BY 1, 2, 3, 4, 5, 6  -- rows locked in one order: concurrent imports cannot deadlock
    ON CONFLICT (community_code, category, status, urgency, source, day)
    DO UPDATE SET n = d.n + excluded.n
    RETURNING 1
), status_counted AS (
    -- the queue's counts (event_status_count), in key order, after every rollup row of the
    -- batch: the one-time filter reads "roll" to its end first (migration 0011)
    INSERT INTO event_status_count AS t (community_code, category, status, urgency, n)
    SELECT community_code, category, status, urgency, count(*)
    FROM ins
    WHERE (SELECT count(*) FROM roll) >= 0
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (community_code, category, status, urgency) DO UPDATE SET n = t.n + excluded.n
    RETURNING 1
), binned AS (
    -- the events tiles' bins (event_tile_bin, migration 0014), in key order, after every
    -- status count of the batch (the one-time filter reads "status_counted" to its end)
    INSERT INTO event_tile_bin AS b (x, y, i, j, kind, n, sx, sy)
    SELECT c.x, c.y, c.i, c.j, c.kind, count(*), sum(c.mx), sum(c.my)
    FROM ins
    LEFT JOIN category AS k ON k.code = ins.category
    CROSS JOIN LATERAL event_tile_cells(ST_X(ins.geom), ST_Y(ins.geom),
                                        coalesce(k.sensitive, false)) AS c
    WHERE (SELECT count(*) FROM status_counted) >= 0
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (x, y, i, j, kind)
    DO UPDATE SET n = b.n + excluded.n, sx = b.sx + excluded.sx, sy = b.sy + excluded.sy
)
SELECT count(*) FROM ins

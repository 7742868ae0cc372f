-- One report, in one statement: its key goes into event_key first; the event only if the key
-- went in, with the id the key insert took from event's identity sequence; then its count in
-- the event_daily rollup; and the stored event comes back with the columns of every event
-- read (gridsvc.events.columns.SELECT, filled in below). All of it or none: a replay of
-- (reporter_id, client_event_id), also one racing the first attempt (which waits for it),
-- inserts nothing and returns no row.
-- The caller commits right after, so the rollup row it counts into is locked only until then
-- (reports under the same rollup key wait for each other that long).
WITH k AS (
    INSERT INTO event_key (event_id, reporter_id, client_event_id, community_code,
                           content_sha256)
    VALUES (nextval(pg_get_serial_sequence('event', 'id')), %(reporter_id)s,
            %(client_event_id)s, coalesce(%(community_code)s, ''),
            decode(%(content_sha256)s, 'hex'))
    ON CONFLICT (reporter_id, client_event_id) DO NOTHING
    RETURNING event_id
),
inserted AS (
    INSERT INTO event (id, reporter_id, client_event_id, category, title, description,
                       occurred_at, reported_at, source, urgency, geom, lon_sent, lat_sent,
                       crs_sent, accuracy_m, address, media, attributes, grid_version_id,
                       community_code, street_code, sector_code, district_code, grid_code,
                       snapped, near_boundary, import_id, accept_due_at)
    OVERRIDING SYSTEM VALUE
    SELECT k.event_id, %(reporter_id)s, %(client_event_id)s, %(category)s, %(title)s,
           %(description)s, %(occurred_at)s, %(reported_at)s, %(source)s, %(urgency)s,
           ST_SetSRID(ST_MakePoint(%(lon_wgs84)s, %(lat_wgs84)s), 4326), %(lon_sent)s,
           %(lat_sent)s, %(crs_sent)s, %(accuracy_m)s, %(address)s, %(media)s::jsonb,
           %(attributes)s::jsonb, %(grid_version_id)s, coalesce(%(community_code)s, ''),
           %(street_code)s, %(sector_code)s, %(district_code)s, %(grid_code)s, %(snapped)s,
           %(near_boundary)s, NULL,
           -- accept within the category's limit for this urgency (natural hours)
           %(reported_at)s::timestamptz + (SELECT (c.time_limits -> 'accept_hours'
                                                    ->> %(urgency)s)::float8 * interval '1 hour'
                                            FROM category AS c WHERE c.code = %(category)s)
    FROM k
    RETURNING *
),
counted AS (
    INSERT INTO event_daily AS d (community_code, category, status, urgency, source, day, n)
    SELECT i.community_code, i.category, i.status, i.urgency, i.source,
           (i.occurred_at AT TIME ZONE %(city_tz)s)::date, 1
    FROM inserted AS i
    ON CONFLICT (community_code, category, status, urgency, source, day)
    DO UPDATE SET n = d.n + excluded.n
    RETURNING 1
),
status_counted AS (
    -- the queue's count (event_status_count), after the rollup row: the one-time filter
    -- reads "counted" to its end first, so every writer locks its event_daily rows before
    -- its event_status_count rows (migration 0011)
    INSERT INTO event_status_count AS t (community_code, category, status, urgency, n)
    SELECT i.community_code, i.category, i.status, i.urgency, 1
    FROM inserted AS i
    WHERE (SELECT count(*) FROM counted) >= 0
    ON CONFLICT (community_code, category, status, urgency) DO UPDATE SET n = t.n + excluded.n
    RETURNING 1
),
binned AS (
    -- the events tiles' bins (event_tile_bin, migration 0014), after the status count: the
    -- one-time filter reads "status_counted" to its end first; rows in key order
    INSERT INTO event_tile_bin AS b (x, y, i, j, kind, n, sx, sy)
    SELECT c.x, c.y, c.i, c.j, c.kind, count(*), sum(c.mx), sum(c.my)
    FROM inserted AS i
    LEFT JOIN category AS k ON k.code = i.category
    CROSS JOIN LATERAL event_tile_cells(ST_X(i.geom), ST_Y(i.geom), coalesce(k.sensitive, false))
        AS c
    WHERE (SELECT count(*) FROM status_counted) >= 0
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (x, y, i, j, kind)
    DO UPDATE SET n = b.n + excluded.n, sx = b.sx + excluded.sx, sy = b.sy + excluded.sy
)
{event_columns}
FROM inserted AS e

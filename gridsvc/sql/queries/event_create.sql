-- One report; a replay of (reporter_id, client_event_id) inserts nothing and returns no row.
-- Its rollup count is added by event_daily_add.sql, last in the same transaction (so the
-- rollup row is locked only until the commit).
INSERT INTO event (reporter_id, client_event_id, content_sha256, category, title,
                   description, occurred_at, reported_at, source, urgency, geom, lon_sent,
                   lat_sent, crs_sent, accuracy_m, address, media, attributes,
                   grid_version_id, community_code, street_code, sector_code,
                   district_code, grid_code, snapped, near_boundary, import_id,
                   accept_due_at)
VALUES (%(reporter_id)s, %(client_event_id)s, %(content_sha256)s, %(category)s, %(title)s,
        %(description)s, %(occurred_at)s, %(reported_at)s, %(source)s, %(urgency)s,
        ST_SetSRID(ST_MakePoint(%(lon_wgs84)s, %(lat_wgs84)s), 4326), %(lon_sent)s,
        %(lat_sent)s, %(crs_sent)s, %(accuracy_m)s, %(address)s, %(media)s::jsonb,
        %(attributes)s::jsonb, %(grid_version_id)s, %(community_code)s, %(street_code)s,
        %(sector_code)s, %(district_code)s, %(grid_code)s, %(snapped)s, %(near_boundary)s,
        NULL,
        -- accept within the category's limit for this urgency (natural hours)
        %(reported_at)s::timestamptz + (SELECT (c.time_limits -> 'accept_hours'
                                                 ->> %(urgency)s)::float8 * interval '1 hour'
                                         FROM category AS c WHERE c.code = %(category)s))
ON CONFLICT ON CONSTRAINT event_idempotency DO NOTHING
RETURNING id

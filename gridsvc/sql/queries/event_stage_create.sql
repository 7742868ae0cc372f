-- A batch of checked rows, staged before one INSERT ... SELECT (event_insert_stage.sql):
-- COPYed in by the bulk import, inserted by the API's batch (event_stage_insert.sql). The
-- table lives as long as the pooled connection and is emptied at every commit: created
-- once, not per batch (a CREATE and DROP per batch cost ~1 ms and churned the system
-- catalogs at API rates; the pool closes connections after an hour, so the table's frozen
-- xid does not hold back the database's). Each row takes its event id from event's identity
-- sequence as it is staged, in file order; a row that is not stored (its key is taken)
-- leaves a gap in the ids, as a replay does. No notices for the rest of the transaction:
-- "relation event_stage already exists, skipping" would come back with every batch.
SET LOCAL client_min_messages = warning;
CREATE TEMP TABLE IF NOT EXISTS event_stage (
    event_id bigint NOT NULL DEFAULT nextval(pg_get_serial_sequence('event', 'id')),
    row_number bigint, reporter_id text, client_event_id text, content_sha256 text,
    category text, title text, description text, occurred_at timestamptz,
    reported_at timestamptz, source text, urgency text, lon_wgs84 double precision,
    lat_wgs84 double precision, lon_sent double precision, lat_sent double precision,
    crs_sent text, accuracy_m real, address text, media jsonb, attributes jsonb,
    grid_version_id integer, community_code text, street_code text, sector_code text,
    district_code text, grid_code text, snapped boolean, near_boundary boolean
) ON COMMIT DELETE ROWS

-- The reports that arrive together into event_stage (store.store_together), one array per
-- column, in step. The bulk import COPYs its batches instead (50,000 rows); for a few
-- reports one statement is cheaper, and it goes in the round trip of the statements around
-- it. Each row takes its event id as it is inserted, in the arrays' order (a function scan
-- returns its rows in order; event_stage_create.sql).
INSERT INTO event_stage (
    row_number, reporter_id, client_event_id, content_sha256, category, title, description,
    occurred_at, reported_at, source, urgency, lon_wgs84, lat_wgs84, lon_sent, lat_sent,
    crs_sent, accuracy_m, address, media, attributes, grid_version_id, community_code,
    street_code, sector_code, district_code, grid_code, snapped, near_boundary
)
SELECT *
FROM unnest(
    %(row_number)s::bigint[], %(reporter_id)s::text[], %(client_event_id)s::text[],
    %(content_sha256)s::text[], %(category)s::text[], %(title)s::text[],
    %(description)s::text[], %(occurred_at)s::timestamptz[], %(reported_at)s::timestamptz[],
    %(source)s::text[], %(urgency)s::text[], %(lon_wgs84)s::float8[], %(lat_wgs84)s::float8[],
    %(lon_sent)s::float8[], %(lat_sent)s::float8[], %(crs_sent)s::text[],
    %(accuracy_m)s::real[], %(address)s::text[], %(media)s::jsonb[], %(attributes)s::jsonb[],
    %(grid_version_id)s::integer[], %(community_code)s::text[], %(street_code)s::text[],
    %(sector_code)s::text[], %(district_code)s::text[], %(grid_code)s::text[],
    %(snapped)s::boolean[], %(near_boundary)s::boolean[]
)

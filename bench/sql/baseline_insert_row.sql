-- Baseline of goal 1: one report stored by one INSERT statement (committed on its own), its
-- community found by an ST_Contains subquery against the active version's polygon pieces,
-- the street, sector and district by joins, the rollup counted in the same statement.
-- Deliberately leaner than the import: no validation, no deadline, no grid (网格) level.
WITH point AS (
    SELECT ST_SetSRID(ST_MakePoint(%(lon_wgs84)s, %(lat_wgs84)s), 4326) AS geom
), community AS (
    SELECT c.code, c.parent_code AS street_code, s.sector_code, s.parent_code AS district_code
    FROM grid_unit AS c
    LEFT JOIN grid_unit AS s ON s.version_id = c.version_id AND s.code = c.parent_code
    WHERE c.version_id = %(version_id)s
      AND c.code = (SELECT p.code FROM grid_unit_part AS p, point
                    WHERE p.version_id = %(version_id)s AND p.level = 'community'
                      AND ST_Contains(p.geom, point.geom)
                    ORDER BY p.code LIMIT 1)
), k AS (
    -- the idempotency key first, the event only if it went in (as event_report.sql does)
    INSERT INTO event_key (event_id, reporter_id, client_event_id, community_code,
                           content_sha256)
    SELECT nextval(pg_get_serial_sequence('event', 'id')), %(reporter_id)s,
           %(client_event_id)s, coalesce(community.code, ''), decode(%(content_sha256)s, 'hex')
    FROM point LEFT JOIN community ON true
    ON CONFLICT (reporter_id, client_event_id) DO NOTHING
    RETURNING event_id, community_code
), ins AS (
    INSERT INTO event (id, reporter_id, client_event_id, category, title, description,
                       occurred_at, reported_at, source, urgency, geom, lon_sent, lat_sent,
                       crs_sent, accuracy_m, address, attributes, grid_version_id,
                       community_code, street_code, sector_code, district_code)
    OVERRIDING SYSTEM VALUE
    SELECT k.event_id, %(reporter_id)s, %(client_event_id)s, %(category)s, %(title)s,
           %(description)s, %(occurred_at)s, %(reported_at)s, %(source)s, %(urgency)s,
           point.geom, %(lon_sent)s, %(lat_sent)s, %(crs_sent)s, %(accuracy_m)s, %(address)s,
           %(attributes)s::jsonb, %(version_id)s, k.community_code, community.street_code,
           community.sector_code, community.district_code
    FROM k, point LEFT JOIN community ON true
    RETURNING community_code, category, status, urgency, source, occurred_at
)
INSERT INTO event_daily AS d (community_code, category, status, urgency, source, day, n)
SELECT community_code, category, status, urgency, source,
       (occurred_at AT TIME ZONE 'Asia/Shanghai')::date, 1
FROM ins
ON CONFLICT (community_code, category, status, urgency, source, day)
DO UPDATE SET n = d.n + excluded.n

-- One events tile (gridsvc.vtiles.events_tile): its events as points (MVT layer "events")
-- when the tile and its buffer hold at most %(max_points)s of them, else binned (layer
-- "event_bins"). One row: which, the tile, and how many events it draws.
--
-- The selection is gridsvc.events.store.filter_where's WHERE clause on alias e (spliced in
-- below as event_filter), so a tile holds what the event list holds, the caller's scope
-- included. Events of the %(rounded)s categories (sensitive ones, for analysts) are placed
-- at their location rounded to 0.01° (~1 km), as store.redact shows them, and belong where
-- the rounded point lies: they are read apart ("coarse"), with boxes widened by half a
-- rounding step (*_search_*) through the partial index of the sensitive categories' events
-- (event_sensitive_geom, gridsvc.events.taxonomy_db), and the rounded point tested against
-- the box itself; every other event ("exact") is read by the box itself. Both selections
-- are NOT MATERIALIZED: each branch reads only its box through an index. Without rounding
-- (%(exact_positions)s true) the coarse branch is never run (a one-time filter). The boxes are lon/lat
-- numbers (a Web Mercator rectangle is a lon/lat rectangle), so that the planner estimates
-- from the GiST statistics how many events a tile holds (a bitmap scan reads each heap
-- page of a dense tile once). `&&` compares float4 boxes, a few decimetres wide here:
-- ST_AsMVTGeom (points) and the cell numbers (bins) decide exactly.
--
-- Points: at most %(max_points)s + 1 events of the tile and its buffer are read ("near",
-- read once); if there are more, the branch of the bins runs instead (the one-time
-- filters of the UNION: a branch whose filter is false is never executed). Properties: id
-- (also the feature id), category, status, urgency, occurred_at as ISO 8601 in the city's
-- zone %(tz)s with its offset (as gridsvc.dates.local_iso writes it: microseconds and the
-- offset's seconds only when there are some), rounded = true for a rounded point.
--
-- Bins: the tile cut into 16 x 16 squares of Web Mercator, one point per square holding
-- events, at their mean position, with their count. Squares are numbered on the whole
-- world's lattice of the zoom (tile_bin_column / tile_bin_row, migration 0014: the same
-- functions number the bins kept in event_tile_bin, so a tile binned here and one read from
-- there are the same), so each event is in one square of one tile: a zoom's tiles add up to
-- the selection, no buffer counted twice. Mercator metres from lon/lat by the spherical
-- formula of EPSG:3857 (merc_x / merc_y), in float8 (cheaper than ST_Transform per point;
-- read once, MATERIALIZED).
WITH tile AS (
    SELECT ST_TileEnvelope(%(tile_z)s, %(tile_x)s, %(tile_y)s) AS merc
),
exact AS NOT MATERIALIZED (
    SELECT e.id, e.category, e.status, e.urgency, e.occurred_at, e.geom, false AS rounded,
           e.geom AS pt
    FROM (SELECT * FROM event AS e {event_filter}) AS e
    WHERE e.category <> ALL (%(rounded)s::text[])
),
coarse AS NOT MATERIALIZED (
    SELECT e.id, e.category, e.status, e.urgency, e.occurred_at, e.geom, true AS rounded,
           ST_SetSRID(ST_MakePoint(round(ST_X(e.geom) / 0.01) * 0.01,
                                   round(ST_Y(e.geom) / 0.01) * 0.01), 4326) AS pt
    FROM (SELECT * FROM event AS e {event_filter}) AS e
    WHERE NOT %(exact_positions)s AND e.category = ANY (%(rounded)s::text[])
),
near AS (
    (SELECT s.* FROM exact AS s
     WHERE s.geom && ST_MakeEnvelope(%(near_w)s, %(near_s)s, %(near_e)s, %(near_n)s, 4326))
    UNION ALL
    (SELECT s.* FROM coarse AS s
     WHERE s.geom && ST_MakeEnvelope(%(near_search_w)s, %(near_search_s)s,
                                     %(near_search_e)s, %(near_search_n)s, 4326)
       AND s.pt && ST_MakeEnvelope(%(near_w)s, %(near_s)s, %(near_e)s, %(near_n)s, 4326))
    LIMIT %(max_points)s + 1
),
points AS (
    SELECT ST_AsMVT(t.*, 'events', %(extent)s, 'geom', 'id') FILTER (WHERE t.geom IS NOT NULL)
               AS mvt,
           count(*) FILTER (WHERE t.geom IS NOT NULL) AS n
    FROM (
        SELECT p.id, p.category, p.status, p.urgency,
               to_char(l.wall, 'YYYY-MM-DD"T"HH24:MI:SS')
               || CASE WHEN mod(extract(microseconds FROM l.wall)::bigint, 1000000) <> 0
                       THEN to_char(l.wall, '.US') ELSE '' END
               || CASE WHEN l.offs < interval '0' THEN '-' ELSE '+' END
               || to_char(greatest(l.offs, -l.offs), 'HH24:MI')
               || CASE WHEN extract(second FROM l.offs) <> 0
                       THEN to_char(greatest(l.offs, -l.offs), ':SS') ELSE '' END
                   AS occurred_at,
               NULLIF(p.rounded, false) AS rounded,
               ST_AsMVTGeom(ST_Transform(p.pt, 3857), (SELECT merc FROM tile), %(extent)s,
                            %(buffer)s, true) AS geom
        FROM near AS p,
             LATERAL (SELECT p.occurred_at AT TIME ZONE %(tz)s AS wall,
                             (p.occurred_at AT TIME ZONE %(tz)s)
                             - (p.occurred_at AT TIME ZONE 'UTC') AS offs) AS l
    ) AS t
),
inside AS (
    SELECT s.pt FROM exact AS s
    WHERE s.geom && ST_MakeEnvelope(%(in_w)s, %(in_s)s, %(in_e)s, %(in_n)s, 4326)
    UNION ALL
    SELECT s.pt FROM coarse AS s
    WHERE s.geom && ST_MakeEnvelope(%(in_search_w)s, %(in_search_s)s,
                                    %(in_search_e)s, %(in_search_n)s, 4326)
      AND s.pt && ST_MakeEnvelope(%(in_w)s, %(in_s)s, %(in_e)s, %(in_n)s, 4326)
),
projected AS MATERIALIZED (
    SELECT merc_x(ST_X(i.pt)) AS mx, merc_y(ST_Y(i.pt)) AS my
    FROM inside AS i
),
cells AS (
    SELECT tile_bin_column(p.mx, %(tile_z)s) - %(first_i)s AS i,
           tile_bin_row(p.my, %(tile_z)s) - %(first_j)s AS j,
           count(*) AS n, avg(p.mx) AS mx, avg(p.my) AS my
    FROM projected AS p
    GROUP BY 1, 2
),
bins AS (
    SELECT ST_AsMVT(t.*, 'event_bins', %(extent)s, 'geom') AS mvt,
           coalesce(sum(t.count), 0) AS n
    FROM (
        SELECT c.n AS count,
               ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.mx, c.my), 3857),
                            (SELECT merc FROM tile), %(extent)s, 0, false) AS geom
        FROM cells AS c
        WHERE c.i BETWEEN 0 AND 15 AND c.j BETWEEN 0 AND 15
    ) AS t
)
SELECT 'points' AS kind, p.mvt, p.n FROM points AS p
WHERE (SELECT count(*) FROM near) <= %(max_points)s
UNION ALL
SELECT 'bins', b.mvt, b.n FROM bins AS b
WHERE (SELECT count(*) FROM near) > %(max_points)s

-- Events a StatsFilter selects, binned on a square lattice of %(cell_deg)s degrees
-- (EPSG:4326): each point goes to its nearest lattice node, round(x / cell) — what
-- ST_SnapToGrid does, in float8 arithmetic, grouped on two integers instead of on geometries
-- (no sort of geometries; ~2x faster at millions of events). Every row is the centre of one
-- cell and its weight n the events in it. The filter is stats_event_filter.sql, as in the
-- statistics (Beijing days, half-open range, overdue against the service's clock).
-- Events of the %(sensitive)s categories are first rounded to 0.01° (~1 km), as analysts see
-- them in event lists, so a fine lattice cannot reveal where they happened.
-- The sample fragment is empty, or a TABLESAMPLE clause when the caller bins a sample of a very large
-- selection (gridsvc/maps/heatmap.py says when, and scales the weights).
-- With %(levels)s above 1 the lattice coarsens in here: level k has cells 3^k times as large,
-- each exactly the 3 x 3 cells of level k-1 around its node (round(i / 3) of their indexes),
-- and the finest level with at most %(max_bins)s cells is returned (else the coarsest); only
-- that level's cells leave the database. level says which.
-- At most %(max_bins)s + 1 rows come back, so the caller can refuse a too fine lattice.
WITH level0 AS MATERIALIZED (
    SELECT round(p.x / %(cell_deg)s::float8)::bigint AS ix,
           round(p.y / %(cell_deg)s::float8)::bigint AS iy,
           count(*)::bigint AS n
    FROM (
        SELECT CASE WHEN e.category = ANY (%(sensitive)s::text[])
                    THEN round(ST_X(e.geom) / 0.01) * 0.01 ELSE ST_X(e.geom) END AS x,
               CASE WHEN e.category = ANY (%(sensitive)s::text[])
                    THEN round(ST_Y(e.geom) / 0.01) * 0.01 ELSE ST_Y(e.geom) END AS y
        FROM event AS e {sample}
        WHERE {event_filter}
    ) AS p
    GROUP BY 1, 2
),
level1 AS MATERIALIZED (
    SELECT round(c.ix / 3::float8)::bigint AS ix, round(c.iy / 3::float8)::bigint AS iy,
           sum(c.n)::bigint AS n
    FROM level0 AS c
    WHERE %(levels)s >= 2 AND (SELECT count(*) FROM level0) > %(max_bins)s
    GROUP BY 1, 2
),
level2 AS MATERIALIZED (
    SELECT round(c.ix / 3::float8)::bigint AS ix, round(c.iy / 3::float8)::bigint AS iy,
           sum(c.n)::bigint AS n
    FROM level1 AS c
    WHERE %(levels)s >= 3 AND (SELECT count(*) FROM level1) > %(max_bins)s
    GROUP BY 1, 2
),
chosen AS (
    SELECT CASE WHEN (SELECT count(*) FROM level2) > 0 THEN 2
                WHEN (SELECT count(*) FROM level1) > 0 THEN 1
                ELSE 0 END AS level
),
cells AS (
    SELECT 0 AS level, ix, iy, n FROM level0
    UNION ALL SELECT 1, ix, iy, n FROM level1
    UNION ALL SELECT 2, ix, iy, n FROM level2
)
SELECT b.level,
       b.ix * (%(cell_deg)s::float8 * 3 ^ b.level) AS lon_wgs84,
       b.iy * (%(cell_deg)s::float8 * 3 ^ b.level) AS lat_wgs84,
       b.n
FROM cells AS b
WHERE b.level = (SELECT level FROM chosen)
ORDER BY b.n DESC, b.ix, b.iy
LIMIT %(max_bins)s + 1

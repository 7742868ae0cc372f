-- Events a StatsFilter selects, binned on a square lattice of %(cell_deg)s degrees
-- (EPSG:4326): each point goes to its nearest lattice node, round(x / cell) — what
-- ST_SnapToGrid does, in float8 arithmetic, grouped on two integers instead of on geometries
-- (no sort of geometries; ~2x faster at millions of events). Every row is the centre of one
-- cell and its weight n the events in it. The filter is stats_event_filter.sql, as in
-- stats_daily.sql (Beijing days, half-open range, overdue against now()).
-- Events of the %(sensitive)s categories are first rounded to 0.01° (~1 km), as analysts see
-- them in event lists, so a fine lattice cannot reveal where they happened.
-- The sample fragment is empty, or a TABLESAMPLE clause when the caller bins a sample of a very large
-- selection (gridsvc/maps/heatmap.py says when, and scales the weights).
-- At most %(max_bins)s + 1 rows come back, so the caller can refuse a too fine lattice.
SELECT b.ix * %(cell_deg)s::float8 AS lon_wgs84, b.iy * %(cell_deg)s::float8 AS lat_wgs84, b.n
FROM (
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
) AS b
ORDER BY b.n DESC, b.ix, b.iy
LIMIT %(max_bins)s + 1

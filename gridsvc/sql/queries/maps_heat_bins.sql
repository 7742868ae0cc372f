-- Events a StatsFilter selects, binned on a square lattice of %(cell_deg)s degrees
-- (EPSG:4326): ST_SnapToGrid moves each point to its nearest lattice node, so every row is
-- the centre of one cell and its weight n the events in it. The filter is
-- stats_event_filter.sql, as in stats_daily.sql (Beijing days, half-open range, overdue
-- against now()).
-- Events of the %(sensitive)s categories are first rounded to 0.01° (~1 km), as analysts see
-- them in event lists, so a fine lattice cannot reveal where they happened.
-- At most %(max_bins)s + 1 rows come back, so the caller can refuse a too fine lattice.
SELECT ST_X(b.cell) AS lon_wgs84, ST_Y(b.cell) AS lat_wgs84, b.n
FROM (
    SELECT ST_SnapToGrid(
               CASE WHEN e.category = ANY (%(sensitive)s::text[])
                    THEN ST_SnapToGrid(e.geom, 0.01) ELSE e.geom END,
               %(cell_deg)s) AS cell,
           count(*)::bigint AS n
    FROM event AS e
    WHERE {event_filter}
    GROUP BY 1
) AS b
ORDER BY b.n DESC, 1, 2
LIMIT %(max_bins)s + 1
